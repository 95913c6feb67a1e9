#!/usr/bin/env node
import { main } from './cli/main';

main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  cwd: process.cwd(),
}).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`sona-bench: ${String(error)}\n`);
    process.exitCode = 1;
  },
);
