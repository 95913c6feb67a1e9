import { createHash } from 'node:crypto';
import { canonicalJson } from '@sona/checkpoint';

export { canonicalJson };

/** SHA-256 (lowercase hex) of the RFC 8785 canonical JSON of a value (@sona/checkpoint's). */
export function canonicalHash(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value), 'utf8').digest('hex');
}
