// Loads the bundled CLI with a V8 code cache beside it, so a `muster` command run by an
// agent or a script does not compile its ~110 KB again each time (Node 20 has no
// module.enableCompileCache). The cache is written after a run that had none, or whose cache
// V8 rejected (another Node version); where the directory is read-only it simply is not.
'use strict';
const { readFileSync, renameSync, unlinkSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { Script } = require('node:vm');
const { createRequire } = require('node:module');

const file = join(__dirname, 'main.cjs');
const cacheFile = `${file}.v8cache`;
let cachedData;
try {
  cachedData = readFileSync(cacheFile);
} catch {
  cachedData = undefined;
}
// main.cjs is one function expression (scripts/bundle.mjs wraps it) and only ASCII, so it is
// read as latin1: no UTF-8 decoding, and compiled as read, with no second copy made.
const script = new Script(readFileSync(file, 'latin1'), { filename: file, cachedData });
const mod = { exports: {} };
// The lazy parts are ES modules beside this file: import() from here resolves them.
script.runInThisContext()(mod.exports, createRequire(file), mod, file, __dirname, (spec) => import(spec));
if (!cachedData || script.cachedDataRejected) {
  process.once('exit', () => {
    const tmp = `${cacheFile}.${process.pid}.tmp`;
    try {
      writeFileSync(tmp, script.createCachedData());
      renameSync(tmp, cacheFile);
    } catch {
      try {
        unlinkSync(tmp);
      } catch {
        // nothing was written
      }
    }
  });
}
