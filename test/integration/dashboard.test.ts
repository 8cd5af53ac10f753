// The live topology page (ADM-READ-4) in a real headless browser: Debian's chromium driven by
// playwright-core. The page is loaded once; every change must reach it over the event feed.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { describe, expect, it, onTestFinished } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
// Only a bound for a failure: every wait ends as soon as the page shows what is waited for.
const WAIT = { timeout: 10_000 };
const TOPIC = 'sensors.kitchen.temperature';
const ROW = `[data-topic="${TOPIC}"]`;
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

interface OpenPage {
  page: Page;
  /** Main-frame navigations so far (the first load is one). */
  navigations(): number;
  /** Requests the page made, as paths with their query. */
  requests: string[];
  /** Uncaught errors in the page. */
  errors: string[];
}

/** A browser on the server's /dashboard, closed when the test finishes. */
async function openDashboard(t: TestServer): Promise<OpenPage> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} not found: the dashboard test drives Debian's chromium; install it (apt-get install chromium)`);
  }
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  onTestFinished(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1200, height: 700 } });
  let navigations = 0;
  page.on('framenavigated', (frame) => {
    if (frame === page.mainFrame()) navigations++;
  });
  const requests: string[] = [];
  page.on('request', (request) => {
    const url = new URL(request.url());
    requests.push(url.pathname + url.search);
  });
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(`http://127.0.0.1:${t.port}/dashboard`);
  return { page, navigations: () => navigations, requests, errors };
}

async function connectWith(page: Page, token: string): Promise<void> {
  await page.fill('#token', token);
  await page.click('#connect');
}

describe('the live topology page', () => {
  it('ADM-READ-4 shows brewers and subscriber counts as they change, without reloading', { timeout: 30_000 }, async () => {
    const t = await startTestServer();
    const { page, navigations, requests, errors } = await openDashboard(t);
    const token = t.keys.mint('admin', ['admin:*']);
    await connectWith(page, token);
    await page.waitForSelector('#status:has-text("live")', WAIT);
    expect(await page.textContent('#error')).toBe('');

    // A brewer registered after the page loaded appears, from the event feed.
    const brewing = await t.client('kitchen', ['all']);
    await brewing.registerBrewer(TOPIC, { uuid: 'dash-1', hostname: '10.0.0.9', port: 4000 });
    await page.waitForSelector(`${ROW} [data-brewer="dash-1"]`, WAIT);
    expect(await page.textContent(`${ROW} [data-brewer="dash-1"]`)).toContain('kitchen');
    await page.waitForSelector(`${ROW} .subscribers:text-is("0")`, WAIT);

    // A subscription by pattern counts: `sensors.**` matches the topic.
    const watching = await t.client('watcher', ['all']);
    await watching.subscribe('sensors.**');
    await page.waitForSelector(`${ROW} .subscribers:text-is("1")`, WAIT);
    await page.waitForSelector('#sessions [data-session] .pattern:text-is("sensors.**")', WAIT);
    expect(await page.locator('#sessions [data-session]').count()).toBe(2);

    const dir = mkdtempSync(join(tmpdir(), 'pubkeeper-dashboard-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const shot = join(dir, 'dashboard.png');
    await page.screenshot({ path: shot, fullPage: true });
    const png = readFileSync(shot);
    expect(png.length).toBeGreaterThan(PNG_SIGNATURE.length);
    expect(png.subarray(0, PNG_SIGNATURE.length).equals(PNG_SIGNATURE)).toBe(true);

    // The brewer goes: its row goes with it (it was the topic's only one).
    await brewing.unregisterBrewer(TOPIC, 'dash-1');
    await page.waitForSelector(ROW, { ...WAIT, state: 'detached' });
    // The session's close reaches the page too.
    await watching.close();
    await page.waitForFunction(() => document.querySelectorAll('#sessions [data-session]').length === 1, undefined, WAIT);

    expect(navigations()).toBe(1);
    // The state was read once; every change after that came from the feed.
    expect(requests.filter((r) => r.startsWith('/admin/topics'))).toEqual(['/admin/topics?limit=1000']);
    expect(requests.filter((r) => r.startsWith('/admin/sessions'))).toEqual(['/admin/sessions?limit=1000']);
    expect(requests.filter((r) => r.startsWith('/admin/events'))).toEqual(['/admin/events']);
    expect(requests.some((r) => r.includes(token))).toBe(false);
    expect(errors).toEqual([]);
  });

  it('ADM-AUTH-1 a token without an admin right shows the 403 error and reads nothing', { timeout: 30_000 }, async () => {
    const t = await startTestServer();
    const { page, navigations, errors } = await openDashboard(t);
    await connectWith(page, t.keys.mint('user', ['brew:**', 'subscribe:**']));
    await page.waitForSelector('#error:has-text("the token has no admin right")', WAIT);
    expect(await page.textContent('#error')).toContain('403');
    expect(await page.textContent('#status')).not.toContain('live');
    expect(navigations()).toBe(1);
    expect(errors).toEqual([]);
  });
});
