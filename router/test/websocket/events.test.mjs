// websocket/events.ts and grip-control.ts: Pushpin's WebSocket-over-HTTP event codec and GRIP control messages.
import t from 'tap';
import { EventSyntaxError } from '@switchboard/protocol';
import { decodeEvents, encodeEvents } from '../../dist/websocket/events.js';
import { GripControlError, parseGripControl } from '../../dist/websocket/grip-control.js';
import { parseGripExtension } from '../../dist/websocket/over-http.js';
import { parseItem } from '../../dist/realtime/publish-item.js';

t.test('events: TYPE\\r\\n, or TYPE <hex length>\\r\\ncontent\\r\\n, both ways', async (t) => {
  const body = encodeEvents([{ type: 'OPEN' }, { type: 'TEXT', content: Buffer.from('hello') }, { type: 'BINARY', content: Buffer.alloc(26, 1) }, { type: 'CLOSE', content: Buffer.from([3, 232]) }]);
  t.equal(body.toString('latin1', 0, 21), 'OPEN\r\nTEXT 5\r\nhello\r\n');
  t.match(body.toString('latin1'), /BINARY 1a\r\n/);
  const back = decodeEvents(body);
  t.same(back.map((e) => e.type), ['OPEN', 'TEXT', 'BINARY', 'CLOSE']);
  t.equal(back[1].content.toString(), 'hello');
  t.equal(back[0].content, undefined);
  t.same(decodeEvents(Buffer.alloc(0)), [], 'an empty body is no events');
  t.same(decodeEvents(Buffer.from('TEXT 0\r\n\r\n'))[0].content.length, 0);
});

t.test('events: malformed bodies are refused with what is wrong', async (t) => {
  for (const [body, why] of [
    ['OPEN', /ends inside an event/],
    ['HELLO\r\n', /unknown event type "HELLO"/],
    ['TEXT zz\r\nab\r\n', /bad event type line "TEXT zz"/],
    ['TEXT 5\r\nab\r\n', /ends inside an event/],
    ['TEXT 2\r\nabXY', /TEXT content not followed by CRLF/],
  ]) t.throws(() => decodeEvents(Buffer.from(body)), { name: 'EventSyntaxError', message: why }, JSON.stringify(body));
  t.ok(new EventSyntaxError('x') instanceof Error);
});

t.test('grip control messages, as Pushpin reads them', async (t) => {
  t.same(parseGripControl('{"type":"subscribe","channel":"c"}'), { type: 'subscribe', channel: 'c', filters: [] });
  t.same(parseGripControl('{"type":"subscribe","channel":"c","filters":["skip-self"]}').filters, ['skip-self']);
  t.same(parseGripControl('{"type":"unsubscribe","channel":"c"}'), { type: 'unsubscribe', channel: 'c' });
  t.same(parseGripControl('{"type":"detach"}'), { type: 'detach' });
  t.same(parseGripControl('{"type":"set-meta","name":"user"}'), { type: 'set-meta', name: 'user', value: '' });
  const ka = parseGripControl('{"type":"keep-alive","content-bin":"AAE=","timeout":5,"mode":"interval"}');
  t.same([...ka.data], [0, 1]);
  t.equal(ka.binary, true);
  t.equal(ka.timeout, 5);
  t.equal(parseGripControl('{"type":"keep-alive"}').data, undefined, 'no content: keep-alives stop');
  for (const [json, why] of [
    ['nope', /not JSON/],
    ['[1]', /not an object/],
    ['{"type":"subscribe"}', /does not contain 'channel'/],
    ['{"type":"subscribe","channel":""}', /'channel' with invalid value/],
    ['{"type":"subscribe","channel":"c","filters":[1]}', /filters contains value with wrong type/],
    ['{"type":"keep-alive","content":"x","timeout":0}', /'timeout' with invalid value/],
    ['{"type":"launch"}', /unknown value: launch/],
  ]) t.throws(() => parseGripControl(json), GripControlError, json), t.throws(() => parseGripControl(json), { message: why });
});

t.test('the grip extension and its message prefix', async (t) => {
  t.equal(parseGripExtension('grip'), 'm:');
  t.equal(parseGripExtension('permessage-deflate, grip; message-prefix=""'), '');
  t.equal(parseGripExtension('grip; message-prefix="x:"'), 'x:');
  t.equal(parseGripExtension('permessage-deflate'), undefined);
});

t.test("ws-message publish format: text, binary, ping, pong, close with code and reason", async (t) => {
  const ws = (format) => parseItem({ channel: 'c', formats: { 'ws-message': format } }).wsMessage;
  t.same(ws({ content: 'hi' }), { action: 'send', content: Buffer.from('hi'), binary: false });
  t.equal(ws({ 'content-bin': 'AAE=' }).binary, true);
  t.equal(ws({ content: 'hi', type: 'binary' }).binary, true);
  t.same(ws({ action: 'close', code: 4000, reason: 'bye' }), { action: 'close', content: Buffer.alloc(0), binary: false, code: 4000, reason: 'bye' });
  t.same(ws({ action: 'close' }), { action: 'close', content: Buffer.alloc(0), binary: false });
  t.same(ws({ content: 'beat', type: 'ping' }), { action: 'send', content: Buffer.from('beat'), binary: false, control: 'ping' }, "Pushpin's ping and pong types: control frames");
  t.equal(ws({ 'content-bin': 'AAE=', type: 'pong' }).control, 'pong');
  t.equal(ws({ content: 'x'.repeat(125), type: 'pong' }).content.length, 125);
  for (const [format, why] of [
    [{ action: 'close', code: 1005 }, /'code' with invalid value/],
    [{ action: 'close', code: 'x' }, /'code' with wrong type/],
    [{ action: 'close', reason: 'no code' }, /'reason' without 'code'/],
    [{ action: 'close', code: 1000, reason: 'x'.repeat(124) }, /longer than 123 bytes/],
    [{ content: 'x', type: 'close' }, /'type' with unknown value/],
    [{ content: 'x'.repeat(126), type: 'ping' }, /'content' longer than 125 bytes for a ping/],
  ]) t.throws(() => ws(format), { name: 'PublishError', message: why }, JSON.stringify(format));
});
