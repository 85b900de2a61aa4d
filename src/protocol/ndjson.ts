/** Splits a byte stream into newline-delimited JSON messages; a line never parses half. */
export class LineSplitter {
  private buffered = '';

  constructor(
    private readonly onLine: (line: string) => void,
    private readonly maxLine = 64 * 1024 * 1024,
  ) {}

  push(chunk: string): void {
    let text = this.buffered + chunk;
    let nl = text.indexOf('\n');
    while (nl !== -1) {
      const line = text.slice(0, nl);
      text = text.slice(nl + 1);
      if (line.trim()) this.onLine(line);
      nl = text.indexOf('\n');
    }
    if (text.length > this.maxLine) throw new Error(`a message longer than ${this.maxLine} bytes without a newline`);
    this.buffered = text;
  }
}

export function encode(message: unknown): string {
  return `${JSON.stringify(message)}\n`;
}
