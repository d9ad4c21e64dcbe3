// TLS for the edge tests: a self-signed certificate made with openssl, and a router with an https:// listener.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRouter } from '../lib/harness.mjs';

/** A self-signed certificate for localhost and 127.0.0.1, in a directory removed at teardown. */
export function makeCert(t) {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-tls-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert,
    '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { stdio: 'ignore' });
  return { cert, key, ca: readFileSync(cert) };
}

/** A router with a plain listener (the harness's) and an https:// one: `https` is its URL, `tls` the certificate. */
export async function tlsRouter(t, extra = []) {
  const tls = makeCert(t);
  const router = await startRouter(t, ['--listen', 'https://127.0.0.1:0', '--tls-cert', tls.cert, '--tls-key', tls.key, ...extra]);
  const ready = router.lines.find((e) => e.msg === 'router listening');
  return { ...router, tls, https: `https://${ready.https}` };
}
