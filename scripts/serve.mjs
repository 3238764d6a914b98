// Tiny static file server for the playground (no dependencies: plain node:http).
//
//   node scripts/serve.mjs [ROOT]        ROOT defaults to the repository root
//   PORT=8080 (default; if busy, the next free port is used; PORT=0 picks any free port)
//   HOST=127.0.0.1 (default: loopback only, IPv4 and, when available, IPv6 ::1)
//
// Prints "Playground: http://localhost:PORT/". `/` serves ROOT/index.html, or redirects to /www/
// when only www/index.html exists. Paths outside ROOT, dotfiles (.git, ...) and symlinks leading
// out of ROOT are refused. Can also be imported: `import { startServer } from './serve.mjs'`.
//
// The page's code. /www/NAME.js and /www/NAME.css are served from ROOT/dist/www/ (bundled and minified by
// scripts/build-js.mjs, which build-web.sh runs) while the www/ sources it was built from are unchanged; after an
// edit in www/, from www/ as it is until the next build.
//
// Compression and caching. When the request's Accept-Encoding allows it (br preferred, then gzip), a file
// is sent compressed: its precompressed sibling FILE.br / FILE.gz as it is (scripts/build-web.sh writes
// them for pkg/'s .wasm and .js) when the sibling exists and is not older than FILE, else, for text types
// and wasm, compressed here and kept in memory (keyed by path, mtime, size and inode) for the next request.
// Every file response has a strong ETag (a hash of FILE's bytes, with "-br" / "-gz" for an encoded body),
// `Vary: Accept-Encoding` and `Cache-Control: no-cache`: browsers may keep a copy but revalidate it each
// time, and a matching If-None-Match gets 304 Not Modified (files change here: this is a dev server).
import http from 'node:http';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import crypto from 'node:crypto';
import path from 'node:path';
import process from 'node:process';
import zlib from 'node:zlib';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { distIsFresh } from './build-js.mjs';

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.htm': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
  '.ts': 'text/plain; charset=utf-8', // wasm-pack's .d.ts files: view only
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
};

const isInside = (root, p) => p === root || p.startsWith(root + path.sep);

export const CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'";

function send(res, status, body, headers = {}) {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', ...headers });
  res.end(body);
}

async function exists(p) {
  try { await fsp.access(p); return true; } catch { return false; }
}

// ------------------------------------------------------------------ compression and ETags
const brotli = promisify(zlib.brotliCompress);
const gzip = promisify(zlib.gzip);

/** The encodings served, best first: the suffix of a precompressed sibling, the ETag suffix, and the
 * compressor used when there is no sibling (fast levels: the result is cached, the build writes the best). */
const ENCODINGS = [
  { name: 'br', suffix: '.br', compress: (b) => brotli(b, { params: {
    [zlib.constants.BROTLI_PARAM_QUALITY]: 5, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: b.length } }) },
  { name: 'gzip', suffix: '.gz', compress: (b) => gzip(b, { level: 6 }) },
];
/** Larger files are sent as they are when they have no precompressed sibling. */
const MAX_COMPRESS_BYTES = 16 << 20;

const compressible = (type) => type.startsWith('text/') || type.startsWith('application/json')
  || type === 'application/wasm' || type === 'image/svg+xml';

/** The encodings of ENCODINGS that an Accept-Encoding header allows (q > 0, by name or by "*"). */
export function acceptedEncodings(header) {
  const q = new Map();
  for (const part of String(header || '').split(',')) {
    const [name, ...params] = part.split(';').map((x) => x.trim().toLowerCase());
    if (!name) continue;
    const qp = params.find((p) => p.startsWith('q='));
    const v = qp ? Number(qp.slice(2)) : 1;
    q.set(name === 'x-gzip' ? 'gzip' : name, Number.isFinite(v) ? v : 0);
  }
  const ok = (name) => (q.has(name) ? q.get(name) > 0 : (q.get('*') ?? 0) > 0);
  return ENCODINGS.filter((e) => ok(e.name));
}

