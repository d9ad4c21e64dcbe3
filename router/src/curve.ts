// CurveZMQ for untrusted networks (SPEC §5.9): key files, and a ZAP handler that admits only listed workers.
import { readFileSync, writeFileSync } from 'node:fs';
import { Reply, curveKeyPair } from 'zeromq';
import type { Logger } from 'pino';

export interface KeyPair { publicKey: string; secretKey: string }

/** Writes `<prefix>.key` (both keys, mode 0600) and `<prefix>.pub` (public key only). */
export function writeKeyPair(prefix: string): KeyPair {
  const pair = curveKeyPair();
  writeFileSync(`${prefix}.key`, `# Switchboard CurveZMQ key pair: keep this file secret\npublic-key = "${pair.publicKey}"\nsecret-key = "${pair.secretKey}"\n`, { mode: 0o600 });
  writeFileSync(`${prefix}.pub`, `# Switchboard CurveZMQ public key\npublic-key = "${pair.publicKey}"\n`);
  return pair;
}

/** Reads a key file written by writeKeyPair (the czmq certificate style: `name = "Z85"`). */
export function readKeyFile(path: string): Partial<KeyPair> {
  const text = readFileSync(path, 'utf8');
  const pick = (name: string) => new RegExp(`^\\s*${name}\\s*=\\s*"([^"]{40})"`, 'm').exec(text)?.[1];
  return { publicKey: pick('public-key'), secretKey: pick('secret-key') };
}

/** Reads an allow list: one Z85 public key a line, or key files' `public-key = "..."` lines; lines starting with `#`
 * are comments (only whole lines: `#` is a Z85 digit). */
export function readAllowList(path: string): string[] {
  const keys: string[] = [];
  for (const raw of readFileSync(path, 'utf8').split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const key = /"([^"]{40})"/.exec(line)?.[1] ?? line;
    if (key.length !== 40) throw new Error(`${path}: not a Z85 public key: ${JSON.stringify(line)}`);
    keys.push(key);
  }
  return keys;
}

const Z85 = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#';

export function z85Encode(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 4) {
    let value = ((bytes[i] << 24) | (bytes[i + 1] << 16) | (bytes[i + 2] << 8) | bytes[i + 3]) >>> 0;
    let chunk = '';
    for (let j = 0; j < 5; j++) { chunk = Z85[value % 85] + chunk; value = Math.floor(value / 85); }
    out += chunk;
  }
  return out;
}

/**
 * Answers ZAP requests (RFC 27) for the `switchboard` domain: CURVE clients whose public key is allowed get
 * 200, everyone else 400, so their handshake fails. Runs until the returned close function is called.
 */
export async function startZapHandler(allowed: string[], log: Logger): Promise<() => void> {
  const allow = new Set(allowed);
  const zap = new Reply({ linger: 0 });
  await zap.bind('inproc://zeromq.zap.01');
  void (async () => {
    try {
      for await (const [version, requestId, , address, , mechanism, key] of zap) {
        const publicKey = key ? z85Encode(key) : '';
        const ok = mechanism.toString() === 'CURVE' && allow.has(publicKey);
        if (!ok) log.warn({ address: address.toString(), publicKey }, 'worker refused: key not allowed');
        await zap.send([version, requestId, ok ? '200' : '400', ok ? 'OK' : 'key not allowed', ok ? publicKey : '', '']);
      }
    } catch (err) {
      if (!zap.closed) log.error({ err }, 'ZAP handler failed');
    }
  })();
  return () => zap.close();
}
