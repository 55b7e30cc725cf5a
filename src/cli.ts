/**
 * The `tollgate` command. Each command loads what it needs when it runs, so that `--version`,
 * `help` and the short commands start at once.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { App } from './app.js';
import type { RunningServer } from './server.js';
import type { ServeLock } from './cli/serve-lock.js';
import type { StandingCaller } from './policy/auth/standing-caller.js';
import { describeEnvProviders } from './config/env-providers.js';
import { ConfigError, loadConfig } from './config/load.js';
import type { Config } from './config/schema.js';
import { DataDirError, dataDirProblem, describeDataHome, ensureDataDir, legacyDataDirWarning, resolveDataHome, type DataHome } from './config/data-home.js';
import { asksForHelp, globalUsage, helpText } from './cli/help.js';
import { ListenAddressError, resolveListenAddress } from './cli/listen-address.js';
import { splitGlobalFlags, type GlobalFlags } from './cli/global-flags.js';
import { UnsafeBindError } from './policy/auth/bind.js';
import { parseToolList } from './faces/mcp/surface.js';
import { describeDatabaseUrl } from './store/database-url.js';
import { StoreOpenError } from './store/store-open-error.js';
import { version } from './version.js';

function fail(message: string, code: number): never {
  process.stderr.write(`tollgate: ${message}\n`);
  process.exit(code);
}

function load(configFile: string | undefined): Config {
  try {
    return loadConfig(configFile ? { file: configFile } : {});
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message, 2);
    throw error;
  }
}

/**
 * The data folder of this run, announced on stderr in one line (with the PostgreSQL database
 * that holds the ledger and keys instead, when one is configured), with a warning for a
 * stranded `./.tollgate`.
 */
function announceDataHome(flags: GlobalFlags, config: Config): DataHome {
  const home = resolveDataHome({ flag: flags.dataDir });
  const warning = legacyDataDirWarning(home);
  process.stderr.write(`${describeDataHome(home)}${describeDatabase(config)}\n${warning ? `${warning}\n` : ''}`);
  return home;
}

/** `; ledger and keys: PostgreSQL at host:port/db`, or nothing on SQLite. */
function describeDatabase(config: Config): string {
  if (!config.store.database) return '';
  return `; ledger and keys: PostgreSQL at ${describeDatabaseUrl(config.store.database)}`;
}

/** A data folder that can be written, or exit 2 naming it. */
function usableDataDir(flags: GlobalFlags, config: Config): string {
  const { dir } = announceDataHome(flags, config);
  try {
    ensureDataDir(dir);
  } catch (error) {
    if (error instanceof DataDirError) fail(error.message, 2);
    throw error;
  }
  return dir;
}

/** `--tools a,b` over `server.mcp.tools`; unknown names exit 2, naming the tools there are. */
function withToolsFlag(config: Config, tools: string | undefined): Config {
  if (tools === undefined) return config;
  const parsed = parseToolList(tools);
  if ('error' in parsed) fail(parsed.error, 2);
  config.server.mcp.tools = parsed;
  return config;
}

function describeProviders(config: Config): string {
  const lines = Object.entries(config.providers).map(([id, provider]) => `  ${id} (${provider.kind}${provider.kind === 'mock' ? ', deterministic offline answers' : ''})`);
  const unused = describeEnvProviders().filter((line) => !Object.keys(config.providers).some((id) => line.endsWith(` ${id}/…`)));
  return `providers:\n${lines.join('\n')}\n${unused.length ? `set these to enable more:\n  ${unused.join('\n  ')}\n` : ''}`;
}

/** Flags of serve and doctor besides the global ones; bad usage exits 2 with the command's help. */
async function parseOwnFlags(command: string, args: string[], options: NonNullable<ParseArgsConfig['options']>) {
  try {
    return parseArgs({ args, allowPositionals: false, options, strict: true }).values as Record<string, string | undefined>;
  } catch (error) {
    fail(`${(error as Error).message}\n\n${await helpText([command])}`, 2);
  }
}

type Command = (flags: GlobalFlags) => Promise<void>;

