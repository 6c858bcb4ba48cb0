#!/usr/bin/env node
'use strict';
// Operator CLI entry (`npx logistics-bridge status`): the compiled build when present (npm run build),
// else the TypeScript source through tsx, as in development.
const path = require('node:path');
const fs = require('node:fs');

const built = path.join(__dirname, '..', '..', 'dist', 'sidecar', 'src', 'cli', 'index.js');
if (fs.existsSync(built)) {
  require(built);
} else {
  require('tsx/cjs');
  require(path.join(__dirname, '..', 'src', 'cli', 'index.ts'));
}
