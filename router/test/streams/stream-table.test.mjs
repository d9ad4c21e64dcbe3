// The stream table in-process (router/src/streams/stream-table.ts): stream ids (SPEC §4.1) and the live streams.
import t from 'tap';
import { MAX_STREAM_ID } from '@switchboard/protocol';
import { StreamTable } from '../../dist/streams/stream-table.js';

const stream = (id) => ({ id });

t.test('ids are odd and increasing', async (t) => {
  const table = new StreamTable();
  t.same([table.nextId(), table.nextId(), table.nextId()], [1, 3, 5]);
});

t.test('past 2^31-1 ids start again at 1, skipping ids still live', async (t) => {
  const table = new StreamTable(MAX_STREAM_ID - 2);
  table.add(stream(1));
  t.equal(table.nextId(), MAX_STREAM_ID - 2);
  t.equal(table.nextId(), MAX_STREAM_ID, 'the last odd id');
  t.equal(table.nextId(), 3, '1 is still live: skipped');

});

t.test('delete forgets a stream, not another that took its id since', async (t) => {
  const table = new StreamTable();
  const old = stream(1);
  const now = stream(1);
  table.add(now);
  table.delete(old);
  t.equal(table.get(1), now);
  table.delete(now);
  t.equal(table.get(1), undefined);
});

t.test('onEmpty is called each time the last stream goes', async (t) => {
  const table = new StreamTable();
  let empty = 0;
  table.onEmpty = () => empty++;
  table.add(stream(1));
  table.add(stream(3));
  table.delete(stream(1)); // a stranger with the id: nothing removed
  table.delete(table.get(1));
  t.equal(empty, 0);
  table.delete(table.get(3));
  t.equal(empty, 1);
  t.equal(table.size, 0);
});
