#!/usr/bin/env node
// The `sona-serve` command: runs the built CLI (dist/cli.js). This launcher is committed so
// that npm links the command at install time, before the package is built.
import { existsSync } from 'node:fs';

const cli = new URL('../dist/cli.js', import.meta.url);
if (existsSync(cli)) {
  await import(cli.href);
} else {
  process.stderr.write('sona-serve is not built yet: run `npx nx run server:build`\n');
  process.exitCode = 1;
}
