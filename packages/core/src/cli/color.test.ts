import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { colorEnabled, createPaint, type StyleName } from './color';

describe('colorEnabled', () => {
  it.each([
    [true, {}, true],
    [false, {}, false],
    [true, { TERM: 'dumb' }, false],
    [true, { NO_COLOR: '1' }, false],
    [true, { NO_COLOR: '' }, true],
    [false, { FORCE_COLOR: '1' }, true],
    [false, { FORCE_COLOR: '' }, true],
    [false, { FORCE_COLOR: '3' }, true],
    [true, { FORCE_COLOR: '0' }, false],
    [true, { FORCE_COLOR: 'false' }, false],
    [false, { FORCE_COLOR: '1', NO_COLOR: '1' }, true],
    [true, { FORCE_COLOR: '0', NO_COLOR: '' }, false],
  ])('isTTY %s with %j → %s', (isTTY, env, expected) => {
    expect(colorEnabled({ isTTY }, env)).toBe(expected);
  });
});

describe('createPaint', () => {
  const styles: StyleName[] = ['red', 'green', 'yellow', 'bold', 'dim'];

  it('off: the text unchanged; on: the text inside one SGR pair', () => {
    const off = createPaint(false);
    const on = createPaint(true);
    fc.assert(
      fc.property(fc.constantFrom(...styles), fc.string(), (style, text) => {
        expect(off(style, text)).toBe(text);
        // biome-ignore lint/suspicious/noControlCharactersInRegex: SGR sequences start with ESC.
        expect(on(style, text).replace(/\u001b\[\d+m/g, '')).toBe(text);
      }),
    );
    expect(on('red', 'INVALID')).toBe('\u001b[31mINVALID\u001b[39m');
  });
});
