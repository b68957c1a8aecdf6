export { runJitlink, createDefaultRegistry, VERSION, type CliIO } from './run.js';
export { parseOptions, helpText, nearestOption, parseSize, parseAddress, OPTION_SPECS, UsageError, type CliOptions, type Input } from './options.js';
