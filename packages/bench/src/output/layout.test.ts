import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fitText, panelTitle, placeLabels } from './charts';
import { htmlCellText, renderHtml } from './document';

type Box = [number, number, number, number];
const overlap = (a: Box, b: Box) => a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3];
const boxOf = (l: { x: number; y: number; anchor: 'start' | 'end' }, text: string): Box => {
  const w = 6.5 * text.length;
  return l.anchor === 'start' ? [l.x, l.y - 9, l.x + w, l.y + 1] : [l.x - w, l.y - 9, l.x, l.y + 1];
};

describe('marker numbers on the cost chart (placeLabels)', () => {
  const plot: Box = [52, 18, 700, 376];

  it('two markers on the same spot get numbers that do not touch', () => {
    const places = placeLabels(
      [
        [400, 200],
        [403, 200],
      ],
      ['1', '2'],
      plot,
    );
    expect(overlap(boxOf(places[0]!, '1'), boxOf(places[1]!, '2'))).toBe(false);
  });

  it('up to eight markers in one spot: no two numbers overlap', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: -3, max: 3 }), fc.integer({ min: -3, max: 3 })), {
          minLength: 2,
          maxLength: 8,
        }),
        (jitter) => {
          const centres = jitter.map(([dx, dy]) => [300 + dx, 200 + dy] as [number, number]);
          const texts = centres.map((_, i) => String(i + 1));
          const boxes = placeLabels(centres, texts, plot).map((l, i) => boxOf(l, texts[i]!));
          for (let a = 0; a < boxes.length; a++)
            for (let b = a + 1; b < boxes.length; b++)
              expect(overlap(boxes[a]!, boxes[b]!)).toBe(false);
        },
      ),
    );
  });

  it('markers far apart keep the usual spot (above right), and a marker at the right edge numbers on its left', () => {
    const places = placeLabels(
      [
        [100, 100],
        [300, 300],
        [698, 200],
      ],
      ['1', '2', '3'],
      plot,
    );
    expect(places[0]).toEqual({ x: 107, y: 94, anchor: 'start' });
    expect(places[1]).toEqual({ x: 307, y: 294, anchor: 'start' });
    expect(places[2]!.anchor).toBe('end');
    expect(boxOf(places[2]!, '3')[2]).toBeLessThanOrEqual(plot[2]);
  });
});

describe('panel titles', () => {
  it('fit their panel: a long title is squeezed to the width, a short one left as it is', () => {
    expect(panelTitle('SONA v3 · ECE 0.018', 250)).toBe(
      '<text x="6" y="14" font-weight="600">SONA v3 · ECE 0.018</text>',
    );
    expect(panelTitle('thompson-learner:v3 · ECE 0.110 · Brier 0.136', 250)).toContain(
      'textLength="238" lengthAdjust="spacingAndGlyphs"',
    );
  });
});

describe('names beside bars', () => {
  it('a name that may not fit its room is squeezed to it, so its start is never cut off', () => {
    const long = 'always:20250805_openhands-Qwen3-Coder…';
    expect(fitText(252, 30, long, 248, 7, { 'text-anchor': 'end' })).toBe(
      `<text x="252" y="30" text-anchor="end" textLength="248" lengthAdjust="spacingAndGlyphs">${long}</text>`,
    );
    expect(fitText(252, 30, 'random', 248, 7, { 'text-anchor': 'end' })).toBe(
      '<text x="252" y="30" text-anchor="end">random</text>',
    );
  });
});

describe('wide tables in HTML', () => {
  it('a figure with its interval may break before the interval, never inside either', () => {
    expect(htmlCellText('33.1% [30.8, 35.4]')).toBe(
      '<span class="n">33.1%</span> <span class="n">[30.8, 35.4]</span>',
    );
    expect(htmlCellText('+14.4 pts [+12.1, +16.8]')).toBe(
      '<span class="n">+14.4 pts</span> <span class="n">[+12.1, +16.8]</span>',
    );
    expect(htmlCellText('<b> [x]')).toBe(
      '<span class="n">&lt;b&gt;</span> <span class="n">[x]</span>',
    );
    expect(htmlCellText('7B')).toBe('7B');
    const html = renderHtml({
      title: 't',
      blocks: [
        {
          kind: 'table',
          table: {
            header: ['#', 'Model', 'Rate'],
            rows: [['1', 'm', '50.0% [40.0, 60.0]']],
            leftColumns: 2,
          },
        },
      ],
    });
    expect(html).toContain(
      '<td class="l k">1</td><td class="l">m</td><td class="w"><span class="n">50.0%</span> <span class="n">[40.0, 60.0]</span></td>',
    );
    // Headers and such cells wrap; the pieces and every other cell do not.
    expect(html).toContain('th,td.w{white-space:normal}.n{white-space:nowrap}');
  });
});
