// What the end-to-end suites share (run.mjs, layout.mjs, picture.mjs): the repository root and
// test-results/, a named check that prints "ok - …" or "FAILED - …" with the stack, assert, the
// release build served with the strict CSP of scripts/serve.mjs, and Debian's /usr/bin/chromium via
// playwright-core, headless.
import { chromium } from 'playwright-core';
import { startServer } from '../../scripts/serve.mjs';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const outDir = path.join(root, 'test-results');
fs.mkdirSync(outDir, { recursive: true });

let passed = 0;
let failed = 0;

/** Runs one named check; a throw counts it failed and prints the stack. */
export async function check(name, fn) {
  try {
    await fn();
    passed++;
    console.log(`ok - ${name}`);
  } catch (e) {
    failed++;
    console.log(`FAILED - ${name}\n  ${String((e && e.stack) || e).split('\n').join('\n  ')}`);
  }
}

export function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

/** The server on a free port and a headless Chromium: { server, browser }. */
export async function launch() {
  const server = await startServer({ root, port: 0 });
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  return { server, browser };
}

/** Prints "N passed, M failed" and exits 1 when any check failed. */
export function finish() {
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}
