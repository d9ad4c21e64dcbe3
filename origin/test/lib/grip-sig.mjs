// Checks a Grip-Sig the way a backend behind Switchboard would: an HS256 JWT signed with the router's --grip-sig-key.
import { createHmac } from 'node:crypto';

export const GRIP_KEY = 'origin-test-grip-key';
export const GRIP_ISS = 'switchboard-test';
/** The router flags that make it sign requests with GRIP_KEY. */
export const GRIP_ARGS = ['--grip-sig-key', GRIP_KEY, '--grip-sig-iss', GRIP_ISS];

/** The token's claims when its signature verifies with GRIP_KEY, else undefined. */
export function verifiedClaims(token) {
  const [head, body, sig] = String(token).split('.');
  if (!head || !body || !sig) return undefined;
  const expected = createHmac('sha256', GRIP_KEY).update(`${head}.${body}`).digest('base64url');
  if (expected !== sig || JSON.parse(Buffer.from(head, 'base64url')).alg !== 'HS256') return undefined;
  return JSON.parse(Buffer.from(body, 'base64url'));
}
