// Issue 14 item 2, end to end in a real browser: Debian's chromium, driven headless by playwright-core (no browser
// download), loads the dashboard of a real router serving two real workers, sees both, sees one leave after SIGKILL,
// and leaves a screenshot in .tap/screenshots/ (git-ignored) for whoever reads the test output.
import t from 'tap';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { ROOT, request, startRouter, startWorker } from '../lib/harness.mjs';
import { adminUrl } from './lib.mjs';

t.setTimeout(300_000);
const CHROMIUM = '/usr/bin/chromium';
const SHOTS = join(ROOT, '.tap', 'screenshots');

t.test('the dashboard shows both workers live, then only the one left after the other is SIGKILLed', { skip: !existsSync(CHROMIUM) && `${CHROMIUM} missing (apt-get install chromium)` }, async (t) => {
  const router = await startRouter(t, ['--admin-listen', '127.0.0.1:0']);
  const w1 = startWorker(t, router, 'w1');
  startWorker(t, router, 'w2');
  await router.joined(2);
  for (let i = 0; i < 20; i++) t.equal((await request(router.url)).status, 200);

  // Running as root (CI containers) Chromium needs --no-sandbox; the page is our own, on loopback.
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'], timeout: 60_000 });
  t.teardown(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const problems = [];
  page.on('pageerror', (err) => problems.push(err.message));
  page.on('console', (msg) => { if (msg.type() === 'error') problems.push(msg.text()); });
  await page.goto(adminUrl(router) + '/', { timeout: 60_000 });

  const row = (name) => page.locator(`#workers tr[data-name="${name}"]`);
  await row('w1').waitFor({ timeout: 30_000 });
  await row('w2').waitFor({ timeout: 30_000 });
  t.equal(await row('w1').locator('td').nth(1).textContent(), 'live');
  t.equal(await page.locator('#conn').textContent(), 'live', 'the feed is connected');
  t.equal(await page.locator('#workerCount').textContent(), '2');
  t.equal(await page.locator('#webSockets').textContent(), '0', 'the WebSockets tile');
  // The rate chart learns of the 20 requests within a snapshot or two: wait for the sample, not for a time.
  await page.waitForFunction(() => typeof samples !== 'undefined' && samples.some((s) => s.rate > 0), undefined, { timeout: 30_000 });
  t.pass('the request rate reached the page');

  await w1.kill('SIGKILL');
  await row('w1').waitFor({ state: 'detached', timeout: 30_000 });
  t.pass('w1 left the page');
  t.equal(await row('w2').count(), 1, 'w2 is still there');
  t.equal(await page.locator('#workerCount').textContent(), '1');
  t.same(problems, [], 'no script error on the page');

  mkdirSync(SHOTS, { recursive: true });
  const file = join(SHOTS, 'admin-dashboard.png');
  await page.screenshot({ path: file, fullPage: true });
  t.ok(existsSync(file), 'screenshot written');
  t.comment(`dashboard screenshot: ${file}`);
});
