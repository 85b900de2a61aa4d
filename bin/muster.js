#!/usr/bin/env node
// CommonJS (bin/package.json): starting through the ES module loader cost every command ~6 ms.
require('../dist/bundle/load.cjs');
