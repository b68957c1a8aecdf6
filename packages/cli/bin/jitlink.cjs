#!/usr/bin/env node
// The installed `jitlink` command: runs the bundled CLI (built by `npm run build`).
require('../dist/jitlink.cjs');
