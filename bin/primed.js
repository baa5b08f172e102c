#!/usr/bin/env node
// In a checkout, runs the TypeScript sources through tsx, so `npx primed` works right after
// `npm ci` with no build step and never runs a stale build. A published package without
// sources runs its compiled copy in dist/.
const path = require('node:path');
const fs = require('node:fs');
const source = path.join(__dirname, '..', 'src', 'cli.ts');
let cli;
if (fs.existsSync(source)) {
  require('tsx/cjs');
  cli = require(source);
} else {
  cli = require(path.join(__dirname, '..', 'dist', 'src', 'cli.js'));
}
cli.main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`primed: ${(err && err.stack) || err}\n`);
    process.exit(1);
  },
);
