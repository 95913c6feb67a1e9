import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
  verify,
} from 'node:crypto';
import { SonaError } from '@sona/core';
import { type CheckpointIssue, issue } from './issues';
import type { CheckpointSignature } from './types';

/** A key as a KeyObject or as PEM text (string or bytes). */
export type KeyInput = KeyObject | string | Buffer;

/** Bytes that are signed: ASCII `sona-checkpoint/v1\n<keyId>\n<stateHash>`. */
export function signedMessage(keyId: string, stateHash: string): Buffer {
  return Buffer.from(`sona-checkpoint/v1\n${keyId}\n${stateHash}`, 'utf8');
}

function toKey(input: KeyInput, kind: 'public' | 'private'): KeyObject {
  let key: KeyObject;
  try {
    if (typeof input === 'object' && !Buffer.isBuffer(input)) {
      key = kind === 'public' && input.type === 'private' ? createPublicKey(input) : input;
    } else {
      key = kind === 'public' ? createPublicKey(input) : createPrivateKey(input);
    }
  } catch (cause) {
    throw new SonaError('INVALID_ARGUMENT', `not a readable ${kind} key (PEM expected)`, { cause });
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new SonaError(
      'INVALID_ARGUMENT',
      `an Ed25519 ${kind} key is required, got ${key.asymmetricKeyType ?? key.type}`,
    );
  }
  if (kind === 'private' && key.type !== 'private') {
    throw new SonaError('INVALID_ARGUMENT', 'signing needs a private key');
  }
  return key;
}

export function publicKeyOf(input: KeyInput): KeyObject {
  return toKey(input, 'public');
}

/** First 16 hex characters of SHA-256 over the raw 32-byte Ed25519 public key. */
export function keyIdOf(input: KeyInput): string {
  const key = publicKeyOf(input);
  const jwk = key.export({ format: 'jwk' });
  const raw = Buffer.from(jwk.x!, 'base64url');
  return createHash('sha256').update(raw).digest('hex').slice(0, 16);
}

export function signStateHash(stateHash: string, privateKey: KeyInput): CheckpointSignature {
  const key = toKey(privateKey, 'private');
  const keyId = keyIdOf(key);
  const value = sign(null, signedMessage(keyId, stateHash), key).toString('base64');
  return { algorithm: 'Ed25519', keyId, value };
}

/** Issues with a signature checked against `publicKey` (none when it verifies). */
export function signatureIssues(
  stateHash: string,
  signature: CheckpointSignature | undefined,
  publicKey: KeyObject,
): CheckpointIssue[] {
  if (signature === undefined) {
    return [
      issue('CHECKPOINT_UNSIGNED', 'signature', 'a signature was required but there is none'),
    ];
  }
  const expectedKeyId = keyIdOf(publicKey);
  if (signature.keyId !== expectedKeyId) {
    return [
      issue(
        'CHECKPOINT_FOREIGN_SIGNATURE',
        'signature.keyId',
        `signed with key ${signature.keyId}, not with the given key ${expectedKeyId}`,
      ),
    ];
  }
  const bytes = Buffer.from(signature.value, 'base64');
  const valid =
    bytes.length === 64 &&
    verify(null, signedMessage(signature.keyId, stateHash), publicKey, bytes);
  return valid
    ? []
    : [issue('CHECKPOINT_BAD_SIGNATURE', 'signature.value', 'the signature does not verify')];
}

export interface SigningKeys {
  /** PKCS#8 PEM; keep it secret. */
  readonly privateKeyPem: string;
  /** SPKI PEM; give it to whoever verifies. */
  readonly publicKeyPem: string;
  readonly keyId: string;
}

/** A fresh Ed25519 key pair (randomness from the OS: keys must not be reproducible). */
export function generateSigningKeys(): SigningKeys {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    keyId: keyIdOf(publicKey),
  };
}
