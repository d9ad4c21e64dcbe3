// Issue 11: two routers in two network namespaces joined by a veth pair, each on its own address, and one worker
// (examples' counter, seed 004) connected to both. An in-band publish (worker.publish, on the POST) reaches the long
// polls held on both routers; SIGKILL one router and the other still delivers. Real processes, curl as the clients.
// Needs root and network namespaces (ip netns): where they cannot be created, the test skips and says why.
// The namespaces (and with them the veth pair) are deleted on every exit path: teardown, process exit, and at start
// any left by a run that was killed outright.
import t from 'tap';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { CLI, spawnLogged } from '../lib/harness.mjs';

t.setTimeout(180_000);
const PREFIX = 'sbnt';
const ns = { a: `${PREFIX}${process.pid}a`, b: `${PREFIX}${process.pid}b` };
const veth = { a: `${PREFIX}${process.pid}x`, b: `${PREFIX}${process.pid}y` };
const addr = { a: '10.211.0.1', b: '10.211.0.2' };

const ip = (...args) => execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
const alive = (pid) => { try { process.kill(pid, 0); return true; } catch (err) { return err.code === 'EPERM'; } };

/** Deletes this run's namespaces, and those of earlier runs whose process is gone. */
function cleanup(all = false) {
  let names = [];
  try { names = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').map((l) => l.split(' ')[0]); } catch { return; }
  for (const name of names) {
    const m = new RegExp(`^${PREFIX}(\\d+)[ab]$`).exec(name);
    if (m === null) continue;
    const pid = Number(m[1]);
    if ((all && pid === process.pid) || (pid !== process.pid && !alive(pid))) {
      try { ip('netns', 'del', name); } catch { /* already gone */ }
    }
  }
}

/** Why the namespaces cannot be made here, or undefined once they are (both ends up and addressed). */
function setUp() {
  if (process.platform !== 'linux') return 'network namespaces are Linux only';
  if (process.getuid?.() !== 0) return 'creating network namespaces needs root';
  if (!existsSync('/usr/bin/curl')) return 'curl is not installed (apt-get install curl)';
  try { execFileSync('ip', ['-V'], { stdio: 'ignore' }); } catch { return 'ip is not installed (apt-get install iproute2)'; }
  cleanup();
  process.once('exit', () => cleanup(true));
  try {
    ip('netns', 'add', ns.a);
    ip('netns', 'add', ns.b);
    ip('link', 'add', veth.a, 'type', 'veth', 'peer', 'name', veth.b);
    for (const side of ['a', 'b']) {
      ip('link', 'set', veth[side], 'netns', ns[side]);
      ip('-n', ns[side], 'addr', 'add', `${addr[side]}/24`, 'dev', veth[side]);
      ip('-n', ns[side], 'link', 'set', veth[side], 'up');
      ip('-n', ns[side], 'link', 'set', 'lo', 'up');
    }
  } catch (err) {
    cleanup(true);
    try { ip('link', 'del', veth.a); } catch { /* never made, or went with its namespace */ }
    return `cannot create network namespaces here: ${err.stderr?.toString().trim() || err.message}`;
  }
  return undefined;
}

/** `switchboard router` inside namespace `side`, on its own address; resolves with its addresses. */
async function routerIn(t, side) {
  const a = addr[side];
  const proc = spawnLogged(t, 'ip', ['netns', 'exec', ns[side], process.execPath, CLI, 'router', '--listen', `${a}:0`, '--bind', `tcp://${a}:*`, '--control-bind', `tcp://${a}:*`, '--log-level', 'debug'], { name: `router-${side}` });
  const ready = await proc.waitFor((e) => e.msg === 'router listening', 60_000, '"router listening"');
  const heldCount = () => proc.count((e) => e.msg === 'client held');
  return { ...proc, side, http: ready.http, bind: ready.bind, control: ready.control, held: (n) => proc.waitFor(() => heldCount() >= n, 30_000, `${n} held on router ${side}`) };
}

/** curl from inside namespace `side`: resolves with the status line's code and the body. Bounded by --max-time. */
function curl(side, url, method = 'GET') {
  return new Promise((resolve, reject) => {
    execFile('ip', ['netns', 'exec', ns[side], 'curl', '-s', '--max-time', '60', '-X', method, '-o', '-', '-w', '\n%{http_code}', url], (err, stdout) => {
      if (err) return reject(new Error(`curl ${url} in ${ns[side]}: ${err.message}`));
      const cut = stdout.lastIndexOf('\n');
      resolve({ status: Number(stdout.slice(cut + 1)), body: stdout.slice(0, cut) });
    });
  });
}

const why = setUp();
t.teardown(() => cleanup(true));

t.test('a worker connected to routers in two namespaces: a publish reaches both; SIGKILL one, the other delivers', { skip: why }, async (t) => {
  const a = await routerIn(t, 'a');
  const b = await routerIn(t, 'b');
  t.not(a.http.split(':')[0], b.http.split(':')[0], 'each router on its own address');
  // The worker lives in namespace a: router a is local to it, router b is across the veth pair.
  spawnLogged(t, 'ip', ['netns', 'exec', ns.a, process.execPath, CLI, 'counter', 'c1', '--connect', a.bind, '--connect', b.bind, '--control', a.control, '--control', b.control, '--timeout', '55'], { name: 'counter' });
  await a.waitFor((e) => e.msg === 'worker joined', 60_000, 'the worker on router a');
  await b.waitFor((e) => e.msg === 'worker joined', 60_000, 'the worker on router b');

  const onA = curl('a', `http://${a.http}/counter/value/?last=0`);
  const onB = curl('b', `http://${b.http}/counter/value/?last=0`);
  await a.held(1);
  await b.held(1);
  const post = await curl('a', `http://${a.http}/counter/value/`, 'POST');
  t.same(post, { status: 200, body: '1\n' }, 'POST increments and publishes in-band to both routers');
  t.same(await onA, { status: 200, body: '1\n' }, 'the long poll held on router a');
  t.same(await onB, { status: 200, body: '1\n' }, 'the long poll held on router b, across the veth pair');

  const after = curl('a', `http://${a.http}/counter/value/?last=1`);
  await a.held(2);
  await b.kill('SIGKILL');
  t.same(await curl('a', `http://${a.http}/counter/value/`, 'POST'), { status: 200, body: '2\n' });
  t.same(await after, { status: 200, body: '2\n' }, 'router b is gone; router a still delivers');
});
