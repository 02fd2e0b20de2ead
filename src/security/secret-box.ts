/**
 * AES-256-GCM for exchange credentials at rest. The key is derived from SECRET_KEY with scrypt;
 * its id (a hash of the derived key, not of the secret) is stored beside each ciphertext so a
 * rotation can tell old rows from new ones. Previous keys decrypt only.
 */
import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes, scryptSync } from 'node:crypto';

const SALT = 'ase-bot/api-keys/v1';
const FORMAT = 'v1';

export interface SealedSecret {
  keyId: string;
  /** v1:<iv>:<tag>:<ciphertext>, base64 parts */
  ciphertext: string;
}

export interface SecretBox {
  /** id of the current key: every new ciphertext is sealed under it */
  readonly keyId: string;
  readonly knownKeyIds: readonly string[];
  encrypt(plain: string): SealedSecret;
  decrypt(sealed: SealedSecret): string;
  /**
   * A keyed hash of `plain` (HMAC-SHA256 under a key derived from the current SECRET_KEY), hex:
   * equal inputs give equal fingerprints, so a stored one tells whether an API key is already in
   * use without keeping it in plain text. Changes with SECRET_KEY (a rotation recomputes them).
   */
  fingerprint(plain: string): string;
}

export class SecretBoxError extends Error {
  override name = 'SecretBoxError';
}

interface DerivedKey {
  id: string;
  key: Buffer;
}

function derive(secret: string): DerivedKey {
  const key = scryptSync(secret, SALT, 32, { N: 1 << 14, r: 8, p: 1 });
  const id = createHash('sha256').update(key).digest('hex').slice(0, 16);
  return { id, key };
}

export function createSecretBox(current: string, previous: readonly string[] = []): SecretBox {
  const keys = [derive(current), ...previous.map(derive)];
  const byId = new Map(keys.map((k) => [k.id, k.key]));
  const currentKey = keys[0]!;
  // its own key, never the encryption key itself
  const fingerprintKey = createHmac('sha256', currentKey.key).update('ase-bot/api-key-fingerprint/v1').digest();
  return {
    fingerprint: (plain) => createHmac('sha256', fingerprintKey).update(plain, 'utf8').digest('hex'),
    keyId: currentKey.id,
    knownKeyIds: [...byId.keys()],
    encrypt(plain) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', currentKey.key, iv);
      cipher.setAAD(Buffer.from(currentKey.id));
      const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      const tag = cipher.getAuthTag();
      return { keyId: currentKey.id, ciphertext: [FORMAT, iv.toString('base64'), tag.toString('base64'), body.toString('base64')].join(':') };
    },
    decrypt(sealed) {
      const key = byId.get(sealed.keyId);
      if (!key) throw new SecretBoxError(`no SECRET_KEY known for key id ${sealed.keyId}: set the old key in SECRET_KEY_PREVIOUS and run npm run keys:rotate`);
      const [format, iv, tag, body] = sealed.ciphertext.split(':');
      if (format !== FORMAT || !iv || !tag || body === undefined) throw new SecretBoxError('ciphertext is not in the v1 format');
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64'));
        decipher.setAAD(Buffer.from(sealed.keyId));
        decipher.setAuthTag(Buffer.from(tag, 'base64'));
        return Buffer.concat([decipher.update(Buffer.from(body, 'base64')), decipher.final()]).toString('utf8');
      } catch {
        throw new SecretBoxError('ciphertext failed authentication (wrong key or tampered data)');
      }
    },
  };
}
