import { readFileSync, writeFileSync } from 'node:fs';
import { applySections, generatedSections } from '../src/docs/readme.js';

const file = new URL('../README.md', import.meta.url);
const before = readFileSync(file, 'utf8');
const after = applySections(before, generatedSections());
if (after !== before) writeFileSync(file, after);
process.stdout.write(after === before ? 'README.md is up to date\n' : 'README.md updated\n');
