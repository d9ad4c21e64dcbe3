// realtime/publish-item.ts: Pushpin's publish item and formats (src/handler/publishitem.cpp, publishformat.cpp).
import t from 'tap';
import { PublishError, parseItem, parseItems } from '../../dist/realtime/publish-item.js';

t.test('an item: channel, id, prev-id, meta, and its formats', async (t) => {
  const item = parseItem({ channel: 'c', id: '2', 'prev-id': '1', meta: { sender: 'ann' }, formats: {
    'http-response': { code: 201, headers: [['X-A', '1']], body: 'r' }, 'http-stream': { content: 's' }, 'ws-message': { 'content-bin': 'AAE=' },
  } });
  t.same(item.httpResponse, { action: 'send', code: 201, headers: ['x-a', '1'], body: Buffer.from('r') });
  t.same(item.httpStream, { action: 'send', content: Buffer.from('s') });
  t.same(item.wsMessage, { action: 'send', content: Buffer.from([0, 1]), binary: true });
  t.same({ id: item.id, prevId: item.prevId, meta: item.meta }, { id: '2', prevId: '1', meta: { sender: 'ann' } });
});

t.test('formats may sit at the top level; bytes may come as msgpack bytes (in-band)', async (t) => {
  t.same(parseItem({ channel: 'c', 'http-stream': { content: new Uint8Array([104, 105]) } }).httpStream.content, Buffer.from('hi'));
  t.same(parseItem({ channel: 'c', formats: { 'http-stream': { action: 'close' } } }).httpStream, { action: 'close', content: Buffer.alloc(0) });
});

t.test("what is refused, in Pushpin's words", async (t) => {
  const bad = (v, message) => t.throws(() => parseItem(v), { name: 'PublishError', message });
  bad(5, 'publish item object is not an object');
  bad({}, "publish item object does not contain 'channel'");
  bad({ channel: 'c' }, 'no formats specified');
  bad({ channel: 'c', formats: {} }, 'no formats specified');
  bad({ channel: 'c', formats: { 'http-response': {} } }, "'http-response' does not contain 'body' or 'body-bin'");
  bad({ channel: 'c', formats: { 'http-response': { code: 'x', body: '' } } }, "'http-response' contains 'code' with wrong type");
  bad({ channel: 'c', formats: { 'http-response': { code: 42, body: '' } } }, "'http-response' contains 'code' with invalid value");
  bad({ channel: 'c', formats: { 'http-stream': {} } }, "'http-stream' does not contain 'content'");
  bad({ channel: 'c', formats: { 'http-stream': { action: 'explode' } } }, "'http-stream' contains 'action' with invalid value");
  bad({ channel: 'c', meta: { a: 1 }, formats: { 'http-stream': { content: '' } } }, "'meta' contains 'a' with wrong type");
  bad({ channel: 'c', formats: { 'http-response': { headers: [['a']], body: '' } } }, 'headers contains list with wrong number of elements');
  t.throws(() => parseItems({}), PublishError, 'items must be a list');
  t.throws(() => parseItems([{ channel: 'ok', formats: { 'http-stream': { content: '' } } }, {}]), PublishError, 'one bad item refuses all');
});

t.test("http-response: a reason phrase (checked), and the publisher's Grip-* headers never reach the client", async (t) => {
  const item = parseItem({ channel: 'c', formats: { 'http-response': { code: 404, reason: 'Nope', headers: { 'Grip-Expose-Headers': 'x', 'X-A': '1' }, body: '' } } });
  t.equal(item.httpResponse.reason, 'Nope');
  t.same(item.httpResponse.headers, ['x-a', '1']);
  t.throws(() => parseItem({ channel: 'c', formats: { 'http-response': { reason: 'a\r\nb', body: '' } } }), { message: "'http-response' 'reason' contains an invalid reason phrase" });
});
