#!/usr/bin/env -S node --max-semi-space-size=2
// The one CLI: its commands live in router/src/cli.ts.
// --max-semi-space-size=2 (MiB): V8's young generation otherwise grows to 2 × 16 MiB while a burst of connections
// opens and stays there; for a router holding 15,000 streams that was half of its memory, and no req/s was lost
// without it (bench/RESULTS.md). The bench starts the router with the flags of this line.
import '@switchboard/router/cli';
