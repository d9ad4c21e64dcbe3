// How the fan-out benches (fanout.ts, websocket.ts fanout) tell a round's publish arrived at a client: its marker
// (text unique to the round) is in the bytes read, wherever the reads split them. A marker found in one read's last
// bytes missed a frame split across reads, and any bytes counted as arrival let a late tail of the previous round
// count for the next.

/** One client socket's reads, searched for markers across read boundaries. */
export class MarkerWatch {
  /** The end of what was read so far, one byte shorter than the marker last asked for: where a split marker begins. */
  #tail = '';

  /** Takes one read; true when `marker` is in it or begins in the reads before it. */
  read(chunk: Buffer, marker: string): boolean {
    const keep = marker.length - 1;
    const found = chunk.indexOf(marker, 0, 'latin1') !== -1 || (this.#tail + chunk.toString('latin1', 0, keep)).includes(marker);
    this.#tail = keep === 0 ? '' : chunk.length >= keep ? chunk.toString('latin1', chunk.length - keep) : (this.#tail + chunk.toString('latin1')).slice(-keep);
    return found;
  }
}
