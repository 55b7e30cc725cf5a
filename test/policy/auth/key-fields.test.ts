import { describe, expect, it } from 'vitest';
import { describeKeyFieldsError, KeyChangesSchema, NewKeySchema } from '../../../src/policy/auth/key-fields.js';

/** The fields of a key as the admin API and the CLI accept them. */
describe('key fields', () => {
  it('accepts camelCase NewKey fields and normalises the expiry to a UTC timestamp', () => {
    const parsed = NewKeySchema.parse({ name: ' ci ', budgetUsd: 5, budgetPeriod: 'week', models: ['openai/*'], expiresAt: '2999-01-31' });
    expect(parsed).toEqual({ name: 'ci', budgetUsd: 5, budgetPeriod: 'week', models: ['openai/*'], expiresAt: '2999-01-31T00:00:00.000Z' });
  });

  const problem = (input: unknown, schema: typeof NewKeySchema | typeof KeyChangesSchema = NewKeySchema) => {
    const result = schema.safeParse(input);
    expect(result.success).toBe(false);
    return describeKeyFieldsError(result.error!);
  };

  it('says which field is wrong and why', () => {
    expect(problem({})).toMatch(/^name: /);
    expect(problem({ name: '' })).toBe('name: a key needs a name');
    expect(problem({ name: 'tg_abc' })).toMatch(/cannot start with/);
    expect(problem({ name: 'x', budgetUsd: -1 })).toMatch(/^budgetUsd: budgetUsd must be more than 0/);
    expect(problem({ name: 'x', budgetPeriod: 'year' })).toMatch(/^budgetPeriod: /);
    expect(problem({ name: 'x', rpm: 1.5 })).toMatch(/^rpm: /);
    expect(problem({ name: 'x', models: [] })).toMatch(/^models: /);
    expect(problem({ name: 'x', expiresAt: 'next tuesday' })).toMatch(/^expiresAt: give an ISO 8601 date/);
    expect(problem({ name: 'x', expiresAt: '2001-01-01' })).toMatch(/^expiresAt: that time is already past/);
  });

  it('refuses unknown fields, naming them and the camelCase names it takes', () => {
    expect(problem({ name: 'x', budget_usd: 5 })).toMatch(/unknown field "budget_usd"; key fields are camelCase: .*budgetUsd/);
  });

  it('changes: every field optional, null clears a limit', () => {
    expect(KeyChangesSchema.parse({})).toEqual({});
    expect(KeyChangesSchema.parse({ budgetUsd: null, models: null, expiresAt: null })).toEqual({ budgetUsd: null, models: null, expiresAt: null });
    expect(problem({ name: null }, KeyChangesSchema)).toMatch(/^name: /);
  });
});
