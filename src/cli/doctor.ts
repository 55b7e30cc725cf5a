/**
 * `tollgate doctor`: checks what `tollgate serve` would use, one line per check (ok, warn or
 * fail, and why): the config, the data folder, each provider, the port and auth. Exits 1 when
 * a check fails. It changes nothing: the data folder is not created, no key is made.
 */
import { createServer } from 'node:net';
import { dataDirProblem, legacyDataDirWarning, type DataHome } from '../config/data-home.js';
import { ConfigError, loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { createRedactor } from '../core/redact.js';
import { isLoopbackHost } from '../policy/auth/bind.js';
import { createLogger } from '../logger.js';
import { openExistingStore } from '../store/create-store.js';
import { describeDatabaseUrl } from '../store/database-url.js';
import type { Store } from '../store/types.js';
import { ListenAddressError, resolveListenAddress, type ListenAddress } from './listen-address.js';
import { checkProvider, type CheckStatus } from './provider-check.js';

export interface DoctorOptions {
  home: DataHome;
  configFile?: string | undefined;
  port?: string | undefined;
  host?: string | undefined;
  /** Milliseconds to wait for each provider (text from --timeout). */
  timeout?: string | undefined;
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Defaults to the process's stdout. */
  stdout?: (text: string) => void;
}

interface Check {
  status: CheckStatus;
  name: string;
  message: string;
  /** Further lines under the check (every config problem). */
  details?: string[];
}

const DEFAULT_TIMEOUT_MS = 10_000;

export async function runDoctorCommand(options: DoctorOptions): Promise<number> {
  const out = options.stdout ?? ((text: string) => void process.stdout.write(text));
  const env = options.env ?? process.env;
  const print = (check: Check): void => {
    out(`${check.status.padEnd(5)} ${check.name.padEnd(9)} ${check.message}\n${(check.details ?? []).map((line) => `${' '.repeat(16)}${line}\n`).join('')}`);
  };
  const results: Check[] = [];
  const report = (check: Check): void => {
    results.push(check);
    print(check);
  };

  const timeoutMs = options.timeout === undefined ? DEFAULT_TIMEOUT_MS : Number(options.timeout);
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) {
    process.stderr.write(`tollgate doctor: --timeout must be a whole number of milliseconds (got "${options.timeout}")\n`);
    return 2;
  }

  const config = checkConfig(options.configFile, env, report);
  const keys = await checkDataFolder(options.home, config ?? defaultsOnly(), options.cwd, report);

  if (config) {
    const redact = createRedactor(config, env);
    const checks = Object.entries(config.providers).map(async ([id, provider]) => ({ id, check: await checkProvider(provider, { timeoutMs, redact }) }));
    for (const { id, check } of await Promise.all(checks)) report({ status: check.status, name: 'provider', message: `${providerName(config, id)}: ${check.message}` });
  } else {
    report({ status: 'warn', name: 'provider', message: 'not checked: the config has errors' });
  }

  let address: ListenAddress | undefined;
  try {
    address = resolveListenAddress({ port: options.port, host: options.host }, config ?? defaultsOnly(), env);
  } catch (error) {
    if (!(error instanceof ListenAddressError)) throw error;
    report({ status: 'fail', name: 'port', message: error.message });
  }
  if (address) report(await checkPort(address, keys?.hasKeys === true));

  if (config) report(checkAuth(config, env, keys, address));
  else report({ status: 'warn', name: 'auth', message: 'not checked: the config has errors' });

  return results.some((check) => check.status === 'fail') ? 1 : 0;
}

/** `openai`, or `claude (anthropic)` where the id does not say the kind. */
function providerName(config: Config, id: string): string {
  const kind = config.providers[id]!.kind;
  return kind === id ? id : `${id} (${kind})`;
}

/** A config with every default, for the checks that still make sense without a valid one. */
function defaultsOnly(): Config {
  return loadConfig({ env: {} });
}

function checkConfig(file: string | undefined, env: Record<string, string | undefined>, report: (check: Check) => void): Config | undefined {
  const source = file ? `config file ${file}` : 'no config file (TOLLGATE_CONFIG or --config names one)';
  try {
    const config = loadConfig({ ...(file ? { file } : {}), env });
    const providers = Object.keys(config.providers);
    report({ status: 'ok', name: 'config', message: `${source}; providers: ${providers.join(', ') || 'none'}` });
    return config;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const many = error.problems.length > 1;
    report({
      status: 'fail',
      name: 'config',
      message: many ? `${source}: ${error.problems.length} problems` : `${source}: ${error.message}`,
      ...(many ? { details: error.problems } : {}),
    });
    return undefined;
  }
}

interface KeysSeen {
  /** Any key was ever created: callers must then authenticate. */
  hasKeys: boolean;
  live: number;
}

