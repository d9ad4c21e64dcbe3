// The checklist of SPEC §7: what a worker must do, each check one exchange with the worker.
// A check returns a one-line detail when it passes, throws CheckFailed or Skipped otherwise.
import { randomBytes } from 'node:crypto';
import { encodeData, encodeGoaway, encodePing, encodeRstStream, encodeSettings, FrameType, RstStatus } from '@switchboard/protocol';
import { header, headerValues, type ConformancePeer, type RequestSpec, type StreamRecord } from './peer.js';

export type CheckLevel = 'required' | 'extended' | 'info';

export interface CheckContext {
  peer: ConformancePeer;
  /** Time allowed for each exchange, ms. */
  timeoutMs: number;
  /** Stops the worker process, for the GOAWAY check (extended protocol). */
  stopWorker?: () => void | Promise<void>;
}

export interface CheckDefinition {
  id: string;
  title: string;
  level: CheckLevel;
  run(ctx: CheckContext): Promise<string>;
}

export class CheckFailed extends Error {}
export class Skipped extends Error {}

// ---- exchange helpers ----------------------------------------------------------------------------

/** Sends a request and waits for the whole reply; fails on a reset, a timeout or a broken reply rule. */
async function exchange(ctx: CheckContext, req: RequestSpec): Promise<StreamRecord> {
  const record = await ctx.peer.request(req);
  await settled(ctx, record, `${req.method ?? 'GET'} ${req.path}`);
  return record;
}

async function settled(ctx: CheckContext, record: StreamRecord, what: string): Promise<void> {
  try {
    await ctx.peer.until(() => record.fin || record.reset !== undefined || record.problems.length > 0, ctx.timeoutMs, `no complete reply to ${what}`);
  } catch (err) {
    throw new CheckFailed((err as Error).message);
  }
  if (record.problems.length) throw new CheckFailed(`${what}: ${record.problems.join('; ')}`);
  if (record.reset !== undefined) throw new CheckFailed(`${what}: the worker reset the stream (RST_STREAM status ${record.reset})`);
}

const bodyOf = (record: StreamRecord) => Buffer.concat(record.body);

function expect(ok: boolean, why: string): void {
  if (!ok) throw new CheckFailed(why);
}

function expectStatus(record: StreamRecord, status: number, what: string): void {
  expect(record.status === status, `${what}: status ${record.status}, expected ${status}`);
}

function expectBody(record: StreamRecord, want: Buffer, what: string): void {
  const got = bodyOf(record);
  if (got.equals(want)) return;
  const at = [...want].findIndex((b, i) => got[i] !== b);
  throw new CheckFailed(`${what}: body of ${got.length} bytes differs from the ${want.length} sent${at >= 0 ? ` (first at byte ${at})` : ''}`);
}

const echo = (ctx: CheckContext, body: Buffer, extra: Partial<RequestSpec> = {}) =>
  exchange(ctx, { method: 'POST', path: '/echo', body, headers: ['content-type', 'application/octet-stream', 'content-length', String(body.length)], ...extra });

/** GET / is answered after `after`; resolves with its reply's record. */
async function expectAlive(ctx: CheckContext, after: string): Promise<StreamRecord> {
  const record = await ctx.peer.request({ path: '/' });
  try {
    await settled(ctx, record, 'GET /');
  } catch (err) {
    throw new CheckFailed(`after ${after}, GET / failed: ${(err as Error).message}`);
  }
  expectStatus(record, 200, `after ${after}, GET /`);
  return record;
}

function extendedOnly(ctx: CheckContext): void {
  if (ctx.peer.protocol !== 'extended') throw new Skipped('the worker speaks the minimal protocol (no hello on the control endpoint)');
}

/** Data frames with a payload, for timing and message counting. */
const chunks = (record: StreamRecord) => record.frames.filter((r) => r.frame.type === 'DATA' && r.frame.data.length > 0);

// ---- the checklist ---------------------------------------------------------------------------------

