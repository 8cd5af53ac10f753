// `npm install` in a checkout (and `npx pubkeeper`, which links the checkout into npx's cache and
// runs this again) builds dist/ only when it is missing or older than its sources, so the quick
// start's first `npx pubkeeper serve` does not rebuild what `npm install` just built. Plain
// JavaScript: it runs before anything is compiled. `npm run build` always rebuilds from clean;
// `npm pack` does that first (prepack), and a tarball install runs neither.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const INPUTS = ['src', 'bench', 'scripts', 'examples', 'tsconfig.json', 'package.json'];

/** The newest (or oldest) mtime of the files under `path` that `keep` accepts. */
function mtimes(path, keep, pick) {
  const stat = statSync(path);
  if (!stat.isDirectory()) return keep(path) ? stat.mtimeMs : undefined;
  let found;
  for (const entry of readdirSync(path)) {
    const t = mtimes(join(path, entry), keep, pick);
    if (t !== undefined) found = found === undefined ? t : pick(found, t);
  }
  return found;
}

function stale() {
  if (!existsSync('dist/src/index.js') || !existsSync('dist/src/cli/main.js')) return true;
  const built = mtimes('dist', (p) => p.endsWith('.js'), Math.min);
  const sources = INPUTS.filter((p) => existsSync(p)).map((p) => mtimes(p, (f) => /\.(ts|json)$/.test(f), Math.max) ?? 0);
  return built === undefined || Math.max(...sources) > built;
}

if (stale()) {
  const run = spawnSync('npm', ['run', 'build'], { stdio: 'inherit', shell: process.platform === 'win32' });
  process.exit(run.status ?? 1);
}
process.stderr.write('pubkeeper: dist/ is up to date, not rebuilding (`npm run build` forces it)\n');
