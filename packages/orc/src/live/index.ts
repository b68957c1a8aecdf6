export {
  LiveObjects,
  ReplaceRefused,
  type LiveInitializers,
  type LiveObjectsOptions,
  type ReplaceOptions,
  type ReplaceResult,
} from './live-objects.js';
export { DataLayoutChanged } from './split.js';
