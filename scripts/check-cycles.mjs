// Fails when core/ has an import circle: modules that need each other at run time load half-initialised
// (one sees the other's exports as undefined, depending on which was imported first), and even a circle of
// type-only imports is two modules a reader must hold at once (what `madge --circular` reports too): both
// count. Run by `npm run lint`.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', process.argv[2] ?? 'core');
const IMPORT = /^\s*(?:import|export)\s+[^'"]*?from\s+'(\.[^']+)'/gm;

function sources(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    return entry.isDirectory() ? sources(file) : file.endsWith('.ts') ? [file] : [];
  });
}

function resolve(from, specifier) {
  const base = path.resolve(path.dirname(from), specifier);
  for (const candidate of [`${base}.ts`, path.join(base, 'index.ts'), base])
    if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) return candidate;
  return null;
}

const graph = new Map();
for (const file of sources(root)) {
  const deps = [];
  for (const [, specifier] of fs.readFileSync(file, 'utf8').matchAll(IMPORT)) {
    const target = resolve(file, specifier);
    if (target) deps.push(target);
  }
  graph.set(file, deps);
}

// Tarjan's strongly connected components: every group of two or more modules is a circle.
let counter = 0;
const index = new Map();
const low = new Map();
const stack = [];
const onStack = new Set();
const circles = [];
function visit(node) {
  index.set(node, counter);
  low.set(node, counter++);
  stack.push(node);
  onStack.add(node);
  for (const next of graph.get(node) ?? []) {
    if (!index.has(next)) {
      visit(next);
      low.set(node, Math.min(low.get(node), low.get(next)));
    } else if (onStack.has(next)) low.set(node, Math.min(low.get(node), index.get(next)));
  }
  if (low.get(node) !== index.get(node)) return;
  const group = [];
  let member;
  do {
    member = stack.pop();
    onStack.delete(member);
    group.push(path.relative(root, member));
  } while (member !== node);
  if (group.length > 1) circles.push(group.sort());
}
for (const node of graph.keys()) if (!index.has(node)) visit(node);

if (circles.length > 0) {
  for (const group of circles) console.error(`import circle in ${path.relative(process.cwd(), root)}/: ${group.join(' ↔ ')}`);
  console.error('fix: move what both sides need into a module that imports neither (see core/contract/secret-ids.ts).');
  process.exit(1);
}
