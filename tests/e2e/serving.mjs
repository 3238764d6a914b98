// How scripts/serve.mjs sends the built engine, and that scripts/build-web.sh skips an unchanged build.
// No browser: plain HTTP requests (node:http, which, unlike fetch, shows the encoded bytes as sent).
//
// It checks: the wasm asked for with Accept-Encoding br is sent as pkg/'s precompressed .br, typed
// application/wasm, decoding to the bytes of the .wasm on disk, with a strong ETag, Vary: Accept-Encoding
// and Cache-Control: no-cache; If-None-Match with that ETag gets 304 with no body; gzip is sent when br is
// not accepted (br;q=0) and decodes to the same bytes; without Accept-Encoding the identity bytes come, under
// another ETag, and revalidate too; HEAD sends the GET's headers and no body; the pkg JS comes as br too.
// In a temporary folder: a sibling older than its file is ignored (the file is compressed here instead),
// an edited file gets a new ETag and its new bytes, a file type that is not compressible is sent as is,
// dotfiles are still refused; /www/*.js|css come from dist/www/ (the minified build) while www/ is unchanged. Then build-web.sh: pkg/ is up to date right after the build (--check), a second
// run prints that it skipped the build and leaves pkg/ untouched, and a changed input (RUSTFLAGS) is seen.
// Run after `bash scripts/build-web.sh` (scripts/test.sh does); it never builds.
import { root, check, assert, finish } from './harness.mjs';
import { startServer } from '../../scripts/serve.mjs';
import { distIsFresh, sourceStamp } from '../../scripts/build-js.mjs';
import { spawnSync } from 'node:child_process';
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';

const WASM = 'pkg/kafka_playground_bg.wasm';
const JS = 'pkg/kafka_playground.js';

