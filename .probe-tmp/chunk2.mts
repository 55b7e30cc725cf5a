import { Agent, request } from 'undici';
import { startGateway } from '/work/main/test/support/gateway.ts';
const g = await startGateway({ server: { maxBodyBytes: 65536, requestTimeoutMs: 2000 } });
const agent = new Agent({ connections: 1 });
for (const [size, chunked] of [[70000, false], [200000, false], [129428, true], [100000, true], [80000, false]] as const) {
  const payload = Buffer.alloc(size, 0x20); payload[0] = 0x7b;
  const t0 = Date.now();
  try {
    const r = await request(g.url + '/v1/chat/completions', { method: 'POST', dispatcher: agent, headers: { 'content-type': 'application/json' }, body: chunked ? (async function* () { for (let at = 0; at < payload.length; at += 16384) yield payload.subarray(at, at + 16384); })() : payload });
    console.log(size, chunked, r.statusCode, r.headers.connection, (await r.body.text()).slice(0, 80), Date.now() - t0);
  } catch (e) { console.log(size, chunked, 'error', String(e), Date.now() - t0); }
}
await agent.close(); await g.close();
