#!/usr/bin/env node
/** The executable of the `immich-k8s` command (package.json `bin`). */
import { main } from '.';

process.exitCode = main(process.argv.slice(2), {
  cwd: process.cwd(),
  env: process.env,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
});
