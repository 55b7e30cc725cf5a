/**
 * The help of every command: `tollgate help [COMMAND [SUBCOMMAND]]`, `tollgate COMMAND --help`.
 * The keys and spend commands keep their usage text beside their flags; this adds the rest.
 */
import { envProviders } from '../config/env-providers.js';
import { defaultDataDir } from '../config/data-home.js';
import { version } from '../version.js';

const commonFlags = `  --config FILE    config file (JSON); env TOLLGATE_CONFIG
  --data-dir DIR   data folder (ledger, keys); env TOLLGATE_DATA_DIR; default ${defaultDataDir()}`;

export function globalUsage(): string {
  return `tollgate ${version} — a self-hosted AI gateway

Usage: tollgate COMMAND [flags]

Commands:
  serve    serve the HTTP API (OpenAI, Anthropic, AI SDK gateway) and MCP at /mcp
  mcp      serve MCP over stdio (for Claude Desktop, IDEs and agent frameworks)
  keys     create, list, show, update and revoke virtual keys
  spend    spend from the ledger, as a table or JSON
  doctor   check the config, the data folder, each provider, the port and auth
  help     this text; \`tollgate help COMMAND\` (or \`tollgate COMMAND --help\`) for one command

Every command takes:
${commonFlags}

Environment:
  TOLLGATE_CONFIG     config file (JSON), same as --config
  TOLLGATE_DATA_DIR   data folder, same as --data-dir
  TOLLGATE_PORT, TOLLGATE_HOST (or PORT)
                      where \`serve\` listens, unless --port / --host say otherwise
  TOLLGATE_API_KEY    the virtual key \`tollgate mcp\` acts as (its budget and limits apply)
  TOLLGATE_ADMIN_KEY  the admin key (admin API, reports over every key)
  TOLLGATE_REDIS_URL  Redis for budget counters, rate limits, breakers and idempotency keys
                      shared by several instances (config: store.redis); default: memory
  ${envProviders.map((entry) => entry.keyEnv).join(', ')}
                      enable providers without a config file

\`tollgate --version\` prints the version.
`;
}

const toolsFlag = `  --tools a,b      the MCP tools to offer (config server.mcp.tools); default all eight:
                   chat, embed, rerank, generate_image, speak, transcribe, list_models, get_spend`;

const serveUsage = `Usage: tollgate serve [--port N] [--host H] [--tools a,b] [--config FILE] [--data-dir DIR]

Serves the OpenAI-compatible HTTP API, Anthropic Messages, the AI SDK gateway protocol (/v3/ai)
and MCP over Streamable HTTP (/mcp) until SIGINT or SIGTERM.

  --port N         port; env TOLLGATE_PORT, then PORT; config server.port; default 4100 (0: any free port)
  --host H         address; env TOLLGATE_HOST; config server.host; default 127.0.0.1.
                   Any other than loopback needs auth configured (a key, an issuer or the admin key).
${toolsFlag}
${commonFlags}

Flags win over the environment, the environment over the config file.
Exit codes: 2 for a bad flag, config or data folder; 1 when the port cannot be listened on.
`;

const mcpUsage = `Usage: tollgate mcp [--tools a,b] [--config FILE] [--data-dir DIR]

Serves MCP over stdio: stdout carries nothing but MCP, logs go to stderr, and the process
exits when stdin closes. It acts as the virtual key in TOLLGATE_API_KEY (required once keys
exist). For an MCP host's config: { "command": "tollgate", "args": ["mcp"] }.

${toolsFlag}
${commonFlags}
`;

const doctorUsage = `Usage: tollgate doctor [--port N] [--host H] [--timeout MS] [--config FILE] [--data-dir DIR]

Checks what \`tollgate serve\` would use and prints one line per check (ok, warn or fail, and why):
  config     the config file and environment (every problem at once)
  data       the data folder: writable, its ledger and keys
  provider   each configured provider: reachable, and its key accepted (its model list)
  port       free, or already served by a tollgate
  auth       whether callers must authenticate, and why

  --port N, --host H   the address to check, as for \`tollgate serve\`
  --timeout MS         how long to wait for each provider (default 10000)
${commonFlags}

Exit code 1 when a check fails, 2 for bad flags, 0 otherwise.
`;

const helpUsage = `Usage: tollgate help [COMMAND [SUBCOMMAND]]

Prints the help of tollgate, or of one command (serve, mcp, keys, spend, doctor).
`;

const keysSummaries: Record<string, string> = {
  create: 'Creates a key and prints it once (with --json: {"key","id"}); only its SHA-256 is stored.',
  list: 'Lists the live keys (--all: revoked and expired ones too).',
  show: "Shows one key's settings, by id or name.",
  update: 'Changes a key\'s name or limits; "none" clears a limit, "never" an expiry.',
  revoke: 'Revokes a key; a running server refuses it from its next request.',
};

/** One `keys` subcommand: its usage line from the keys usage, its summary, and the limits it takes. */
function keysSubcommandUsage(keysUsage: string, name: string): string | undefined {
  const summary = keysSummaries[name];
  if (!summary) return undefined;
  const blocks = keysUsage.split('\n\n');
  const line = blocks[0]!.split('\n').find((text) => text.trim().startsWith(`tollgate keys ${name} `) || text.trim() === `tollgate keys ${name}`);
  if (!line) return undefined;
  const limits = line.includes('[limits]') ? blocks.find((block) => block.startsWith('Limits')) : undefined;
  return `Usage: ${line.trim()}\n\n${summary}\n${limits ? `\n${limits.trimEnd()}\n` : ''}\n${commonFlags}\n`;
}

/** The help for `tollgate help …` / `--help`; undefined for an unknown topic. */
export async function helpText(topic: readonly string[]): Promise<string | undefined> {
  const [command, subcommand] = topic;
  switch (command) {
    case undefined:
      return globalUsage();
    case 'serve':
      return serveUsage;
    case 'mcp':
      return mcpUsage;
    case 'doctor':
      return doctorUsage;
    case 'help':
      return helpUsage;
    case 'spend':
      return `${(await import('./spend.js')).spendUsage}\n${commonFlags}\n`;
    case 'keys': {
      const { keysUsage } = await import('./keys.js');
      if (subcommand === undefined || subcommand === 'help') return `${keysUsage}\n${commonFlags}\n`;
      return keysSubcommandUsage(keysUsage, subcommand === 'ls' ? 'list' : subcommand);
    }
    default:
      return undefined;
  }
}

/** True when `--help` or `-h` comes before any `--`. */
export function asksForHelp(args: readonly string[]): boolean {
  for (const arg of args) {
    if (arg === '--') return false;
    if (arg === '--help' || arg === '-h') return true;
  }
  return false;
}
