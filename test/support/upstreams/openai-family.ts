/**
 * OpenAI's auth check and error shapes: `{ error: { message, type, param, code } }`.
 */
import type { Family } from './types.js';
import { bearerToken, dataEvent, json } from './wire.js';

function error(message: string, type: string, code: string | null): unknown {
  return { error: { message, type, param: null, code } };
}

function errorBody(status: number, model: string | undefined): unknown {
  const name = model ?? 'unknown';
  switch (status) {
    case 400:
      return error('Invalid request.', 'invalid_request_error', null);
    case 401:
      return error(
        'Incorrect API key provided: sk-***. You can find your API key at https://platform.openai.com/account/api-keys.',
        'invalid_request_error',
        'invalid_api_key',
      );
    case 403:
      return error('You are not allowed to sample from this model.', 'invalid_request_error', null);
    case 404:
      return error(
        `The model \`${name}\` does not exist or you do not have access to it.`,
        'invalid_request_error',
        'model_not_found',
      );
    case 429:
      return error(
        `Rate limit reached for ${name} in organization org-tollgate on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 20s.`,
        'requests',
        'rate_limit_exceeded',
      );
    case 503:
      return error('The engine is currently overloaded, please try again later.', 'server_error', null);
    default:
      return status >= 500
        ? error('The server had an error while processing your request. Sorry about that!', 'server_error', null)
        : error(`Request failed with status ${status}.`, 'invalid_request_error', null);
  }
}

export const openaiFamily: Family = {
  name: 'openai',
  eventEnd: '\n\n',
  defaultStreamErrorStatus: 500,
  authError(req) {
    if (bearerToken(req.headers) !== undefined) return undefined;
    return json(
      error(
        "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you're accessing the API from your browser and are prompted for a username and password. You can obtain an API key from https://platform.openai.com/account/api-keys.",
        'invalid_request_error',
        null,
      ),
      401,
    );
  },
  credential: (req) => bearerToken(req.headers),
  keyRejected: () => json(errorBody(401, undefined), 401),
  errorBody,
  streamErrorEvent(status) {
    // OpenAI reports a failure after the stream has started as a data event holding an error.
    return dataEvent(errorBody(status, undefined), true);
  },
};
