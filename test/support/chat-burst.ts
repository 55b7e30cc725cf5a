import { Agent, request } from 'undici';

export interface BurstOutcome {
  status: number;
  body: string;
}

/** `count` chat requests at once with one key, each on its own connection, to `up/m`. */
export async function chatBurst(url: string, key: string, count: number): Promise<BurstOutcome[]> {
  const agent = new Agent({ connections: count });
  try {
    return await Promise.all(
      Array.from({ length: count }, async (_, n) => {
        const response = await request(`${url}/v1/chat/completions`, {
          method: 'POST',
          dispatcher: agent,
          headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
          body: JSON.stringify({ model: 'up/m', max_tokens: 20, messages: [{ role: 'user', content: `request ${n}` }] }),
        });
        return { status: response.statusCode, body: await response.body.text() };
      }),
    );
  } finally {
    await agent.close();
  }
}
