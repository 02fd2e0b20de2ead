import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createSecretBox, SecretBoxError } from '../../src/security/secret-box.ts';

const OLD = 'old-secret-key-0123456789abcdef';
const NEW = 'new-secret-key-fedcba9876543210';

describe('secret box (AES-256-GCM)', () => {
  const box = createSecretBox(OLD);

  it('round-trips any text and never stores it in the clear', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), (plain) => {
        const sealed = box.encrypt(plain);
        expect(box.decrypt(sealed)).toBe(plain);
        expect(sealed.ciphertext.includes(plain) && plain.length > 3).toBe(false);
      }),
      { numRuns: 200 },
    );
  });

  it('gives a different ciphertext each time (random IV)', () => {
    expect(box.encrypt('same').ciphertext).not.toBe(box.encrypt('same').ciphertext);
  });

  it('refuses tampered ciphertext', () => {
    const sealed = box.encrypt('api-secret-value');
    const parts = sealed.ciphertext.split(':');
    const body = Buffer.from(parts[3]!, 'base64');
    body[0] = body[0]! ^ 1;
    parts[3] = body.toString('base64');
    expect(() => box.decrypt({ ...sealed, ciphertext: parts.join(':') })).toThrow(SecretBoxError);
  });

  it('rotates: a new key with the old one as previous opens old rows, new rows use the new key id', () => {
    const sealedOld = box.encrypt('k1');
    const rotated = createSecretBox(NEW, [OLD]);
    expect(rotated.keyId).not.toBe(box.keyId);
    expect(rotated.decrypt(sealedOld)).toBe('k1');
    expect(rotated.encrypt('k2').keyId).toBe(rotated.keyId);
    expect(() => createSecretBox(NEW).decrypt(sealedOld)).toThrow(/SECRET_KEY_PREVIOUS/);
  });

  it('key id does not reveal the secret', () => {
    expect(box.keyId).toMatch(/^[0-9a-f]{16}$/);
    expect(OLD).not.toContain(box.keyId);
  });
});
