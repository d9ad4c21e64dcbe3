// The load generators' outputs, as wrk 4.1 and autocannon 8 print them, turned into figures.
import t from 'tap';
import { parseAutocannon, parseWrk } from '../dist/load.js';

const WRK = `Running 1s test @ http://127.0.0.1:18502/
  1 threads and 5 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   232.92ms  305.59ms 947.04ms   78.70%
    Req/Sec     2.53k     3.57k    5.06k   100.00%
  Latency Distribution
     50%    3.37ms
     75%  461.16ms
     90%  758.64ms
     99%  934.06ms
  511 requests in 1.01s, 83.84KB read
Requests/sec:    505.19
Transfer/sec:     82.88KB
`;

t.test('wrk: requests, req/s and the 50% and 99% latencies in ms', async (t) => {
  t.same(parseWrk(WRK), { requests: 511, rps: 505.19, p50Ms: 3.37, p99Ms: 934.06, errors: 0 });
});

t.test('wrk: µs and s latencies; socket errors and non-2xx responses count as errors', async (t) => {
  const text = WRK.replace('3.37ms', '87.00us')
    .replace('934.06ms', '1.20s')
    .replace('Requests/sec', '  Socket errors: connect 1, read 2, write 3, timeout 4\n  Non-2xx or 3xx responses: 10\nRequests/sec');
  const r = parseWrk(text);
  t.equal(r.p50Ms, 0.087);
  t.equal(r.p99Ms, 1200);
  t.equal(r.errors, 20);
});

t.test('wrk: output without a summary is a BENCH_ERR_LOAD_FAILED', async (t) => {
  t.throws(() => parseWrk('unable to connect to 127.0.0.1:1 Connection refused\n'), { code: 'BENCH_ERR_LOAD_FAILED' });
});

t.test('autocannon --json: req/s from total and duration; errors, timeouts and non-2xx add up', async (t) => {
  const json = JSON.stringify({
    duration: 2,
    errors: 1,
    timeouts: 2,
    non2xx: 3,
    latency: { p50: 4, p99: 9 },
    requests: { total: 1000, average: 480 },
  });
  t.same(parseAutocannon(`some banner\n${json}`), { requests: 1000, rps: 500, p50Ms: 4, p99Ms: 9, errors: 6 });
  t.throws(() => parseAutocannon('not json'), { code: 'BENCH_ERR_LOAD_FAILED' });
});
