// Streamed request bodies in-process (router/src/streams/upload.ts, SPEC §5.7): DATA under the worker's request
// window, split at DATA_SPLIT_SIZE, the rest queued until WINDOW_UPDATE, the client paused and resumed, FIN at the end.
import t from 'tap';
import { DATA_SPLIT_SIZE } from '@switchboard/protocol';
import { ProxyStream } from '../../dist/streams/proxy-stream.js';
import { Upload } from '../../dist/streams/upload.js';
import { fakeExchange, fakeHost, fakeLink } from '../lib/fakes.mjs';

/** A PUT whose first message went to worker w1, with `window` bytes of request credit. */
function setup({ window = 10, complete = false } = {}) {
  const link = fakeLink();
  const upload = new Upload(link, 1000);
  const ex = fakeExchange({ method: 'PUT' });
  const stream = new ProxyStream(1, ex, fakeHost());
  stream.streamBody();
  if (complete) stream.endBody();
  stream.sent('w1', 0, 1);
  upload.start(stream, window);
  return { link, upload, stream, ex, data: () => link.sent.map((s) => [s.frame.data.toString(), s.frame.fin]) };
}

t.test('starting an incomplete body resumes the paused client', async (t) => {
  const { ex, link } = setup();
  t.equal(ex.resumed, 1);
  t.same(link.sent, []);
});

t.test('starting a body already complete sends the FIN at once', async (t) => {
  const { data } = setup({ complete: true });
  t.same(data(), [['', true]]);
});

t.test('a chunk within the window goes at once; true while credit is left', async (t) => {
  const { upload, stream, data } = setup();
  t.equal(upload.chunk(stream, Buffer.from('abcd')), true);
  t.same(data(), [['abcd', false]]);
  t.equal(stream.upload.available, 6);
});

t.test('a chunk past the window is split at the window: the rest waits, and the client must pause', async (t) => {
  const { upload, stream, data } = setup({ window: 3 });
  t.equal(upload.chunk(stream, Buffer.from('abcdef')), false);
  t.same(data(), [['abc', false]]);
  t.equal(stream.upload.queuedBytes, 3);
  t.equal(stream.mayResend(), 0, 'NO: the body\'s bytes are gone');
});

t.test('a chunk that spends the window exactly also pauses the client', async (t) => {
  const { upload, stream } = setup({ window: 3 });
  t.equal(upload.chunk(stream, Buffer.from('abc')), false);
  t.equal(stream.upload.queuedBytes, 0);
});

t.test('WINDOW_UPDATE sends what waited, then resumes the client while credit is left', async (t) => {
  const { upload, stream, ex, link, data } = setup({ window: 3 });
  upload.chunk(stream, Buffer.from('abcdef'));
  link.sent = [];
  upload.credit(stream, 3);
  t.same(data(), [['def', false]]);
  t.equal(ex.resumed, 1, 'no credit left: still paused');
  upload.credit(stream, 5);
  t.equal(ex.resumed, 2);
});

t.test('the FIN waits for queued bytes, then follows them, and the worker timeout restarts from there', async (t) => {
  const { upload, stream, link, data } = setup({ window: 3 });
  upload.chunk(stream, Buffer.from('abcdef'));
  stream.endBody();
  upload.end(stream);
  t.same(data(), [['abc', false]], 'no FIN while bytes wait');
  link.sent = [];
  const before = Date.now();
  upload.credit(stream, 10);
  t.same(data(), [['def', false], ['', true]]);
  t.ok(stream.deadline >= before + 1000, 'the worker timeout runs from the end of the request');
});

t.test(`a chunk larger than ${DATA_SPLIT_SIZE} bytes leaves as several DATA frames`, async (t) => {
  const { upload, stream, link } = setup({ window: 3 * DATA_SPLIT_SIZE });
  upload.chunk(stream, Buffer.alloc(2 * DATA_SPLIT_SIZE + 1));
  t.same(link.sent.map((s) => s.frame.data.length), [DATA_SPLIT_SIZE, DATA_SPLIT_SIZE, 1]);
  t.ok(link.sent.every((s) => s.request === stream), 'each tagged with its stream');
});
