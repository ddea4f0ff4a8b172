// GraphiQL as a frontend developer meets it: a real Chromium (Debian's package, driven by
// playwright-core) opens /graphql on a listening server with no network beyond loopback, finds
// the default query in the editor, pastes a demo token into the Headers tab, runs the query and
// reads a teenager's conversations in the result pane. The screenshot is kept in test/artifacts/.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';
import { dbKind } from './helpers/env.ts';
import { createTestApp } from './helpers/app.ts';
import { defaultContentDir, seedDatabase } from '../src/seed/index.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const artifactsDir = path.resolve(import.meta.dirname, 'artifacts');
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) {
  // CI installs the package (.ci/run): there a missing browser is a failure, not a skip.
  if (process.env.CI) throw new Error(`${CHROMIUM} is missing: CI must install Debian's chromium package (see .ci/run)`);
  console.warn(`[graphiql-browser] skipped: ${CHROMIUM} not found (apt-get install chromium, or set CHROMIUM_PATH)`);
}

/** The visible one of the Variables and Headers editors (the Headers tab opens first). */
const HEADERS = '.graphiql-editor-tool .graphiql-editor:not(.hidden)';

/** The text Monaco shows in an editor (its rendered lines; spaces are non-breaking there). */
const editorText = (page: Page, selector: string) =>
  page.locator(`${selector} .view-lines`).first().innerText().then((t) => t.replace(/\u00a0/g, ' '));

describe.skipIf(!hasChromium)(`GraphiQL in a real browser (${dbKind})`, () => {
  let db: TestDatabase;
  let server: Server;
  let base: string;
  let profileDir: string;
  let browser: BrowserContext;
  const outsideRequests: string[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedDatabase(db.prisma, { contentDir: defaultContentDir });
    const { app } = createTestApp(db);
    server = createServer(app.yoga);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    profileDir = await mkdtemp(path.join(os.tmpdir(), 'graphiql-chromium-'));
    browser = await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1400, height: 1000 },
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    await browser.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
    // Loopback only: anything else (a CDN, fonts, telemetry) is refused and recorded.
    await browser.route('**/*', (route) => {
      const url = new URL(route.request().url());
      if (url.protocol === 'blob:' || url.protocol === 'data:' || ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) return route.continue();
      outsideRequests.push(url.href);
      return route.abort();
    });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    if (profileDir) await rm(profileDir, { recursive: true, force: true });
    await new Promise((resolve) => server?.close(resolve));
    await db?.destroy();
  });

  it('opens on the default query, runs it with a pasted demo token and shows the teenager’s conversations', async () => {
    // The token a developer gets from `npm run demo:token -- demo-lea-moreau`.
    const signIn = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'mutation { signIn(input: { idp: MOCK_IDP, loginId: "demo-lea-moreau", origin: "graphiql" }) { token } }' }),
    }).then((r) => r.json());
    const token: string = signIn.data.signIn.token;
    const newest = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: '{ me { conversations(first: 1) { edges { node { title } } } } }' }),
    }).then((r) => r.json());
    const newestTitle: string = newest.data.me.conversations.edges[0].node.title;

    const page = browser.pages()[0] ?? (await browser.newPage());
    const pageErrors: string[] = [];
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await page.goto(`${base}/graphql`, { waitUntil: 'load' });

    // The editor holds our walkthrough, not GraphiQL's generic comment.
    await expect.poll(() => editorText(page, '.graphiql-query-editor'), { timeout: 30_000 }).toContain('query Me {');
    expect(await editorText(page, '.graphiql-query-editor')).toContain('Authorization');
    // The bundled explorer plugin is there, next to the docs.
    await expect.poll(() => page.getByRole('button', { name: 'Show GraphiQL Explorer' }).count()).toBe(1);
    await expect.poll(() => editorText(page, HEADERS), { timeout: 10_000 }).toContain('"Authorization"');

    // Paste the header, as a developer would, over the Headers tab's placeholder.
    await page.evaluate((text) => navigator.clipboard.writeText(text), JSON.stringify({ Authorization: `Bearer ${token}` }));
    await page.locator(`${HEADERS} .view-lines`).first().click();
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.press('ControlOrMeta+V');
    await expect.poll(() => editorText(page, HEADERS)).toContain(`Bearer ${token}`);

    const response = page.waitForResponse((r) => r.url() === `${base}/graphql` && r.request().method() === 'POST' && /query Me\b/.test(r.request().postData() ?? ''));
    await page.locator('.graphiql-execute-button').click();
    const sent = await response;
    expect(sent.request().headers().authorization).toBe(`Bearer ${token}`);
    const body = await sent.json();
    expect(body.errors).toBeUndefined();
    expect(body.data.me.userType).toBe('TEENAGER');
    expect(body.data.me.conversations.totalCount).toBeGreaterThan(0);

    // What the developer reads: the teenager's conversations in the result pane.
    await expect.poll(() => editorText(page, '.graphiql-response'), { timeout: 15_000 }).toContain(newestTitle);
    const shown = await editorText(page, '.graphiql-response');
    expect(shown).toContain('"userType": "TEENAGER"');
    expect(shown).toContain('"totalCount"');

    await mkdir(artifactsDir, { recursive: true });
    await page.screenshot({ path: path.join(artifactsDir, `graphiql-${dbKind}.png`) });
    expect(pageErrors).toEqual([]);
    expect(outsideRequests).toEqual([]);
  });
});
