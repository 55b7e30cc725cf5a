import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../src/core/errors.js';
import { listInputItems, parseInputItemsQuery } from '../../../src/faces/responses/list-input-items.js';
import { inputItemId, outputItemId, responseIdOfItem } from '../../../src/faces/responses/render-response.js';
import type { ContextItem } from '../../../src/faces/responses/responses-api.js';

const items: ContextItem[] = ['a', 'b', 'c', 'd', 'e'].map((text, index) => ({
  id: inputItemId('msg', 'req', index),
  type: 'message',
  role: 'user',
  content: [{ type: 'input_text', text }],
}));
const ids = items.map((item) => item.id);
const list = (query: string) => listInputItems(items, parseInputItemsQuery(new URLSearchParams(query)));

describe('listInputItems', () => {
  it('lists newest first by default, 20 at most', () => {
    expect(list('')).toEqual({ object: 'list', data: [...items].reverse(), first_id: ids[4], last_id: ids[0], has_more: false });
  });

  it('pages with limit and after, in either order', () => {
    expect(list('limit=2&order=asc')).toMatchObject({ data: items.slice(0, 2), first_id: ids[0], last_id: ids[1], has_more: true });
    expect(list(`limit=2&order=asc&after=${ids[1]}`)).toMatchObject({ data: items.slice(2, 4), has_more: true });
    expect(list(`limit=2&order=asc&after=${ids[3]}`)).toMatchObject({ data: items.slice(4), has_more: false });
    expect(list(`limit=2&after=${ids[4]}`)).toMatchObject({ data: [items[3], items[2]], has_more: true });
    expect(list(`after=${ids[0]}`)).toEqual({ object: 'list', data: [], first_id: null, last_id: null, has_more: false });
  });

  it('refuses a limit out of 1-100, an unknown order and an unknown cursor, naming the field', () => {
    for (const [query, param] of [['limit=0', 'limit'], ['limit=101', 'limit'], ['limit=two', 'limit'], ['order=up', 'order'], ['after=msg_other_0', 'after']] as const) {
      const error = (() => {
        try {
          list(query);
        } catch (caught) {
          return caught;
        }
      })();
      expect(error, query).toBeInstanceOf(GatewayError);
      expect((error as GatewayError).details.param, query).toBe(param);
    }
  });
});

describe('item ids', () => {
  it('name the response they were made in, request ids with underscores included', () => {
    expect(responseIdOfItem(outputItemId('msg', 'a_b-c', 3))).toBe('resp_a_b-c');
    expect(responseIdOfItem(inputItemId('fco', '0193-x', 12))).toBe('resp_0193-x');
    expect(responseIdOfItem('msg_abc')).toBeUndefined();
    expect(responseIdOfItem('ws_abc_1')).toBeUndefined();
  });
});
