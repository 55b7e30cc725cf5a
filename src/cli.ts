import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createApp, llmsTxt, version, type App } from './app.js';
import { GatewayError } from './core/errors.js';
import { createAuthenticator } from './policy/auth/authenticate.js';
import { standingCaller, type StandingCaller } from './policy/auth/standing-caller.js';
import { describeEnvProviders, envProviders } from './config/env-providers.js';
import { ConfigError, loadConfig } from './config/load.js';
import type { Config } from './config/schema.js';
import { runKeysCommand } from './cli/keys.js';
import { runSpendCommand } from './cli/spend.js';
import { splitGlobalFlags } from './cli/global-flags.js';
import { serveStdio } from './faces/mcp/index.js';
import { UnsafeBindError } from './policy/auth/bind.js';
import { startServer } from './server.js';

const usage = `tollgate ${version} — a self-hosted AI gateway

Usage:
  tollgate serve [--port N] [--host H] [--config FILE] [--data-dir DIR]
      Serve the OpenAI-compatible HTTP API and MCP (Streamable HTTP at /mcp).
  tollgate mcp [--config FILE] [--data-dir DIR]
      Serve MCP over stdio (for Claude Desktop, IDEs and agent frameworks).
  tollgate keys create|list|show|update|revoke … [--data-dir DIR]
      Manage virtual keys (\`tollgate keys help\` for the flags).
  tollgate spend [--by model|provider|user|tag|key|day|hour] [--since 7d|DATE] [--until DATE] [--json]
      Spend from the ledger, as a table or JSON (\`tollgate spend --help\` for filters).

Environment:
  TOLLGATE_CONFIG     config file (JSON), same as --config
  TOLLGATE_DATA_DIR   data folder (SQLite ledger), same as --data-dir; default ./.tollgate
  TOLLGATE_API_KEY    the virtual key \`tollgate mcp\` acts as (its budget and limits apply)
  TOLLGATE_ADMIN_KEY  the admin key (admin API, reports over every key)
  TOLLGATE_REDIS_URL  Redis for budget counters, rate limits, breakers and idempotency keys
                      shared by several instances (config: store.redis); default: memory
  ${envProviders.map((entry) => entry.keyEnv).join(', ')}
                      enable providers without a config file
`;

function fail(message: string, code: number): never {
  process.stderr.write(`tollgate: ${message}\n`);
  process.exit(code);
}

function parse(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        config: { type: 'string' },
        'data-dir': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
    });
  } catch (error) {
    fail(`${(error as Error).message}\n\n${usage}`, 2);
  }
}

function load(configFile: string | undefined): Config {
  try {
    return loadConfig(configFile ? { file: configFile } : {});
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message, 2);
    throw error;
  }
}

function describeProviders(config: Config): string {
  const lines = Object.entries(config.providers).map(([id, provider]) => `  ${id} (${provider.kind}${provider.kind === 'mock' ? ', deterministic offline answers' : ''})`);
  const unused = describeEnvProviders().filter((line) => !Object.keys(config.providers).some((id) => line.endsWith(` ${id}/…`)));
  return `providers:\n${lines.join('\n')}\n${unused.length ? `set these to enable more:\n  ${unused.join('\n  ')}\n` : ''}`;
}

/** Subcommands that parse their own flags; `--config` and `--data-dir` are taken out for them. */
const subcommands: Record<string, (args: string[], options: { dataDir: string; config: Config }) => Promise<number>> = {
  keys: runKeysCommand,
  spend: runSpendCommand,
};

async function runSubcommand(name: string, argv: string[]): Promise<void> {
  let flags: ReturnType<typeof splitGlobalFlags>;
  try {
    flags = splitGlobalFlags(argv);
  } catch (error) {
    fail((error as Error).message, 2);
  }
  const config = load(flags.config ?? process.env.TOLLGATE_CONFIG);
  const dataDir = resolve(flags.dataDir ?? process.env.TOLLGATE_DATA_DIR ?? '.tollgate');
  process.exitCode = await subcommands[name]!(flags.rest, { dataDir, config });
}

async function main(): Promise<void> {
  const subcommand = process.argv[2];
  if (subcommand !== undefined && Object.hasOwn(subcommands, subcommand)) return runSubcommand(subcommand, process.argv.slice(3));
  const { values, positionals } = parse(process.argv.slice(2));
  if (values.version) return void process.stdout.write(`${version}\n`);
  const command = positionals[0];
  if (values.help || !command) return void process.stdout.write(usage);
  const configFile = values.config ?? process.env.TOLLGATE_CONFIG;
  const dataDir = resolve(values['data-dir'] ?? process.env.TOLLGATE_DATA_DIR ?? '.tollgate');
  const config = load(configFile);

  if (command === 'serve') {
    let port: number | undefined;
    if (values.port !== undefined) {
      port = Number(values.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port must be a whole number from 0 to 65535 (got ${values.port})`, 2);
    }
    const server = await startServer({ config, dataDir, ...(port !== undefined ? { port } : {}), ...(values.host ? { host: values.host } : {}) }).catch(
      (error: NodeJS.ErrnoException) => (error instanceof UnsafeBindError ? fail(error.message, 2) : fail(`cannot listen: ${error.code ?? error.message}`, 1)),
    );
    process.stderr.write(
      `tollgate ${version} listening on ${server.url}  (OpenAI API at ${server.url}/v1, MCP at ${server.url}/mcp)\ndata: ${dataDir}\npolicy state: ${server.app.state.description}\n${describeProviders(config)}`,
    );
    const stop = () => {
      void server.close().then(() => process.exit(0));
      setTimeout(() => process.exit(0), 5_000).unref();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    return;
  }

  if (command === 'mcp') {
    const app = createApp({ config, dataDir });
    const caller = await stdioCaller(app, config).catch(async (error: unknown) => {
      await app.close();
      if (error instanceof GatewayError) fail(`${error.message} (tollgate mcp reads the key from TOLLGATE_API_KEY)`, 2);
      throw error;
    });
    process.stderr.write(`tollgate ${version} MCP on stdio; data: ${dataDir}${caller.first.keyName ? `; acting as key ${caller.first.keyName}` : ''}\n${describeProviders(config)}`);
    await serveStdio(app.gateway, { llmsTxt, version }, caller.current);
    await app.close();
    process.exit(0);
  }

  fail(`unknown command "${command}"\n\n${usage}`, 2);
}

/**
 * The one caller a stdio MCP process acts as: the key in TOLLGATE_API_KEY, checked like any
 * HTTP request's, at start and again on every request (one agent = one key = one budget).
 * Without keys configured, anonymous.
 */
function stdioCaller(app: App, config: Config): Promise<StandingCaller> {
  const auth = createAuthenticator({ keys: app.store.keys, config, env: process.env });
  return standingCaller(auth, app.store.keys, process.env.TOLLGATE_API_KEY);
}

await main();
