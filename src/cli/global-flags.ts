/**
 * Subcommands with flags of their own (`tollgate keys create --name …`) still take the global
 * `--config FILE` and `--data-dir DIR`, anywhere on the line: this takes those two out.
 */
export interface GlobalFlags {
  config?: string;
  dataDir?: string;
  rest: string[];
}

const NAMES = { '--config': 'config', '--data-dir': 'dataDir' } as const;

/** Throws an Error naming the flag when one has no value. */
export function splitGlobalFlags(args: string[]): GlobalFlags {
  const flags: GlobalFlags = { rest: [] };
  for (let index = 0; index < args.length; index++) {
    const arg = args[index]!;
    if (arg === '--') {
      flags.rest.push(...args.slice(index));
      break;
    }
    const equals = arg.indexOf('=');
    const name = (equals === -1 ? arg : arg.slice(0, equals)) as keyof typeof NAMES;
    if (!(name in NAMES)) {
      flags.rest.push(arg);
      continue;
    }
    const value = equals === -1 ? args[++index] : arg.slice(equals + 1);
    if (value === undefined || value === '' || (equals === -1 && value.startsWith('--'))) throw new Error(`${name} needs a value`);
    flags[NAMES[name]] = value;
  }
  return flags;
}