export const CHECKS: CheckDefinition[] = [
  {
    id: 'get', level: 'required', title: 'GET / answers 200 "Hello from <name>"',
    async run(ctx) {
      const record = await exchange(ctx, { path: '/' });
      expectStatus(record, 200, 'GET /');
      const text = bodyOf(record).toString();
      expect(text.startsWith('Hello from '), `GET /: body ${JSON.stringify(text.slice(0, 60))} does not start with "Hello from "`);
      ctx.peer.name = text.slice('Hello from '.length).trim();
      return JSON.stringify(text);
    },
  },
  {
    id: 'headers', level: 'required', title: 'request headers reach the handler and response headers come back (x-echo-*, several values)',
    async run(ctx) {
      const token = randomBytes(6).toString('hex');
      const record = await exchange(ctx, { path: '/echo', headers: ['x-echo-token', token, 'x-echo-multi', 'one', 'x-echo-multi', 'two', 'accept', '*/*'] });
      expectStatus(record, 200, 'GET /echo');
      expect(header(record.headers!, 'x-echo-token') === token, `x-echo-token came back as ${JSON.stringify(header(record.headers!, 'x-echo-token'))}, sent ${token}`);
      const multi = headerValues(record.headers!, 'x-echo-multi');
      expect(multi.join('|') === 'one|two', `x-echo-multi came back as ${JSON.stringify(multi)}, sent ["one","two"] (NUL-joined on the wire)`);
      return 'x-echo-token and both x-echo-multi values echoed';
    },
  },
  {
    id: 'post-echo', level: 'required', title: 'POST /echo: a body in DATA frames, batched with SYN_STREAM in one part, is echoed',
    async run(ctx) {
      const body = Buffer.from('hello, worker\n');
      const record = await echo(ctx, body, { frameSize: 5 });
      expectStatus(record, 200, 'POST /echo');
      expectBody(record, body, 'POST /echo');
      return `${body.length} bytes in 3 DATA frames echoed`;
    },
  },
  {
    id: 'split-parts', level: 'required', title: 'a request split one frame per message part is read the same',
    async run(ctx) {
      const body = Buffer.from('one frame per part');
      const record = await echo(ctx, body, { frameSize: 4, split: true });
      expectBody(record, body, 'POST /echo, one frame per part');
      return 'SYN_STREAM and 5 DATA frames in 6 parts';
    },
  },
  {
    id: 'empty-body', level: 'required', title: 'an empty body: FIN on SYN_STREAM, or an empty DATA frame with FIN',
    async run(ctx) {
      const a = await echo(ctx, Buffer.alloc(0));
      expectStatus(a, 200, 'POST /echo with FIN on SYN_STREAM');
      expectBody(a, Buffer.alloc(0), 'POST /echo with FIN on SYN_STREAM');
      const b = await echo(ctx, Buffer.alloc(0), { emptyDataFrame: true });
      expectStatus(b, 200, 'POST /echo ended by an empty DATA frame');
      expectBody(b, Buffer.alloc(0), 'POST /echo ended by an empty DATA frame');
      return 'both forms answered with an empty body';
    },
  },
  {
    id: 'large-body', level: 'required', title: 'a 1 MiB body is echoed intact',
    async run(ctx) {
      const body = randomBytes(1 << 20);
      const record = await echo(ctx, body, { frameSize: 65536 });
      expectBody(record, body, 'POST /echo of 1 MiB');
      return `1 MiB in 16 DATA frames; reply in ${chunks(record).length} DATA frames`;
    },
  },
  {
    id: 'binary-body', level: 'required', title: 'a binary body (NUL, all byte values, invalid UTF-8) is echoed byte for byte',
    async run(ctx) {
      const body = Buffer.concat([Buffer.from(Array.from({ length: 1024 }, (_, i) => i % 256)), Buffer.from([0xc3, 0x28, 0xff, 0xfe, 0])]);
      const record = await echo(ctx, body);
      expectBody(record, body, 'POST /echo of binary bytes');
      return `${body.length} bytes`;
    },
  },
  {
    id: 'stream', level: 'required', title: 'GET /stream: DATA frames arrive in several messages, over time',
    async run(ctx) {
      const record = await exchange(ctx, { path: '/stream?count=4&interval=100' });
      expectStatus(record, 200, 'GET /stream');
      const got = chunks(record);
      const messages = new Set(got.map((r) => r.message)).size;
      const span = got.length ? got[got.length - 1].at - got[0].at : 0;
      expect(messages >= 2, `the body came in ${messages} message(s): a streamed response sends chunks as they are produced`);
      expect(span >= 100, `all chunks arrived within ${span.toFixed(0)} ms; asked for 4 chunks 100 ms apart`);
      return `${got.length} chunks in ${messages} messages over ${span.toFixed(0)} ms`;
    },
  },
  {
    id: 'head', level: 'required', title: 'HEAD / answers the headers of GET / and no body',
    async run(ctx) {
      const record = await exchange(ctx, { method: 'HEAD', path: '/' });
      expectStatus(record, 200, 'HEAD /');
      expect(bodyOf(record).length === 0, `HEAD /: ${bodyOf(record).length} body bytes sent`);
      const length = header(record.headers!, 'content-length');
      return length === undefined ? 'no body' : `no body, content-length ${length}`;
    },
  },
  {
    id: 'not-found', level: 'info', title: 'GET of an unknown path',
    async run(ctx) {
      const record = await exchange(ctx, { path: '/no-such-path' });
      return `status ${record.status}`;
    },
  },
  {
    id: 'two-streams', level: 'required', title: 'frames of two streams in one part are both answered',
    async run(ctx) {
      const { peer } = ctx;
      const a = peer.nextStreamId();
      const b = peer.nextStreamId();
      const body = Buffer.from('second');
      const [ra, rb] = await peer.requestBatch([{ streamId: a, path: '/' }, { streamId: b, method: 'POST', path: '/echo', body }]);
      await settled(ctx, ra, `GET / (stream ${a})`);
      await settled(ctx, rb, `POST /echo (stream ${b})`);
      expectStatus(ra, 200, 'GET /');
      expectBody(rb, body, 'POST /echo');
      return `streams ${a} and ${b} in one part`;
    },
  },
  {
    id: 'stream-ids', level: 'required', title: 'stream ids up to 2^31-1, and ids used again once their stream ended (SPEC §4.1)',
    async run(ctx) {
      const high = await exchange(ctx, { path: '/', streamId: 0x7fffffff });
      expectStatus(high, 200, 'GET / on stream 2^31-1');
      const again = await exchange(ctx, { path: '/', streamId: 1 });
      expectStatus(again, 200, 'GET / on stream 1 again');
      return 'stream 2147483647, then stream 1 again';
    },
  },
  {
    id: 'rst-stream', level: 'required', title: 'after RST_STREAM CANCEL the worker sends nothing more for that stream (SPEC §4.4, §5.4)',
    async run(ctx) {
      const { peer } = ctx;
      const record = await peer.request({ path: '/stream?count=100&interval=20' });
      try {
        await peer.until(() => chunks(record).length > 0 || record.fin, ctx.timeoutMs, 'no first chunk from GET /stream?count=100&interval=20');
      } catch (err) {
        throw new CheckFailed((err as Error).message);
      }
      expect(!record.fin, 'the stream ended before it could be cancelled');
      await peer.cancel(record.id);
      // The worker reads in order: once GET / sent after the RST is answered, the RST has been seen.
      const alive = await expectAlive(ctx, 'RST_STREAM');
      const barrier = alive.frames.at(-1)!.message;
      // A later stream at the same pace: by its last chunk, a worker still running the cancelled stream would have
      // sent that one several chunks too.
      const later = await exchange(ctx, { path: '/stream?count=5&interval=20' });
      expect(chunks(later).length === 5, `GET /stream?count=5&interval=20 after the cancel sent ${chunks(later).length} chunks, expected 5`);
      const late = record.frames.filter((r) => r.message > barrier);
      expect(late.length === 0, `${late.length} frame(s) for the cancelled stream arrived after the worker had read the RST_STREAM`);
      return `cancelled after ${chunks(record).length} chunk(s); nothing more while a later stream sent its 5 chunks`;
    },
  },
  {
    id: 'rst-unknown', level: 'required', title: 'RST_STREAM and DATA for streams it does not know are ignored',
    async run(ctx) {
      const { peer } = ctx;
      await peer.send([encodeRstStream(peer.nextStreamId(), RstStatus.CANCEL)]);
      await peer.send([encodeData(peer.nextStreamId(), Buffer.from('stray'), true)]);
      await expectAlive(ctx, 'RST_STREAM and DATA for unknown streams');
      return 'still serving';
    },
  },
  {
    id: 'malformed', level: 'required', title: 'garbage, truncated frames, other SPDY versions and unknown frame types do not stop the worker',
    async run(ctx) {
      const { peer } = ctx;
      const truncated = Buffer.from([0, 0, 0, 0, 0, 0, 0, 100, 1, 2, 3]); // DATA claiming 100 bytes, holding 3
      truncated.writeUInt32BE(peer.nextStreamId(), 0); // a stream never opened: a reset for it is fine
      const messages = [
        Buffer.from('this is not a SPDY frame'),
        truncated,
        Buffer.from([0x80, 0x02, 0, 6, 0, 0, 0, 4, 0, 0, 0, 1]), // a SPDY/2 PING
        Buffer.concat([Buffer.from([0x80, 0x03, 0, 0x0a, 0, 0, 0, 3]), Buffer.from('abc')]), // unknown type 0x0a
        encodeSettings([{ id: 4, value: 100 }]),
        encodePing(7),
        encodeGoaway(0),
      ];
      for (const m of messages) await peer.send([m]);
      await expectAlive(ctx, `${messages.length} malformed or unexpected messages`);
      return 'still serving';
    },
  },
  {
    id: 'bad-frame', level: 'required', title: 'a bad frame costs its own stream only: RST_STREAM PROTOCOL_ERROR for it, the next frame of the part is served (SPEC §3.1, §4.6)',
    async run(ctx) {
      const { peer } = ctx;
      const bad = peer.nextStreamId();
      const badRecord = peer.openRecord(bad);
      const [good] = await peer.requestBatch([{ path: '/' }], [synStreamWithBadBlock(bad)]);
      await settled(ctx, good, 'GET / batched after a SYN_STREAM whose header block is bad');
      expectStatus(good, 200, 'GET / after the bad SYN_STREAM');
      try {
        await peer.until(() => badRecord.reset !== undefined || badRecord.problems.length > 0, ctx.timeoutMs, `no RST_STREAM for stream ${bad}, whose SYN_STREAM does not decode`);
      } catch (err) {
        throw new CheckFailed((err as Error).message);
      }
      expect(badRecord.reset === RstStatus.PROTOCOL_ERROR, `stream ${bad}: RST_STREAM status ${badRecord.reset}, expected PROTOCOL_ERROR (1)`);
      return `stream ${bad} reset with PROTOCOL_ERROR; stream ${good.id}, next in the same part, answered`;
    },
  },
  {
    id: 'hello', level: 'extended', title: 'hello on the control endpoint: its id is the routing id (SPEC §5.2)',
    async run(ctx) {
      extendedOnly(ctx);
      const { peer } = ctx;
      const { hello } = peer.hellos[0];
      expect(peer.workerId!.toString() === hello.id, `hello.id ${JSON.stringify(hello.id)} is not the routing id ${JSON.stringify(peer.workerId!.toString())}`);
      return `name ${JSON.stringify(hello.name)}, maxStreams ${hello.maxStreams}, window ${hello.window}, heartbeatMs ${hello.heartbeatMs}`;
    },
  },
  {
    id: 'ping', level: 'extended', title: 'a router PING (odd id) on the control socket is echoed within 750 ms (SPEC §5.2)',
    async run(ctx) {
      extendedOnly(ctx);
      const { peer } = ctx;
      const id = 0x5c0ffef;
      const sentAt = performance.now();
      await peer.ping(id);
      try {
        await peer.until(() => peer.pongs.has(id), ctx.timeoutMs, 'no PING echoed');
      } catch (err) {
        throw new CheckFailed((err as Error).message);
      }
      const ms = performance.now() - sentAt;
      expect(ms < 750, `PING echoed after ${ms.toFixed(0)} ms: a router takes a worker holding streams for unresponsive after 750 ms`);
      return `PING ${id} echoed in ${ms.toFixed(0)} ms`;
    },
  },
  {
    id: 'flow-control', level: 'extended', title: 'response DATA stays within the window of welcome, growing with WINDOW_UPDATE (SPEC §5.5)',
    async run(ctx) {
      extendedOnly(ctx);
      const window = ctx.peer.options.window;
      const body = randomBytes(4 * window);
      const record = await echo(ctx, body);
      expectBody(record, body, `POST /echo of ${body.length} bytes`);
      expect(record.granted > 0, 'the reply finished without needing a WINDOW_UPDATE');
      return `${body.length} bytes through a ${window}-byte window`;
    },
  },
  {
    id: 'upload', level: 'extended', title: 'a request body streamed beyond the first message, within the window of hello (SPEC §5.7)',
    async run(ctx) {
      extendedOnly(ctx);
      const { peer } = ctx;
      const window = peer.hellos[0].hello.window;
      const first = randomBytes(1024);
      const rest = randomBytes(Math.min(3 * window, 1 << 20));
      const record = await peer.request({ method: 'POST', path: '/echo', body: first, open: true, credit: window });
      try {
        await peer.sendBody(record, rest, ctx.timeoutMs);
      } catch (err) {
        throw new CheckFailed((err as Error).message);
      }
      await settled(ctx, record, 'POST /echo streamed');
      expectBody(record, Buffer.concat([first, rest]), 'POST /echo streamed');
      return `${first.length + rest.length} bytes sent against a ${window}-byte window`;
    },
  },
  {
    id: 'wellformed', level: 'required', title: 'every frame the worker sent was well formed and belonged to a stream it was given',
    async run(ctx) {
      const { peer } = ctx;
      const problems = [...peer.problems, ...[...peer.streams.values()].flatMap((r) => r.problems.map((p) => `stream ${r.id}: ${p}`))];
      expect(problems.length === 0, problems.slice(0, 5).join('; ') + (problems.length > 5 ? `; and ${problems.length - 5} more` : ''));
      return `${peer.streams.size} streams`;
    },
  },
  {
    id: 'goaway', level: 'extended', title: 'stopping: GOAWAY on the control socket before disconnecting (SPEC §5.8)',
    async run(ctx) {
      extendedOnly(ctx);
      if (!ctx.stopWorker) throw new Skipped('the checker was not given a way to stop the worker');
      const { peer } = ctx;
      await ctx.stopWorker();
      try {
        await peer.until(() => peer.goaway !== undefined, ctx.timeoutMs, 'no GOAWAY', true);
      } catch (err) {
        throw new CheckFailed((err as Error).message);
      }
      return `GOAWAY, last-good-stream-id ${peer.goaway!.lastStreamId}`;
    },
  },
];

/** A SYN_STREAM whose header block is not zlib: decodable up to its stream id, no further. */
function synStreamWithBadBlock(streamId: number): Buffer {
  const block = Buffer.from('not a zlib stream');
  const out = Buffer.alloc(18 + block.length);
  out.writeUInt16BE(0x8003, 0);
  out.writeUInt16BE(FrameType.SYN_STREAM, 2);
  out.writeUInt32BE((0x01 << 24 | (10 + block.length)) >>> 0, 4);
  out.writeUInt32BE(streamId, 8);
  block.copy(out, 18);
  return out;
}