async function checkDataFolder(home: DataHome, config: Config, cwd: string | undefined, report: (check: Check) => void): Promise<KeysSeen | undefined> {
  const folder = `${home.dir} (${home.source === 'default' ? 'default' : home.source === 'env' ? 'from TOLLGATE_DATA_DIR' : 'from --data-dir'})`;
  const where = config.store.database ? `${folder}, ledger and keys in PostgreSQL at ${describeDatabaseUrl(config.store.database)}` : folder;
  const problem = dataDirProblem(home.dir);
  if (problem) {
    report({ status: 'fail', name: 'data', message: problem });
    return undefined;
  }
  const warning = legacyDataDirWarning(home, cwd);
  let store: Store | undefined;
  try {
    store = await openExistingStore(config, home.dir, createLogger('silent'));
  } catch (error) {
    report({ status: 'fail', name: 'data', message: `${where}: the ledger cannot be opened: ${(error as Error).message}` });
    return undefined;
  }
  if (!store) {
    report({ status: 'ok', name: 'data', message: `${where}: can be written; no ledger yet (made on first use)` });
    if (warning) report({ status: 'warn', name: 'data', message: warning.replace(/^warning: /, '') });
    return { hasKeys: false, live: 0 };
  }
  try {
    const requests = (await store.reports.report({}, { kind: 'all' }))[0]?.request_count ?? 0;
    const live = (await store.keys.list()).length;
    report({ status: 'ok', name: 'data', message: `${where}: can be written; ledger with ${requests} request${requests === 1 ? '' : 's'}, ${live} live key${live === 1 ? '' : 's'}` });
    if (warning) report({ status: 'warn', name: 'data', message: warning.replace(/^warning: /, '') });
    return { hasKeys: await store.keys.hasActiveKeys(), live };
  } finally {
    await store.close();
  }
}

/** Free, or held by a tollgate (which should then answer as this data folder's keys say). */
async function checkPort({ port, host }: ListenAddress, localKeys: boolean): Promise<Check> {
  const where = `${host}:${port}`;
  if (port === 0) return { status: 'ok', name: 'port', message: 'port 0: serve will pick a free port' };
  const problem = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
    const probe = createServer();
    probe.once('error', (error) => resolve(error));
    probe.listen(port, host, () => probe.close(() => resolve(undefined)));
  });
  if (!problem) return { status: 'ok', name: 'port', message: `${where} is free` };
  if (problem.code === 'EACCES') return { status: 'fail', name: 'port', message: `not allowed to listen on ${where} (ports below 1024 need privileges); choose another with --port N or TOLLGATE_PORT` };
  if (problem.code === 'EADDRNOTAVAIL') return { status: 'fail', name: 'port', message: `${host} is not an address of this machine; choose another with --host H or TOLLGATE_HOST` };
  if (problem.code !== 'EADDRINUSE') return { status: 'fail', name: 'port', message: `cannot listen on ${where}: ${problem.code ?? problem.message}` };
  const base = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const running = await tollgateAt(base);
  if (!running) return { status: 'fail', name: 'port', message: `${where} is in use by another program; choose another port with --port N or TOLLGATE_PORT` };
  // A running tollgate that answers without a key while this data folder has keys reads
  // another data folder: keys made here are not enforced there.
  if (localKeys && (await answersWithoutKey(base))) {
    return {
      status: 'fail',
      name: 'port',
      message: `a tollgate ${running.version} already serves ${where}, but it answers without a key while this data folder has keys: it uses another data folder`,
    };
  }
  return { status: 'ok', name: 'port', message: `a tollgate ${running.version} already serves ${where}` };
}

async function tollgateAt(base: string): Promise<{ version: string } | undefined> {
  try {
    const response = await fetch(`${base}/health`, { signal: AbortSignal.timeout(3_000) });
    const body = (await response.json()) as { service?: unknown; version?: unknown };
    return body.service === 'tollgate' ? { version: String(body.version) } : undefined;
  } catch {
    return undefined;
  }
}

async function answersWithoutKey(base: string): Promise<boolean> {
  try {
    const response = await fetch(`${base}/v1/models`, { signal: AbortSignal.timeout(3_000) });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}

function checkAuth(config: Config, env: Record<string, string | undefined>, keys: KeysSeen | undefined, address: ListenAddress | undefined): Check {
  const reasons: string[] = [];
  if (env[config.auth.adminKeyEnv]) reasons.push(`the admin key is set (${config.auth.adminKeyEnv})`);
  const issuers = config.auth.issuers.length;
  if (issuers) reasons.push(`${issuers} OIDC issuer${issuers === 1 ? ' is' : 's are'} configured`);
  if (keys?.hasKeys) reasons.push(keys.live ? `${keys.live} live key${keys.live === 1 ? '' : 's'}` : 'keys were made (all revoked or expired now), so a key stays required');
  if (reasons.length) return { status: 'ok', name: 'auth', message: `on: every request needs a key; ${reasons.join(', ')}` };
  const host = address?.host ?? config.server.host;
  const nothing = `no key, no admin key (${config.auth.adminKeyEnv}) and no OIDC issuer`;
  if (!isLoopbackHost(host)) return { status: 'fail', name: 'auth', message: `off: ${nothing}, and ${host} is reachable from other machines: serve will refuse to start. Create a key with \`tollgate keys create --name NAME\`` };
  return { status: 'warn', name: 'auth', message: `off: ${nothing}; anyone who can reach ${host} may call it. \`tollgate keys create --name NAME\` turns it on` };
}
