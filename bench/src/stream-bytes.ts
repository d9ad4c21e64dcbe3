// The byte-stream answer both the direct server and the bench worker give: `total` bytes in 64 KiB writes,
// each waiting for 'drain', so memory stays at one chunk whatever the size. And the upload sink they share: it counts
// a request body's bytes without keeping them and answers with the count.

/** The part of node:http's ServerResponse (and the SDK's WorkerResponse) that streaming needs. */
export interface ByteSink {
  writeHead(status: number, headers: Record<string, string>): unknown;
  write(chunk: Buffer): boolean;
  once(event: 'drain', listener: () => void): unknown;
  end(body?: string): unknown;
}

const CHUNK = Buffer.alloc(64 * 1024, 'x');

export function streamBytes(res: ByteSink, total: number): void {
  let left = total;
  const pump = (): void => {
    while (left > 0) {
      const n = Math.min(left, CHUNK.length);
      left -= n;
      if (!res.write(n === CHUNK.length ? CHUNK : CHUNK.subarray(0, n))) {
        res.once('drain', pump);
        return;
      }
    }
    res.end();
  };
  res.writeHead(200, { 'content-type': 'application/octet-stream' });
  pump();
}

/** The part of node:http's IncomingMessage (and the SDK's WorkerRequest) that counting an upload needs. */
export interface ByteSource {
  on(event: 'data', listener: (chunk: Buffer) => void): unknown;
  on(event: 'end', listener: () => void): unknown;
}

/** Reads the request body to its end and answers `200` with the number of bytes read, as text. */
export function countUpload(req: ByteSource, res: ByteSink): void {
  let n = 0;
  req.on('data', (chunk) => (n += chunk.length));
  req.on('end', () => {
    const body = String(n);
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(body.length) });
    res.end(body);
  });
}
