// SPEC §5.10 In-band publish: the `publish` and `published` CONTROL messages, Pushpin's publish items as msgpack maps.
import t from 'tap';
import { decodeFrames, encodeControl, isPublish, isPublished, packControl, publishItemProblem, unpackControl } from '@switchboard/protocol';
import { hex } from './helpers.mjs';

/** A string's bytes as hex, for the SPEC's quoted strings. */
const ascii = (text) => Buffer.from(text).toString('hex');

const item = {
  channel: 'news', id: '2', 'prev-id': '1', meta: { user: 'ann' },
  formats: {
    'http-response': { code: 200, reason: 'OK', headers: { 'Content-Type': 'text/plain' }, body: 'hi\n' },
    'http-stream': { 'content-bin': Buffer.from([0, 1, 255]) },
    'ws-message': { content: 'hi' },
  },
};
const publish = { t: 'publish', ref: 7, items: [item] };

t.test('SPEC §5.10 in-band publish: CONTROL messages', async (t) => {
  t.test('a publish survives a msgpack round trip, bytes as msgpack bin', async (t) => {
    const [frame] = decodeFrames(encodeControl(publish));
    t.equal(frame.type, 'CONTROL');
    t.ok(isPublish(frame.payload));
    t.same(frame.payload, publish);
    t.ok(Buffer.isBuffer(frame.payload.items[0].formats['http-stream']['content-bin']), 'content-bin comes back as bytes');
    // bin8 marker c4, length 3, the bytes: never base64 text on this path.
    t.ok(packControl(publish).includes(Buffer.from('c403' + '0001ff', 'hex')));
  });

  t.test('published ok and refused round-trip and are recognised', async (t) => {
    const ok = unpackControl(packControl({ t: 'published', ref: 7, ok: true }));
    t.ok(isPublished(ok));
    const refused = unpackControl(packControl({ t: 'published', ref: 4294967295, ok: false, code: 'ROUTER_ERR_PUBLISH_TOO_LARGE', reason: 'too big' }));
    t.ok(isPublished(refused));
    t.same(refused, { t: 'published', ref: 4294967295, ok: false, code: 'ROUTER_ERR_PUBLISH_TOO_LARGE', reason: 'too big' });
  });

  t.test('a publish without a uint32 ref or without items is refused', async (t) => {
    t.notOk(isPublish({ ...publish, ref: -1 }));
    t.notOk(isPublish({ ...publish, ref: 2 ** 32 }));
    t.notOk(isPublish({ ...publish, ref: '7' }));
    t.notOk(isPublish({ ...publish, items: [] }));
    t.notOk(isPublish({ ...publish, items: item }));
    t.notOk(isPublish({ ...publish, t: 'published' }));
  });

  t.test('a published without ok, or refused without code and reason, is refused', async (t) => {
    t.notOk(isPublished({ t: 'published', ref: 1 }));
    t.notOk(isPublished({ t: 'published', ref: 1, ok: 'yes' }));
    t.notOk(isPublished({ t: 'published', ref: 1, ok: false, reason: 'x' }));
    t.notOk(isPublished({ t: 'published', ref: 1, ok: false, code: 'X' }));
    t.notOk(isPublished({ t: 'published', ok: true }));
  });

  t.test('malformed items are refused with Pushpin\'s reason', async (t) => {
    const cases = [
      ['not a map', 'x', 'item is not a map'],
      ['no channel', { formats: item.formats }, "item has no 'channel' string"],
      ['empty channel', { channel: '', formats: item.formats }, "item has no 'channel' string"],
      ['numeric id', { channel: 'c', id: 2, formats: item.formats }, "'id' and 'prev-id' must be strings"],
      ['meta not strings', { channel: 'c', meta: { a: 1 }, formats: item.formats }, "'meta' must map names to strings"],
      ['no formats', { channel: 'c' }, 'no formats specified'],
      ['empty formats', { channel: 'c', formats: {} }, 'no formats specified'],
      ['unknown format', { channel: 'c', formats: { smoke: {} } }, "unknown format 'smoke'"],
      ['response without body', { channel: 'c', formats: { 'http-response': { code: 200 } } }, "http-response has neither 'body' nor 'body-bin'"],
      ['code out of range', { channel: 'c', formats: { 'http-response': { code: 1000, body: '' } } }, "http-response has an invalid 'code'"],
      ['bad header pair', { channel: 'c', formats: { 'http-response': { body: '', headers: [['a']] } } }, "http-response 'headers' must hold [name, value] string pairs"],
      ['header value not string', { channel: 'c', formats: { 'http-response': { body: '', headers: { a: 1 } } } }, "http-response 'headers' values must be strings"],
      ['body-bin as base64 text', { channel: 'c', formats: { 'http-response': { 'body-bin': 'aGk=' } } }, "http-response has 'body-bin' that is not bytes"],
      ['stream without content', { channel: 'c', formats: { 'http-stream': {} } }, "http-stream has neither 'content' nor 'content-bin'"],
      ['content a number', { channel: 'c', formats: { 'http-stream': { content: 5 } } }, "http-stream has 'content' of the wrong type"],
      ['unknown action', { channel: 'c', formats: { 'http-stream': { action: 'explode' } } }, "http-stream has an unknown 'action'"],
      ['unknown ws type', { channel: 'c', formats: { 'ws-message': { content: '', type: 'smoke' } } }, "ws-message has an unknown 'type'"],
    ];
    for (const [name, bad, reason] of cases) {
      t.equal(publishItemProblem(bad), reason, name);
      t.notOk(isPublish({ ...publish, items: [item, bad] }), `${name}: the whole publish is refused`);
    }
  });

  t.test("SPEC's example: a publish of hi\\n on channel c and its answer, byte for byte", async (t) => {
    t.same(encodeControl({ t: 'publish', ref: 1, items: [{ channel: 'c', formats: { 'http-stream': { content: 'hi\n' } } }] }), hex(`
      80 03 f0 00 00 00 00 4c | CONTROL, flags 0, length 76
      de 00 03 a1 74 a7 ${ascii('publish')} a3 ${ascii('ref')} 01
      a5 ${ascii('items')} 91 de 00 02 a7 ${ascii('channel')} a1 ${ascii('c')}
      a7 ${ascii('formats')} de 00 01 ab ${ascii('http-stream')}
      de 00 01 a7 ${ascii('content')} a3 ${ascii('hi\n')}`));
    t.same(encodeControl({ t: 'published', ref: 1, ok: true }), hex(`
      80 03 f0 00 00 00 00 18
      de 00 03 a1 74 a9 ${ascii('published')} a3 ${ascii('ref')} 01
      a2 ${ascii('ok')} c3`));
  });

  t.test('close needs no content; headers as pairs and body bytes are fine', async (t) => {
    t.equal(publishItemProblem({ channel: 'c', formats: { 'http-stream': { action: 'close' } } }), null);
    t.equal(publishItemProblem({ channel: 'c', formats: { 'http-response': { headers: [['A', 'b']], 'body-bin': Buffer.from('x') } } }), null);
    t.equal(publishItemProblem({ channel: 'c', formats: { 'http-response': { body: Buffer.from('x') } } }), null);
  });
});
