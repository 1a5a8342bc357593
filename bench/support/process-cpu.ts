// CPU time a process has used, from the kernel's own account (/proc/<pid>/stat): a measure of
// the work done that does not depend on how busy the rest of the machine was.
import { readFile } from "node:fs/promises";

/** Clock ticks per second of /proc's utime and stime (USER_HZ, 100 on Linux). */
const ticksPerSecond = 100;

/** User plus system CPU seconds the process `pid` has used so far. */
export async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  // The command name (field 2) is in parentheses and may hold spaces; utime and stime are
  // fields 14 and 15, i.e. the 12th and 13th after the closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}
