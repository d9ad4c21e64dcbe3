// The StreamSocket under Node-style req and res, against a router played by the conformance peer: which frames
// node:http's response becomes, and the net.Socket fields it shows.
import t from 'tap';
import { encodeSynStream } from '@switchboard/protocol';
import { Worker } from '@switchboard/worker-sdk';
import { join, memoryLogger, queue, response, startPeer, synStream } from './lib/peer.mjs';

async function setup(t, handler) {
  const { peer, control } = await startPeer();
  const worker = new Worker({ connect: 'tcp://127.0.0.1:1', control, logger: memoryLogger() }).handle(handler);
  t.teardown(async () => {
    await worker.close({ graceMs: 0 });
    peer.close();
  });
  await join(peer);
  return peer;
}

const kinds = (res) => res.frames.map((e) => `${e.frame.type}${e.frame.fin ? ' FIN' : ''}`);

t.test('the last chunk travels with the FIN; a response without a body is one SYN_REPLY with FIN', async (t) => {
  const peer = await setup(t, (req, res) => {
    if (req.url === '/204') res.writeHead(204).end();
    else if (req.url === '/empty') res.end();
    else if (req.url === '/trailers') {
      res.write('a');
      res.addTrailers({ 'X-Sum': '1' });
      res.end('b');
    } else res.end('body');
  });
  await peer.send([synStream(1)]);
  t.same(kinds(await response(peer, 1)), ['SYN_REPLY', 'DATA FIN'], 'end(body)');
  await peer.send([synStream(3, { method: 'HEAD' })]);
  const head = await response(peer, 3);
  t.same(kinds(head), ['SYN_REPLY FIN'], 'HEAD');
  t.equal(head.headers['content-length'], undefined, 'HEAD: no length was written, none is made up');
  await peer.send([synStream(5, { path: '/204' })]);
  t.same(kinds(await response(peer, 5)), ['SYN_REPLY FIN'], '204');
  await peer.send([synStream(7, { path: '/empty' })]);
  const empty = await response(peer, 7);
  t.same(kinds(empty), ['SYN_REPLY FIN'], 'end() with nothing');
  t.equal(empty.headers['content-length'], '0');
  await peer.send([synStream(9, { path: '/trailers' })]);
  const trailed = await response(peer, 9);
  t.same(kinds(trailed), ['SYN_REPLY', 'DATA', 'DATA', 'HEADERS FIN'], 'trailers end the stream');
  t.same(trailed.trailers, { 'x-sum': '1' });
  t.equal(trailed.headers['content-length'], undefined, 'trailers follow, so no content-length');
});

t.test('flushHeaders() sends SYN_REPLY before any body', async (t) => {
  const go = queue();
  const peer = await setup(t, async (req, res) => {
    res.setHeader('x-early', 'yes');
    res.flushHeaders();
    await go.next();
    res.end('late');
  });
  await peer.send([synStream(1)]);
  const reply = await peer.nextFrame('SYN_REPLY', 1);
  t.notOk(reply.frame.fin);
  t.ok(reply.frame.headers.includes('x-early'), 'with the headers set so far');
  go.push();
  const data = await peer.nextFrame('DATA', 1);
  t.equal(data.frame.data.toString(), 'late');
  t.ok(data.frame.fin);
});

t.test('req.socket: address from X-Forwarded-For, encrypted from :scheme', async (t) => {
  const seen = queue();
  const peer = await setup(t, (req, res) => {
    const s = req.socket;
    seen.push({ remoteAddress: s.remoteAddress, remoteFamily: s.remoteFamily, encrypted: s.encrypted });
    res.end();
  });
  const syn = (id, scheme, xff) => encodeSynStream(id, [':method', 'GET', ':path', '/', ':version', 'HTTP/1.1', ':host', 'h', ':scheme', scheme, ...xff], true);
  await peer.send([syn(1, 'https', ['x-forwarded-for', '10.0.0.1, 2001:db8::7'])]);
  t.same(await seen.next(), { remoteAddress: '2001:db8::7', remoteFamily: 'IPv6', encrypted: true }, 'the last hop, and TLS');
  await peer.send([syn(3, 'http', ['x-forwarded-for', '10.0.0.1', 'x-forwarded-for', '192.0.2.3 '])]);
  t.same(await seen.next(), { remoteAddress: '192.0.2.3', remoteFamily: 'IPv4', encrypted: undefined }, 'the last of several lines');
  await peer.send([syn(5, 'http', [])]);
  t.same(await seen.next(), { remoteAddress: undefined, remoteFamily: undefined, encrypted: undefined }, 'no X-Forwarded-For: no address');
});

t.test('handle() takes a function or an http.Server, nothing else', async (t) => {
  const worker = new Worker({ connect: 'tcp://127.0.0.1:1', logger: memoryLogger() });
  t.throws(() => worker.handle({}), { code: 'WORKER_ERR_INVALID_OPTION' });
  await worker.close({ graceMs: 0 });
});
