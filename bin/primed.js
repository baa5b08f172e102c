#!/usr/bin/env node
// Runs the TypeScript sources through tsx, so `npx primed` works right after `npm ci`
// with no build step. A built copy (npm run build) is used when present.
const path = require('node:path');
const fs = require('node:fs');
const built = path.join(__dirname, '..', 'dist', 'src', 'cli.js');
let cli;
if (fs.existsSync(built) && !process.env.PRIMED_FROM_SOURCE) {
  cli = require(built);
} else {
  require('tsx/cjs');
  cli = require(path.join(__dirname, '..', 'src', 'cli.ts'));
}
cli.main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`primed: ${(err && err.stack) || err}\n`);
    process.exit(1);
  },
);
