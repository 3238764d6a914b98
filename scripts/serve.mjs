// Tiny static file server for the playground (no dependencies: plain node:http).
//
//   node scripts/serve.mjs [ROOT]        ROOT defaults to the repository root
//   PORT=8080 (default; if busy, the next free port is used; PORT=0 picks any free port)
//   HOST=127.0.0.1 (default: loopback only, IPv4 and, when available, IPv6 ::1)
//
// Prints "Playground: http://localhost:PORT/". `/` serves ROOT/index.html, or redirects to /www/
// when only www/index.html exists. Paths outside ROOT, dotfiles (.git, ...) and symlinks leading
// out of ROOT are refused. Can also be imported: `import { startServer } from './serve.mjs'`.
import http from 'node:http';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

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

function makeHandler(rootReal) {
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

      let file = path.resolve(rootReal, ...segments);
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
      res.writeHead(200, {
        'Content-Type': type,
        'Content-Length': st.size,
        'Cache-Control': 'no-store', // always the freshly built wasm
        'X-Content-Type-Options': 'nosniff',
        // The playground must run without 'unsafe-eval' or inline code (only wasm compilation).
        ...(type.startsWith('text/html') ? { 'Content-Security-Policy': CSP } : {}),
      });
      if (req.method === 'HEAD') return res.end();
      const stream = fs.createReadStream(real);
      stream.on('error', () => res.destroy());
      stream.pipe(res);
    } catch (err) {
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
