import { scrypt, randomBytes, timingSafeEqual, type ScryptOptions } from 'node:crypto'

// OWASP's scrypt minimum (N=2^16, r=8, p=1: 64 MiB, about 0.1 s here); the parameters are stored
// with each hash so they can be raised later without breaking existing accounts.
const PARAMS = { N: 2 ** 16, r: 8, p: 1 }
const KEY_LENGTH = 32

function derive(password: string, salt: Buffer, params: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, KEY_LENGTH, { ...params, maxmem: 256 * 1024 * 1024 }, (err, key) => (err ? reject(err) : resolve(key)))
  })
}

/** The password policy, once for every route that sets a password (registration, change, reset). */
export const PASSWORD_RULE = { minLength: 10, maxLength: 200, description: 'At least 10 characters' } as const

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16)
  const key = await derive(password, salt, PARAMS)
  return `scrypt$${PARAMS.N}$${PARAMS.r}$${PARAMS.p}$${salt.toString('base64url')}$${key.toString('base64url')}`
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, N, r, p, salt, key] = stored.split('$')
  if (scheme !== 'scrypt' || !key) return false
  const expected = Buffer.from(key, 'base64url')
  const actual = await derive(password, Buffer.from(salt, 'base64url'), { N: Number(N), r: Number(r), p: Number(p) })
  return actual.length === expected.length && timingSafeEqual(actual, expected)
}

/** A hash to compare against when the e-mail is unknown, so that timing does not reveal which accounts exist. */
export const decoyHash = hashPassword('decoy password that never matches')
