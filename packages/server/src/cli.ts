#!/usr/bin/env node
import { colorEnabled } from '@sona/core/cli';
import { runCli } from './cli-main';

runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  color: colorEnabled(process.stdout),
}).then(
  (code) => {
    // Exit now: nothing is left to do once the server stopped (fetch's idle sockets may linger).
    process.exit(code);
  },
  (error: unknown) => {
    process.stderr.write(`sona-serve: unexpected error: ${String(error)}\n`);
    process.exitCode = 1;
  },
);
