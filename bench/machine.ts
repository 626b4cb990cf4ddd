import { cpus, loadavg } from "node:os";

/** One line naming the machine: CPU model, cores, Node version, and the load when the run began. */
export function describeMachine(): string {
  const processors = cpus();
  const model = processors[0]?.model.trim() ?? "unknown CPU";
  const load = loadavg()[0]?.toFixed(2) ?? "?";
  const node = `Node ${process.version}`;
  return `machine: ${model}, ${processors.length} cores, ${node}, load average ${load} at start`;
}
