/**
 * Serves the built web app (packages/web/dist) at `/`, with a strict Content
 * Security Policy. Paths are resolved inside the root only; unknown paths get
 * index.html (single-page app).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { extname, join, normalize, resolve, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

export const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self' ws: wss:; media-src 'self' blob:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

export interface StaticFile {
  readonly body: Buffer;
  readonly type: string;
  readonly immutable: boolean;
}

export class StaticSite {
  private readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
    if (!existsSync(join(this.root, 'index.html'))) throw new Error(`no web app build in ${this.root}; run npm run build -w packages/web`);
  }

  /** The file for a URL path, or index.html for app routes. */
  get(urlPath: string): StaticFile {
    let rel: string;
    try {
      rel = decodeURIComponent(urlPath.split('?')[0]!);
    } catch {
      rel = '/';
    }
    const full = normalize(join(this.root, rel));
    const inside = full === this.root || full.startsWith(this.root + sep);
    if (inside && existsSync(full) && statSync(full).isFile()) {
      return { body: readFileSync(full), type: TYPES[extname(full)] ?? 'application/octet-stream', immutable: full.includes(`${sep}assets${sep}`) };
    }
    return { body: readFileSync(join(this.root, 'index.html')), type: TYPES['.html']!, immutable: false };
  }
}
