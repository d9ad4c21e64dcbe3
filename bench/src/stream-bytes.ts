// The byte-stream answer both the direct server and the bench worker give: `total` bytes in 64 KiB writes,
// each waiting for 'drain', so memory stays at one chunk whatever the size.

/** The part of node:http's ServerResponse (and the SDK's WorkerResponse) that streaming needs. */
export interface ByteSink {
  writeHead(status: number, headers: Record<string, string>): unknown;
  write(chunk: Buffer): boolean;
  once(event: 'drain', listener: () => void): unknown;
  end(): unknown;
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
