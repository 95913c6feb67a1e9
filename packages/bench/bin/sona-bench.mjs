#!/usr/bin/env node
// Launcher of the built CLI (dist/cli.js). npm links package bins at install time, before a
// workspace is built, and skips targets that do not exist yet: this file always exists.
import { existsSync } from 'node:fs';

const cli = new URL('../dist/cli.js', import.meta.url);
if (existsSync(cli)) {
  await import(cli.href);
} else {
  process.stderr.write('sona-bench: @sona/bench is not built yet; run `npx nx run bench:build`\n');
  process.exitCode = 1;
}
