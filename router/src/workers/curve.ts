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

// libzmq asks the ZAP handler (RFC 27) of the socket's context at this endpoint; one socket per context can bind it.
const ZAP_ENDPOINT = 'inproc://zeromq.zap.01';

interface Admission { allow: Set<string>; log: Logger }

/** ZAP domain → who may connect there. Routers in one process share the handler, each under its own domain. */
const domains = new Map<string, Admission>();
let zap: { socket: Reply; bound: Promise<void> } | undefined;
/** The last handler's going: its endpoint is free only once it is unbound (libzmq frees it later on a plain close). */
let released: Promise<void> = Promise.resolve();

/**
 * Admits to the sockets of ZAP domain `domain` only CURVE clients whose public key is in `allowed`; the rest get 400,
 * so their handshake fails, and a log line. Other domains are not ours to police: their clients get 200, as they
 * would with no handler at all. Resolves once the handler is bound; the function returned withdraws the domain
 * (the handler closes with the last one) and resolves once the endpoint is free again.
 */
export async function admitWorkers(domain: string, allowed: readonly string[], log: Logger): Promise<() => Promise<void>> {
  domains.set(domain, { allow: new Set(allowed), log });
  if (zap === undefined) {
    const socket = new Reply({ linger: 0 });
    zap = { socket, bound: released.then(() => socket.bind(ZAP_ENDPOINT)).then(() => serve(socket)) };
  }
  const withdraw = (): Promise<void> => {
    if (!domains.delete(domain) || domains.size > 0 || zap === undefined) return released;
    const { socket, bound } = zap;
    zap = undefined;
    released = bound.then(() => socket.unbind(ZAP_ENDPOINT)).catch(() => {}).then(() => socket.close());
    return released;
  };
  try {
    await zap.bound;
  } catch (err) {
    await withdraw();
    throw new Error(`cannot enforce the worker allow list: ${ZAP_ENDPOINT} is taken in this process (${(err as Error).message})`, { cause: err });
  }
  return withdraw;
}

function serve(socket: Reply): void {
  void (async () => {
    try {
      for await (const [version, requestId, domain, address, , mechanism, key] of socket) {
        const admission = domains.get(domain.toString());
        const publicKey = key ? z85Encode(key) : '';
        let ok = true;
        if (admission !== undefined) {
          ok = mechanism.toString() === 'CURVE' && admission.allow.has(publicKey);
          if (!ok) admission.log.warn({ address: address.toString(), publicKey }, 'worker refused: key not allowed');
        }
        await socket.send([version, requestId, ok ? '200' : '400', ok ? 'OK' : 'key not allowed', ok ? publicKey : '', '']);
      }
    } catch (err) {
      if (!socket.closed) domains.values().next().value?.log.error({ err }, 'ZAP handler failed');
    }
  })();
}
