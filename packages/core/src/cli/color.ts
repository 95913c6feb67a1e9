/** What colour decisions read: the output stream and the environment. */
export interface ColorTarget {
  readonly isTTY?: boolean;
}

export type Environment = Readonly<Record<string, string | undefined>>;

/**
 * Whether to colour output written to `stream`, by the conventions Node.js itself follows:
 * `FORCE_COLOR` decides when set (`0` or `false` turn colour off, any other value on),
 * otherwise a non-empty `NO_COLOR` turns it off (no-color.org), otherwise colour only on a
 * terminal whose `TERM` is not `dumb`.
 */
export function colorEnabled(stream: ColorTarget, env: Environment = process.env): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force !== '0' && force.toLowerCase() !== 'false';
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return stream.isTTY === true && env.TERM !== 'dumb';
}

const SGR = {
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  bold: [1, 22],
  dim: [2, 22],
} as const;

export type StyleName = keyof typeof SGR;

/** Wraps text in one style's ANSI SGR codes, or returns it as it is when colour is off. */
export type Paint = (style: StyleName, text: string) => string;

export function createPaint(enabled: boolean): Paint {
  if (!enabled) return (_style, text) => text;
  return (style, text) => {
    const [on, off] = SGR[style];
    return text === '' ? text : `\u001b[${on}m${text}\u001b[${off}m`;
  };
}
