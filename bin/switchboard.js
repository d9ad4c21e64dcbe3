#!/usr/bin/env -S MALLOC_TRIM_THRESHOLD_=4194304 MALLOC_MMAP_THRESHOLD_=4194304 node --max-semi-space-size=2 --heap-growing-percent=30 --initial-old-space-size=32 --harmony-rab-gsab-transfer
// The one `switchboard` program: each package brings its own commands (router and keygen: the router; hello, stream
// counter, chat and demo: the examples; http-origin: the origin worker; conformance: the checker), this file puts them together.
// --max-semi-space-size=2 (MiB): V8's young generation otherwise grows to 2 × 16 MiB while a burst of connections
// opens and stays there; for a router holding 15,000 streams that was half of its memory, and no req/s was lost
// without it (bench/RESULTS.md). --heap-growing-percent=30: the old generation's next GC limit is 1.3 × what
// survived (V8's own factor under --optimize-for-size, without that flag's slower compiled code) instead of up to
// 4 ×, so the garbage of a burst of handshakes is collected before it commits pages: 15,000 held streams or idle
// WebSockets keep ~1.5 KiB less each, and a request load runs no major GC more (bench/RESULTS.md).
// --initial-old-space-size=32 (MiB): a floor under that limit, so the bytes of received bodies (zeromq.js's external
// buffers, which count against it) have room until a scavenge frees them; without it, 64 KiB responses streaming
// through ran a full GC every ~25 ms (2.5-3 × the router's CPU per request). 15,000 held clients' live heap is near
// the floor already, so their memory barely moves. The bench starts the router with the flags of this line.
// MALLOC_TRIM_THRESHOLD_=4194304 (glibc, 4 MiB): libzmq receives each large part into fresh malloc'd memory, freed
// in batches by scavenges (ByteScavenger); at glibc's default (128 KiB) each batch went back to the kernel and was
// faulted in again by the next receives. Kept, the router streams at ~half the CPU per MiB (bench/RESULTS.md).
// MALLOC_MMAP_THRESHOLD_=4194304 (4 MiB): setting the trim threshold also fixes glibc's mmap threshold at 128 KiB, so
// the SDK's joined 1 MiB DATA parts (SPEC §3.1) were each an mmap and a munmap with their page faults; below 4 MiB
// they come from the heap the trim threshold keeps (router CPU per MiB streamed ~1,300 → ~750 µs; bench/RESULTS.md).
// --harmony-rab-gsab-transfer: ArrayBuffer.prototype.transfer (standard from Node 21), with which the router frees a
// worker's body part once the client's socket took it, not at the next GC (protocol's freeReceived; 64 KiB
// responses: router CPU per request −20-30 %, bench/RESULTS.md).
import { Command } from 'commander';
import { conformanceCommand } from '@switchboard/conformance/cli';
import { chatCommand, counterCommand, demoCommand, helloCommand, streamCommand } from '@switchboard/examples/cli';
import { httpOriginCommand } from '@switchboard/origin/cli';
import { keygenCommand, routerCommand } from '@switchboard/router/cli';

const program = new Command('switchboard')
  .description('Zero-config reverse proxy: HTTP in, SPDY/3.1 streams over ZeroMQ to workers in any language')
  .showHelpAfterError();
for (const add of [routerCommand, helloCommand, streamCommand, httpOriginCommand, counterCommand, chatCommand, demoCommand, keygenCommand, conformanceCommand]) add(program);

program.parseAsync(process.argv).catch((err) => {
  process.stderr.write(`switchboard: ${err.message}\n`);
  process.exit(1);
});
