// Flow control of the extended protocol (SPDY/3.1 §2.6.8): SendWindow for the side sending DATA, ReceiveWindow for the
// side receiving it. SPEC §5.5 is response DATA (worker sends, router receives), §5.7 request DATA (the other way).
import t from 'tap';
import { DATA_SPLIT_SIZE, MAX_WINDOW_SIZE, ReceiveWindow, SendWindow, WindowAllowance } from '@switchboard/protocol';

/** A DataSink that records each piece as [length, fin] (and keeps the pieces). */
function sink() {
  const frames = [];
  const pieces = [];
  return {
    frames,
    pieces,
    sendData(data, fin) {
      frames.push([data.length, fin]);
      pieces.push(data);
    },
  };
}

const bytes = (n, fill = 0x61) => Buffer.alloc(n, fill);

t.test('SPEC §5.5 flow control, router ← worker: the sender', async (t) => {
  t.test('DATA goes out as far as the window allows, and no further', async (t) => {
    const w = new SendWindow(100);
    const out = sink();
    t.equal(w.send(bytes(150), true, out), 100);
    t.same(out.frames, [[100, false]], 'the FIN stays with the bytes that did not fit');
    t.equal(w.available, 0);
    t.equal(w.send(bytes(1), false, out), 0, 'nothing fits an exhausted window');
    t.same(out.frames, [[100, false]]);
  });

  t.test('a chunk that fits goes whole, with its FIN, and uses its bytes of the window', async (t) => {
    const w = new SendWindow(100);
    const out = sink();
    const chunk = bytes(60);
    t.equal(w.send(chunk, true, out), 60);
    t.same(out.frames, [[60, true]]);
    t.equal(out.pieces[0], chunk, 'sent as it is, not copied');
    t.equal(w.available, 40);
  });

  t.test('an empty chunk is one empty DATA frame, even with no window left (a FIN needs no credit)', async (t) => {
    const w = new SendWindow(0);
    const out = sink();
    t.equal(w.send(Buffer.alloc(0), true, out), 0);
    t.same(out.frames, [[0, true]]);
  });

  t.test(`DATA is split into frames of at most DATA_SPLIT_SIZE (${DATA_SPLIT_SIZE} bytes), the FIN on the last`, async (t) => {
    t.ok(DATA_SPLIT_SIZE <= 0xffffff, 'within the 24-bit length field');
    const w = new SendWindow(Infinity);
    const out = sink();
    t.equal(w.send(bytes(2 * DATA_SPLIT_SIZE + 5), true, out), 2 * DATA_SPLIT_SIZE + 5);
    t.same(out.frames, [[DATA_SPLIT_SIZE, false], [DATA_SPLIT_SIZE, false], [5, true]]);
    t.equal(w.available, Infinity, 'a stream that is not flow controlled (minimal protocol) stays unlimited');
  });

  t.test('a window smaller than a chunk cuts it where the window ends, also across split pieces', async (t) => {
    const w = new SendWindow(DATA_SPLIT_SIZE + 10);
    const out = sink();
    t.equal(w.send(bytes(3 * DATA_SPLIT_SIZE), false, out), DATA_SPLIT_SIZE + 10);
    t.same(out.frames, [[DATA_SPLIT_SIZE, false], [10, false]]);
  });

  t.test('take() hands out credit up to what is left', async (t) => {
    const w = new SendWindow(100);
    t.equal(w.take(30), 30);
    t.equal(w.take(100), 70);
    t.equal(w.take(1), 0);
    t.equal(w.available, 0);
  });

  t.test('every WINDOW_UPDATE delta adds to the window, whatever it was at the start', async (t) => {
    const w = new SendWindow(10);
    w.send(bytes(10), false, sink());
    w.update(5);
    w.update(7);
    t.equal(w.available, 12);
  });

  t.test('the window never counts past 2^31 − 1', async (t) => {
    const w = new SendWindow(MAX_WINDOW_SIZE - 1);
    w.update(MAX_WINDOW_SIZE);
    t.equal(w.available, MAX_WINDOW_SIZE);
    t.equal(MAX_WINDOW_SIZE, 2 ** 31 - 1);
  });

  t.test('bytes written beyond the window are queued and go out in order as credit comes', async (t) => {
    const w = new SendWindow(4);
    const out = sink();
    const sent = w.send(Buffer.from('abcdef'), false, out);
    w.queue(Buffer.from('abcdef').subarray(sent));
    w.queue(Buffer.from('ghi'));
    t.equal(w.queuedBytes, 5);
    w.update(3);
    t.equal(w.flush(true, out), false, 'some still queued');
    t.equal(w.queuedBytes, 2);
    w.update(10);
    t.equal(w.flush(true, out), true, 'all sent');
    t.equal(w.queuedBytes, 0);
    t.equal(Buffer.concat(out.pieces).toString(), 'abcdefghi');
    t.same(out.frames.map(([, fin]) => fin), [false, false, false, true], 'the FIN on the last queued byte only');
    t.equal(w.available, 8);
  });

  t.test('flush without FIN sends no FIN; an empty queue flushes to nothing', async (t) => {
    const w = new SendWindow(0);
    const out = sink();
    w.queue(bytes(3));
    w.queue(Buffer.alloc(0));
    t.equal(w.queuedBytes, 3, 'an empty chunk is not queued');
    w.update(3);
    t.equal(w.flush(false, out), true);
    t.same(out.frames, [[3, false]]);
    t.equal(w.flush(true, out), true);
    t.same(out.frames, [[3, false]], 'nothing more sent');
  });

  t.test('clear() drops what is queued', async (t) => {
    const w = new SendWindow(0);
    w.queue(bytes(3));
    w.clear();
    t.equal(w.queuedBytes, 0);
    w.update(10);
    const out = sink();
    t.equal(w.flush(true, out), true);
    t.same(out.frames, []);
  });
});

