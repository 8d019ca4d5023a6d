// Prints the package directories (relative to <root>/node_modules) that the named packages need
// at run time: their dependencies, optional and peer dependencies that are installed, resolved
// the way Node does (nearest node_modules first, then the parents').
// Usage: node collect-modules.mjs <root> <package>...
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

const [root, ...names] = process.argv.slice(2);
if (!root || names.length === 0) {
  console.error('usage: collect-modules.mjs <root> <package>...');
  process.exit(64);
}
const modules = join(root, 'node_modules');
const seen = new Set();

function resolveFrom(dir, name) {
  for (let d = dir; ; d = dirname(d)) {
    const candidate = join(d, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (d === root || !d.startsWith(root)) return undefined;
  }
}

function walk(dir) {
  if (seen.has(dir)) return;
  seen.add(dir);
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const deps = { ...pkg.peerDependencies, ...pkg.optionalDependencies, ...pkg.dependencies };
  for (const name of Object.keys(deps)) {
    const found = resolveFrom(dir, name);
    if (found) walk(found);
    else if (pkg.dependencies?.[name]) throw new Error(`${name} (needed by ${pkg.name}) is not installed`);
  }
}

for (const name of names) {
  const found = resolveFrom(root, name);
  if (!found) throw new Error(`${name} is not installed in ${modules}: run scripts/setup.sh`);
  walk(found);
}
// A nested package is inside its parent's directory, which is copied whole.
const dirs = [...seen].map((d) => relative(modules, d)).sort();
const top = dirs.filter((d) => !dirs.some((p) => p !== d && d.startsWith(`${p}/node_modules/`)));
console.log(top.join('\n'));
