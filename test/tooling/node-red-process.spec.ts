/**
 * scripts/node-red-process.mjs against a real Node-RED (NODE_RED_PATH or the devDependency): a port taken between
 * choosing it and Node-RED binding it costs one more try, not a red test run; any other failure to start is not
 * retried and shows Node-RED's own words.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { NodeRedProcess } from "../../scripts/node-red-process.mjs" with { "resolution-mode": "import" };

const nodeRedDir = process.env.NODE_RED_PATH || dirname(require.resolve("node-red/package.json"));
const lib = () => import("../../scripts/node-red-process.mjs");

function listen(): Promise<{ server: Server; port: number }> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve({ server, port: (server.address() as { port: number }).port }));
  });
}

describe("starting a throwaway Node-RED (scripts/node-red-process.mjs)", function () {
  this.timeout(90_000);
  let userDir = "";
  const started: NodeRedProcess[] = [];

  beforeEach(async () => {
    const { nodeRedSettings } = await import("../../scripts/node-red-settings.mjs");
    userDir = mkdtempSync(join(tmpdir(), "images-api-nrproc-"));
    writeFileSync(join(userDir, "flows.json"), "[]\n");
    writeFileSync(
      join(userDir, "settings.js"),
      nodeRedSettings({ userDir, credentialSecret: "node-red-process-spec", writtenBy: "test/tooling/node-red-process.spec.ts" }),
    );
  });

  afterEach(async () => {
    const { stopNodeRed } = await lib();
    for (const proc of started.splice(0)) await stopNodeRed(proc);
    rmSync(userDir, { recursive: true, force: true });
  });

  it("a port taken meanwhile: Node-RED says so, the next try takes another port and the editor answers", async () => {
    const { freePort, portWasTaken, spawnNodeRed, startOnFreePort } = await lib();
    const taken = await listen();
    try {
      const picked: number[] = [];
      const pickPort = async () => {
        const port = picked.length === 0 ? taken.port : await freePort();
        picked.push(port);
        return port;
      };
      const { proc, port, url } = await startOnFreePort(
        (p) => {
          const proc = spawnNodeRed({ nodeRedDir, userDir, port: p });
          started.push(proc);
          return proc;
        },
        { pickPort },
      );

      assert.equal(started.length, 2, "one more try after the port clash");
      assert.ok(started[0].exited(), "the first Node-RED exited");
      assert.ok(portWasTaken(started[0].log), `the first Node-RED's log does not say the port was taken:\n${started[0].log.join("\n")}`);
      assert.deepEqual(picked, [taken.port, port]);
      assert.notEqual(port, taken.port);
      assert.equal(proc, started[1]);
      const res = await fetch(url);
      assert.equal(res.status, 200);
      assert.match(await res.text(), /Node-RED/);
    } finally {
      taken.server.close();
    }
  });

  it("any other failure is not retried: the error carries Node-RED's last lines", async () => {
    const { spawnNodeRed, startOnFreePort } = await lib();
    writeFileSync(join(userDir, "settings.js"), "module.exports = { this is not JavaScript\n");
    await assert.rejects(
      startOnFreePort((p) => {
        const proc = spawnNodeRed({ nodeRedDir, userDir, port: p });
        started.push(proc);
        return proc;
      }),
      (err: Error) => {
        assert.match(err.message, /^Node-RED exited before answering on http:\/\/127\.0\.0\.1:\d+\/:\n/);
        assert.match(err.message, /settings/i, err.message);
        return true;
      },
    );
    assert.equal(started.length, 1, "not retried");
  });
});
