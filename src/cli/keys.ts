/**
 * `tollgate keys …`: virtual keys in the data folder's SQLite file. Safe while a server runs on
 * the same folder (WAL): the server looks keys up on every request, so a revoke takes effect on
 * its next request. Flags are validated by the same schema as the admin API's bodies.
 */
import { parseArgs } from 'node:util';
import type { Config } from '../config/schema.js';
import { GatewayError } from '../core/errors.js';
import { describeKeyFieldsError, KeyChangesSchema, NewKeySchema } from '../policy/auth/key-fields.js';
import type { KeyRecord, KeyStore } from '../store/types.js';
import { createLogger } from '../logger.js';
import { withKeyEvents } from '../policy/key-events.js';
import { createWebhookSink, type WebhookSink } from '../policy/webhooks/index.js';
import { createStore } from '../store/create-store.js';
import { BudgetSignals } from '../policy/budget-signals.js';
import { createNotificationBus, type NotificationBus } from '../policy/state/bus/index.js';
import type { Store } from '../store/types.js';

export const keysUsage = `Usage:
  tollgate keys create --name NAME [limits] [--json]
  tollgate keys list [--all] [--json]
  tollgate keys show ID|NAME [--json]
  tollgate keys update ID|NAME [--name NEW] [limits] [--json]
  tollgate keys revoke ID|NAME [--json]

Limits (on update, "none" clears one):
  --budget USD --period day|week|month|total   spend limit (period default: month)
  --models 'openai/*,anthropic/claude-*'       allowed models (globs over provider/model)
  --providers a,b                              allowed providers
  --rpm N  --tpm N                             requests / tokens per minute
  --user U  --tags a,b                         recorded on every request of the key
  --allow-user-override                        requests may name their user (body, ai-reporting-user),
                                               who then stands in for --user; without it a named user
                                               is ignored (--no-allow-user-override takes it back)
  --no-allow-byok                              requests may not bring their own provider keys
                                               (providerOptions.gateway.byok); --allow-byok allows again
  --expires 2026-01-31 | 2026-01-31T12:00:00Z | 30d | 12h | never

The key is printed once, at creation; only its SHA-256 is stored.
`;

export interface KeysCommandOptions {
  dataDir: string;
  config: Config;
  /** Defaults to the process streams. */
  stdout?: (text: string) => void;
  stderr?: (text: string) => void;
}

/** Bad usage: exit code 2. */
class UsageError extends Error {}

const flagSpecs = {
  all: { type: 'boolean' },
  name: { type: 'string' },
  budget: { type: 'string' },
  period: { type: 'string' },
  models: { type: 'string' },
  providers: { type: 'string' },
  rpm: { type: 'string' },
  tpm: { type: 'string' },
  user: { type: 'string' },
  tags: { type: 'string' },
  expires: { type: 'string' },
  'allow-user-override': { type: 'boolean' },
  'no-allow-user-override': { type: 'boolean' },
  'allow-byok': { type: 'boolean' },
  'no-allow-byok': { type: 'boolean' },
  json: { type: 'boolean' },
} as const;

