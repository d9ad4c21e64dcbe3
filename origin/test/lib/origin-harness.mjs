// Starting an origin worker and the Python backends it relays to, as processes, for the end-to-end tests (the
// router's harness starts the router). Every process is SIGKILLed at the test's teardown; every wait is bounded.
import { CLI, spawnLogged } from '../../../router/test/lib/harness.mjs';

/** Debian's Python (python3-django is installed for it), not whatever python3 comes first on PATH. */
export const PYTHON = '/usr/bin/python3';
/** Python must not leave __pycache__/ in the source tree. */
const NO_PYC = { PYTHONDONTWRITEBYTECODE: '1' };

/**
 * Starts a Python backend script (from the repository root) that prints {"msg": "listening", "port": N} once it
 * accepts connections. Resolves with its process, port and origin URL.
 */
export async function startPythonBackend(t, script, args = [], name = 'backend') {
  const proc = spawnLogged(t, PYTHON, [script, ...args], { name, env: NO_PYC });
  const { port } = await proc.waitFor((e) => e.msg === 'listening', 60_000, '"listening"');
  return { ...proc, port, url: `http://127.0.0.1:${port}` };
}

/** Starts `switchboard http-origin` relaying to `to`; resolves once the router has logged it joined. */
export async function startOrigin(t, router, to, { name = 'origin-1', args = [] } = {}) {
  const proc = spawnLogged(t, process.execPath, [
    CLI, 'http-origin', '--name', name, '--to', to, '--connect', router.bind, '--control', router.control, ...args,
  ], { name });
  await Promise.race([
    router.waitFor((e) => e.msg === 'worker joined' && e.worker === name, 60_000, `"worker joined" for ${name}`),
    proc.exited.then(({ code, signal }) => { throw new Error(`${name} exited (${code ?? signal}) before joining: ${proc.stderr.slice(-5).join(' | ')}`); }),
  ]);
  return proc;
}
