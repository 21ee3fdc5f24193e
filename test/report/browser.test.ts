// The report as a browser shows it: headless Chromium loads index.html (built from the small real
// run of fixtures.ts) from disk, with the network unreachable by construction (a file:// page whose
// every resource is inline). The page's inline script marks how many chart images decoded and how
// many tables are empty; --dump-dom returns the DOM after load, --screenshot saves a PNG next to the
// report. Skipped, with the reason, only when no Chromium is installed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadImage, createCanvas } from 'canvas';
import { shutdownWorkers } from '../../src/core/parallel.js';
import { writeReport, type ReportFiles } from '../../src/report/index.js';
import { sharedFixtureRun } from './fixtures.js';

function findChromium(): string | null {
  for (const c of [process.env.CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome']) {
    if (c && existsSync(c)) return c;
  }
  return null;
}

const CHROMIUM = findChromium();
const SKIP = CHROMIUM ? false : 'no Chromium found (/usr/bin/chromium, or set CHROMIUM=path): the browser check cannot run';
const WIDTH = 1280, HEIGHT = 2200;

let files: ReportFiles;
let profile = '';
let dom = '';
let screenshot = '';
let chromiumLog = '';

before(async () => {
  if (!CHROMIUM) return;
  const runDir = await sharedFixtureRun();
  files = await writeReport(runDir); // default: <root>/reports/<run>/, next to results/
  screenshot = join(dirname(files.html), 'screenshot.png');
  rmSync(screenshot, { force: true });
  profile = mkdtempSync(join(tmpdir(), 'vqbench-chromium-'));
  const r = spawnSync(CHROMIUM, [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--hide-scrollbars', '--no-first-run',
    `--user-data-dir=${profile}`, '--virtual-time-budget=10000', `--window-size=${WIDTH},${HEIGHT}`,
    `--screenshot=${screenshot}`, '--dump-dom', pathToFileURL(files.html).href,
  ], { encoding: 'utf8', timeout: 90_000, maxBuffer: 64 * 2 ** 20 });
  dom = r.stdout ?? '';
  chromiumLog = `exit ${r.status ?? r.signal}; ${(r.error?.message ?? '')} ${(r.stderr ?? '').split('\n').filter((l) => !/dbus|Fontconfig/i.test(l)).slice(-5).join(' | ')}`;
});

after(async () => {
  if (profile) rmSync(profile, { recursive: true, force: true });
  await shutdownWorkers();
});

test('browser: every chart image decoded and every table has rows', { skip: SKIP }, (t) => {
  t.diagnostic(`report: ${files.html}`);
  const body = dom.match(/<body([^>]*)>/)?.[1];
  assert.ok(body, `no <body> in Chromium's DOM dump (${chromiumLog})`);
  const attr = (name: string) => Number(body.match(new RegExp(`data-${name}="(\\d+)"`))?.[1] ?? NaN);
  assert.equal(attr('charts-total'), files.charts.length, `the page's load script ran (${chromiumLog})`);
  assert.equal(attr('charts-loaded'), files.charts.length, 'every chart image decoded (naturalWidth > 0)');
  assert.equal(attr('empty-tables'), 0);
  // and independently of the page's own script: each table in the DOM has body rows with cells
  const tables = [...dom.matchAll(/<table\b[^>]*>([\s\S]*?)<\/table>/g)];
  assert.equal(tables.length, attr('tables'));
  assert.ok(tables.length >= 8, `${tables.length} tables`);
  for (const [, inner] of tables) {
    const rows = inner.match(/<tbody>([\s\S]*)<\/tbody>/)?.[1].match(/<tr\b[\s\S]*?<\/tr>/g) ?? [];
    assert.ok(rows.length > 0, 'a table without rows');
    assert.ok(rows.every((r) => /<td\b/.test(r)), 'a row without cells');
  }
});

test('browser: a screenshot of the page is saved next to the report', { skip: SKIP }, async (t) => {
  t.diagnostic(`screenshot: ${screenshot}`);
  assert.ok(existsSync(screenshot), `no screenshot (${chromiumLog})`);
  const buf = readFileSync(screenshot);
  assert.deepEqual([...buf.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  assert.equal(buf.readUInt32BE(16), WIDTH);
  assert.equal(buf.readUInt32BE(20), HEIGHT);
  assert.ok(buf.length > 50_000, `${buf.length} bytes: too small for a rendered page`);
  // not a blank page: many distinct colours in a coarse sample
  const img = await loadImage(buf);
  const c = createCanvas(img.width, img.height).getContext('2d');
  c.drawImage(img, 0, 0);
  const px = c.getImageData(0, 0, img.width, img.height).data;
  const colours = new Set<number>();
  for (let i = 0; i < px.length; i += 4 * 97) colours.add((px[i] << 16) | (px[i + 1] << 8) | px[i + 2]);
  assert.ok(colours.size > 30, `${colours.size} distinct colours: the page looks blank`);
});
