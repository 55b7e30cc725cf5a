import { request } from 'undici';
import { startGateway } from '/work/main/test/support/gateway.ts';
const g = await startGateway({ server: { maxBodyBytes: 65536, requestTimeoutMs: 3000 } });
const payload = Buffer.alloc(129428, 0x20); payload[0] = 0x7b;
for (const path of ['/v1/chat/completions', '/mcp']) {
const t0 = Date.now();
try {
  const r = await request(g.url + path, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: (async function* () { for (let at = 0; at < payload.length; at += 16384) yield payload.subarray(at, at + 16384); })() });
  console.log(path, r.statusCode, (await r.body.text()).slice(0, 150), Date.now() - t0);
} catch (e) { console.log(path, 'error', String(e), Date.now() - t0); }
}
await g.close();
