// Writes precompressed siblings next to each file given: FILE.br (brotli, quality 11, the largest window)
// and FILE.gz (gzip -9). Used by scripts/build-web.sh on the wasm engine and its JS glue, so that a
// server can send them as they are (scripts/serve.mjs does; nginx's brotli_static / gzip_static too).
// No dependencies: node's zlib has both. Prints one line per file: raw / gzip / brotli bytes.
//
//   node scripts/compress.mjs FILE...
//
// Each sibling is written to FILE.br.tmp first and renamed, so it is never seen half written, and it is
// written after FILE, so its mtime is not older than FILE's (serve.mjs ignores a sibling older than its file).
import fs from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';

/** Brotli at its maximum quality, sized to the input; text mode for text files (a hint only). */
export function brotliMax(bytes, text = false) {
  const C = zlib.constants;
  return zlib.brotliCompressSync(bytes, {
    params: {
      [C.BROTLI_PARAM_QUALITY]: C.BROTLI_MAX_QUALITY,
      [C.BROTLI_PARAM_LGWIN]: C.BROTLI_MAX_WINDOW_BITS,
      [C.BROTLI_PARAM_MODE]: text ? C.BROTLI_MODE_TEXT : C.BROTLI_MODE_GENERIC,
      [C.BROTLI_PARAM_SIZE_HINT]: bytes.length,
    },
  });
}

/** gzip -9. */
export function gzipMax(bytes) {
  return zlib.gzipSync(bytes, { level: 9 });
}

function writeAtomically(file, bytes) {
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, bytes);
  fs.renameSync(tmp, file);
}

/** Writes FILE.br and FILE.gz; returns { raw, gzip, br } sizes in bytes. */
export function compressFile(file) {
  const bytes = fs.readFileSync(file);
  const text = /\.(m?js|css|html?|json|svg|txt|md)$/i.test(file);
  const br = brotliMax(bytes, text);
  const gz = gzipMax(bytes);
  writeAtomically(`${file}.gz`, gz);
  writeAtomically(`${file}.br`, br);
  return { raw: bytes.length, gzip: gz.length, br: br.length };
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const files = process.argv.slice(2);
  if (files.length === 0) {
    console.error('usage: node scripts/compress.mjs FILE...');
    process.exit(2);
  }
  for (const file of files) {
    const s = compressFile(file);
    const pct = (n) => `${((100 * n) / s.raw).toFixed(1)}%`;
    console.log(`compressed ${path.basename(file)}: raw ${s.raw} B, gzip -9 ${s.gzip} B (${pct(s.gzip)}), brotli 11 ${s.br} B (${pct(s.br)})`);
  }
}
