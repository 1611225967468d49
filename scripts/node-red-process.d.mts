import type { ChildProcess } from "node:child_process";

export interface Started {
  exited(): boolean;
  log: string[];
}
export function freePort(): Promise<number>;
export function portFree(port: number): Promise<boolean>;
export function portWasTaken(log: string[]): boolean;
export function untilAnswering(url: string, proc: Started, timeoutMs?: number): Promise<void>;
export function startOnFreePort<P extends Started>(
  spawnOn: (port: number) => P | Promise<P>,
  options?: { tries?: number; timeoutMs?: number; pickPort?: () => Promise<number> },
): Promise<{ proc: P; port: number; url: string }>;
export interface NodeRedProcess extends Started {
  child: ChildProcess;
}
export function spawnNodeRed(o: {
  nodeRedDir: string;
  userDir: string;
  port: number;
  node?: string;
  nodeArgs?: string[];
  env?: NodeJS.ProcessEnv;
}): NodeRedProcess;
export function stopNodeRed(proc: NodeRedProcess, graceMs?: number): Promise<void>;
