import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startUpstream, type StartedUpstream } from '../support/upstreams/index.js';
import { eventually, fallbackTo, startGateway, type TestGateway } from '../support/gateway.js';
import { chromiumInstalled, launchChromium, type Browser } from './chromium.js';

/**
 * The web console in headless Chromium against the real server: log in, see a request just made
 * on the Requests page with its model and cost and open its attempts, see the spend chart drawn,
 * create, edit and revoke a key, watch a request in flight on Live, and see a virtual key limited
 * to its own requests. One screenshot per page lands in test-results/console/.
 */
const ADMIN_KEY = 'console-admin-key-0123456789';
const PRICES = { claude: { input: 3, output: 15 } };

/** How the console writes a USD amount: six decimals below a dollar, trailing zeros dropped. */
const usdText = (nanos: number) => (nanos === 0 ? '$0' : `$${(nanos / 1e9).toFixed(6).replace(/0+$/, '').replace(/\.$/, '')}`);
/** How the console writes a duration. */
const msText = (value: number | null) => (value === null ? '—' : value >= 10_000 ? `${(value / 1000).toFixed(1)} s` : `${Math.round(value)} ms`);

/** Makes a key through the admin API and returns its secret. */
async function createKey(url: string, fields: Record<string, unknown>): Promise<string> {
  const response = await fetch(`${url}/v1/admin/keys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify(fields),
  });
  expect(response.status).toBe(201);
  return ((await response.json()) as { key: string }).key;
}

describe.skipIf(!chromiumInstalled)('the console in headless Chromium', { timeout: 120_000 }, () => {
  let upstream: StartedUpstream;
  let gateway: TestGateway;
  let browser: Browser;
  let admin: OpenAI;
  let fallbackId: string;

  beforeAll(async () => {
    upstream = await startUpstream();
    gateway = await startGateway(
      {
        routing: { retries: 0, backoffMs: 1, maxBackoffMs: 5 },
        providers: {
          up: { kind: 'openai-compatible', baseURL: `${upstream.url}/v1`, apiKey: 'up-key' },
          claude: { kind: 'anthropic', baseURL: upstream.url, apiKey: 'claude-key', models: { 'claude-sonnet-4-5': { pricing: PRICES.claude } } },
        },
      },
      { env: { TOLLGATE_ADMIN_KEY: ADMIN_KEY } },
    );
    admin = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: ADMIN_KEY, maxRetries: 0 });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await gateway?.close();
    await upstream?.close();
  });

  it('asks for a key, refuses a wrong one, and logs in with the admin key kept in the tab only', async () => {
    const { page } = browser;
    await page.goto(`${gateway.url}/console`);
    await page.getByRole('heading', { name: 'Tollgate console' }).waitFor();
    await browser.screenshot('login');

    await page.getByLabel('Key').fill('tg_not-a-real-key-at-all');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('alert').filter({ hasText: 'did not accept this key' }).waitFor();

    await page.getByLabel('Key').fill(ADMIN_KEY);
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect(page.getByTestId('caller').textContent()).resolves.toBe('admin');
    // The key is in sessionStorage (this tab) and nowhere a URL, a cookie or localStorage keeps.
    const stored = await page.evaluate(() => ({ session: sessionStorage.getItem('tollgate.console.key'), local: localStorage.length, cookie: document.cookie, url: location.href }));
    expect(stored).toEqual({ session: ADMIN_KEY, local: 0, cookie: '', url: expect.not.stringContaining(ADMIN_KEY) });
  });

  it('shows a request just made on the Requests page with its model and cost, and opens it with its attempts', async () => {
    upstream.script('primary', { kind: 'error', status: 503 });
    const { response } = await admin.chat.completions
      .create({ model: 'up/primary', messages: [{ role: 'user', content: 'show me in the console' }], ...fallbackTo(['claude/claude-sonnet-4-5']) })
      .withResponse();
    fallbackId = response.headers.get('x-request-id')!;
    const stored = await eventually(async () => (await gateway.ledger.requests()).find((row) => row.id === fallbackId)!);
    expect(stored.costNanos).toBeGreaterThan(0);

    const { page } = browser;
    await page.goto(`${gateway.url}/console#/requests`);
    const row = page.locator(`tr[data-request-id="${fallbackId}"]`);
    await row.waitFor();
    await expect(row.locator('td.model').textContent()).resolves.toBe('claude/claude-sonnet-4-5');
    await expect(row.locator('td.cost').textContent()).resolves.toBe(usdText(stored.costNanos!));

    await row.click();
    const detail = page.getByTestId('request-detail');
    await detail.waitFor();
    const attempts = detail.getByTestId('attempts').locator('tbody tr');
    await expect(attempts.count()).resolves.toBe(2);
    await expect(attempts.nth(0).textContent()).resolves.toMatch(/up\/primary.*upstream_overloaded.*HTTP 503/);
    await expect(attempts.nth(1).textContent()).resolves.toMatch(/fallback.*claude\/claude-sonnet-4-5.*ok/);
    await expect(detail.getByTestId('detail-cost').textContent()).resolves.toBe(usdText(stored.costNanos!));
    await expect(detail.getByTestId('detail-latency').textContent()).resolves.toBe(`${msText(stored.latencyMs)} / ${msText(stored.ttftMs)}`);
    await expect(detail.getByTestId('detail-tokens').textContent()).resolves.toBe(
      `${stored.usage.input} in (${stored.usage.cacheRead} cached), ${stored.usage.output} out (${stored.usage.reasoning} reasoning)`,
    );
    await expect(detail.getByTestId('detail-attempts').textContent()).resolves.toBe('2 / 1');
    await browser.screenshot('requests');

    // Search: a model nothing used finds nothing; the served model finds the request.
    await page.getByRole('textbox', { name: 'Model' }).fill('up/never-used');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByText('No requests match.').waitFor();
    await page.getByRole('textbox', { name: 'Model' }).fill('claude/claude-sonnet-4-5');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.locator(`tr[data-request-id="${fallbackId}"]`).waitFor();
    await expect(page.locator('tr[data-request-id]').count()).resolves.toBe(1);
  });

  it('lists requests newest first and finds them by key, status and error kind', async () => {
    const searcher = await createKey(gateway.url, { name: 'searcher', user: 'carol', tags: ['checkout'] });
    const client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: searcher, maxRetries: 0 });
    const ok = await client.chat.completions.create({ model: 'claude/claude-sonnet-4-5', messages: [{ role: 'user', content: 'fine' }] }).withResponse();
    const okId = ok.response.headers.get('x-request-id')!;
    upstream.script('broken', { kind: 'error', status: 500 });
    const failed = await client.chat.completions.create({ model: 'up/broken', messages: [{ role: 'user', content: 'fails' }] }).catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(OpenAI.InternalServerError);
    const failedRow = await eventually(async () => (await gateway.ledger.requests()).find((row) => row.requestedModel === 'up/broken')!);
    expect(failedRow.status).toBe('error');
    const errorKind = failedRow.errorKind!;
    await eventually(async () => expect((await gateway.ledger.requests()).find((row) => row.id === okId)).toBeDefined());

    const { page } = browser;
    // The page is still on the Requests search of the test before: load it afresh.
    await page.goto(`${gateway.url}/console#/requests`);
    await page.reload();
    const ids = () => page.locator('tr[data-request-id]').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-request-id')));
    await page.locator(`tr[data-request-id="${failedRow.id}"]`).waitFor();
    // Newest first: the ledger's order, reversed.
    await expect(ids()).resolves.toEqual((await gateway.ledger.requests()).map((row) => row.id).reverse());

    const search = async (fields: { key?: string; status?: string; kind?: string }, expected: string[]) => {
      await page.getByRole('textbox', { name: 'Model' }).fill('');
      await page.getByRole('textbox', { name: 'Key name' }).fill(fields.key ?? '');
      await page.getByRole('combobox', { name: 'Status' }).selectOption(fields.status ?? '');
      await page.getByRole('combobox', { name: 'Error kind' }).selectOption(fields.kind ?? '');
      await page.getByRole('button', { name: 'Search' }).click();
      await page.waitForFunction((want) => [...document.querySelectorAll('tr[data-request-id]')].map((row) => row.getAttribute('data-request-id')).join() === want, expected.join());
    };
    await search({ key: 'searcher' }, [failedRow.id, okId]);
    await search({ key: 'searcher', status: 'ok' }, [okId]);
    await search({ status: 'error' }, [failedRow.id]);
    await search({ kind: errorKind }, [failedRow.id]);
    await search({ key: 'viewer-none', status: 'error' }, []);
    await page.getByText('No requests match.').waitFor();
  });

  it('draws the spend chart from the report, and breaks spend down by model', async () => {
    const { page } = browser;
    await page.goto(`${gateway.url}/console#/spend`);
    // Today's bucket, and only it, has a cost.
    const chart = page.locator('[data-testid="spend-chart"] .chart[data-nonzero="1"]');
    await chart.waitFor();
    await expect(chart.getAttribute('data-points')).resolves.toBe('7');
    // The bars are on the canvas: count pixels of the bar colour (#3b5bdb).
    const barPixels = await chart.locator('canvas').evaluate((canvas: HTMLCanvasElement) => {
      const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
      let count = 0;
      for (let index = 0; index < data.length; index += 4) {
        if (Math.abs(data[index]! - 0x3b) < 8 && Math.abs(data[index + 1]! - 0x5b) < 8 && Math.abs(data[index + 2]! - 0xdb) < 8) count += 1;
      }
      return count;
    });
    expect(barPixels).toBeGreaterThan(50);

    const total = (await gateway.ledger.requests()).reduce((sum, row) => sum + (row.costNanos ?? 0), 0);
    await expect(page.getByTestId('spend-total').textContent()).resolves.toBe(usdText(total));
    await expect(page.getByTestId('spend-by-model').textContent()).resolves.toContain('claude/claude-sonnet-4-5');
    await expect(page.getByTestId('spend-by-provider').textContent()).resolves.toContain('claude');
    await expect(page.getByTestId('spend-by-user').textContent()).resolves.toContain('carol');
    await expect(page.getByTestId('spend-by-tag').textContent()).resolves.toContain('checkout');
    await expect(page.getByTestId('spend-by-api_key_name').textContent()).resolves.toContain('searcher');
    await browser.screenshot('spend');

    // Hourly buckets: seven days of hours on the axis.
    await page.getByRole('combobox', { name: 'Buckets' }).selectOption('hour');
    await page.getByRole('button', { name: 'Show' }).click();
    await page.locator('[data-testid="spend-chart"] .chart[data-points="168"][data-nonzero]').waitFor();
    await page.getByRole('heading', { name: /^Cost per hour/ }).waitFor();

    // The report's filters: one key's spend only.
    const searcherCost = (await gateway.ledger.requests()).filter((row) => row.keyName === 'searcher').reduce((sum, row) => sum + (row.costNanos ?? 0), 0);
    expect(searcherCost).toBeGreaterThan(0);
    await page.getByRole('textbox', { name: 'Key name' }).fill('searcher');
    await page.getByRole('button', { name: 'Show' }).click();
    await page.waitForFunction((want) => document.querySelector('[data-testid="spend-total"]')?.textContent?.includes(want), usdText(searcherCost));
    await expect(page.getByTestId('spend-total').textContent()).resolves.toBe(usdText(searcherCost));
    await expect(page.getByTestId('spend-requests').textContent()).resolves.toBe('2');
    await expect(page.getByTestId('spend-by-api_key_name').locator('tbody tr').count()).resolves.toBe(1);
  });

  it('creates a key (shown once, and it works), edits it, and revokes it (then it does not)', async () => {
    const { page } = browser;
    await page.goto(`${gateway.url}/console#/keys`);
    const form = page.getByRole('form', { name: 'Create a key' });
    await form.getByLabel('Name').fill('browser-made');
    await form.getByLabel('Budget (USD)').fill('2');
    await form.getByLabel('Per').selectOption('day');
    await form.getByRole('button', { name: 'Create key' }).click();
    const secret = await page.getByTestId('created-key').locator('code').textContent();
    expect(secret).toMatch(/^tg_/);

    const client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: secret!, maxRetries: 0 });
    await client.chat.completions.create({ model: 'mock/echo', messages: [{ role: 'user', content: 'made by a key from the console' }] });

    const row = page.locator('tr[data-key-name="browser-made"]');
    await row.getByRole('button', { name: 'Edit' }).click();
    const editor = page.getByRole('form', { name: 'Edit browser-made' });
    await editor.getByLabel('Requests / min').fill('30');
    await editor.getByRole('button', { name: 'Save' }).click();
    await row.getByText('30 rpm').waitFor();
    // The budget's use, as a bar, with what was spent by the request above and its reset time.
    const meter = row.getByRole('meter');
    await meter.waitFor();
    const spent = (await gateway.ledger.requests()).at(-1)!.costNanos! / 1e9;
    await expect(meter.getAttribute('aria-valuenow').then(Number)).resolves.toBeCloseTo(spent, 12);
    await expect(meter.getAttribute('aria-valuemax')).resolves.toBe('2');
    await expect(row.textContent()).resolves.toMatch(/resets \d{4}-\d\d-\d\d 00:00:00/);
    await browser.screenshot('keys');

    await row.getByRole('button', { name: 'Revoke' }).click();
    await row.getByRole('button', { name: 'Confirm revoke' }).click();
    await row.waitFor({ state: 'detached' });
    const refused = await client.chat.completions.create({ model: 'mock/echo', messages: [{ role: 'user', content: 'again' }] }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(OpenAI.AuthenticationError);
  });

  it('shows a request in flight on Live, then the minute it ended in', async () => {
    upstream.script('stuck', { kind: 'hang' });
    const abort = new AbortController();
    const pending = admin.chat.completions
      .create({ model: 'up/stuck', messages: [{ role: 'user', content: 'keep me waiting' }] }, { signal: abort.signal })
      .catch((error: unknown) => error);
    const { page } = browser;
    await page.goto(`${gateway.url}/console#/live`);
    const running = page.getByTestId('in-flight-table').locator('tbody tr');
    await running.filter({ hasText: 'up/stuck' }).waitFor();
    await expect(page.getByTestId('live-in-flight').textContent()).resolves.toBe('1');
    await page.getByTestId('live-chart').locator('canvas').first().waitFor();
    // The last minute holds the failed request of the search test: its errors and rate show.
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="live-errors"]')?.textContent?.match(/^\d+/)?.[0]) >= 1);
    const shown = await page.evaluate(() => ({
      requests: document.querySelector('[data-testid="live-requests"]')!.textContent!,
      rate: document.querySelector('[data-testid="live-rate"]')!.textContent!,
      errors: document.querySelector('[data-testid="live-errors"]')!.textContent!,
    }));
    const requestsLastMinute = Number(shown.requests);
    expect(requestsLastMinute).toBeGreaterThanOrEqual(2);
    expect(shown.rate).toBe(`${(requestsLastMinute / 60).toFixed(2)} /s`);
    const errors = Number(shown.errors.match(/^\d+/)![0]);
    expect(shown.errors).toBe(`${errors} (${((errors / requestsLastMinute) * 100).toFixed(1)} %)`);
    await browser.screenshot('live');

    abort.abort();
    await pending;
    await page.getByText('Nothing running right now.').waitFor();
  });

  it('a virtual key sees only its own requests', async () => {
    const created = await fetch(`${gateway.url}/v1/admin/keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'viewer' }),
    }).then((response) => response.json() as Promise<{ key: string }>);
    const viewer = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: created.key, maxRetries: 0 });
    const { response } = await viewer.chat.completions.create({ model: 'mock/echo', messages: [{ role: 'user', content: 'mine' }] }).withResponse();
    const ownId = response.headers.get('x-request-id')!;

    const { page } = browser;
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByLabel('Key').fill(created.key);
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect(page.getByTestId('caller').textContent()).resolves.toBe(`key ${created.key.slice(0, 10)}…`);
    await page.goto(`${gateway.url}/console#/requests`);
    await page.locator(`tr[data-request-id="${ownId}"]`).waitFor();
    await expect(page.locator('tr[data-request-id]').count()).resolves.toBe(1);
    await expect(page.locator(`tr[data-request-id="${fallbackId}"]`).count()).resolves.toBe(0);
    // Its spend is its own: one request, and no other key's.
    await page.goto(`${gateway.url}/console#/spend`);
    await page.getByText('This key’s own requests only.').waitFor();
    await page.getByTestId('spend-requests').waitFor();
    await expect(page.getByTestId('spend-requests').textContent()).resolves.toBe('1');
    await expect(page.getByTestId('spend-by-api_key_name').locator('tbody tr').allTextContents()).resolves.toEqual([expect.stringContaining('viewer')]);
    // No key management for a virtual key.
    await page.goto(`${gateway.url}/console#/keys`);
    await page.getByRole('heading', { name: 'Your budgets' }).waitFor();
    await expect(page.getByRole('form', { name: 'Create a key' }).count()).resolves.toBe(0);
  });

  it('ran without a page error or a Content-Security-Policy violation', () => {
    expect(browser.problems).toEqual([]);
  });
});

describe.skipIf(!chromiumInstalled)('the console on an open gateway (loopback, no auth)', { timeout: 120_000 }, () => {
  let gateway: TestGateway;
  let browser: Browser;

  beforeAll(async () => {
    gateway = await startGateway({ mockPricing: true });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await gateway?.close();
  });

  it('opens without a login and shows the spend of requests made without a key', async () => {
    const client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    await client.chat.completions.create({ model: 'mock/echo', messages: [{ role: 'user', content: 'open gateway' }] });
    const { page } = browser;
    await page.goto(`${gateway.url}/console`);
    await expect(page.getByTestId('caller').textContent()).resolves.toBe('open gateway (no auth)');
    await page.locator('[data-testid="spend-chart"] .chart[data-nonzero="1"]').waitFor();
    await expect(page.getByTestId('spend-requests').textContent()).resolves.toBe('1');
    await page.goto(`${gateway.url}/console#/keys`);
    await page.getByText('Managing keys needs the admin key').waitFor();
    expect(browser.problems).toEqual([]);
  });
});
