/** Every fuzz target by name: object formats, archives, the executor protocol and its shared-secret handshake (both sides), check expressions, command lines. */
import { elfTargets } from './targets.mjs';
import { archiveFormatTargets } from './archives.mjs';
import { objectTargets } from './objects.mjs';
import { protocolTargets } from './protocol.mjs';
import { executorTargets } from './executor.mjs';
import { handshakeTargets } from './handshake.mjs';
import { textTargets } from './text.mjs';

export const targets = { ...elfTargets, ...archiveFormatTargets, ...objectTargets, ...protocolTargets, ...executorTargets, ...handshakeTargets, ...textTargets };
