// Every case in protocol/vectors/ through our codec, and every valid case through spdy-transport,
// so the meaning written in the vectors is checked by two implementations (README there).
import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { decodeFrames, encodeFrame, ProtocolError, readFrames } from '@switchboard/protocol';
import { oracleErrorName, oracleGoawayName, oracleParse, splitFrames, toOracleHeaders } from './spdy-oracle.mjs';

const dir = new URL('../vectors/', import.meta.url);
const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();

/** Our Frame objects in the vectors' JSON form: bytes as hex, headers as [name, value] pairs. */
function toVector(frame) {
  const out = { ...frame };
  for (const key of ['data', 'payload']) if (Buffer.isBuffer(out[key])) out[key] = out[key].toString('hex');
  if (out.headers) out.headers = pairsOf(out.headers);
  return out;
}
/** What a frame reader gets from a part (SPEC §3.1): its frames, and an ERROR entry for each that does not decode. */
function readPart(part) {
  const out = [];
  readFrames(part, {
    frame: (frame) => out.push(toVector(frame)),
    badFrame: (err) => out.push({ type: 'ERROR', code: err.code, rstStatus: err.rstStatus, streamId: err.streamId }),
  });
  return out;
}
const hasError = (frames) => frames.some((f) => f.type === 'ERROR');
const pairsOf = (flat) => flat.reduce((acc, v, i) => (i % 2 ? acc[acc.length - 1].push(v) : acc.push([v]), acc), []);

/** A vector frame back into our Frame form, for re-encoding. */
function fromVector(frame) {
  const out = { ...frame };
  if (frame.type === 'DATA') out.data = Buffer.from(frame.data, 'hex');
  if (frame.type === 'UNKNOWN') out.payload = Buffer.from(frame.payload, 'hex');
  if (frame.headers) out.headers = frame.headers.flat();
  return out;
}

/** What spdy-transport's parser should report for a vector frame, or null where it cannot speak for it. */
function oracleExpectation(frame) {
  switch (frame.type) {
    case 'DATA': return { type: 'DATA', id: frame.streamId, fin: frame.fin, data: frame.data };
    case 'SYN_STREAM':
      // spdy-transport reads an associated id as a server push, which Switchboard never sends.
      return frame.associatedId ? null : { type: 'HEADERS', id: frame.streamId, fin: frame.fin, writable: !frame.unidirectional, headers: toOracleHeaders(frame.headers.flat()) };
    case 'SYN_REPLY': return { type: 'HEADERS', id: frame.streamId, fin: frame.fin, headers: toOracleHeaders(frame.headers.flat()) };
    // spdy-transport drops the FIN of HEADERS frames.
    case 'HEADERS': return { type: 'HEADERS', id: frame.streamId, headers: toOracleHeaders(frame.headers.flat()) };
    case 'RST_STREAM': return { type: 'RST', id: frame.streamId, code: oracleErrorName(frame.status) };
    case 'SETTINGS': {
      const names = { 4: 'max_concurrent_streams', 7: 'initial_window_size' };
      return { type: 'SETTINGS', settings: Object.fromEntries(frame.entries.map((e) => [names[e.id], e.value])) };
    }
    case 'PING': return { type: 'PING', opaque: Buffer.from(frame.id.toString(16).padStart(8, '0'), 'hex').toString('hex') };
    case 'GOAWAY': return { type: 'GOAWAY', lastId: frame.lastStreamId, code: oracleGoawayName(frame.status) };
    case 'WINDOW_UPDATE': return { type: 'WINDOW_UPDATE', id: frame.streamId, delta: frame.delta };
    case 'UNKNOWN': return { type: `unknown: ${frame.frameType}` };
    default: return null; // CONTROL: spdy-transport reads type 0xf000 as its own X-Forwarded-For frame
  }
}

function oracleView(frame) {
  const out = { ...frame };
  for (const key of ['data', 'opaque']) if (out[key]) out[key] = Buffer.from(out[key]).toString('hex');
  return out;
}

for (const file of files) {
  const { format, cases } = JSON.parse(readFileSync(new URL(file, dir), 'utf8'));
  t.test(`vectors/${file}`, async (t) => {
    t.equal(format, 'switchboard-test-vectors/1', 'format');
    for (const c of cases) {
      const parts = c.parts.map((h) => Buffer.from(h, 'hex'));
      t.test(`${c.name}: ${c.description}`, async (t) => {
        if (c.error) {
          let caught;
          try {
            parts.forEach((p) => decodeFrames(p));
          } catch (err) {
            caught = err;
          }
          t.ok(caught instanceof ProtocolError, 'rejected with a ProtocolError');
          t.match(caught, c.error, 'code, RST status and stream');
          const read = parts.flatMap(readPart);
          t.same(read.filter((f) => f.type === 'ERROR'), [{ type: 'ERROR', ...c.error }], 'a frame reader reports that one error');
          return;
        }
        t.same(parts.map(readPart), c.frames, 'our frame reader reads the stated meaning');
        if (hasError(c.frames.flat())) return; // bad frames among good ones: nothing more to compare
        t.same(parts.map((p) => decodeFrames(p).map(toVector)), c.frames, 'our decoder reads the stated meaning');
        if (c.canonical) {
          t.same(Buffer.concat(c.frames.flat().map((f) => encodeFrame(fromVector(f)))), Buffer.concat(parts), 'our encoder writes these bytes');
        }
        for (const [i, part] of parts.entries()) {
          const raw = splitFrames(part);
          t.equal(raw.length, c.frames[i].length, `part ${i}: frame count by length fields alone`);
          for (const [j, frame] of c.frames[i].entries()) {
            const want = oracleExpectation(frame);
            if (!want) continue;
            const got = await oracleParse(raw[j], { isServer: frame.type !== 'SYN_REPLY' });
            t.match(got.map(oracleView), [want], `spdy-transport reads ${frame.type} the same`);
          }
        }
      });
    }
  });
}