const commands: Record<string, Command> = {
  async serve(flags) {
    const values = await parseOwnFlags('serve', flags.rest, { port: { type: 'string' }, host: { type: 'string' }, workers: { type: 'string' }, tools: { type: 'string' } });
    const config = withToolsFlag(load(flags.config), values.tools);
    let address;
    try {
      address = resolveListenAddress(values, config);
    } catch (error) {
      if (error instanceof ListenAddressError) fail(error.message, 2);
      throw error;
    }
    const workers = await workerCount(values.workers, config);
    const { default: cluster } = await import('node:cluster');
    // A worker's data folder was announced and checked by the primary.
    const dataDir = cluster.isWorker ? resolveDataHome({ flag: flags.dataDir }).dir : usableDataDir(flags, config);
    if (workers > 1 && cluster.isPrimary) {
      const { runPrimary } = await import('./cli/workers.js');
      // /metrics on any worker shows the sum over all of them, gathered here.
      if (config.telemetry.metrics) (await import('./telemetry/cluster-metrics.js')).serveClusterMetrics();
      return runPrimary({
        count: workers,
        onListening: (banner) => process.stderr.write(banner),
        write: (line) => process.stderr.write(`${line}\n`),
      });
    }
    const lock = cluster.isWorker ? undefined : await serveLock(config, dataDir);
    const { startServer } = await import('./server.js');
    const server = await startServer({ config, dataDir, ...address }).catch((error: NodeJS.ErrnoException) => {
      if (error instanceof UnsafeBindError || error instanceof DataDirError) fail(error.message, 2);
      if (error.syscall === 'listen') fail(describeListenError(error, address), 1);
      if (error.code?.startsWith('SQLITE_')) fail(`the ledger in ${dataDir} cannot be opened: ${error.message} (${error.code})`, 1);
      throw error;
    });
    if (cluster.isWorker) {
      const { followPrimary } = await import('./cli/workers.js');
      return followPrimary(drainOnSignals(server, config.server.drainMs, `tollgate worker ${process.pid}`), await startupBanner(server, config, workers));
    }
    lock?.listening(server.url);
    process.stderr.write(await startupBanner(server, config));
    const stopping = drainOnSignals(server, config.server.drainMs);
    stopWithParentShell(stopping.drain);
  },

  async mcp(flags) {
    const values = await parseOwnFlags('mcp', flags.rest, { tools: { type: 'string' } });
    const config = withToolsFlag(load(flags.config), values.tools);
    const dataDir = usableDataDir(flags, config);
    const [{ createApp, llmsTxt }, { GatewayError }, { serveStdio, mcpSurface }] = await Promise.all([import('./app.js'), import('./core/errors.js'), import('./faces/mcp/index.js')]);
    const app = await createApp({ config, dataDir });
    const caller = await stdioCaller(app, config).catch(async (error: unknown) => {
      await app.close();
      if (error instanceof GatewayError) fail(error.kind === 'unauthorized' ? stdioKeyProblem(config) : `${error.message} (tollgate mcp reads the key from TOLLGATE_API_KEY)`, 2);
      throw error;
    });
    process.stderr.write(`tollgate ${version} MCP on stdio${caller.first.keyName ? `, acting as key ${caller.first.keyName}` : ''}\n${describeProviders(config)}`);
    await serveStdio(app.gateway, { llmsTxt, version, surface: mcpSurface(config), bus: app.bus, budgetSignals: app.budgetSignals }, caller.current);
    await app.close();
    process.exit(0);
  },

  async keys(flags) {
    const config = load(flags.config);
    // Without a subcommand there is only the usage to print: no data folder to touch.
    const dataDir = flags.rest.length ? usableDataDir(flags, config) : '';
    const { runKeysCommand } = await import('./cli/keys.js');
    process.exitCode = await runKeysCommand(flags.rest, { dataDir, config });
  },

  async spend(flags) {
    const config = load(flags.config);
    // A report reads: it must not create the data folder, only say when it cannot be used.
    const { dir } = announceDataHome(flags, config);
    const problem = dataDirProblem(dir);
    if (problem) fail(problem, 2);
    const { runSpendCommand } = await import('./cli/spend.js');
    process.exitCode = await runSpendCommand(flags.rest, { dataDir: dir, config });
  },

  async doctor(flags) {
    const values = await parseOwnFlags('doctor', flags.rest, { port: { type: 'string' }, host: { type: 'string' }, timeout: { type: 'string' } });
    // The config is the doctor's first check (every problem of it), so the line names the folder only.
    const home = resolveDataHome({ flag: flags.dataDir });
    process.stderr.write(`${describeDataHome(home)}\n`);
    const { runDoctorCommand } = await import('./cli/doctor.js');
    process.exitCode = await runDoctorCommand({ ...values, configFile: flags.config, home });
  },
};