t.test('SPEC §5.5 flow control, router ← worker: the receiver', async (t) => {
  t.test('DATA within the window is accepted; one byte beyond it is an overrun (FLOW_CONTROL_ERROR)', async (t) => {
    const w = new ReceiveWindow(65536);
    t.equal(w.receive(65536), true);
    t.equal(w.available, 0);
    t.equal(w.receive(1), false);
    t.equal(w.received, 65537);
  });

  t.test('one frame larger than the window is an overrun', async (t) => {
    t.equal(new ReceiveWindow(65536).receive(70000), false);
  });

  t.test('a WINDOW_UPDATE is due once half the window is consumed, not per frame, and carries all of it', async (t) => {
    const w = new ReceiveWindow(100);
    w.receive(100);
    w.consume(30);
    t.equal(w.pendingGrant(), 0, '30 of 100: not yet');
    w.consume(20);
    t.equal(w.pendingGrant(), 50, 'half: grant every byte consumed');
    t.equal(w.pendingGrant(), 0, 'granted bytes are not granted twice');
    w.consume(49);
    t.equal(w.pendingGrant(), 0);
  });

  t.test('received bytes that were not consumed are not granted', async (t) => {
    const w = new ReceiveWindow(100);
    w.receive(100);
    w.consume(10);
    t.equal(w.pendingGrantAll(), 10);
    t.equal(w.pendingGrantAll(), 0);
  });

  t.test('a grant counts for the sender only once committed: the rest of the message being read was sent without it', async (t) => {
    // Two frames in one message, 65,536 + 10 bytes: the first is consumed and granted while the message is read,
    // but the worker sent the second before it could have seen that grant.
    const w = new ReceiveWindow(65536);
    t.equal(w.receive(65536), true);
    w.consume(65536);
    t.equal(w.pendingGrant(), 65536);
    t.equal(w.receive(10), false, 'the second frame overran the window the worker had');
  });

  t.test('once committed, the granted bytes may be sent', async (t) => {
    const w = new ReceiveWindow(100);
    w.receive(100);
    w.consume(100);
    t.equal(w.pendingGrant(), 100);
    w.commitGrant();
    t.equal(w.available, 100);
    t.equal(w.receive(100), true);
    t.equal(w.receive(1), false);
  });

  t.test('commits add up every grant made since the last one', async (t) => {
    const w = new ReceiveWindow(100);
    w.receive(100);
    w.consume(50);
    w.pendingGrant();
    w.consume(50);
    w.pendingGrant();
    t.equal(w.commitGrant(), 100, 'the commit returns the bytes for one WINDOW_UPDATE');
    t.equal(w.available, 100);
    t.equal(w.commitGrant(), 0);
    t.equal(w.available, 100, 'a second commit adds nothing');
  });

  t.test('a window that keeps up doubles up to its max, and each grant carries the growth', async (t) => {
    const allowance = new WindowAllowance(1 << 30);
    const w = new ReceiveWindow(100, { max: 300, allowance });
    w.receive(100);
    w.consume(50);
    t.equal(w.pendingGrant(true), 150, '50 consumed + 100 growth');
    t.equal(w.size, 200);
    w.commitGrant();
    t.equal(w.available, 150, '50 left + 50 granted back + 100 growth');
    t.equal(w.receive(150), true);
    w.consume(150);
    t.equal(w.pendingGrant(true), 250, 'growth stops at max: 300 − 200');
    t.equal(w.size, 300);
    w.consume(150);
    t.equal(w.pendingGrant(true), 150, 'no more growth');
    t.equal(w.growth, 200);
    t.equal(allowance.used, 200);
  });

  t.test('a window grows only when asked (the client kept up), never without an allowance', async (t) => {
    const w = new ReceiveWindow(100, { max: 1000, allowance: new WindowAllowance(1000) });
    w.receive(50);
    w.consume(50);
    t.equal(w.pendingGrant(false), 50);
    t.equal(w.size, 100);
    const fixed = new ReceiveWindow(100, { max: 1000 });
    fixed.receive(50);
    fixed.consume(50);
    t.equal(fixed.pendingGrant(true), 50);
    t.equal(fixed.size, 100);
  });

  t.test('growth is bounded by the shared allowance, and goes back to it when the stream ends', async (t) => {
    const allowance = new WindowAllowance(150);
    const a = new ReceiveWindow(100, { max: 1000, allowance });
    const b = new ReceiveWindow(100, { max: 1000, allowance });
    for (const w of [a, b]) {
      w.receive(50);
      w.consume(50);
    }
    t.equal(a.pendingGrant(true), 150, 'a grows by 100');
    t.equal(b.pendingGrant(true), 100, 'b gets the 50 left');
    t.equal(allowance.used, 150);
    a.close();
    t.equal(allowance.used, 50);
    a.close();
    t.equal(allowance.used, 50, 'given back once');
    t.equal(allowance.take(500), 100);
  });

  t.test('the max is never below the starting window, nor above 2^31 − 1', async (t) => {
    const allowance = new WindowAllowance(Infinity);
    const small = new ReceiveWindow(100, { max: 10, allowance });
    small.receive(50);
    small.consume(50);
    t.equal(small.pendingGrant(true), 50);
    t.equal(small.size, 100);
    const big = new ReceiveWindow(2 ** 30, { max: 2 ** 40, allowance });
    big.receive(2 ** 29);
    big.consume(2 ** 29);
    big.pendingGrant(true);
    t.equal(big.size, MAX_WINDOW_SIZE);
  });

  t.test('a stream that is not flow controlled (Infinity) never overruns and never grants', async (t) => {
    const w = new ReceiveWindow(Infinity);
    t.equal(w.receive(1e12), true);
    w.consume(1e12);
    t.equal(w.pendingGrant(true), 0);
  });
});

