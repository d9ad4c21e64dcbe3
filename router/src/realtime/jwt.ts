// JSON Web Tokens, HS256 only (RFC 7519, RFC 7515): what Pushpin signs Grip-Sig with and what GRIP publishers send.
import { createHmac, timingSafeEqual } from 'node:crypto';

const HEADER = Buffer.from(JSON.stringify({ typ: 'JWT', alg: 'HS256' })).toString('base64url');

export function signHs256(claims: Record<string, unknown>, key: Buffer): string {
  const body = `${HEADER}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  return `${body}.${createHmac('sha256', key).update(body).digest('base64url')}`;
}

/** The claims of a token signed with `key` (HS256) and not expired at `nowSeconds`; undefined otherwise. */
export function verifyHs256(token: string, key: Buffer, nowSeconds: number): Record<string, unknown> | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  let header: unknown;
  let claims: unknown;
  try {
    header = JSON.parse(Buffer.from(parts[0], 'base64url').toString());
    claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString());
  } catch {
    return undefined;
  }
  if (typeof header !== 'object' || header === null || (header as { alg?: unknown }).alg !== 'HS256') return undefined;
  if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) return undefined;
  const expected = createHmac('sha256', key).update(`${parts[0]}.${parts[1]}`).digest();
  const given = Buffer.from(parts[2], 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  const exp = (claims as { exp?: unknown }).exp;
  if (exp !== undefined && (typeof exp !== 'number' || nowSeconds >= exp)) return undefined;
  return claims as Record<string, unknown>;
}
