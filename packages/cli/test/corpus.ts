/** Reading the test corpus manifest (test-corpus/obj, or a rebuild of it). */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { condition, have } from '@jitlink/test-support';

export interface CorpusProgram {
  name: string;
  language: 'c' | 'c++';
  objects: string[];
  harnessObjects?: string[];
  variants: Record<string, string[]>;
  args: string[];
  archives: string[];
  expectLinkError?: string;
  expected: { stdout: string; exit: number };
}

export interface Corpus {
  root: string;
  label: string;
  programs: CorpusProgram[];
}

export const REPO_ROOT = resolve(__dirname, '../../..');
export const CLI = join(REPO_ROOT, 'packages/cli/dist/jitlink.cjs');

function load(root: string, label: string): Corpus {
  const manifest = JSON.parse(readFileSync(join(root, 'manifest.json'), 'utf8')) as { programs: CorpusProgram[] };
  return { root, label, programs: manifest.programs };
}

/** The committed corpus, plus the rebuilt one when JITLINK_REBUILT_CORPUS names it (CI sets it). */
export function corpora(): Corpus[] {
  const list = [load(join(REPO_ROOT, 'test-corpus/obj'), 'committed')];
  const rebuilt = process.env.JITLINK_REBUILT_CORPUS;
  if (rebuilt) {
    if (!existsSync(join(rebuilt, 'manifest.json'))) throw new Error(`JITLINK_REBUILT_CORPUS=${rebuilt} holds no manifest.json`);
    list.push(load(rebuilt, 'rebuilt'));
  }
  return list;
}

/** A check inside a test, through @jitlink/test-support's `have`: false with the reason printed; under CI=true an error. */
export function requireOrSkip(ok: boolean, reason: string): boolean {
  return have(condition(reason, ok));
}
