// One HTTP publish (Pushpin's POST /publish/, which the router's --publish-listen speaks too) of the bench's items.
import http from 'node:http';

const agent = new http.Agent({ keepAlive: true });

/** POSTs `{ items }` to `url`; resolves on 200, rejects on anything else. */
export function publishItems(url: string, items: unknown[]): Promise<void> {
  const body = JSON.stringify({ items });
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`publish: ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
}