export async function runKeysCommand(args: string[], options: KeysCommandOptions): Promise<number> {
  const out = options.stdout ?? ((text: string) => void process.stdout.write(text));
  const err = options.stderr ?? ((text: string) => void process.stderr.write(text));
  const [subcommand, ...rest] = args;
  if (!subcommand || subcommand === 'help' || subcommand === '--help' || subcommand === '-h') {
    out(keysUsage);
    return subcommand ? 0 : 2;
  }
  let store: Store | undefined;
  let events: WebhookSink | undefined;
  let bus: NotificationBus | undefined;
  let signals: BudgetSignals | undefined;
  const logger = createLogger(options.config.logLevel === 'info' ? 'warn' : options.config.logLevel);
  // Key changes made here are announced to the configured webhooks, as through the admin API, and
  // to the gateways on the same store, whose budget subscribers hear of a changed limit.
  const keys = async (): Promise<KeyStore> => {
    store ??= await createStore(options.config, options.dataDir, logger);
    bus ??= createNotificationBus(options.config, { dataDir: options.dataDir, logger });
    signals ??= new BudgetSignals(bus, store, logger);
    events ??= createWebhookSink({ webhooks: options.config.webhooks, deliveries: store.webhooks, logger });
    return withKeyEvents(store.keys, events);
  };
  try {
    switch (subcommand) {
      case 'create':
        return await create(rest, keys, out, err);
      case 'list':
      case 'ls':
        return await list(rest, keys, out);
      case 'show':
        return await show(rest, keys, out);
      case 'update':
        return await update(rest, keys, out);
      case 'revoke':
        return await revoke(rest, keys, out);
      default:
        throw new UsageError(`unknown keys command "${subcommand}"`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      err(`tollgate keys: ${error.message}\n(\`tollgate keys help\` lists the commands and flags)\n`);
      return 2;
    }
    if (error instanceof GatewayError) {
      err(`tollgate keys: ${error.message}\n`);
      return error.kind === 'not_found' ? 1 : 2;
    }
    throw error;
  } finally {
    if (events) {
      // One delivery attempt each, bounded, before the process ends; failures stay recorded.
      await Promise.race([events.idle(), new Promise((resolve) => setTimeout(resolve, 5_000).unref())]);
      await events.close();
    }
    await signals?.close();
    await bus?.close();
    await store?.close();
  }
}

type FlagName = keyof typeof flagSpecs;
const LIMIT_FLAGS: FlagName[] = ['budget', 'period', 'models', 'providers', 'rpm', 'tpm', 'user', 'tags', 'expires', 'allow-user-override', 'allow-byok', 'no-allow-byok', 'json'];

/** Parses every flag any subcommand knows, then refuses those this one does not take. */
function parse(args: string[], command: string, allowed: FlagName[]) {
  let parsed;
  try {
    parsed = parseArgs({ args, allowPositionals: true, options: flagSpecs });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const unexpected = Object.keys(parsed.values).find((name) => !allowed.includes(name as FlagName));
  if (unexpected) throw new UsageError(`keys ${command} does not take --${unexpected}`);
  return parsed;
}

type Flags = ReturnType<typeof parse>['values'];

async function create(args: string[], keys: () => Promise<KeyStore>, out: (text: string) => void, err: (text: string) => void): Promise<number> {
  const { values, positionals } = parse(args, 'create', ['name', ...LIMIT_FLAGS]);
  if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"; give the name with --name`);
  if (values.name === undefined) throw new UsageError('create needs --name NAME');
  const input = NewKeySchema.safeParse({ ...fieldsFromFlags(values, false), name: values.name });
  if (!input.success) throw new UsageError(describeFlagsError(input.error));
  const { key, record } = await (await keys()).create(input.data);
  if (values.json) {
    out(`${JSON.stringify({ key, id: record.id })}\n`);
    return 0;
  }
  out(`${key}\n`);
  err(`Created key "${record.name}" (${record.id}). This is the only time the key is shown: store it now.\n`);
  return 0;
}

async function list(args: string[], keys: () => Promise<KeyStore>, out: (text: string) => void): Promise<number> {
  const { values, positionals } = parse(args, 'list', ['all', 'json']);
  if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const records = await (await keys()).list({ includeRevoked: values.all === true });
  if (values.json) {
    out(`${JSON.stringify(records, null, 2)}\n`);
    return 0;
  }
  if (!records.length) {
    out(values.all ? 'No keys.\n' : 'No live keys. Create one with `tollgate keys create --name NAME`.\n');
    return 0;
  }
  const now = new Date();
  const rows = records.map((record) => [
    record.id,
    record.name,
    `${record.prefix}…`,
    status(record, now),
    userColumn(record),
    record.budgetUsd === null ? '' : `$${record.budgetUsd}/${record.budgetPeriod}`,
    rateLimits(record),
    record.expiresAt ?? '',
  ]);
  out(table(['ID', 'NAME', 'KEY', 'STATUS', 'USER', 'BUDGET', 'RATE', 'EXPIRES'], rows));
  return 0;
}

async function show(args: string[], keys: () => Promise<KeyStore>, out: (text: string) => void): Promise<number> {
  const { values, positionals } = parse(args, 'show', ['json']);
  const record = await (await keys()).get(onePositional(positionals, 'show'));
  if (!record) throw new GatewayError('not_found', `no key with id or name "${positionals[0]}"; list them with \`tollgate keys list --all\``);
  out(values.json ? `${JSON.stringify(record, null, 2)}\n` : describe(record));
  return 0;
}

async function update(args: string[], keys: () => Promise<KeyStore>, out: (text: string) => void): Promise<number> {
  const { values, positionals } = parse(args, 'update', ['name', ...LIMIT_FLAGS, 'no-allow-user-override']);
  const idOrName = onePositional(positionals, 'update');
  const changes = KeyChangesSchema.safeParse(fieldsFromFlags(values, true));
  if (!changes.success) throw new UsageError(describeFlagsError(changes.error));
  if (Object.keys(changes.data).length === 0) throw new UsageError('update needs at least one flag to change');
  const record = await (await keys()).update(idOrName, changes.data);
  out(values.json ? `${JSON.stringify(record, null, 2)}\n` : `Updated key "${record.name}" (${record.id}).\n${describe(record)}`);
  return 0;
}

async function revoke(args: string[], keys: () => Promise<KeyStore>, out: (text: string) => void): Promise<number> {
  const { values, positionals } = parse(args, 'revoke', ['json']);
  const idOrName = onePositional(positionals, 'revoke');
  const before = await (await keys()).get(idOrName);
  const record = await (await keys()).revoke(idOrName);
  if (values.json) out(`${JSON.stringify(record, null, 2)}\n`);
  else if (before?.revokedAt) out(`Key "${record.name}" (${record.id}) was already revoked at ${record.revokedAt}.\n`);
  else out(`Revoked key "${record.name}" (${record.id}); requests with it are refused from now on.\n`);
  return 0;
}

function onePositional(positionals: string[], command: string): string {
  if (positionals.length !== 1) throw new UsageError(`${command} needs exactly one key id or name (got ${positionals.length})`);
  return positionals[0]!;
}

/** Flags → the camelCase fields the schema checks. On update, "none" clears a limit. */
function fieldsFromFlags(values: Flags, clearable: boolean): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  const cleared = (value: string): boolean => clearable && (value === 'none' || value === 'never');
  if (values.name !== undefined) fields.name = values.name;
  if (values.user !== undefined) fields.user = cleared(values.user) ? null : values.user;
  if (values.tags !== undefined) fields.tags = cleared(values.tags) ? [] : splitList(values.tags);
  if (values.budget !== undefined) fields.budgetUsd = cleared(values.budget) ? null : number('--budget', values.budget);
  if (values.period !== undefined) fields.budgetPeriod = values.period;
  if (values.models !== undefined) fields.models = cleared(values.models) ? null : splitList(values.models);
  if (values.providers !== undefined) fields.providers = cleared(values.providers) ? null : splitList(values.providers);
  if (values.rpm !== undefined) fields.rpm = cleared(values.rpm) ? null : number('--rpm', values.rpm);
  if (values.tpm !== undefined) fields.tpm = cleared(values.tpm) ? null : number('--tpm', values.tpm);
  if (values.expires !== undefined) fields.expiresAt = values.expires === 'never' ? null : expiry(values.expires);
  if (values['allow-user-override'] && values['no-allow-user-override']) {
    throw new UsageError('give --allow-user-override or --no-allow-user-override, not both');
  }
  if (values['allow-user-override']) fields.allowUserOverride = true;
  if (values['no-allow-user-override']) fields.allowUserOverride = false;
  if (values['allow-byok'] && values['no-allow-byok']) throw new UsageError('give --allow-byok or --no-allow-byok, not both');
  if (values['allow-byok']) fields.allowByok = true;
  if (values['no-allow-byok']) fields.allowByok = false;
  if (values.period !== undefined && values.budget === undefined && !clearable) {
    throw new UsageError('--period needs --budget');
  }
  return fields;
}

function splitList(text: string): string[] {
  return text.split(',').map((item) => item.trim()).filter(Boolean);
}

function number(flag: string, text: string): number {
  const value = Number(text.replace(/^\$/, ''));
  if (text.trim() === '' || !Number.isFinite(value)) throw new UsageError(`${flag} must be a number (got "${text}")`);
  return value;
}

const RELATIVE = /^(\d+)\s*(m|h|d|w)$/;
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

/** `30d`, `12h`, `2w`, `90m` from now, or an ISO date / date-time (checked by the schema). */
function expiry(text: string): string {
  const relative = RELATIVE.exec(text.trim());
  if (!relative) return text;
  const amount = Number(relative[1]);
  if (amount <= 0) throw new UsageError(`--expires must be in the future (got "${text}")`);
  return new Date(Date.now() + amount * UNIT_MS[relative[2] as keyof typeof UNIT_MS]).toISOString();
}

const FLAG_OF: Record<string, string> = {
  name: '--name',
  user: '--user',
  tags: '--tags',
  budgetUsd: '--budget',
  budgetPeriod: '--period',
  models: '--models',
  providers: '--providers',
  rpm: '--rpm',
  tpm: '--tpm',
  expiresAt: '--expires',
  allowUserOverride: '--allow-user-override',
  allowByok: '--no-allow-byok',
};

function describeFlagsError(error: Parameters<typeof describeKeyFieldsError>[0]): string {
  const field = String(error.issues[0]?.path[0] ?? '');
  const message = describeKeyFieldsError(error);
  const flag = FLAG_OF[field];
  return flag ? `${flag}: ${message.slice(message.indexOf(':') + 1).trim()}` : message;
}

function status(record: KeyRecord, now: Date): string {
  if (record.revokedAt) return 'revoked';
  if (record.expiresAt && Date.parse(record.expiresAt) <= now.getTime()) return 'expired';
  return 'live';
}

/** The key's user; `(named)` where requests may name their own, after the default if there is one. */
function userColumn(record: KeyRecord): string {
  if (!record.allowUserOverride) return record.user ?? '';
  return record.user ? `${record.user} (or named)` : '(named)';
}

function rateLimits(record: KeyRecord): string {
  return [record.rpm !== null ? `${record.rpm} rpm` : '', record.tpm !== null ? `${record.tpm} tpm` : ''].filter(Boolean).join(', ');
}

function describe(record: KeyRecord): string {
  const lines: Array<[string, string]> = [
    ['id', record.id],
    ['name', record.name],
    ['key', `${record.prefix}…`],
    ['status', status(record, new Date())],
    ['user', record.user ?? '-'],
    ['user override', record.allowUserOverride ? 'yes: requests may name their user' : 'no: a user named by a request is ignored'],
    ['own provider keys', record.allowByok ? 'yes: requests may bring them (providerOptions.gateway.byok)' : 'no: a request that brings them is refused'],
    ['tags', record.tags.length ? record.tags.join(', ') : '-'],
    ['budget', record.budgetUsd === null ? 'none' : `$${record.budgetUsd} per ${record.budgetPeriod === 'total' ? 'lifetime' : record.budgetPeriod}`],
    ['models', record.models?.join(', ') ?? 'all'],
    ['providers', record.providers?.join(', ') ?? 'all'],
    ['rate limits', rateLimits(record) || 'none'],
    ['expires', record.expiresAt ?? 'never'],
    ['created', record.createdAt],
    ['updated', record.updatedAt],
    ...(record.revokedAt ? ([['revoked', record.revokedAt]] as Array<[string, string]>) : []),
  ];
  const width = Math.max(...lines.map(([label]) => label.length));
  return lines.map(([label, value]) => `${label.padEnd(width)}  ${value}\n`).join('');
}

function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: string[]) => cells.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd();
  return [line(headers), ...rows.map(line)].join('\n') + '\n';
}