/** What a started server prints: where it listens, its policy state, providers, auth, console and metrics. */
async function startupBanner(server: RunningServer, config: Config, workers = 1): Promise<string> {
  const { url } = server;
  return (
    `tollgate ${version} listening on ${url}${workers > 1 ? ` with ${workers} workers` : ''}  (OpenAI API at ${url}/v1, MCP at ${url}/mcp)\n` +
    `policy state: ${server.app.state.description}\n${describeProviders(config)}` +
    `auth: ${(await server.authRequired()) ? 'on (keys, admin key or tokens required)' : 'off (loopback, no key needed)'}\n` +
    `console: ${url}/console\n` +
    (config.telemetry.metrics ? `metrics: ${url}/metrics\n` : '')
  );
}

/** `--workers N|auto`; more than one needs Redis, else exit 2 saying so. */
async function workerCount(text: string | undefined, config: Config): Promise<number> {
  const { parseWorkerCount, WorkerCountError } = await import('./cli/workers.js');
  let count: number;
  try {
    count = parseWorkerCount(text);
  } catch (error) {
    if (error instanceof WorkerCountError) fail(error.message, 2);
    throw error;
  }
  if (count > 1 && !config.store.redis) {
    fail(
      `--workers ${text} runs ${count} processes, which keep budgets, rate limits, circuit breakers and idempotency keys exact only when they share them in Redis: set TOLLGATE_REDIS_URL (or store.redis in the config), or run one worker`,
      2,
    );
  }
  return count;
}

/**
 * Without Redis, budgets and rate limits are shared through the data folder, which one serve
 * holds (`tollgate mcp`, `keys` and `spend` run beside it): a second serve exits 2 saying why.
 */
async function serveLock(config: Config, dataDir: string): Promise<ServeLock | undefined> {
  if (config.store.redis) return undefined;
  const { takeServeLock, ServeLockHeld } = await import('./cli/serve-lock.js');
  try {
    return takeServeLock(dataDir);
  } catch (error) {
    if (error instanceof ServeLockHeld) fail(error.message, 2);
    throw error;
  }
}

const SIGNAL_NUMBERS = { SIGINT: 2, SIGTERM: 15 } as const;

interface Stopping {
  /** Starts the drain (nothing if it has started). */
  drain(): void;
  /** Ends what is still open now, after the commit, and exits with `exitCode`. */
  cut(exitCode: number): void;
}

/**
 * The first SIGTERM or SIGINT drains: in-flight requests finish (up to `drainMs`), their rows
 * are committed, the stores close, one line says what was drained, exit 0. A second signal
 * ends what is still open at once, after the commit, and exits 128 + its number.
 */
