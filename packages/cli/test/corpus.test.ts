/**
 * Links and runs every corpus program in every compiler/flag variant through
 * the jitlink command and compares stdout and exit code with the natively
 * linked program's (test-corpus/expected).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { debianLibrary, needs } from '@jitlink/test-support';
import { corpora, type CorpusProgram } from './corpus.js';
import { mapLimit, runCli } from './run-cli.js';

/** Command line for a program: harness programs run as llvm-jitlink's harness example does. */
function commandLine(program: CorpusProgram, dir: string): string[] {
  const objects = program.objects.map((o) => join(dir, o));
  if (program.harnessObjects) {
    return ['-phony-externals', ...objects, '-harness', ...program.harnessObjects.map((o) => join(dir, o))];
  }
  return [...objects, ...program.archives, '-args', 'prog', ...program.args];
}

for (const corpus of corpora()) {
  describe(`corpus (${corpus.label}: ${corpus.root})`, () => {
    for (const program of corpus.programs) {
      for (const [compiler, variants] of Object.entries(program.variants).filter(([, v]) => v.length > 0)) {
        const withArchives = needs(...program.archives.map(debianLibrary));
        withArchives.test(`${program.name} built by ${compiler}: ${variants.length} variants run as natively linked`, async () => {
          const expectedStdout = readFileSync(join(corpus.root, program.expected.stdout), 'utf8');
          const results = await mapLimit(variants, 2, async (variant) => {
            const r = await runCli(commandLine(program, join(corpus.root, compiler, variant)));
            return { variant, r };
          });
          const failures: string[] = [];
          for (const { variant, r } of results) {
            if (program.expectLinkError) {
              if (r.code === 0 || !r.stderr.includes(program.expectLinkError) || !/^jitlink: error: /.test(r.stderr)) {
                failures.push(`${variant}: expected a clear ${program.expectLinkError} error, got code ${r.code}: ${r.stderr.slice(0, 300)}`);
              }
            } else if (r.stdout !== expectedStdout || r.code !== program.expected.exit || r.stderr !== '') {
              // Natively linked, no corpus program writes to stderr (build.sh checks that): nor may the JIT run.
              failures.push(`${variant}: exit ${r.code ?? r.signal} (want ${program.expected.exit}); stderr (want none): ${r.stderr.slice(0, 300)}; stdout differs: ${r.stdout !== expectedStdout}`);
            }
          }
          expect(failures).toEqual([]);
        }, 600_000);
      }
    }
  });
}
