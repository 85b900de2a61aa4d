/**
 * One word for a POSIX shell, for command lines that reach one as a string: ssh hands the
 * remote command to the remote user's shell, and agent CLIs run hook commands through one.
 * Single quotes keep everything literal; a single quote itself is closed, escaped and reopened.
 */
export function shellWord(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
