/**
 * A scriptable loopback upstream that speaks OpenAI, Anthropic, Gemini and Cohere wire formats
 * on their real paths. Start it on 127.0.0.1 with a free port, point provider base URLs at
 * `url` (OpenAI `${url}/v1`, Anthropic `${url}` or `${url}/v1` as the client expects, Gemini
 * `${url}/v1beta`, Cohere `${url}/v2`), and script behaviors per model. See README.md.
 */
export { startUpstream } from './server.js';
export type {
  AnswerOptions,
  Behavior,
  RecordedRequest,
  StartOptions,
  StartedUpstream,
  UsageCounts,
} from './types.js';
