import { SonaError } from '@sona/core';
import { escapeTerminal } from './escape';
import { didYouMean } from './suggest';

/** One `--name` option: a flag (`boolean`) or an option that takes a value (`string`). */
export interface OptionSpec {
  readonly type: 'boolean' | 'string';
  /** A one-letter alias, `-h` for `help`. */
  readonly short?: string;
  /** What the value is, for messages: `--key FILE`. */
  readonly value?: string;
  /** An option that takes a value and may be repeated (`--field a=x --field b=y`): its values in order. */
  readonly multiple?: boolean;
}

export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

/** The options given: `true` for a flag, the text for a value; absent when not given. */
export type OptionValues<S extends OptionSpecs> = {
  readonly [K in keyof S]?: S[K]['type'] extends 'string'
    ? S[K]['multiple'] extends true
      ? readonly string[]
      : string
    : true;
};

export interface ParsedArgs<S extends OptionSpecs> {
  readonly values: OptionValues<S>;
  readonly positionals: readonly string[];
}

/**
 * A usage error: `SonaError` with code `USAGE`, its hint (if any) in `details.hint`, and any
 * further facts (`parseArgs` adds `option` for an unknown option) beside it.
 */
export function usageError(
  message: string,
  hint?: string,
  details: Readonly<Record<string, unknown>> = {},
): SonaError {
  const all = hint === undefined ? details : { ...details, hint };
  return new SonaError('USAGE', message, Object.keys(all).length === 0 ? {} : { details: all });
}

/**
 * Splits a command line into options and positionals, strictly: an unknown option (with a
 * did-you-mean hint, and the option as written in `details.option`), an option given twice
 * (unless it is `multiple`), a flag given a value, or an option missing its value is a `USAGE`
 * error naming it. `--name value` and `--name=value` both work; a value
 * that starts with `-` must use `=`; everything after `--` is positional.
 */
export function parseArgs<S extends OptionSpecs>(
  args: readonly string[],
  options: S,
): ParsedArgs<S> {
  const values: Record<string, string | string[] | true> = {};
  const give = (name: string, value: string) => {
    if (options[name]!.multiple === true) {
      const list = values[name];
      if (Array.isArray(list)) list.push(value);
      else values[name] = [value];
    } else {
      values[name] = value;
    }
  };
  const positionals: string[] = [];
  const shorts = new Map(
    Object.entries(options).flatMap(([name, spec]) =>
      spec.short === undefined ? [] : [[spec.short, name] as const],
    ),
  );
  const shown = (name: string) => {
    const spec = options[name]!;
    return spec.type === 'string' ? `--${name} ${spec.value ?? 'VALUE'}` : `--${name}`;
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    const long = arg.startsWith('--');
    const equals = long ? arg.indexOf('=') : -1;
    const written = equals < 0 ? arg : arg.slice(0, equals);
    const name = long ? written.slice(2) : shorts.get(written.slice(1));
    const spec = name === undefined || !Object.hasOwn(options, name) ? undefined : options[name];
    if (name === undefined || spec === undefined) {
      const guess = didYouMean(written.replace(/^-+/, ''), Object.keys(options));
      throw usageError(
        `unknown option ${written}`,
        guess === undefined ? undefined : `did you mean ${shown(guess)}?`,
        { option: written },
      );
    }
    if (Object.hasOwn(values, name) && spec.multiple !== true) {
      throw usageError(`${written} is given twice`, `give ${shown(name)} once`);
    }
    if (spec.type === 'boolean') {
      if (equals >= 0) throw usageError(`${written} takes no value`, `write ${shown(name)} alone`);
      values[name] = true;
      continue;
    }
    if (equals >= 0) {
      give(name, arg.slice(equals + 1));
      continue;
    }
    const next = args[i + 1];
    if (next === undefined || (next.startsWith('-') && next !== '-')) {
      throw usageError(
        `${written} needs a value`,
        next === undefined
          ? `write ${shown(name)}`
          : `write ${written}=${next} if ${next} is the value`,
      );
    }
    give(name, next);
    i++;
  }
  return { values: values as OptionValues<S>, positionals };
}

/**
 * The text of an integer option as a number: decimal digits only (a leading `-` when `min` is
 * negative), within [min, max]; a `USAGE` error naming the option otherwise.
 */
export function parseIntegerArg(
  option: string,
  text: string,
  { min = 0, max = Number.MAX_SAFE_INTEGER }: { readonly min?: number; readonly max?: number } = {},
): number {
  const value = /^-?\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw usageError(`${option} needs a whole number from ${min} to ${max}, got "${text}"`);
  }
  return value;
}

/**
 * How a CLI prints a usage error: one line saying what is wrong, then one hint line (the
 * error's own hint, else where the usage is), both escaped for the terminal (`escapeTerminal`:
 * a mistyped argument may hold control characters). `program` is what the user typed, such as
 * `sona-checkpoint verify`.
 */
export function formatUsageError(error: SonaError, program: string): string {
  const hint = error.details?.hint;
  const help = `"${program} --help" shows the usage`;
  const line = escapeTerminal(`${program}: ${error.message}`);
  return `${line}\nhint: ${escapeTerminal(typeof hint === 'string' ? hint : help)}\n`;
}
