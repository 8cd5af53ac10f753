#!/usr/bin/env node
// The CLI entry: compiled code lives in dist/ (built by `npm install` through the prepare script).
import { main } from '../dist/src/cli/main.js';

const code = await main(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
});
// Exit explicitly: a drained server has nothing left to wait for, and `serve` has already written
// out (or, after 500 ms, given up on) its asynchronous log lines.
process.exit(code);