/** Whether an If-None-Match header lists `etag` (weak comparison, as RFC 9110 asks for this header). */
function noneMatchHits(header, etag) {
  if (!header) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((t) => t.trim().replace(/^W\//, '') === etag);
}

async function hashFile(file) {
  const h = crypto.createHash('sha256');
  for await (const chunk of fs.createReadStream(file)) h.update(chunk);
  return h.digest('base64url');
}

/** Per-server memory: for each file served, its content hash and the bodies compressed here, valid
 * while the file keeps its size, mtime and inode (a rebuild that replaces a file invalidates them). */
function makeCache() {
  const entries = new Map();
  const entry = (file, st) => {
    const key = `${st.size}:${st.mtimeMs}:${st.ino}`;
    let e = entries.get(file);
    if (!e || e.key !== key) {
      e = { key, hash: undefined, encoded: new Map() };
      entries.set(file, e);
    }
    return e;
  };
  // A failed read is not remembered: the next request tries again.
  const remember = (e, slot, make) => {
    let p = slot === 'hash' ? e.hash : e.encoded.get(slot);
    if (!p) {
      p = make();
      p.catch(() => { if (slot === 'hash') e.hash = undefined; else e.encoded.delete(slot); });
      if (slot === 'hash') e.hash = p; else e.encoded.set(slot, p);
    }
    return p;
  };
  return {
    /** The base64url SHA-256 of the file's bytes. */
    hash: (file, st) => remember(entry(file, st), 'hash', () => hashFile(file)),
    /** The file compressed with `enc`, or null when that does not make it smaller. */
    encoded: (file, st, enc) => remember(entry(file, st), enc.name, async () => {
      const bytes = await fsp.readFile(file);
      const out = await enc.compress(bytes);
      return out.length < bytes.length ? out : null;
    }),
  };
}

/** The shipped (bundled, minified) page code: ROOT/dist/www/NAME is served for /www/NAME while every www/ source
 * the build read is unchanged (scripts/build-js.mjs writes dist/www/ and its .sources); otherwise www/ as it is. */
function makeOverlay(rootReal) {
  const out = path.join(rootReal, 'dist', 'www');
  let checked = { at: -Infinity, fresh: false };
  const fresh = () => {
    const now = Date.now();
    if (now - checked.at >= 200) checked = { at: now, fresh: distIsFresh(rootReal) }; // one look per page load
    return checked.fresh;
  };
  /** The dist/www/ path that stands for the request's segments, or null. */
  return (segments) => {
    if (segments.length !== 2 || segments[0] !== 'www' || !/\.(js|css)$/.test(segments[1]) || !fresh()) return null;
    const f = path.join(out, segments[1]);
    return fs.existsSync(f) ? f : null;
  };
}

function makeHandler(rootReal) {
  const cache = makeCache();
  const overlay = makeOverlay(rootReal);

  /** FILE's precompressed sibling (FILE + suffix) when it is a file inside ROOT not older than FILE. */
  async function sibling(file, st, suffix) {
    try {
      const real = await fsp.realpath(file + suffix);
      if (!isInside(rootReal, real)) return null;
      const sst = await fsp.stat(real);
      return sst.isFile() && sst.mtimeMs >= st.mtimeMs ? { file: real, size: sst.size } : null;
    } catch {
      return null;
    }
  }

  return async function handle(req, res) {
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        return send(res, 405, 'method not allowed\n', { Allow: 'GET, HEAD' });
      }
      // Raw path as sent (no URL normalisation first), without query/fragment.
      const rawPath = (req.url || '/').split(/[?#]/)[0];
      let rel;
      try { rel = decodeURIComponent(rawPath); } catch { return send(res, 400, 'bad request\n'); }
      if (!rel.startsWith('/') || rel.includes('\0') || rel.includes('\\')) return send(res, 400, 'bad request\n');
      // Refuse any "." / ".." segment and dotfiles (.git, .ci, ...), whether sent plainly or %-encoded.
      const segments = rel.split('/').filter(Boolean);
      if (segments.some((s) => s.startsWith('.'))) return send(res, 403, 'forbidden\n');

      let file = overlay(segments) ?? path.resolve(rootReal, ...segments);
      if (!isInside(rootReal, file)) return send(res, 403, 'forbidden\n');

      if (rel === '/' && !(await exists(path.join(rootReal, 'index.html')))
          && (await exists(path.join(rootReal, 'www', 'index.html')))) {
        return send(res, 302, 'see /www/\n', { Location: '/www/' });
      }

      let real;
      try { real = await fsp.realpath(file); } catch { return send(res, 404, 'not found\n'); }
      if (!isInside(rootReal, real)) return send(res, 403, 'forbidden\n'); // symlink leading outside
      let st = await fsp.stat(real);
      if (st.isDirectory()) {
        if (!rawPath.endsWith('/')) { // so that relative URLs in index.html resolve inside the dir
          return send(res, 301, 'moved\n', { Location: rawPath + '/' });
        }
        file = path.join(real, 'index.html');
        try { real = await fsp.realpath(file); } catch { return send(res, 404, 'not found\n'); }
        if (!isInside(rootReal, real)) return send(res, 403, 'forbidden\n');
        st = await fsp.stat(real);
      }
      if (!st.isFile()) return send(res, 404, 'not found\n');

      const type = MIME[path.extname(real).toLowerCase()] || 'application/octet-stream';
      // The body: a precompressed sibling, a body compressed here (cached), or the file as it is.
      let body = { file: real, size: st.size };
      let encoding = null;
      for (const enc of acceptedEncodings(req.headers['accept-encoding'])) {
        const sib = await sibling(real, st, enc.suffix);
        if (sib) { body = sib; encoding = enc; break; }
        if (compressible(type) && st.size <= MAX_COMPRESS_BYTES) {
          const buf = await cache.encoded(real, st, enc);
          if (buf) { body = { buffer: buf, size: buf.length }; encoding = enc; break; }
        }
      }
      const etag = `"${await cache.hash(real, st)}${encoding ? `-${encoding.suffix.slice(1)}` : ''}"`;
      const headers = {
        ETag: etag,
        'Cache-Control': 'no-cache', // keep it, but ask each time: the files change (rebuilds, edits)
        Vary: 'Accept-Encoding',
        'X-Content-Type-Options': 'nosniff',
      };
      if (noneMatchHits(req.headers['if-none-match'], etag)) {
        res.writeHead(304, headers);
        return res.end();
      }
      res.writeHead(200, {
        'Content-Type': type, // application/wasm also when compressed: browsers compile it streaming
        'Content-Length': body.size,
        ...(encoding ? { 'Content-Encoding': encoding.name } : {}),
        ...headers,
        // The playground must run without 'unsafe-eval' or inline code (only wasm compilation).
        ...(type.startsWith('text/html') ? { 'Content-Security-Policy': CSP } : {}),
      });
      if (req.method === 'HEAD') return res.end();
      if (body.buffer) return res.end(body.buffer);
      const stream = fs.createReadStream(body.file);
      stream.on('error', () => res.destroy());
      stream.pipe(res);
    } catch (err) {
      if (!res.headersSent && err && err.code === 'ENOENT') return send(res, 404, 'not found\n'); // removed meanwhile
      if (!res.headersSent) send(res, 500, 'internal error\n');
      else res.destroy();
      console.error(err);
    }
  };
}

function listen(server, port, host) {
  return new Promise((resolve, reject) => {
    const onError = (err) => { server.off('listening', onListening); reject(err); };
    const onListening = () => { server.off('error', onError); resolve(server.address().port); };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

/**
 * Start serving `root`. Returns { port, url, close() }.
 * port: first port tried (busy => next one, up to `tries` ports); 0 => any free port.
 */
export async function startServer({ root, port = 8080, host, tries = 50 } = {}) {
  const rootReal = await fsp.realpath(path.resolve(root));
  const handler = makeHandler(rootReal);
  const servers = [];
  let bound;
  for (let i = 0; ; i++) {
    const candidate = port === 0 ? 0 : port + i;
    try {
      const main = http.createServer(handler);
      bound = await listen(main, candidate, host || '127.0.0.1');
      servers.push(main);
      if (!host) {
        // Also answer on the IPv6 loopback: browsers may resolve "localhost" to ::1. If that port is
        // taken there by someone else, "localhost:PORT" would be ambiguous: move on to the next port.
        const v6 = http.createServer(handler);
        try {
          await listen(v6, bound, '::1');
          servers.push(v6);
        } catch (err) {
          if (err.code === 'EADDRINUSE') { await new Promise((r) => main.close(() => r())); servers.length = 0; throw err; }
          // no IPv6 on this machine: IPv4 only
        }
      }
      break;
    } catch (err) {
      if (err.code !== 'EADDRINUSE' || i + 1 >= tries || candidate >= 65535) throw err;
    }
  }
  return {
    port: bound,
    url: `http://localhost:${bound}/`,
    close: () => Promise.all(servers.map((s) => new Promise((r) => {
      s.close(() => r());
      s.closeAllConnections?.();
    }))),
  };
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const root = process.argv[2] || path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
  const envPort = process.env.PORT;
  const port = envPort === undefined || envPort === '' ? 8080 : Number(envPort);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`serve.mjs: invalid PORT ${JSON.stringify(envPort)}`);
    process.exit(2);
  }
  const srv = await startServer({ root, port, host: process.env.HOST || undefined });
  console.log(`Playground: ${srv.url}`);
  const stop = () => { srv.close().then(() => process.exit(0)); setTimeout(() => process.exit(0), 1000).unref(); };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
