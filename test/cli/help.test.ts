import { describe, expect, it } from 'vitest';
import { asksForHelp, helpText } from '../../src/cli/help.js';

describe('help texts', () => {
  it('has one for every command, each starting with its usage and naming the common flags', async () => {
    for (const command of ['serve', 'mcp', 'doctor', 'spend', 'keys']) {
      const text = (await helpText([command]))!;
      expect(text, command).toMatch(new RegExp(`^Usage:\\s+tollgate ${command}`));
      expect(text, command).toContain('--data-dir DIR');
      expect(text, command).toContain('--config FILE');
    }
    expect(await helpText(['help'])).toMatch(/^Usage: tollgate help/);
    expect(await helpText([])).toMatch(/Commands:[\s\S]*serve[\s\S]*mcp[\s\S]*keys[\s\S]*spend[\s\S]*doctor[\s\S]*help/);
  });

  it('has one for every keys subcommand, with the limits where it takes them', async () => {
    const expected: Record<string, RegExp> = {
      create: /^Usage: tollgate keys create --name NAME \[limits\] \[--json\]\n\nCreates a key[\s\S]*--budget USD[\s\S]*--expires/,
      list: /^Usage: tollgate keys list \[--all\] \[--json\]\n\nLists/,
      show: /^Usage: tollgate keys show ID\|NAME \[--json\]\n\nShows/,
      update: /^Usage: tollgate keys update ID\|NAME \[--name NEW\] \[limits\] \[--json\]\n\nChanges[\s\S]*--rpm N/,
      revoke: /^Usage: tollgate keys revoke ID\|NAME \[--json\]\n\nRevokes/,
    };
    for (const [name, pattern] of Object.entries(expected)) expect(await helpText(['keys', name]), name).toMatch(pattern);
    expect(await helpText(['keys', 'list'])).not.toContain('--budget');
    expect(await helpText(['keys', 'ls'])).toBe(await helpText(['keys', 'list']));
    expect(await helpText(['keys', 'frob'])).toBeUndefined();
    expect(await helpText(['frob'])).toBeUndefined();
  });

  it('reads --help and -h before a --, not after', () => {
    expect(asksForHelp(['--port', '1', '--help'])).toBe(true);
    expect(asksForHelp(['create', '-h'])).toBe(true);
    expect(asksForHelp(['create', '--name', 'x', '--', '--help'])).toBe(false);
    expect(asksForHelp(['create'])).toBe(false);
  });
});