t.test('SPEC §5.7 streaming request bodies, router → worker', async (t) => {
  t.test('the router sends what the worker granted, split at DATA_SPLIT_SIZE, and keeps the rest for later credit', async (t) => {
    const w = new SendWindow(65536);
    const out = sink();
    const chunk = bytes(100000);
    const sent = w.send(chunk, false, out);
    t.equal(sent, 65536);
    w.queue(chunk.subarray(sent));
    w.update(DATA_SPLIT_SIZE * 2);
    t.equal(w.flush(false, out), true);
    t.same(out.frames, [[65536, false], [100000 - 65536, false]]);
  });

  t.test('a body the handler drops is credited in full, however little of it came', async (t) => {
    const w = new ReceiveWindow(1024);
    w.receive(100);
    w.consume(40);
    w.consumeAll();
    t.equal(w.consumed, 100);
    t.equal(w.pendingGrantAll(), 100);
    t.equal(w.pendingGrantAll(), 0);
  });
});

t.test('WindowAllowance: a budget shared by many windows', async (t) => {
  const a = new WindowAllowance(100);
  t.equal(a.take(60), 60);
  t.equal(a.take(60), 40, 'only what is left');
  t.equal(a.take(1), 0);
  a.giveBack(30);
  t.equal(a.used, 70);
  t.equal(a.take(50), 30);
});
