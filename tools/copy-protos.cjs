#!/usr/bin/env node
'use strict';
// Copies the repository's top-level proto/ (the source of truth) into a package folder, so the package
// carries the protos in its tarball: `node tools/copy-protos.cjs <dest>` from the package's folder.
// test/unit/contract/package.unit.spec.ts checks that the copy is identical to proto/.
const fs = require('node:fs');
const path = require('node:path');

const source = path.join(__dirname, '..', 'proto');
const dest = path.resolve(process.argv[2] ?? 'proto');
fs.rmSync(dest, { recursive: true, force: true });
fs.cpSync(source, dest, { recursive: true });
