// Preloaded by ab.mjs (node -r): at exit, writes the CPU time of the process's
// main thread alone (user + system, from /proc/self/task/<pid>/stat, in
// clock ticks of 10 ms) to stderr as "main thread cpu: <ms> ms". With worker
// threads beside it, this is the linking thread's share of the process's CPU time.
const { readFileSync } = require('node:fs');
process.on('exit', () => {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at field 3.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15)
    process.stderr.write(`main thread cpu: ${ticks * 10} ms\n`);
  } catch {
    // not Linux: nothing to report
  }
});
