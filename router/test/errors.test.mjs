// router/src/errors.ts in-process: every RouterError code with the HTTP status the client gets and the RST_STREAM
// status the worker gets (codes are API: README lists them), and instanceof across two loaded copies.
import t from 'tap';
import { RstStatus } from '@switchboard/protocol';
import { RouterError } from '../dist/errors.js';
// The same module loaded again (a query makes it a second module instance), as when two copies are installed.
const { RouterError: RouterErrorCopy } = await import('../dist/errors.js?second-copy');

const { CANCEL, PROTOCOL_ERROR, INTERNAL_ERROR, FLOW_CONTROL_ERROR } = RstStatus;

t.test('each code has its HTTP status, its RST_STREAM status and, for the 503s that pass, Retry-After: 1', async (t) => {
  const table = {
    ROUTER_ERR_NO_WORKER: [503, CANCEL, 1],
    ROUTER_ERR_BUSY: [503, CANCEL, 1],
    ROUTER_ERR_QUEUE_FULL: [503, CANCEL, 1],
    ROUTER_ERR_WORKER_TIMEOUT: [504, CANCEL, undefined],
    ROUTER_ERR_WORKER_RESET: [502, CANCEL, undefined],
    ROUTER_ERR_WORKER_LOST: [502, CANCEL, undefined],
    ROUTER_ERR_BAD_REPLY: [502, PROTOCOL_ERROR, undefined],
    ROUTER_ERR_BODY_TOO_LARGE: [413, CANCEL, undefined],
    ROUTER_ERR_BAD_REQUEST: [400, CANCEL, undefined],
    ROUTER_ERR_REQUEST_TIMEOUT: [408, CANCEL, undefined],
    ROUTER_ERR_SHUTTING_DOWN: [503, CANCEL, 1],
    ROUTER_ERR_INVALID_OPTION: [500, INTERNAL_ERROR, undefined],
  };
  for (const [code, [httpStatus, rstStatus, retryAfter]] of Object.entries(table)) {
    const err = new RouterError(code);
    t.same({ code: err.code, httpStatus: err.httpStatus, rstStatus: err.rstStatus, retryAfter: err.retryAfter }, { code, httpStatus, rstStatus, retryAfter }, code);
  }
});

t.test('the message is the code\'s own, with the detail after a colon', async (t) => {
  t.equal(new RouterError('ROUTER_ERR_NO_WORKER').message, 'no worker is connected');
  t.equal(new RouterError('ROUTER_ERR_BODY_TOO_LARGE', { detail: '9 > 8 bytes' }).message,
    'the request body is larger than the router buffers, and no worker takes streamed bodies: 9 > 8 bytes');
});

t.test('the stream id and cause are kept; stream 0 when none is given', async (t) => {
  const cause = new Error('EHOSTUNREACH');
  const err = new RouterError('ROUTER_ERR_WORKER_LOST', { streamId: 7, cause });
  t.equal(err.streamId, 7);
  t.equal(err.cause, cause);
  t.equal(new RouterError('ROUTER_ERR_BUSY').streamId, 0);
});

t.test('a more precise RST status replaces the code\'s own (a window overrun: FLOW_CONTROL_ERROR)', async (t) => {
  const err = new RouterError('ROUTER_ERR_BAD_REPLY', { rstStatus: FLOW_CONTROL_ERROR });
  t.equal(err.rstStatus, FLOW_CONTROL_ERROR);
  t.equal(err.httpStatus, 502, 'the client\'s status does not change');
});

t.test('a RouterError is an Error named RouterError', async (t) => {
  const err = new RouterError('ROUTER_ERR_BUSY');
  t.ok(err instanceof Error);
  t.equal(err.name, 'RouterError');
  t.match(String(err), /^RouterError: every worker is at its concurrency limit$/);
});

t.test('instanceof holds across two loaded copies of the module (the Symbol.for brand)', async (t) => {
  t.not(RouterErrorCopy, RouterError, 'really a second class');
  t.ok(new RouterErrorCopy('ROUTER_ERR_BUSY') instanceof RouterError);
  t.ok(new RouterError('ROUTER_ERR_BUSY') instanceof RouterErrorCopy);
});

t.test('instanceof is false for other errors and for values that are not objects', async (t) => {
  for (const value of [new Error('x'), { code: 'ROUTER_ERR_BUSY' }, null, undefined, 'RouterError', 503]) {
    t.notOk(value instanceof RouterError, String(value));
  }
});
