/**
 * Child processes of the benchmark: the server process (commands over IPC) and one-shot
 * measurement processes (each sends one result and exits), all on the orchestrator's Node binary.
 */
import { fork, type ChildProcess } from "node:child_process";
import { join } from "node:path";

export const BENCH_DIR = join(__dirname, "..");
const EXEC_ARGV = ["--import", "tsx", "--expose-gc"];

/** NO_PROXY for the loopback server, whatever proxy the environment sets. */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const noProxy = [process.env.NO_PROXY, "127.0.0.1", "localhost"].filter(Boolean).join(",");
  return { ...process.env, NO_PROXY: noProxy, no_proxy: noProxy, ...extra };
}

function spawnChild(script: string, args: string[], extraExecArgv: string[] = []): ChildProcess {
  return fork(join(BENCH_DIR, script), args, {
    // plain JavaScript (.cjs) runs without tsx's loader hooks
    execArgv: [...(script.endsWith(".cjs") ? ["--expose-gc"] : EXEC_ARGV), ...extraExecArgv],
    env: childEnv(),
    stdio: ["ignore", "inherit", "inherit", "ipc"],
    serialization: "advanced",
  });
}

/** Runs a measurement script in a fresh process; resolves with what it reported (see `report`). */
export function runChild<T>(script: string, args: string[] = [], extraExecArgv: string[] = []): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawnChild(script, args, extraExecArgv);
    let result: { value: T } | undefined;
    let error: string | undefined;
    child.on("message", (m: { result?: T; error?: string }) => {
      if ("result" in m) result = { value: m.result as T };
      if (m.error) error = m.error;
    });
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      if (result) resolve(result.value);
      else
        reject(new Error(`${script} ${args.join(" ")} ended (${signal ?? `exit ${code}`}) without a result${error ? `:\n${error}` : ""}`));
    });
  });
}

/** In a measurement process: hands the result to the orchestrator and exits. */
export function report(main: () => Promise<unknown>): void {
  main().then(
    (result) => process.send!({ result }, () => process.exit(0)),
    (err: Error) => process.send!({ error: err.stack ?? String(err) }, () => process.exit(1)),
  );
}

export interface ServerStats {
  requests: number;
  rateLimited: number;
  maxInFlight: number;
  uploads: Array<{ bytes: number; complete: boolean; parts: number }>;
}

/** The server process (bench/lib/server.ts). */
export class ServerProcess {
  private nextId = 1;
  private pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  private constructor(
    private readonly child: ChildProcess,
    readonly baseUrl: string,
    readonly sinkUrl: string,
  ) {
    child.on("message", (m: { id?: number; ok?: boolean; result?: unknown; error?: string }) => {
      const p = m.id !== undefined ? this.pending.get(m.id) : undefined;
      if (!p) return;
      this.pending.delete(m.id!);
      if (m.ok) p.resolve(m.result);
      else p.reject(new Error(m.error));
    });
  }

  static start(): Promise<ServerProcess> {
    return new Promise((resolve, reject) => {
      const child = spawnChild("lib/server.ts", []);
      child.once("error", reject);
      child.once("exit", (code) => reject(new Error(`the bench server exited (${code}) before it was ready`)));
      child.once("message", (m: { ready?: boolean; baseUrl: string; sinkUrl: string }) => {
        if (m.ready) resolve(new ServerProcess(child, m.baseUrl, m.sinkUrl));
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  cmd<T = unknown>(cmd: string, extra: Record<string, unknown> = {}): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.send({ id, cmd, ...extra });
    });
  }

  stats(): Promise<ServerStats> {
    return this.cmd<ServerStats>("stats");
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.child.exitCode !== null) return resolve();
      this.child.once("exit", () => resolve());
      this.child.disconnect();
      setTimeout(() => this.child.kill(), 3000).unref();
    });
  }
}
