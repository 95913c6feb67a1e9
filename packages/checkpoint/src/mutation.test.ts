import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { verifyCheckpointText } from './checkpoint';
import { coveredContent, expectRejectedWithCodes, sha256, signer, validText } from './test-laws';

/** How often each outcome happened, so a property that only ever saw one outcome fails. */
const outcomes = { accepted: 0, rejected: 0 };

/** The law: accepted only if nothing the hash covers changed, and then with the right hash. */
function checkLaw(original: string, mutated: string, withKey: boolean): void {
  const { result } = verifyCheckpointText(mutated, withKey ? { publicKey: signer.publicKey } : {});
  if (!result.ok) {
    outcomes.rejected++;
    expectRejectedWithCodes(result);
    return;
  }
  outcomes.accepted++;
  const content = coveredContent(mutated);
  expect(content).toBe(coveredContent(original));
  expect(JSON.parse(mutated).stateHash).toBe(JSON.parse(original).stateHash);
  expect(result.stateHash).toBe(sha256(content!));
}

const textEdit = fc.record({
  at: fc.nat(),
  remove: fc.nat({ max: 4 }),
  insert: fc.string({
    maxLength: 4,
    unit: fc.constantFrom(...'{}[]",:0123456789.-eE +/=AQwtrfn\\ '),
  }),
});

/** Every path to a value inside a JSON document. */
function paths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [prefix];
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) out.push(...paths(value[i], [...prefix, i]));
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) out.push(...paths(item, [...prefix, key]));
  }
  return out;
}

const replacement = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom(-1, 0, 1, 2, 1.5, -0.5, 1e308, '', 'AAAA', 'v4', null, [], {}),
);

type ValueEdit = { pick: number; kind: 'set' | 'delete' | 'add'; value: unknown };

const valueEdit: fc.Arbitrary<ValueEdit> = fc.record({
  pick: fc.nat(),
  kind: fc.constantFrom('set' as const, 'delete' as const, 'add' as const),
  value: replacement,
});

function applyValueEdit(text: string, edit: ValueEdit, rehash: boolean): string {
  const doc = JSON.parse(text);
  const all = paths(doc).filter((p) => p.length > 0);
  const path = all[edit.pick % all.length]!;
  // biome-ignore lint/suspicious/noExplicitAny: walks an arbitrary JSON document.
  const parent = path.slice(0, -1).reduce((node: any, key) => node[key], doc);
  const key = path[path.length - 1]!;
  if (edit.kind === 'set') parent[key] = edit.value;
  else if (edit.kind === 'delete') {
    if (Array.isArray(parent)) parent.splice(key as number, 1);
    else delete parent[key];
  } else if (Array.isArray(parent)) parent.push(edit.value);
  else parent[`extra${String(key)}`] = edit.value;
  if (rehash) {
    const content = coveredContent(JSON.stringify(doc));
    if (content !== null) doc.stateHash = sha256(content);
  }
  return JSON.stringify(doc, null, 1);
}

describe('random mutations of a valid checkpoint', () => {
  it('text edits are rejected with a code, or accepted only when nothing the hash covers changed', () => {
    fc.assert(
      fc.property(
        validText,
        fc.array(textEdit, { minLength: 1, maxLength: 3 }),
        fc.boolean(),
        (text, edits, withKey) => {
          let mutated = text;
          for (const { at, remove, insert } of edits) {
            const position = at % (mutated.length + 1);
            mutated = mutated.slice(0, position) + insert + mutated.slice(position + remove);
          }
          checkLaw(text, mutated, withKey);
        },
      ),
      { numRuns: 300 },
    );
    expect(outcomes.accepted).toBeGreaterThan(0);
    expect(outcomes.rejected).toBeGreaterThan(0);
  });

  it('value edits (set, delete, add anywhere) are rejected with a code unless they change nothing covered', () => {
    fc.assert(
      fc.property(validText, valueEdit, fc.boolean(), (text, edit, withKey) => {
        checkLaw(text, applyValueEdit(text, edit, false), withKey);
      }),
      { numRuns: 300 },
    );
    expect(outcomes.rejected).toBeGreaterThan(0);
  });

  it('value edits with the hash recomputed are rejected with a code or accepted with that right hash', () => {
    const rehashed = { accepted: 0, rejected: 0 };
    fc.assert(
      fc.property(validText, valueEdit, (text, edit) => {
        const mutated = applyValueEdit(text, edit, true);
        const { result } = verifyCheckpointText(mutated);
        if (!result.ok) {
          rehashed.rejected++;
          expectRejectedWithCodes(result);
        } else {
          rehashed.accepted++;
          expect(result.stateHash).toBe(sha256(coveredContent(mutated)!));
        }
      }),
      { numRuns: 300 },
    );
    // Both happen: some edits keep the checkpoint valid (a metric value, a seed, a name).
    expect(rehashed.accepted).toBeGreaterThan(0);
    expect(rehashed.rejected).toBeGreaterThan(0);
  });

  it('re-spelling (other whitespace, other key order) changes nothing covered and is accepted', () => {
    const shuffle = (value: unknown, seed: number): unknown => {
      if (Array.isArray(value)) return value.map((item) => shuffle(item, seed));
      if (value === null || typeof value !== 'object') return value;
      const entries = Object.entries(value);
      const rotated = entries.map((_, i) => entries[(i + seed) % entries.length]!);
      return Object.fromEntries(rotated.map(([k, v]) => [k, shuffle(v, seed + 1)]));
    };
    fc.assert(
      fc.property(
        validText,
        fc.nat({ max: 10 }),
        fc.constantFrom(0, 1, 4, '\t'),
        (text, seed, indent) => {
          const respelled = JSON.stringify(shuffle(JSON.parse(text), seed), null, indent);
          const { result } = verifyCheckpointText(respelled, { publicKey: undefined });
          expect(result.ok).toBe(true);
          expect(result.stateHash).toBe(JSON.parse(text).stateHash);
        },
      ),
      { numRuns: 100 },
    );
  });
});
