export { runJitlink, VERSION, type CliIO } from './run.js';
export { createDefaultRegistry } from './backends.js';
export { parseOptions, helpText, nearestOption, parseSize, parseAddress, OPTION_SPECS, UsageError, type CliOptions, type Input, type OptionSpec } from './options.js';
export { parseAlias, parseSectCreate, type AliasSpec, type SectCreateSpec } from './options.js';
export { describeGraph, type GraphDescription, type SectionDescription, type BlockDescription, type EdgeDescription, type SymbolDescription, type OutsideSymbolDescription } from './graph/model.js';
export { linkGraphToDot, descriptionToDot, type DotOptions, type DotResult, type DrawnEdge } from './graph/dot.js';
export { addSelfRelocations, makeDefinitionsHidden, relocatedSectionContents, sectCreateGraph, sessionState, sessionStateText, type DylibStateJson, type SymbolStateJson } from './link-extras.js';
