// Builds the shipped copy of the page's code: www/'s ES modules bundled and minified by esbuild (a
// devDependency; nothing of it is shipped) into dist/www/, with the stylesheets minified beside them, and
// precompressed siblings (.br, .gz) of every file, as scripts/compress.mjs writes them for pkg/.
// The sources in www/ stay as they are: they are what is edited, type-checked (tsc) and read.
//
//   node scripts/build-js.mjs          (scripts/build-web.sh runs it on every call: it takes well under a second)
//
// dist/www/ holds one file per entry point (main.js: index.html's, whole; kafka-playground.js: the embeddable
// element; embed-page.js: embed.html's) and the chunks the last two share (chunk-HASH.js), at the same depth as www/, so the
// relative URLs in the code (../pkg/kafka_playground.js, ../scenarios/, ./style.css) resolve as they do in www/.
// The engine's glue (../pkg/kafka_playground.js, built by wasm-pack) is inside main.js and outside the element's
// bundle. dist/www/.sources lists each www/ file the build read, and the glue (size and mtime): scripts/serve.mjs
// serves a dist/www/ file in place of its www/ namesake only while every source is unchanged, so an edit in www/
// (or a new engine) is served at once (unminified) until the next build (build-web.sh runs this again after
// replacing pkg/).
import fs from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { compressFile } from './compress.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SRC = path.join(ROOT, 'www');
const OUT = path.join(ROOT, 'dist', 'www');
/** The pages' entry points (index.html, the custom element, embed.html). */
const ENTRIES = ['main.js', 'kafka-playground.js', 'embed-page.js'];

/** The top-level www/ files a build reads: its modules and stylesheets (www/examples/ is served as it is). */
export function sourceFiles(src = SRC) {
  return fs.readdirSync(src).filter((f) => /\.(js|css)$/.test(f) && fs.statSync(path.join(src, f)).isFile()).sort();
}

/** The engine's glue, relative to www/: index.html's bundle carries a copy of it. */
const GLUE = '../pkg/kafka_playground.js';

/** { file: [size, mtimeMs] } of the sources (and of the glue, when built), as dist/www/.sources records them. */
export function sourceStamp(src = SRC) {
  /** @type {Record<string, [number, number]>} */
  const stamp = {};
  for (const f of [...sourceFiles(src), GLUE]) {
    if (f === GLUE && !fs.existsSync(path.join(src, f))) continue;
    const st = fs.statSync(path.join(src, f));
    stamp[f] = [st.size, st.mtimeMs];
  }
  return stamp;
}

/** Whether ROOT/dist/www/ was built from ROOT/www/ as it is now (every source's size and mtime as recorded). */
export function distIsFresh(root = ROOT) {
  try {
    const built = JSON.parse(fs.readFileSync(path.join(root, 'dist', 'www', '.sources'), 'utf8'));
    const cur = sourceStamp(path.join(root, 'www'));
    const keys = Object.keys(cur);
    return keys.length === Object.keys(built).length
      && keys.every((k) => Array.isArray(built[k]) && built[k][0] === cur[k][0] && built[k][1] === cur[k][1]);
  } catch {
    return false;
  }
}

export async function buildJs() {
  const esbuild = await import('esbuild');
  const stamp = sourceStamp();
  const tmp = fs.mkdtempSync(path.join(ROOT, 'dist', '.www-build-'));
  try {
    const common = {
      outdir: tmp,
      bundle: true,
      format: /** @type {const} */ ('esm'),
      minify: true,
      charset: /** @type {const} */ ('utf8'), // not \uXXXX escapes: the page's text has many (·, →, ✕, …)
      external: ['../pkg/*'],
      logLevel: /** @type {const} */ ('warning'),
    };
    // index.html's entry in one file of its own, the engine's glue (pkg/kafka_playground.js) inside it: a
    // visitor of the page loads one script, ~760 B (gzip) less than the entry, the chunk it would share with
    // the element and the glue (esbuild drops the glue's exports the page does not use). The element and
    // embed.html share chunks and load the glue from pkg/ (one copy for every element on a page).
    // Before the engine's first build (a fresh checkout: build-web.sh runs this before wasm-pack), there is no
    // glue to carry: main.js then loads it from pkg/ like the element, and its stamp lacks the glue, so the
    // served copy is www/ (distIsFresh) until build-web.sh runs this again once pkg/ is built.
    const glueBuilt = fs.existsSync(path.join(SRC, GLUE));
    await esbuild.build({ ...common, entryPoints: [path.join(SRC, ENTRIES[0])], external: glueBuilt ? [] : ['../pkg/*'] });
    await esbuild.build({ ...common, entryPoints: ENTRIES.slice(1).map((f) => path.join(SRC, f)), splitting: true, chunkNames: 'chunk-[hash]' });
    for (const css of sourceFiles().filter((f) => f.endsWith('.css'))) {
      await esbuild.build({ entryPoints: [path.join(SRC, css)], outfile: path.join(tmp, css), minify: true, charset: 'utf8', logLevel: 'warning' });
    }
    const sizes = [];
    for (const f of fs.readdirSync(tmp).sort()) {
      const s = compressFile(path.join(tmp, f));
      sizes.push(`${f} ${s.raw}/${s.gzip}/${s.br}`);
    }
    fs.writeFileSync(path.join(tmp, '.sources'), JSON.stringify(stamp));
    fs.chmodSync(tmp, 0o755); // mkdtemp makes it private
    // The swap: dist/www/ is replaced whole (old chunks go with it).
    const old = `${tmp}.old`;
    if (fs.existsSync(OUT)) fs.renameSync(OUT, old);
    fs.renameSync(tmp, OUT);
    fs.rmSync(old, { recursive: true, force: true });
    return sizes;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  fs.mkdirSync(path.join(ROOT, 'dist'), { recursive: true });
  const sizes = await buildJs();
  console.log(`build-js: dist/www/ written (raw/gzip/brotli bytes): ${sizes.join(', ')}`);
}
