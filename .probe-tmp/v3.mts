import { startGateway } from '/work/main/test/support/gateway.ts';
const g = await startGateway({});
for (const prompt of [
  [{ role: 'user', content: [{ type: 'text', text: 5 }] }],
  [{ role: 'user', content: [{ type: 'text', text: 'ok' }] }],
  [{ role: 'user', content: [{ type: 'weird', text: 5 }] }],
  [{ role: 'user', content: [{ type: 'text', text: 'x' }] }, { role: 'assistant', content: [{ type: 'tool-call', toolCallId: 'a', toolName: 'f', input: {} }] }, { role: 'tool', content: [{ type: 'tool-result', toolCallId: 'a', toolName: 'f', output: { type: 'text', value: 'sunny' } }] }],
  [{ role: 'tool', content: [{ type: 'tool-result', toolCallId: 'a', toolName: 'f', output: 'x' }] }],
]) {
  const r = await fetch(g.url + '/v3/ai/language-model', { method: 'POST', headers: { 'content-type': 'application/json', 'ai-language-model-id': 'mock/echo' }, body: JSON.stringify({ prompt }) });
  console.log(r.status, (await r.text()).slice(0, 200));
}
await g.close();
