import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isSonaError, type SonaError } from '../errors';
import { formatUsageError, parseArgs, parseIntegerArg } from './args';

const options = {
  json: { type: 'boolean' },
  key: { type: 'string', value: 'FILE' },
  'max-bytes': { type: 'string', value: 'N' },
  help: { type: 'boolean', short: 'h' },
} as const;

function usage(call: () => unknown): SonaError {
  try {
    call();
  } catch (error) {
    if (isSonaError(error, 'USAGE')) return error;
    throw error;
  }
  throw new Error('expected a USAGE error');
}

describe('parseArgs', () => {
  it('reads flags, values (both spellings), positionals and everything after --', () => {
    expect(parseArgs(['a.json', '--json', '--key', 'k.pub', 'b.json'], options)).toEqual({
      values: { json: true, key: 'k.pub' },
      positionals: ['a.json', 'b.json'],
    });
    expect(parseArgs(['--max-bytes=-3', '-h', '-', '--', '--json', '-x'], options)).toEqual({
      values: { 'max-bytes': '-3', help: true },
      positionals: ['-', '--json', '-x'],
    });
    expect(parseArgs(['--key='], options).values).toEqual({ key: '' });
  });

  it('an unknown option is an error with a did-you-mean hint when one is near', () => {
    const near = usage(() => parseArgs(['--jsn'], options));
    expect(near.message).toBe('unknown option --jsn');
    expect(near.details).toEqual({ option: '--jsn', hint: 'did you mean --json?' });
    expect(usage(() => parseArgs(['--kye=1'], options)).details).toEqual({
      option: '--kye',
      hint: 'did you mean --key FILE?',
    });
    expect(usage(() => parseArgs(['--frobnicate'], options)).details).toEqual({
      option: '--frobnicate',
    });
    expect(usage(() => parseArgs(['-x'], options)).message).toBe('unknown option -x');
    expect(usage(() => parseArgs(['--constructor'], options)).message).toBe(
      'unknown option --constructor',
    );
  });

  it('an option given twice, a flag with a value, or a missing value is an error', () => {
    expect(usage(() => parseArgs(['--json', '--json'], options)).message).toBe(
      '--json is given twice',
    );
    expect(usage(() => parseArgs(['--key', 'a', '--key=b'], options)).message).toBe(
      '--key is given twice',
    );
    expect(usage(() => parseArgs(['-h', '--help'], options)).message).toBe('--help is given twice');
    expect(usage(() => parseArgs(['--json=yes'], options)).message).toBe('--json takes no value');
    expect(usage(() => parseArgs(['--key'], options)).message).toBe('--key needs a value');
    const dashed = usage(() => parseArgs(['--max-bytes', '-3'], options));
    expect(dashed.message).toBe('--max-bytes needs a value');
    expect(dashed.details).toEqual({ hint: 'write --max-bytes=-3 if -3 is the value' });
  });

  it('a multiple option collects its values in order, in both spellings; others still refuse a repeat', () => {
    const specs = {
      ...options,
      field: { type: 'string', value: 'NAME=PATH', multiple: true },
    } as const;
    const parsed = parseArgs(['--field', 'a=x', 'v1', '--field=b=y', '--json'], specs);
    expect(parsed).toEqual({
      values: { field: ['a=x', 'b=y'], json: true },
      positionals: ['v1'],
    });
    expect(parseArgs(['--field', 'a=x'], specs).values.field).toEqual(['a=x']);
    expect(usage(() => parseArgs(['--field'], specs)).message).toBe('--field needs a value');
    expect(
      usage(() => parseArgs(['--key', 'a', '--field', 'c', '--key', 'b'], specs)).message,
    ).toBe('--key is given twice');
  });

  it('any argument list without options comes back as positionals, in order', () => {
    const positional = fc.string().filter((s) => !s.startsWith('-') || s === '-');
    fc.assert(
      fc.property(fc.array(positional), (args) => {
        expect(parseArgs(args, options)).toEqual({ values: {}, positionals: args });
      }),
    );
  });

  it('any argument list either parses or fails with USAGE, never another error', () => {
    const arg = fc.oneof(
      fc.constantFrom('--json', '--key', '--max-bytes=9', '-h', '--', '-', '--=', '--help=1'),
      fc.string({ maxLength: 6 }),
    );
    fc.assert(
      fc.property(fc.array(arg, { maxLength: 8 }), (args) => {
        try {
          const { values, positionals } = parseArgs(args, options);
          expect(positionals.length).toBeLessThanOrEqual(args.length);
          for (const name of Object.keys(values)) expect(Object.keys(options)).toContain(name);
        } catch (error) {
          expect(isSonaError(error, 'USAGE')).toBe(true);
        }
      }),
    );
  });
});

describe('parseIntegerArg', () => {
  it('accepts decimal digits in range only', () => {
    expect(parseIntegerArg('--max-bytes', '1024')).toBe(1024);
    expect(parseIntegerArg('--n', '-2', { min: -5 })).toBe(-2);
    for (const bad of ['', '1e3', '0x10', '1.5', ' 7', '-1', '9007199254740993', 'NaN']) {
      expect(usage(() => parseIntegerArg('--max-bytes', bad)).message).toContain('--max-bytes');
    }
    expect(usage(() => parseIntegerArg('--epochs', '11', { min: 1, max: 10 })).message).toBe(
      '--epochs needs a whole number from 1 to 10, got "11"',
    );
  });
});

describe('formatUsageError', () => {
  it('is one line saying what is wrong and one hint line', () => {
    const withHint = usage(() => parseArgs(['--jsn'], options));
    expect(formatUsageError(withHint, 'sona-checkpoint verify')).toBe(
      'sona-checkpoint verify: unknown option --jsn\nhint: did you mean --json?\n',
    );
    const hostile = usage(() => parseArgs(['--\u001b[2J\nforged'], options));
    expect(formatUsageError(hostile, 'sona-checkpoint list').split('\n')[0]).toBe(
      'sona-checkpoint list: unknown option --\\x1b[2J\\nforged',
    );
    const without = usage(() => parseArgs(['--frobnicate'], options));
    expect(formatUsageError(without, 'sona-checkpoint verify')).toBe(
      'sona-checkpoint verify: unknown option --frobnicate\nhint: "sona-checkpoint verify --help" shows the usage\n',
    );
  });
});
