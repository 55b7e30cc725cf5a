/**
 * The `get_spend` tool's view in hosts that render MCP Apps: the host sends the tool's result
 * and this draws it: a chart over time when grouped by day or hour, bars per group otherwise.
 */
import { App, applyDocumentTheme, applyHostStyleVariables, type McpUiHostContext } from '@modelcontextprotocol/ext-apps';
import { bucketsOf, timeChart, type TimeChart } from '../src/chart.js';
import { count, percent, usd } from '../src/format.js';
import './spend.css';

interface Row {
  day?: string;
  hour?: string;
  user?: string;
  model?: string;
  tag?: string;
  provider?: string;
  api_key_name?: string;
  total_cost: number;
  input_tokens: number;
  output_tokens: number;
  request_count: number;
  unpriced_request_count: number;
}

interface SpendOutput {
  start_date: string | null;
  end_date: string;
  group_by: 'day' | 'user' | 'model' | 'tag' | 'provider' | 'api_key_name' | null;
  date_part: 'day' | 'hour' | null;
  total: Row;
  results: Row[];
}

const root = document.getElementById('spend')!;
let chart: TimeChart | null = null;

function element<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function show(output: SpendOutput): void {
  chart?.destroy();
  chart = null;
  root.replaceChildren();
  const window = `${output.start_date ?? 'first request'} → ${output.end_date} (UTC)`;
  root.append(element('h1', undefined, `Spend ${usd(output.total.total_cost)}`));
  root.append(
    element(
      'p',
      'muted',
      `${window} · ${count(output.total.request_count)} request${output.total.request_count === 1 ? '' : 's'} · ${count(output.total.input_tokens)} in / ${count(output.total.output_tokens)} out tokens${output.total.unpriced_request_count ? ` · ${output.total.unpriced_request_count} without a price` : ''}`,
    ),
  );
  if (!output.group_by) return;
  if (output.group_by === 'day') {
    const hourly = output.date_part === 'hour';
    const keyOf = (row: Row) => (hourly ? row.hour : row.day);
    const first = output.results.map(keyOf).filter(Boolean).sort()[0]?.slice(0, 10) ?? output.end_date;
    const range = { start: output.start_date ?? first, end: output.end_date, hourly };
    const cost = bucketsOf(output.results, keyOf, range, (row) => row?.total_cost ?? 0);
    const requests = bucketsOf(output.results, keyOf, range, (row) => row?.request_count ?? 0);
    const holder = element('div', 'chart');
    holder.setAttribute('role', 'img');
    holder.setAttribute('aria-label', `Cost per ${hourly ? 'hour' : 'day'}`);
    root.append(holder);
    chart = timeChart(holder, {
      x: cost.x,
      bars: { label: 'Cost (USD)', values: cost.values, format: (value) => usd(value) },
      line: { label: 'Requests', values: requests.values, format: (value) => count(Math.round(value)), whole: true },
    }, 220);
    return;
  }
  const field = output.group_by;
  const list = element('ol', 'groups');
  for (const row of output.results.slice(0, 20)) {
    const item = element('li');
    item.append(element('span', 'name', row[field] ?? `(no ${field.replace(/_/g, ' ')})`));
    const bar = element('span', 'bar');
    const fill = element('span', 'fill');
    fill.style.width = `${percent(row.total_cost, output.total.total_cost)}%`;
    bar.append(fill);
    item.append(bar, element('span', 'value', `${usd(row.total_cost)} · ${count(row.request_count)}`));
    list.append(item);
  }
  root.append(list);
}

function applyContext(context: McpUiHostContext): void {
  if (context.theme) applyDocumentTheme(context.theme);
  if (context.styles?.variables) applyHostStyleVariables(context.styles.variables);
}

const app = new App({ name: 'Tollgate spend', version: '1.0.0' });
app.ontoolresult = (result) => {
  const output = result.structuredContent as SpendOutput | undefined;
  if (result.isError || !output?.total) {
    const text = result.content?.find((block) => block.type === 'text');
    root.replaceChildren(element('p', 'error', text && 'text' in text ? String(text.text) : 'The spend report failed.'));
    return;
  }
  show(output);
};
app.onhostcontextchanged = applyContext;
app.onerror = (error) => console.error(error);
void app.connect().then(() => {
  const context = app.getHostContext();
  if (context) applyContext(context);
});
