// origin/src/options.ts and errors.ts in-process: createOrigin's checks, and what each undici failure becomes.
import t from 'tap';
import { createOrigin, DEFAULTS, OriginError } from '../dist/index.js';
import { resolveOriginOptions } from '../dist/options.js';
import { backendError } from '../dist/errors.js';

const base = { connect: 'tcp://127.0.0.1:1' };

t.test('defaults: the client\'s Host, a headers timeout under the router\'s worker timeout', async (t) => {
  const o = resolveOriginOptions({ ...base, to: 'http://127.0.0.1:3000' });
  t.same({ ...o }, { to: 'http://127.0.0.1:3000', backendHost: '127.0.0.1:3000', hostHeader: 'keep', headersTimeout: 25_000, bodyTimeout: 300_000, connectTimeout: 10_000 });
  t.same(DEFAULTS, { hostHeader: 'keep', headersTimeout: 25_000, bodyTimeout: 300_000, connectTimeout: 10_000 });
  t.equal(resolveOriginOptions({ ...base, to: 'http://localhost' }).backendHost, 'localhost', 'port 80 is implied');
});

t.test('each invalid option throws ORIGIN_ERR_INVALID_OPTION naming it, before any socket opens', async (t) => {
  const cases = [
    [{ to: 'https://127.0.0.1:3000' }, /to must be an http:\/\/ URL/],
    [{ to: 'not a url' }, /to must be a URL/],
    [{ to: undefined }, /to must be a URL/],
    [{ to: 'http://127.0.0.1:3000/app' }, /without credentials, path or query/],
    [{ to: 'http://u:p@127.0.0.1:3000' }, /without credentials, path or query/],
    [{ to: 'http://127.0.0.1:3000/?x=1' }, /without credentials, path or query/],
    [{ to: 'http://127.0.0.1:3000', hostHeader: 'client' }, /hostHeader must be keep or backend/],
    [{ to: 'http://127.0.0.1:3000', headersTimeout: 0 }, /headersTimeout must be an integer/],
    [{ to: 'http://127.0.0.1:3000', bodyTimeout: -1 }, /bodyTimeout must be an integer/],
    [{ to: 'http://127.0.0.1:3000', connectTimeout: 1.5 }, /connectTimeout must be an integer/],
  ];
  for (const [options, message] of cases) {
    t.throws(() => createOrigin({ ...base, ...options }), { name: 'OriginError', code: 'ORIGIN_ERR_INVALID_OPTION', message }, JSON.stringify(options));
  }
  t.throws(() => createOrigin(null), { code: 'ORIGIN_ERR_INVALID_OPTION' });
  t.throws(() => createOrigin({ to: 'http://127.0.0.1:3000' }), { code: 'WORKER_ERR_INVALID_OPTION' }, 'worker options are the SDK\'s to check');
});

t.test('undici failures map to ORIGIN_ERR_* codes, keeping undici\'s error as the cause', async (t) => {
  const failure = (code, message = 'boom') => Object.assign(new Error(message), { code });
  const cases = [
    ['ECONNREFUSED', 'ORIGIN_ERR_CONNECT', 502],
    ['ENOTFOUND', 'ORIGIN_ERR_CONNECT', 502],
    ['UND_ERR_CONNECT_TIMEOUT', 'ORIGIN_ERR_CONNECT', 502],
    ['UND_ERR_HEADERS_TIMEOUT', 'ORIGIN_ERR_TIMEOUT', 504],
    ['UND_ERR_BODY_TIMEOUT', 'ORIGIN_ERR_TIMEOUT', 504],
    ['UND_ERR_SOCKET', 'ORIGIN_ERR_RESET', 502],
    ['ECONNRESET', 'ORIGIN_ERR_RESET', 502],
    ['HPE_INVALID_CONSTANT', 'ORIGIN_ERR_BAD_RESPONSE', 502],
    ['UND_ERR_RES_CONTENT_LENGTH_MISMATCH', 'ORIGIN_ERR_BAD_RESPONSE', 502],
    ['UND_ERR_HEADERS_OVERFLOW', 'ORIGIN_ERR_BAD_RESPONSE', 502],
    ['UND_ERR_INVALID_ARG', 'ORIGIN_ERR_BAD_REQUEST', 400],
    [undefined, 'ORIGIN_ERR_RESET', 502],
  ];
  for (const [code, ours, status] of cases) {
    const cause = failure(code);
    const err = backendError(cause, 7);
    t.ok(err instanceof OriginError, `${code}: an OriginError`);
    t.match(err, { code: ours, httpStatus: status, streamId: 7, cause }, `${code} → ${ours}`);
    t.match(err.message, code ? new RegExp(`boom \\(${code}\\)$`) : /boom$/, 'undici\'s message and code in ours');
  }
});

t.test('undici\'s parser errors are a malformed response, with or without an HPE_ code', async (t) => {
  const parser = Object.assign(new Error('Response does not match the HTTP/1.1 protocol (Invalid character in Content-Length)'), { name: 'HTTPParserError', code: undefined });
  t.equal(backendError(parser, 1).code, 'ORIGIN_ERR_BAD_RESPONSE');
});

t.test('OriginError: instanceof holds across copies of the package (a Symbol.for brand)', async (t) => {
  const foreign = { [Symbol.for('switchboard.OriginError')]: true, code: 'ORIGIN_ERR_CONNECT' };
  t.ok(foreign instanceof OriginError);
  t.notOk(new Error('x') instanceof OriginError);
  t.notOk(null instanceof OriginError);
});
