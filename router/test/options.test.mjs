// router/src/options.ts in-process: resolveOptions, the one place router options are checked (the library and the CLI
// alike), and parseListen. hostile-workers-options.test.mjs checks that createRouter and the CLI go through it.
import t from 'tap';
import { MAX_STREAM_ID } from '@switchboard/protocol';
import { DEFAULTS, parseListen, resolveOptions } from '../dist/options.js';

const KEY = 'Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID';
const OTHER_KEY = 'D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs';

/** Asserts that `options` is refused with ROUTER_ERR_INVALID_OPTION and a message matching `detail`. */
const refused = (t, options, detail) =>
  t.throws(() => resolveOptions(options), { name: 'RouterError', code: 'ROUTER_ERR_INVALID_OPTION', httpStatus: 500, message: detail }, JSON.stringify(options));

t.test('no options: the defaults, secure by default (loopback, bounded), in a fresh object', async (t) => {
  const opts = resolveOptions({});
  t.same(opts, DEFAULTS);
  t.not(opts, DEFAULTS);
  t.ok(Object.isFrozen(DEFAULTS), 'DEFAULTS cannot be changed by a caller');
  t.match(DEFAULTS, { listen: /^127\.0\.0\.1:/, bind: /^tcp:\/\/127\.0\.0\.1:/ });
});

t.test('a value replaces its default; undefined keeps the default', async (t) => {
  const opts = resolveOptions({ maxQueue: 0, workerTimeout: undefined, httpFront: 'node', controlBind: 'ipc:///tmp/sb-control' });
  t.match(opts, { maxQueue: 0, workerTimeout: DEFAULTS.workerTimeout, httpFront: 'node', controlBind: 'ipc:///tmp/sb-control' });
});

t.test('options must be an object', async (t) => {
  for (const bad of [null, 'listen=:9000', 42]) refused(t, bad, /^invalid router option: options must be an object$/);
});

t.test('an unknown key is refused, even with an undefined value, and inherited names are unknown too', async (t) => {
  refused(t, { maxBodysize: 1 }, /unknown option "maxBodysize"/);
  refused(t, { retries: undefined }, /unknown option "retries"/);
  refused(t, { toString: () => '' }, /unknown option "toString"/);
  refused(t, JSON.parse('{"__proto__": {"maxQueue": 1}}'), /unknown option "__proto__"/);
});

t.test('sizes, counts and times are integers in range: no strings, fractions, NaN or Infinity', async (t) => {
  for (const bad of ['5', 1.5, Number.NaN, Number.POSITIVE_INFINITY, -1, true]) refused(t, { maxQueue: bad }, /^invalid router option: maxQueue must be an integer in 0\.\.9007199254740991, got /);
  t.equal(resolveOptions({ maxBodySize: 0 }).maxBodySize, 0, 'zero where zero makes sense');
  refused(t, { maxHeaderSize: 0 }, /maxHeaderSize must be an integer in 1\.\./);
  refused(t, { maxConnections: 0 }, /maxConnections must be an integer in 1\.\./);
  refused(t, { heartbeatMs: 0 }, /heartbeatMs must be an integer in 1\.\./);
  refused(t, { maxClientBuffer: 0 }, /maxClientBuffer must be an integer in 1\.\./);
});

t.test('windows are 1..2^31-1 (SPDY/3.1 §2.6.8)', async (t) => {
  t.equal(resolveOptions({ streamWindow: MAX_STREAM_ID }).streamWindow, MAX_STREAM_ID);
  refused(t, { streamWindow: MAX_STREAM_ID + 1 }, /streamWindow must be an integer in 1\.\.2147483647/);
  refused(t, { maxStreamWindow: 0 }, /maxStreamWindow must be an integer in 1\.\.2147483647/);
});

t.test('worker endpoints are ZeroMQ endpoints (tcp, ipc, inproc)', async (t) => {
  for (const ok of ['tcp://127.0.0.1:8000', 'tcp://*:8000', 'ipc:///tmp/sb', 'inproc://sb']) t.equal(resolveOptions({ bind: ok }).bind, ok, ok);
  for (const bad of ['tcp://', 'udp://127.0.0.1:8000', '127.0.0.1:8000', 8000]) refused(t, { bind: bad }, /bind must be a ZeroMQ endpoint like tcp:\/\/127\.0\.0\.1:8000/);
  refused(t, { controlBind: 'http://x' }, /controlBind must be a ZeroMQ endpoint/);
});

t.test('listen is host:port with a port in 0..65535', async (t) => {
  for (const ok of ['127.0.0.1:0', '0.0.0.0:65535', '[::1]:9000', ':9000']) t.equal(resolveOptions({ listen: ok }).listen, ok, ok);
  refused(t, { listen: '127.0.0.1:65536' }, /listen must be host:port with a port in 0\.\.65535/);
  for (const bad of ['localhost', '127.0.0.1:', '127.0.0.1:http', 9000]) refused(t, { listen: bad }, /listen must be host:port, e\.g\. 127\.0\.0\.1:9000/);
});

t.test('httpFront and logLevel are one of their names', async (t) => {
  refused(t, { httpFront: 'nginx' }, /httpFront must be one of llhttp, node, got "nginx"/);
  refused(t, { logLevel: 'verbose' }, /logLevel must be one of fatal, error, warn, info, debug, trace, silent/);
  t.equal(resolveOptions({ logLevel: 'silent' }).logLevel, 'silent');
});

t.test('CurveZMQ keys are 40 Z85 characters, and the two go together', async (t) => {
  t.match(resolveOptions({ curveSecretKey: KEY, curvePublicKey: OTHER_KEY }), { curveSecretKey: KEY, curvePublicKey: OTHER_KEY });
  refused(t, { curveSecretKey: KEY.slice(1), curvePublicKey: OTHER_KEY }, /curveSecretKey must be a 40-character Z85 key/);
  refused(t, { curveSecretKey: `${KEY.slice(1)}"`, curvePublicKey: OTHER_KEY }, /curveSecretKey must be a 40-character Z85 key/);
  refused(t, { curvePublicKey: OTHER_KEY }, /curveSecretKey and curvePublicKey go together/);
});

t.test('allowWorkers is a list of Z85 keys, and only with CurveZMQ on: else nobody presents a key', async (t) => {
  const curve = { curveSecretKey: KEY, curvePublicKey: OTHER_KEY };
  t.same(resolveOptions({ ...curve, allowWorkers: [OTHER_KEY] }).allowWorkers, [OTHER_KEY]);
  t.same(resolveOptions({ ...curve, allowWorkers: [] }).allowWorkers, [], 'an empty list: nobody in');
  refused(t, { ...curve, allowWorkers: OTHER_KEY }, /allowWorkers must be a list of 40-character Z85 public keys/);
  refused(t, { ...curve, allowWorkers: [OTHER_KEY, 'short'] }, /allowWorkers must be a list of 40-character Z85 public keys/);
  refused(t, { allowWorkers: [OTHER_KEY] }, /allowWorkers \(--allow-workers\) needs curveSecretKey \(--curve-secret-file\)/);
});

t.test('parseListen: host and port; an empty host is loopback, IPv6 brackets are dropped', async (t) => {
  t.same(parseListen('0.0.0.0:80'), { host: '0.0.0.0', port: 80 });
  t.same(parseListen(':9000'), { host: '127.0.0.1', port: 9000 });
  t.same(parseListen('[::1]:9000'), { host: '::1', port: 9000 });
  t.throws(() => parseListen('9000'), /--listen wants host:port, got "9000"/);
});
