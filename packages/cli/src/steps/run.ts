/**
 * Run: link every named object and find the entry point, then (unless
 * -noexec) run static initializers, the entry point as main, and finalizers.
 */
import { Scope, type LinkGraph } from '@jitlink/core';
import type { CliOptions } from '../options.js';
import type { Timer } from '../timer.js';
import type { LoadedInputs } from './inputs.js';
import type { Platform } from './platform.js';
import type { LinkSession } from './session.js';
import { spellingsOf } from './symbols.js';

/** Links the inputs; resolves to the entry point's address (undefined with -noexec when nothing defines it). */
export async function linkInputs(options: CliOptions, ls: LinkSession, inputs: LoadedInputs, timer: Timer): Promise<number | undefined> {
  let entryAddress: number | undefined;
  // The format of the graph that defines the entry point: its code may need a bridge from the host's calling convention.
  let entryGraph: { triple: string; format: LinkGraph['format'] } | undefined;
  ls.layer.addPlugin({
    modifyPassConfig(_mr, graph) {
      if (entryGraph !== undefined) return;
      graph.forEachDefinedSymbol((sym) => {
        if (sym.name === options.entry && sym.scope !== Scope.Local) entryGraph = { triple: graph.triple, format: graph.format };
      });
    },
    notifyFailed() {},
    notifyRemovingResources() {},
    notifyTransferringResources() {},
  });
  await timer.time('link', async () => {
    // Every object named on the command line is linked, as a static linker would
    // (archive members only when something needs them).
    await ls.session.materialize(inputs.units.map((u) => u.record!));
    // The entry point as the objects spell it: as given, else as a registered backend mangles it.
    const defines = (name: string) => inputs.dylibs.some((d) => d.symbols.get(name)?.record !== undefined);
    const entry = spellingsOf(ls.registry, options.entry).find(defines) ?? options.entry;
    const hasEntry = options.noexec ? inputs.dylibs.some((d) => d.symbols.has(entry)) : true;
    if (hasEntry) entryAddress = await ls.session.lookupOne(inputs.dylibs, entry);
    const backend = entryGraph === undefined ? undefined : ls.registry.forTriple(entryGraph.triple, entryGraph.format);
    if (!options.noexec && backend?.hostEntryBridge !== undefined) {
      const bridge = backend.hostEntryBridge(entry);
      ls.layer.add(ls.main, bridge.graph);
      entryAddress = await ls.session.lookupOne([ls.main, ...inputs.dylibs.filter((d) => d !== ls.main)], bridge.symbol);
    }
  });
  if (ls.errors.length > 0) throw ls.errors[0];
  return entryAddress;
}

/** Runs the program; resolves to its exit code (0 when nothing runs). */
export async function runProgram(
  options: CliOptions,
  ls: LinkSession,
  platform: Platform,
  entryAddress: number | undefined,
  timer: Timer,
): Promise<number> {
  if (options.noexec || entryAddress === undefined) return 0;
  return timer.time('run', async () => {
    await platform.runInitializers();
    const exitCode = await ls.executor.runAsMain(entryAddress, options.programArgs);
    await platform.runFinalizers();
    return exitCode;
  });
}
