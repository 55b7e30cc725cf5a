import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { build } from 'esbuild';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { chromiumInstalled, launchChromium, type Browser } from './chromium.js';

/**
 * get_spend's MCP App as a host renders it: the view read from the real server over MCP, shown
 * in a sandboxed frame in headless Chromium by the ext-apps AppBridge, fed the real tool result,
 * draws the spend chart.
 */
describe.skipIf(!chromiumInstalled)('the get_spend MCP App in headless Chromium', { timeout: 120_000 }, () => {
  let gateway: TestGateway;
  let browser: Browser;
  let client: Client;
  let hostScript: string;

  beforeAll(async () => {
    gateway = await startGateway({ mockPricing: true });
    client = new Client({ name: 'tollgate-app-host-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL('/mcp', gateway.url)));
    const bundle = await build({
      entryPoints: [fileURLToPath(new URL('mcp-app-host.ts', import.meta.url))],
      bundle: true,
      format: 'iife',
      target: 'es2022',
      write: false,
      logLevel: 'warning',
    });
    hostScript = bundle.outputFiles[0]!.text;
    browser = await launchChromium();
  });
  afterAll(async () => {
    await client?.close();
    await browser?.close();
    await gateway?.close();
  });

  it('draws the day chart of the tool’s structured result', async () => {
    const openai = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    await openai.chat.completions.create({ model: 'mock/echo', messages: [{ role: 'user', content: 'something to chart' }] });
    const input = { group_by: 'day', start_date: new Date(Date.now() - 6 * 86_400_000).toISOString().slice(0, 10) };
    const result = await client.callTool({ name: 'get_spend', arguments: input });
    const { tools } = await client.listTools();
    const uri = (tools.find((tool) => tool.name === 'get_spend')!._meta as { ui: { resourceUri: string } }).ui.resourceUri;
    const { contents } = await client.readResource({ uri });
    const html = (contents[0] as { text: string }).text;

    const { page } = browser;
    await page.setContent('<!doctype html><html><body></body></html>');
    await page.addScriptTag({ content: hostScript });
    await page.evaluate(([view, args, toolResult]) => (window as any).showApp(view, args, toolResult), [html, input, result] as const);

    const app = page.frameLocator('iframe');
    const total = (result.structuredContent as { total: { total_cost: number } }).total.total_cost;
    await app.getByRole('heading', { name: `Spend $${total.toFixed(6).replace(/0+$/, '')}` }).waitFor();
    const chart = app.locator('.chart[data-nonzero="1"]');
    await chart.waitFor();
    await expect(chart.getAttribute('data-points')).resolves.toBe('7');
    const barPixels = await chart.locator('canvas').evaluate((canvas: HTMLCanvasElement) => {
      const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
      let count = 0;
      for (let index = 0; index < data.length; index += 4) {
        if (Math.abs(data[index]! - 0x3b) < 8 && Math.abs(data[index + 1]! - 0x5b) < 8 && Math.abs(data[index + 2]! - 0xdb) < 8) count += 1;
      }
      return count;
    });
    expect(barPixels).toBeGreaterThan(50);
    await browser.screenshot('mcp-app-spend');
    expect(browser.problems).toEqual([]);
  });
});
