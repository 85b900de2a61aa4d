import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { applySections, generatedSections } from '../../../src/docs/readme.js';

describe('README.md', () => {
  it('holds the generated sections as the code generates them now (run "npm run docs")', () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    expect(applySections(readme, generatedSections())).toBe(readme);
  });

  it('documents every config key of the schema', () => {
    const table = generatedSections().config;
    for (const key of ['parallel.max_workers', 'ports.base', 'merge.strategy', 'agents.<name>.command', 'quality_gates[].run'])
      expect(table).toContain(`\`${key}\``);
  });
});
