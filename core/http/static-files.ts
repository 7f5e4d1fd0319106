import fs from 'node:fs';
import path from 'node:path';

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.ttf': 'font/ttf',
  '.map': 'application/json',
};

export interface StaticFile {
  body: Buffer;
  contentType: string;
  /** Hashed asset names never change content, so they may be cached for good. */
  immutable: boolean;
}

/**
 * Resolves a URL path inside the built renderer. Paths that escape the folder resolve to nothing; unknown
 * paths without an extension fall back to index.html so a reload on #/settings or /settings still works.
 */
export function readStaticFile(root: string, urlPath: string): StaticFile | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  const base = path.resolve(root);
  const candidate = path.resolve(base, '.' + path.posix.normalize('/' + decoded));
  if (candidate !== base && !candidate.startsWith(base + path.sep)) return null;
  const file = isFile(candidate) ? candidate : path.extname(candidate) === '' ? path.join(base, 'index.html') : null;
  if (!file || !isFile(file)) return null;
  return {
    body: fs.readFileSync(file),
    contentType: MIME[path.extname(file)] ?? 'application/octet-stream',
    immutable: file.includes(`${path.sep}assets${path.sep}`),
  };
}

function isFile(file: string): boolean {
  try {
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}
