/** Positional parameters collected as a query is put together: `add` returns the placeholder. */
export class Params {
  readonly values: unknown[] = [];

  readonly add = (value: unknown): string => {
    this.values.push(value);
    return `$${this.values.length}`;
  };
}

export function whereClause(conditions: string[]): string {
  return conditions.length ? `WHERE ${conditions.join(' AND ')}` : '';
}
