/**
 * A real Node-RED process on the built package, with a file context store, that a test can stop and start again on
 * the same user dir (what survives a restart). The process helpers are scripts/node-red-process.mjs.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import type { NodeRedProcess } from "../../scripts/node-red-process.mjs" with { "resolution-mode": "import" };

const repoRoot = resolve(__dirname, "..", "..");
const nodeRedDir = process.env.NODE_RED_PATH || dirname(require.resolve("node-red/package.json"));

export class RestartableNodeRed {
  userDir = "";
  private nr: NodeRedProcess | undefined;

  constructor(private readonly name: string) {}

  /** Whether the package is built (npm test builds first). */
  static built(): boolean {
    return existsSync(join(repoRoot, "dist", "nodes", "images-api-generate.js"));
  }

  /** A fresh user dir with settings.js (a file context store) and these flows. */
  async prepare(flows: unknown[], writtenBy: string): Promise<void> {
    this.userDir = mkdtempSync(join(tmpdir(), `images-api-${this.name}-`));
    const { nodeRedSettings } = await import("../../scripts/node-red-settings.mjs");
    writeFileSync(
      join(this.userDir, "settings.js"),
      nodeRedSettings({ userDir: this.userDir, credentialSecret: this.name, repoRoot, writtenBy, fileContext: true }),
    );
    writeFileSync(join(this.userDir, "flows.json"), JSON.stringify(flows));
  }

  /** Starts Node-RED on a free port; its editor URL. */
  async start(): Promise<string> {
    const { spawnNodeRed, startOnFreePort } = await import("../../scripts/node-red-process.mjs");
    const { proc, url } = await startOnFreePort((port) => spawnNodeRed({ nodeRedDir, userDir: this.userDir, port }));
    this.nr = proc;
    return url;
  }

  async stop(): Promise<void> {
    const { stopNodeRed } = await import("../../scripts/node-red-process.mjs");
    if (this.nr) await stopNodeRed(this.nr);
    this.nr = undefined;
  }

  /** The last lines Node-RED logged (for a failed test). */
  log(lines = 40): string {
    return this.nr ? this.nr.log.slice(-lines).join("\n") : "";
  }

  async dispose(): Promise<void> {
    await this.stop();
    if (this.userDir) rmSync(this.userDir, { recursive: true, force: true });
  }
}
