/**
 * Check and harness: the -check recorder (installed before anything links, so
 * that it sees every graph after fixups) and the -harness plugin over the
 * harness objects.
 */
import { CheckRecorder } from '../check.js';
import { HarnessPlugin } from '../harness.js';
import type { CliOptions } from '../options.js';
import type { LoadedInputs } from './inputs.js';
import type { LinkSession } from './session.js';

export function installChecks(options: CliOptions, ls: LinkSession): CheckRecorder | undefined {
  return options.checkFiles.length > 0 ? new CheckRecorder(ls.layer) : undefined;
}

export function installHarness(ls: LinkSession, inputs: LoadedInputs): HarnessPlugin | undefined {
  if (inputs.harnessGraphs.length === 0) return undefined;
  const harness = new HarnessPlugin(inputs.harnessGraphs);
  ls.layer.addPlugin(harness);
  return harness;
}
