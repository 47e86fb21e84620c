#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { reportError } from './cli-action';
import { buildProgram } from './program';

/** The package version, found from the source (dev) or the built file (dist/apps/cli/src). */
function packageVersion(): string {
  for (const up of ['../../..', '../../../..']) {
    try {
      const pkg = JSON.parse(readFileSync(join(__dirname, up, 'package.json'), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'gameday' && pkg.version) return pkg.version;
    } catch {
      // not this level
    }
  }
  return '0.0.0';
}

buildProgram(packageVersion())
  .parseAsync(process.argv)
  .catch((error: unknown) => {
    process.exitCode = reportError(error);
  });
