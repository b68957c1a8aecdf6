/** Every fuzz target by name: object formats, archives, the executor protocol, check expressions, command lines. */
import { elfTargets } from './targets.mjs';
import { objectTargets } from './objects.mjs';
import { protocolTargets } from './protocol.mjs';
import { textTargets } from './text.mjs';

export const targets = { ...elfTargets, ...objectTargets, ...protocolTargets, ...textTargets };