/** One request; resolves { status, headers, body } with the body as sent (not decoded). */
function get(server, urlPath, headers = {}, method = 'GET') {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: server.port, path: urlPath, method, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

const decode = (r) => {
  const enc = r.headers['content-encoding'];
  if (enc === 'br') return zlib.brotliDecompressSync(r.body);
  if (enc === 'gzip') return zlib.gunzipSync(r.body);
  assert(enc === undefined, `unexpected Content-Encoding ${enc}`);
  return r.body;
};

/** The headers every file response must have: a strong ETag, Vary, no-cache. */
function assertCacheable(r, what) {
  const etag = r.headers.etag || '';
  assert(/^"[^"]+"$/.test(etag), `${what}: ETag ${JSON.stringify(etag)} is not a strong entity tag`);
  assert(/(^|,\s*)accept-encoding(\s*,|$)/i.test(r.headers.vary || ''), `${what}: Vary ${r.headers.vary}`);
  assert(r.headers['cache-control'] === 'no-cache', `${what}: Cache-Control ${r.headers['cache-control']}`);
}

const server = await startServer({ root, port: 0 });
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'serve-test-'));
let tmpServer;
try {
  assert(fs.existsSync(path.join(root, WASM)), `${WASM} missing: run bash scripts/build-web.sh first`);
  const wasm = fs.readFileSync(path.join(root, WASM));
  const ae = { 'Accept-Encoding': 'gzip, deflate, br, zstd' }; // what Chromium sends
  let brTag = '';

  await check('the wasm asked for with br comes as the precompressed .br: application/wasm, decoding to the file on disk', async () => {
    const r = await get(server, `/${WASM}`, ae);
    assert(r.status === 200, `status ${r.status}`);
    assert(r.headers['content-encoding'] === 'br', `Content-Encoding ${r.headers['content-encoding']}`);
    assert(r.headers['content-type'] === 'application/wasm', `Content-Type ${r.headers['content-type']}`);
    assertCacheable(r, 'br');
    assert(Number(r.headers['content-length']) === r.body.length, 'Content-Length is not the body length');
    assert(decode(r).equals(wasm), 'the decoded body differs from the .wasm on disk');
    assert(r.body.equals(fs.readFileSync(path.join(root, `${WASM}.br`))), 'the body is not pkg/\'s .br sibling');
    assert(r.body.length < wasm.length * 0.4, `br ${r.body.length} B is not much smaller than ${wasm.length} B`);
    brTag = r.headers.etag;
  });

  await check('revalidating the br wasm with its ETag gets 304 and no body; another ETag gets 200', async () => {
    const r = await get(server, `/${WASM}`, { ...ae, 'If-None-Match': brTag });
    assert(r.status === 304, `status ${r.status}`);
    assert(r.body.length === 0, `a 304 with a ${r.body.length} B body`);
    assert(r.headers.etag === brTag, `304 ETag ${r.headers.etag}, 200 had ${brTag}`);
    assertCacheable(r, '304');
    const list = await get(server, `/${WASM}`, { ...ae, 'If-None-Match': `"nope", W/${brTag}` });
    assert(list.status === 304, `If-None-Match list with a weak form: status ${list.status}`);
    const other = await get(server, `/${WASM}`, { ...ae, 'If-None-Match': '"something-else"' });
    assert(other.status === 200 && decode(other).equals(wasm), `another ETag: status ${other.status}`);
  });

  await check('without br (br;q=0, gzip) the wasm comes gzip, same bytes, its own ETag', async () => {
    const r = await get(server, `/${WASM}`, { 'Accept-Encoding': 'br;q=0, gzip' });
    assert(r.status === 200 && r.headers['content-encoding'] === 'gzip', `${r.status} ${r.headers['content-encoding']}`);
    assert(r.headers['content-type'] === 'application/wasm', `Content-Type ${r.headers['content-type']}`);
    assertCacheable(r, 'gzip');
    assert(decode(r).equals(wasm), 'the gunzipped body differs from the .wasm on disk');
    assert(r.headers.etag !== brTag, 'gzip and br share an ETag');
  });

  await check('without Accept-Encoding the wasm comes as identity bytes, under its own ETag, and revalidates', async () => {
    const r = await get(server, `/${WASM}`);
    assert(r.status === 200, `status ${r.status}`);
    assert(r.headers['content-encoding'] === undefined, `Content-Encoding ${r.headers['content-encoding']}`);
    assert(r.headers['content-type'] === 'application/wasm', `Content-Type ${r.headers['content-type']}`);
    assertCacheable(r, 'identity');
    assert(r.body.equals(wasm), 'the body differs from the .wasm on disk');
    assert(r.headers.etag !== brTag, 'identity and br share an ETag');
    const again = await get(server, `/${WASM}`, { 'If-None-Match': r.headers.etag });
    assert(again.status === 304, `revalidation: status ${again.status}`);
    const brTagForIdentity = await get(server, `/${WASM}`, { 'If-None-Match': brTag });
    assert(brTagForIdentity.status === 200, 'the br ETag validated the identity body');
  });

  await check('HEAD sends the GET headers and no body', async () => {
    const g = await get(server, `/${WASM}`, ae);
    const h = await get(server, `/${WASM}`, ae, 'HEAD');
    assert(h.status === 200 && h.body.length === 0, `HEAD: status ${h.status}, ${h.body.length} B body`);
    for (const k of ['content-type', 'content-length', 'content-encoding', 'etag', 'vary', 'cache-control']) {
      assert(h.headers[k] === g.headers[k], `HEAD ${k} ${h.headers[k]}, GET ${g.headers[k]}`);
    }
  });

  await check('the pkg JS comes br from its sibling, typed text/javascript, decoding to the file', async () => {
    const r = await get(server, `/${JS}`, ae);
    assert(r.status === 200 && r.headers['content-encoding'] === 'br', `${r.status} ${r.headers['content-encoding']}`);
    assert(r.headers['content-type'].startsWith('text/javascript'), `Content-Type ${r.headers['content-type']}`);
    assertCacheable(r, 'js');
    assert(decode(r).equals(fs.readFileSync(path.join(root, JS))), 'the decoded JS differs from the file');
    assert(r.body.equals(fs.readFileSync(path.join(root, `${JS}.br`))), 'the body is not the .br sibling');
  });

  await check('a stale sibling is ignored, edits change the ETag, binaries go as they are, dotfiles are refused', async () => {
    tmpServer = await startServer({ root: tmp, port: 0 });
    const file = path.join(tmp, 'app.js');
    const v1 = Buffer.from(`// version 1\n${'export const x = "kafka";\n'.repeat(500)}`);
    fs.writeFileSync(file, v1);
    fs.writeFileSync(`${file}.br`, zlib.brotliCompressSync(Buffer.from('stale')));
    const old = new Date(Date.now() - 60_000);
    fs.utimesSync(`${file}.br`, old, old); // older than app.js: must not be sent
    const r1 = await get(tmpServer, '/app.js', ae);
    assert(r1.headers['content-encoding'] === 'br', `Content-Encoding ${r1.headers['content-encoding']}`);
    assert(decode(r1).equals(v1), 'the stale .br sibling was sent (or the body is wrong)');
    assertCacheable(r1, 'on the fly');
    const r1b = await get(tmpServer, '/app.js', ae);
    assert(r1b.headers.etag === r1.headers.etag && r1b.body.equals(r1.body), 'a second request changed the ETag or body');

    const v2 = Buffer.from(`// version 2, longer\n${'export const y = "replica";\n'.repeat(600)}`);
    fs.writeFileSync(file, v2);
    const later = new Date(Date.now() + 2000);
    fs.utimesSync(file, later, later);
    const r2 = await get(tmpServer, '/app.js', { ...ae, 'If-None-Match': r1.headers.etag });
    assert(r2.status === 200, `the old ETag still validates after an edit: status ${r2.status}`);
    assert(r2.headers.etag !== r1.headers.etag, 'the ETag did not change after an edit');
    assert(decode(r2).equals(v2), 'the edited file is not what was sent');

    fs.writeFileSync(path.join(tmp, 'blob.png'), Buffer.alloc(4096, 7));
    const png = await get(tmpServer, '/blob.png', ae);
    assert(png.status === 200 && png.headers['content-encoding'] === undefined, `png: ${png.status} ${png.headers['content-encoding']}`);
    assert(png.body.length === 4096 && /^"[^"]+"$/.test(png.headers.etag || ''), 'png body or ETag');

    fs.writeFileSync(path.join(tmp, '.secret'), 'no');
    assert((await get(tmpServer, '/.secret', ae)).status === 403, '/.secret is served');
    assert((await get(server, '/pkg/.build-stamp', ae)).status === 403, '/pkg/.build-stamp is served');
    assert((await get(server, '/%2e%2e/etc/passwd', ae)).status === 403, '/../ is not refused');
  });

  await check('the page code comes from dist/www/ (bundled, minified, precompressed) while www/ is unchanged, else from www/', async () => {
    assert(distIsFresh(root), 'dist/www/ is missing or older than www/: run bash scripts/build-web.sh first');
    const r = await get(server, '/www/main.js', ae);
    assert(r.status === 200 && r.headers['content-encoding'] === 'br', `${r.status} ${r.headers['content-encoding']}`);
    assert(decode(r).equals(fs.readFileSync(path.join(root, 'dist/www/main.js'))), '/www/main.js is not dist/www/main.js');
    const css = await get(server, '/www/style.css', ae);
    assert(decode(css).equals(fs.readFileSync(path.join(root, 'dist/www/style.css'))), '/www/style.css is not the minified copy');
    // In a temporary root: a fresh dist/www/ stands in for www/; after an edit in www/, www/ is served.
    const t = path.join(tmp, 'overlay');
    fs.mkdirSync(path.join(t, 'www'), { recursive: true });
    fs.mkdirSync(path.join(t, 'dist', 'www'), { recursive: true });
    fs.writeFileSync(path.join(t, 'www', 'a.js'), 'export const source = 1;\n');
    fs.writeFileSync(path.join(t, 'dist', 'www', 'a.js'), 'export const built=1;');
    fs.writeFileSync(path.join(t, 'dist', 'www', '.sources'), JSON.stringify(sourceStamp(path.join(t, 'www'))));
    const srv = await startServer({ root: t, port: 0 });
    try {
      assert(decode(await get(srv, '/www/a.js', ae)).toString() === 'export const built=1;', 'a fresh dist/www/a.js is not served');
      assert((await get(srv, '/dist/www/.sources', ae)).status === 403, '.sources is served');
      fs.writeFileSync(path.join(t, 'www', 'a.js'), 'export const source = 2;\n');
      const later = new Date(Date.now() + 2000);
      fs.utimesSync(path.join(t, 'www', 'a.js'), later, later);
      await new Promise((res) => setTimeout(res, 250)); // past the server's 200 ms look
      assert(decode(await get(srv, '/www/a.js', ae)).toString() === 'export const source = 2;\n', 'a stale dist/www/ is still served');
    } finally {
      await srv.close();
    }
  });

  await check('build-web.sh: a second run skips the build (pkg/ untouched); a changed input is noticed', async () => {
    const run = (args, env = {}) => spawnSync('bash', ['scripts/build-web.sh', ...args], {
      cwd: root, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000,
    });
    const c = run(['--check']);
    assert(c.status === 0, `pkg/ is not up to date right after the build (run bash scripts/build-web.sh first):\n${c.stdout}${c.stderr}`);
    const before = fs.statSync(path.join(root, WASM));
    const t0 = Date.now();
    const r = run([]);
    const ms = Date.now() - t0;
    assert(r.status === 0, `exit ${r.status}: ${r.stdout}${r.stderr}`);
    assert(/pkg\/ is up to date, build skipped/.test(r.stdout), `no skip message:\n${r.stdout}${r.stderr}`);
    assert(!/\[INFO\]|Compiling|Optimizing|build-web: building/.test(r.stdout + r.stderr), `it built anyway:\n${r.stdout}${r.stderr}`);
    const after = fs.statSync(path.join(root, WASM));
    assert(after.ino === before.ino && after.mtimeMs === before.mtimeMs, 'pkg/ was replaced by a skipped build');
    const changed = run(['--check'], { RUSTFLAGS: `${process.env.RUSTFLAGS || ''} --cfg=stamp_probe` });
    assert(changed.status === 1 && /RUSTFLAGS/.test(changed.stdout), `a changed RUSTFLAGS was not noticed:\n${changed.stdout}${changed.stderr}`);
    console.log(`   skipped in ${ms} ms: ${r.stdout.trim().slice(0, 100)}…`);
  });
} finally {
  await server.close();
  if (tmpServer) await tmpServer.close();
  fs.rmSync(tmp, { recursive: true, force: true });
}
finish();
