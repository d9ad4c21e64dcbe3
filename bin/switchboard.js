#!/usr/bin/env node
// The one CLI: its commands live in router/src/cli.ts.
import '@switchboard/router/cli';
