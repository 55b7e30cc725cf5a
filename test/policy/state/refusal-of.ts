import { expect } from 'vitest';
import { GatewayError } from '../../../src/core/errors.js';

/** The GatewayError a policy call refused with; fails the test when it was let through. */
export async function refusalOf(promise: Promise<unknown>): Promise<GatewayError> {
  const error = await promise.then(
    () => new Error('expected a refusal'),
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(GatewayError);
  return error as GatewayError;
}
