export { EdgeKinds, edgeKindNamer, type LinkGraph } from '@jitlink/core';
import { edgeKindNamer } from '@jitlink/core';
/** Names the one kind recordingArch makes. */
export const x86_64LikeNamer = edgeKindNamer(['Recorded']);