function drainOnSignals(server: RunningServer, drainMs: number, who = 'tollgate'): Stopping {
  let exitCode: number | undefined;
  const drain = () => {
    if (exitCode !== undefined) return;
    exitCode = 0;
    const started = Date.now();
    process.stderr.write(`${who}: stopping; letting requests in flight finish (up to ${drainMs} ms; a second signal ends them now)\n`);
    void server.drain(drainMs).then(
      ({ finished, cancelled }) => {
        process.stderr.write(
          `${who}: drained in ${Date.now() - started} ms: ${finished} request${finished === 1 ? '' : 's'} finished, ${cancelled} cancelled${cancelled ? ' (billed for what was received)' : ''}; ledger committed, stores closed\n`,
        );
        process.exit(exitCode);
      },
      (error: unknown) => {
        process.stderr.write(`${who}: stopping failed: ${(error as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  const cut = (code: number) => {
    drain();
    exitCode = code;
    server.cutDrain();
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => (exitCode === undefined ? drain() : cut(128 + SIGNAL_NUMBERS[signal])));
  return { drain, cut };
}

function describeListenError(error: NodeJS.ErrnoException & { port?: number; address?: string }, address: { port: number; host: string }): string {
  const where = `${address.host}:${error.port ?? address.port}`;
  switch (error.code) {
    case 'EADDRINUSE':
      return `port ${error.port ?? address.port} on ${address.host} is already in use (another tollgate? \`tollgate doctor\` tells). Choose another with --port N or TOLLGATE_PORT=N.`;
    case 'EACCES':
      return `not allowed to listen on ${where} (ports below 1024 need privileges). Choose another with --port N or TOLLGATE_PORT=N.`;
    case 'EADDRNOTAVAIL':
      return `cannot listen on ${where}: ${address.host} is not an address of this machine. Choose another with --host H or TOLLGATE_HOST.`;
    default:
      return `cannot listen on ${where}: ${error.code ?? error.message}`;
  }
}

/**
 * Run by npm (`npm start`, `npx tollgate serve`), this process is the child of a shell that
 * dies of the SIGTERM npm passes on without passing it further: the server would outlive npm.
 * Once the parent is gone (this process is handed to another), stop as on SIGTERM.
 */
function stopWithParentShell(stop: () => void): void {
  if (!process.env.npm_lifecycle_event || process.platform === 'win32') return;
  const parent = process.ppid;
  const watch = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(watch);
    stop();
  }, 250);
  watch.unref();
}

/**
 * The one caller a stdio MCP process acts as: the key in TOLLGATE_API_KEY, checked like any
 * HTTP request's, at start and again on every request (one agent = one key = one budget).
 * Without keys configured, anonymous.
 */
async function stdioCaller(app: App, config: Config): Promise<StandingCaller> {
  const [{ createAuthenticator }, { standingCaller }] = await Promise.all([import('./policy/auth/authenticate.js'), import('./policy/auth/standing-caller.js')]);
  const auth = createAuthenticator({ keys: app.store.keys, config, env: process.env });
  return standingCaller(auth, app.store.keys, process.env.TOLLGATE_API_KEY);
}

/**
 * Why `tollgate mcp` has no caller, in the terms of an MCP host's config (an `env` entry), not
 * of an HTTP header.
 */
function stdioKeyProblem(config: Config): string {
  const create = 'create one with `tollgate keys create --name NAME` on this data folder';
  if (!process.env.TOLLGATE_API_KEY) {
    return `this gateway requires a key, and tollgate mcp reads it from TOLLGATE_API_KEY, which is not set: put "TOLLGATE_API_KEY": "tg_…" in the "env" of this server in the MCP host's config (${create})`;
  }
  const where = config.store.database ? 'the ledger database' : 'this data folder';
  return `the key in TOLLGATE_API_KEY is unknown to ${where}, revoked or expired: give tollgate mcp a live key (\`tollgate keys list\` shows them; ${create})`;
}

/** `serve --help` → [serve]; `keys create --help` and `keys help create` → [keys, create]; else none. */
function helpTopic(command: string, args: string[]): string[] | undefined {
  if (command === 'keys' && args[0] === 'help') return [command, ...args.slice(1, 2)];
  if (!asksForHelp(args)) return undefined;
  const subcommand = command === 'keys' && args[0] && !args[0].startsWith('-') ? args[0] : undefined;
  return subcommand ? [command, subcommand] : [command];
}

async function main(argv: string[]): Promise<void> {
  const [first, ...rest] = argv;
  if (first === '--version' || first === '-v' || first === 'version') return void process.stdout.write(`${version}\n`);
  if (first === undefined) return void process.stdout.write(globalUsage());
  if (first === 'help' || first === '--help' || first === '-h') {
    // `tollgate help --help` is help on `help`; `tollgate help keys --help` the same as `tollgate help keys`.
    const named = rest.filter((arg) => arg !== '--help' && arg !== '-h');
    const topic = first === 'help' && named.length === 0 && rest.length > 0 ? ['help'] : named;
    const text = await helpText(topic);
    if (text === undefined) fail(`no help for "${topic.join(' ')}"; the commands are serve, mcp, keys, spend and doctor`, 2);
    return void process.stdout.write(text);
  }
  const command = Object.hasOwn(commands, first) ? commands[first]! : undefined;
  if (!command) fail(`unknown command "${first}"; the commands are serve, mcp, keys, spend, doctor and help (\`tollgate help\`)`, 2);
  const topic = helpTopic(first, rest);
  if (topic) {
    const text = await helpText(topic);
    if (text === undefined) fail(`no help for "${topic.join(' ')}"; \`tollgate help ${first}\` lists what it takes`, 2);
    return void process.stdout.write(text);
  }
  let flags: GlobalFlags;
  try {
    flags = splitGlobalFlags(rest);
  } catch (error) {
    fail((error as Error).message, 2);
  }
  flags.config ??= process.env.TOLLGATE_CONFIG;
  await command(flags);
}

await main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof StoreOpenError) fail(error.message, 2);
  throw error;
});
