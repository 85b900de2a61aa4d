import { describe, expect, it } from 'vitest';
import { buildProgram, COMMAND_GROUPS } from '../../../src/cli/program.js';

const names = (argv: string[]) => buildProgram(argv).commands.map((c) => c.name());

describe('buildProgram', () => {
  it('registers every command, in help order, when the first word is not a command', () => {
    expect(names(['node', 'muster'])).toEqual(COMMAND_GROUPS.flatMap((g) => g.names));
    expect(names(['node', 'muster', '--host', 'h', 'lock', 'list'])).toEqual(COMMAND_GROUPS.flatMap((g) => g.names));
    expect(names(['node', 'muster', 'lokc'])).toEqual(COMMAND_GROUPS.flatMap((g) => g.names));
  });

  it.each(COMMAND_GROUPS.flatMap((g) => g.names.filter((n) => !g.alone?.[n]).map((n) => [n, g.names] as const)))(
    'registers the group of %s when it is the command',
    (name, group) => {
      expect(names(['node', 'muster', name])).toEqual(group);
    },
  );

  it.each(COMMAND_GROUPS.flatMap((g) => Object.keys(g.alone ?? {}).map((n) => [n, g.names] as const)))(
    'registers %s alone when it is the command, and it is one of its group',
    (name, group) => {
      expect(names(['node', 'muster', name])).toEqual([name]);
      expect(group).toContain(name);
    },
  );

  it('builds the same subcommands for a command alone as in the full program', () => {
    const full = buildProgram(['node', 'muster']);
    const words = COMMAND_GROUPS.flatMap((g) => [g.names[0]!, ...Object.keys(g.alone ?? {})]);
    for (const word of words) {
      const alone = buildProgram(['node', 'muster', word]);
      for (const cmd of alone.commands) {
        const twin = full.commands.find((c) => c.name() === cmd.name())!;
        expect(
          cmd.commands.map((c) => c.name()),
          cmd.name(),
        ).toEqual(twin.commands.map((c) => c.name()));
        expect(
          cmd.options.map((o) => o.flags),
          cmd.name(),
        ).toEqual(twin.options.map((o) => o.flags));
      }
    }
  });
});
