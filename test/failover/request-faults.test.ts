import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { expectKind, FACE_MODES } from './faces.js';
import { standardProviders, startRig, type Rig } from './rig.js';

/**
 * Failover conformance, faults that belong to the request rather than the upstream's health: a
 * prompt over the context window (falls back only to a larger window), a content-policy
 * refusal (final), a request shape a provider package refuses (the next candidate serves).
 */
let rig: Rig;

const windows = { 'ctx-4k': 4_096, 'ctx-8k': 8_192, 'ctx-8k-too': 8_192, 'ctx-32k': 32_000, 'ctx-128k': 128_000 };

beforeAll(async () => {
  rig = await startRig((url) => {
    const providers = standardProviders(url);
    const models = Object.fromEntries(Object.entries(windows).map(([id, contextWindow]) => [id, { contextWindow }]));
    return {
      routing: { retries: 1, backoffMs: 5, maxBackoffMs: 20, circuitBreaker: { failureThreshold: 10_000, cooldownMs: 1 } },
      providers: {
        up: { ...providers.up!, models },
        claude: { ...providers.claude!, models },
        alt: { ...providers.alt!, models },
      },
    };
  });
});
afterAll(async () => {
  await rig?.close();
});
beforeEach(() => rig.upstream.reset());

const ANSWER = 'Echo: hello there';
/** What OpenAI answers for a prompt over the window. */
const openaiContextError = {
  kind: 'error',
  status: 400,
  body: {
    error: {
      message: "This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens. Please reduce the length of the messages.",
      type: 'invalid_request_error',
      param: 'messages',
      code: 'context_length_exceeded',
    },
  },
} as const;
/** What Anthropic answers for a prompt over the window (no code: the message says it). */
const anthropicContextError = {
  kind: 'error',
  status: 400,
  body: { type: 'error', error: { type: 'invalid_request_error', message: 'prompt is too long: 40000 tokens > 32000 maximum' } },
} as const;
const contentPolicyError = {
  kind: 'error',
  status: 400,
  body: { error: { message: 'Your request was rejected as a result of our safety system.', type: 'invalid_request_error', param: null, code: 'content_policy_violation' } },
} as const;

describe.each(FACE_MODES)('$face, $mode', ({ face, stream }) => {
  it('falls back on a context-length error only to a model with a larger context window', async () => {
    rig.upstream.script('ctx-8k', openaiContextError);
    const { outcome, attempts } = await rig.ask(face, {
      model: 'up/ctx-8k',
      fallbacks: ['up/ctx-4k', 'up/ctx-8k-too', 'up/ctx-unknown', 'alt/ctx-128k'],
      stream,
    });
    expect(outcome).toMatchObject({ ok: true, text: ANSWER, servedModel: 'alt/ctx-128k', attempts: 2 });
    for (const skipped of ['ctx-4k', 'ctx-8k-too', 'ctx-unknown']) expect(rig.calls(skipped)).toBe(0);
    expect((await attempts()).map((attempt) => [attempt.model, attempt.errorKind])).toEqual([
      ['up/ctx-8k', 'context_exceeded'],
      ['alt/ctx-128k', null],
    ]);
  });

  it('reads an Anthropic "prompt is too long" as a context error and falls back past smaller windows', async () => {
    rig.upstream.script('ctx-32k', anthropicContextError);
    const { outcome } = await rig.ask(face, { model: 'claude/ctx-32k', fallbacks: ['up/ctx-8k', 'alt/ctx-128k'], stream });
    expect(outcome).toMatchObject({ ok: true, text: ANSWER, servedModel: 'alt/ctx-128k', attempts: 2 });
    expect(rig.calls('ctx-8k')).toBe(0);
  });

  it('returns the context error at once when no fallback has a larger window, naming the ones it skipped', async () => {
    rig.upstream.script('ctx-8k', openaiContextError);
    const { outcome, row } = await rig.ask(face, { model: 'up/ctx-8k', fallbacks: ['up/ctx-4k', 'up/ctx-8k-too'], stream });
    expect(outcome.ok).toBe(false);
    expect(outcome.error).toMatchObject({ status: 400, inBand: false });
    expect(outcome.error!.message).toMatch(/maximum context length/);
    expect(outcome.error!.message).toMatch(/up\/ctx-4k, up\/ctx-8k-too/);
    expectKind(outcome, 'context_exceeded');
    expect(rig.calls('ctx-4k') + rig.calls('ctx-8k-too')).toBe(0);
    expect(await row()).toMatchObject({ status: 'error', errorKind: 'context_exceeded', attempts: 1 });
  });

  it('tries every fallback after a context error from a model whose window is unknown', async () => {
    rig.upstream.script('ctx-unknown', openaiContextError);
    const { outcome } = await rig.ask(face, { model: 'up/ctx-unknown', fallbacks: ['up/ctx-4k'], stream });
    expect(outcome).toMatchObject({ ok: true, servedModel: 'up/ctx-4k', attempts: 2 });
  });

  it('returns a content-policy refusal at once: no retry, no fallback', async () => {
    rig.upstream.script('primary', contentPolicyError);
    const { outcome, row } = await rig.ask(face, { model: 'up/primary', fallbacks: ['alt/fallback'], stream });
    expect(outcome.ok).toBe(false);
    expect(outcome.error).toMatchObject({ status: 400, inBand: false });
    expect(outcome.error!.message).toMatch(/safety system/);
    expectKind(outcome, 'content_filter');
    expect(rig.calls('primary')).toBe(1);
    expect(rig.calls('fallback')).toBe(0);
    expect(await row()).toMatchObject({ status: 'error', errorKind: 'content_filter', attempts: 1 });
  });

  it('skips a fallback whose provider package refuses the request shape, and the next one serves', async () => {
    // An audio attachment: the Anthropic package refuses it before sending anything; the
    // OpenAI-compatible one sends it as input_audio.
    rig.upstream.script('primary', { kind: 'error', status: 500 });
    const { outcome, attempts } = await rig.ask(face, { model: 'up/primary', fallbacks: ['claude/listener', 'up/backup'], stream, audio: true });
    expect(outcome).toMatchObject({ ok: true, text: ANSWER, servedModel: 'up/backup', attempts: 3 });
    expect(rig.calls('listener')).toBe(0);
    expect((await attempts()).map((attempt) => [attempt.model, attempt.errorKind, attempt.costNanos])).toEqual([
      ['up/primary', 'upstream_server_error', null],
      ['claude/listener', 'upstream_unsupported', null],
      ['up/backup', null, null],
    ]);
  });

  it('answers a clear 400 when the only candidate cannot take the request shape', async () => {
    const { outcome, row } = await rig.ask(face, { model: 'claude/listener', stream, audio: true });
    expect(outcome.ok).toBe(false);
    expect(outcome.error).toMatchObject({ status: 400, inBand: false });
    expect(outcome.error!.message).toMatch(/cannot take this request.*audio\/wav/);
    expectKind(outcome, 'upstream_unsupported');
    expect(rig.upstream.requests).toHaveLength(0);
    expect(await row()).toMatchObject({ status: 'error', errorKind: 'upstream_unsupported' });
  });
});
