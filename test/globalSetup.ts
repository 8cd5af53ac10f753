import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * The CLI tests run `bin/pubkeeper.js`, which loads the compiled dist/; build it once per run so
 * they never test stale output.
 */
export default function setup(): void {
  const root = fileURLToPath(new URL('..', import.meta.url));
  execFileSync(process.execPath, [`${root}node_modules/typescript/bin/tsc`, '-p', `${root}tsconfig.json`], {
    cwd: root,
    stdio: 'inherit',
  });
}
