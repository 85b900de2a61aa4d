import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { failingPart } from '../../../src/core/gate-output.js';

const text = (lines: { text: string }[]) => lines.map((l) => l.text).join('\n');

/** A vitest run: the failing test is reported far above the summary at the end. */
function vitestRun(): string {
  const out = [' RUN  v4.1.0 /repo', ''];
  for (let i = 0; i < 60; i++) out.push(` ✓ test/unit/module-${i}.test.ts (4 tests) 12ms`);
  out.push(' ❯ test/unit/cart.test.ts (3 tests | 1 failed) 9ms');
  out.push('   × cart > applies the coupon once 4ms');
  out.push('     → expected 90 to be 80');
  for (let i = 0; i < 30; i++) out.push(` ✓ test/unit/other-${i}.test.ts (2 tests) 3ms`);
  out.push('', '⎯⎯⎯⎯⎯⎯⎯ Failed Tests 1 ⎯⎯⎯⎯⎯⎯⎯', '', ' FAIL  test/unit/cart.test.ts > cart > applies the coupon once');
  out.push('AssertionError: expected 90 to be 80', '', '- Expected', '+ Received', '', '- 80', '+ 90', '', ' ❯ test/unit/cart.test.ts:14:32');
  for (let i = 0; i < 20; i++) out.push(`     ${i} | code line ${i}`);
  out.push('', ' Test Files  1 failed | 90 passed (91)', '      Tests  1 failed | 300 passed (301)', '   Duration  4.20s');
  return out.join('\n');
}

describe('failingPart', () => {
  it('keeps a short output whole, marking the failing lines', () => {
    expect(failingPart('ok 1 - adds\nnot ok 2 - subtracts\n  ---\n')).toEqual([
      { text: 'ok 1 - adds', failing: false },
      { text: 'not ok 2 - subtracts', failing: true },
      { text: '  ---', failing: false },
    ]);
  });

  it('shows the failing test of a long vitest run, not only the summary at its end', () => {
    const part = failingPart(vitestRun());
    const shown = text(part);
    expect(shown).toContain('× cart > applies the coupon once');
    expect(shown).toContain('→ expected 90 to be 80');
    expect(shown).toContain('AssertionError: expected 90 to be 80');
    expect(shown).toContain('Tests  1 failed | 300 passed (301)');
    expect(shown).not.toContain('module-10.test.ts');
    expect(part.length).toBeLessThanOrEqual(40);
    expect(part.find((l) => l.text.includes('× cart'))?.failing).toBe(true);
    expect(part.filter((l) => l.text === '…').length).toBeGreaterThan(0);
  });

  it.each([
    ['go', '--- FAIL: TestParse (0.00s)\n    parse_test.go:12: got 3, want 4'],
    ['pytest', 'FAILED tests/test_cart.py::test_coupon - assert 90 == 80'],
    ['cargo', "thread 'tests::coupon' panicked at src/lib.rs:10:5:"],
    ['tsc', "src/cart.ts(3,7): error TS2322: Type 'string' is not assignable to type 'number'."],
    ['make', 'make: *** [Makefile:4: test] Error 1'],
  ])('finds the %s failure in a long output', (_runner, failure) => {
    const noise = Array.from({ length: 200 }, (_, i) => `building step ${i}`);
    const part = failingPart([...noise.slice(0, 100), failure, ...noise.slice(100)].join('\n'));
    expect(text(part)).toContain(failure.split('\n')[0]);
    expect(part.length).toBeLessThanOrEqual(40);
  });

  it('never exceeds its line budget and always ends with the last line', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('ok', 'FAIL x', 'Error: y', 'noise', 'not ok 3', ''), { maxLength: 400 }),
        fc.integer({ min: 12, max: 60 }),
        (lines, max) => {
          const out = lines.join('\n');
          const part = failingPart(out, { max });
          expect(part.length).toBeLessThanOrEqual(max);
          const kept = out.replace(/\n+$/, '').split('\n');
          if (kept.length > 0 && out.replace(/\n+$/, '') !== '') expect(part.at(-1)?.text).toBe(kept.at(-1));
        },
      ),
    );
  });
});
