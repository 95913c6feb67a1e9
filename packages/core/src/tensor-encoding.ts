import { SonaError } from './errors';

/**
 * Bit-exact text encoding of a Float32Array: base64 (RFC 4648, with padding) of the values'
 * IEEE-754 binary32 bytes in little-endian order, whatever the machine's byte order. Unlike a
 * JSON array of numbers it keeps -0, NaN payloads and every other bit pattern.
 */
const littleEndianHost = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

export function encodeFloat32(values: Float32Array): string {
  if (!(values instanceof Float32Array)) {
    throw new SonaError('INVALID_ARGUMENT', 'encodeFloat32 needs a Float32Array');
  }
  if (littleEndianHost) {
    return Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString('base64');
  }
  const bytes = Buffer.alloc(values.byteLength);
  for (let i = 0; i < values.length; i++) bytes.writeFloatLE(values[i]!, i * 4);
  return bytes.toString('base64');
}

// Padded base64: alphabet characters, at most two '=' at the end, length a multiple of 4. (The
// same strings as the grouped form /^(?:[A-Za-z0-9+/]{4})*(?:..==|...=)?$/, several times faster.)
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export function decodeFloat32(text: string, expectedLength?: number): Float32Array {
  if (typeof text !== 'string' || text.length % 4 !== 0 || !BASE64.test(text)) {
    throw new SonaError('INVALID_ARGUMENT', 'not a base64 float32 tensor');
  }
  const bytes = Buffer.from(text, 'base64');
  if (bytes.length % 4 !== 0) {
    throw new SonaError('DIM_MISMATCH', `tensor has ${bytes.length} bytes, not a multiple of 4`);
  }
  const length = bytes.length / 4;
  if (expectedLength !== undefined && length !== expectedLength) {
    throw new SonaError('DIM_MISMATCH', `tensor has ${length} values, expected ${expectedLength}`, {
      details: { expected: expectedLength, actual: length },
    });
  }
  const out = new Float32Array(length);
  if (littleEndianHost) {
    new Uint8Array(out.buffer).set(bytes);
  } else {
    for (let i = 0; i < length; i++) out[i] = bytes.readFloatLE(i * 4);
  }
  return out;
}
