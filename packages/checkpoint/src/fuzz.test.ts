/**
 * Fuzzes the checkpoint reader end to end (bytes on disk → loadCheckpoint / verifyCheckpoint /
 * listCheckpoints): byte-level damage to valid files, random bytes and random JSON. Bounded
 * (small states, a few hundred runs) and seeded under CI by tools/vitest-setup.ts. The law:
 * the reader never throws anything but a SonaError, never accepts a file whose covered content
 * differs from what it was made from, and load and verify agree on the first problem's code.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isSonaError } from '@sona/core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listCheckpoints, loadCheckpoint, verifyCheckpoint } from './io';
import { coveredContent, expectRejectedWithCodes, sha256, signer, validText } from './test-laws';

let dir: string;
let counter = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sona-checkpoint-fuzz-'));
});

afterAll(() => rm(dir, { recursive: true, force: true }));

/** Bytes that trip decoders: invalid UTF-8 leads, overlongs, surrogates in UTF-8, BOM, NUL, ESC. */
const nastyByte = fc.constantFrom(
  0x00,
  0x1b,
  0x22,
  0x5c,
  0x7b,
  0x7d,
  0x80,
  0xbf,
  0xc0,
  0xc1,
  0xed,
  0xef,
  0xf5,
  0xfe,
  0xff,
);
const someBytes = fc
  .uint8Array({ maxLength: 6 })
  .chain((random) =>
    fc.array(nastyByte, { maxLength: 4 }).map((nasty) => Uint8Array.from([...random, ...nasty])),
  );

type Damage =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'set'; at: number; value: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'repeat'; at: number; length: number }
  | { kind: 'bom' }
  | { kind: 'pad'; before: boolean; bytes: Uint8Array };

const damage: fc.Arbitrary<Damage> = fc.oneof(
  fc.record({
    kind: fc.constant('flip' as const),
    at: fc.nat(),
    bit: fc.integer({ min: 0, max: 7 }),
  }),
  fc.record({
    kind: fc.constant('set' as const),
    at: fc.nat(),
    value: fc.oneof(nastyByte, fc.nat({ max: 255 })),
  }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: someBytes }),
  fc.record({
    kind: fc.constant('delete' as const),
    at: fc.nat(),
    length: fc.integer({ min: 1, max: 8 }),
  }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('repeat' as const),
    at: fc.nat(),
    length: fc.integer({ min: 1, max: 40 }),
  }),
  fc.constant({ kind: 'bom' as const }),
  // Whitespace around the document: harmless, so some damaged files must still be accepted.
  fc.record({
    kind: fc.constant('pad' as const),
    before: fc.boolean(),
    bytes: fc
      .uint8Array({ minLength: 1, maxLength: 4 })
      .map((b) => b.map((x) => [0x20, 0x09, 0x0a, 0x0d][x % 4]!)),
  }),
);

function applyDamage(bytes: Buffer, d: Damage): Buffer {
  const at = bytes.length === 0 ? 0 : ('at' in d ? d.at : 0) % bytes.length;
  switch (d.kind) {
    case 'flip': {
      const out = Buffer.from(bytes);
      if (out.length > 0) out[at]! ^= 1 << d.bit;
      return out;
    }
    case 'set': {
      const out = Buffer.from(bytes);
      if (out.length > 0) out[at] = d.value;
      return out;
    }
    case 'insert':
      return Buffer.concat([bytes.subarray(0, at), d.bytes, bytes.subarray(at)]);
    case 'delete':
      return Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + d.length)]);
    case 'truncate':
      return bytes.subarray(0, at);
    case 'repeat':
      return Buffer.concat([bytes.subarray(0, at + d.length), bytes.subarray(at)]);
    case 'bom':
      return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytes]);
    case 'pad':
      return Buffer.concat(d.before ? [d.bytes, bytes] : [bytes, d.bytes]);
  }
}

function strictUtf8(bytes: Buffer): string | null {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return null;
  }
}

const seen = { accepted: 0, rejected: 0 };

/**
 * Writes `bytes` to a file and reads it every way the package can. `original` is the valid
 * text the bytes were made from, if any: an accepted file must cover exactly its content.
 */
async function readEveryWay(bytes: Uint8Array, original: string | null, withKey: boolean) {
  const sub = join(dir, `case-${counter++}`);
  await mkdir(sub);
  const path = join(sub, 'fuzz.json');
  await writeFile(path, bytes);
  const options = withKey ? { publicKey: signer.publicKey } : {};
  const result = await verifyCheckpoint(path, options);
  let loadError: unknown;
  try {
    await loadCheckpoint(path, options);
  } catch (error) {
    loadError = error;
  }
  // list reads the same way (it takes no key, so it agrees with a keyless verify).
  const [listed] = await listCheckpoints(sub);
  const keyless = withKey ? await verifyCheckpoint(path) : result;
  expect(listed!.result.errors).toEqual(keyless.errors);
  if (!result.ok) {
    seen.rejected++;
    expectRejectedWithCodes(result);
    expect(isSonaError(loadError)).toBe(true);
    expect((loadError as { code: string }).code).toBe(result.errors[0]!.code);
    return;
  }
  seen.accepted++;
  expect(loadError).toBeUndefined();
  const text = strictUtf8(Buffer.from(bytes));
  expect(text).not.toBeNull();
  const covered = coveredContent(text!);
  expect(covered).not.toBeNull();
  expect(result.stateHash).toBe(sha256(covered!));
  if (original !== null) expect(covered).toBe(coveredContent(original));
}

describe('fuzzing the checkpoint reader (files on disk)', () => {
  it('byte-level damage to valid files: rejected with a code, or accepted with unchanged content', async () => {
    await fc.assert(
      fc.asyncProperty(
        validText,
        fc.array(damage, { minLength: 1, maxLength: 3 }),
        fc.boolean(),
        async (text, damages, withKey) => {
          const bytes = damages.reduce(applyDamage, Buffer.from(text, 'utf8'));
          await readEveryWay(bytes, text, withKey);
        },
      ),
      { numRuns: 250 },
    );
    expect(seen.rejected).toBeGreaterThan(0);
    expect(seen.accepted).toBeGreaterThan(0);
  }, 120_000);

  it('random bytes and random JSON documents are rejected with a checkpoint code', async () => {
    const anyBytes = fc.oneof(
      fc.uint8Array({ maxLength: 300 }),
      someBytes,
      fc.jsonValue({ maxDepth: 3 }).map((value) => Buffer.from(JSON.stringify(value) ?? 'null')),
      fc
        .dictionary(
          fc.constantFrom('version', 'model', 'config', 'stateHash', 'engine', 'signature', 'x'),
          fc.jsonValue({ maxDepth: 2 }),
        )
        .map((doc) => Buffer.from(JSON.stringify(doc))),
    );
    await fc.assert(
      fc.asyncProperty(anyBytes, async (bytes) => {
        await readEveryWay(bytes, null, false);
      }),
      { numRuns: 200 },
    );
  }, 120_000);
});
