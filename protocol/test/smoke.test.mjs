import t from 'tap';
import { encodePing, decodeFrame } from '@switchboard/protocol';
t.test('ping round trip', async (t) => {
  t.same(decodeFrame(encodePing(7)), { type: 'PING', id: 7 });
});
