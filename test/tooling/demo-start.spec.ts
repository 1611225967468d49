/**
 * `npm start` as a user runs it (scripts/start.mjs, not --check), in a user dir of its own on free ports:
 * the demo never loses work. The examples are seeded once, onto one shared config node; a tab the user deployed
 * survives a restart; a second start while one runs changes nothing and says where the running one is; a port
 * taken by another program is named with the variable and a command that works; `--reset` starts afresh and
 * keeps the old flows as a .bak.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { nodeRedVersion } from "../support/node-red";

const ROOT = join(__dirname, "..", "..");
const NR4 = nodeRedVersion.startsWith("4.");
const EXAMPLES = readdirSync(join(ROOT, "examples")).filter((f) => f.endsWith(".json"));

interface Demo {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** A port nothing listens on (scripts/node-red-process.mjs, as the browser tests pick theirs). */
const freePort = async () => (await import("../../scripts/node-red-process.mjs")).freePort();

function startDemo(env: Record<string, string>, args: string[] = []): Demo {
  const child = spawn(process.execPath, [join(ROOT, "scripts", "start.mjs"), ...(NR4 ? ["--nr4"] : []), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let text = "";
  child.stdout!.on("data", (d) => (text += d));
  child.stderr!.on("data", (d) => (text += d));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, output: () => text, exited };
}

async function untilBanner(demo: Demo, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let done = false;
  void demo.exited.then(() => (done = true));
  while (!/Node-RED editor: +http/.test(demo.output())) {
    if (done) throw new Error(`npm start exited before its banner:\n${demo.output().slice(-3000)}`);
    if (Date.now() > deadline) throw new Error(`no banner within ${timeoutMs / 1000} s:\n${demo.output().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function stopDemo(demo: Demo): Promise<number | null> {
  if (demo.child.exitCode === null && demo.child.signalCode === null) demo.child.kill("SIGTERM");
  return demo.exited;
}

type FlowNode = { id: string; type: string; label?: string; z?: string; server?: string; baseUrl?: string; name?: string };

async function flowsOf(editor: string): Promise<{ rev: string; flows: FlowNode[] }> {
  const res = await fetch(`${editor}flows`, { headers: { "Node-RED-API-Version": "v2" } });
  assert.equal(res.status, 200);
  return (await res.json()) as { rev: string; flows: FlowNode[] };
}

describe(`npm start keeps the user's work (Node-RED ${nodeRedVersion.split(".")[0]})`, function () {
  this.timeout(180_000);
  const dirs: string[] = [];
  const running: Demo[] = [];
  const newDir = () => {
    const d = join(mkdtempSync(join(tmpdir(), "images-api-demo-")), "demo");
    dirs.push(d);
    return d;
  };

  after(async () => {
    for (const d of running) await stopDemo(d);
    for (const d of dirs) rmSync(join(d, ".."), { recursive: true, force: true });
  });

  it("seeds once on one config node, keeps a deployed tab across a restart, refuses a second start untouched, resets on request", async () => {
    const dir = newDir();
    const env = { IMAGES_API_DEMO_DIR: dir, PORT: String(await freePort()), IMAGES_API_PORT: String(await freePort()) };
    const editor = `http://127.0.0.1:${env.PORT}/`;
    const first = startDemo(env);
    running.push(first);
    await untilBanner(first);

    // the seeded demo: every example on its tab, "Generate an image" first, one config node that every image node uses
    const seeded = await flowsOf(editor);
    const tabs = seeded.flows.filter((n) => n.type === "tab").map((n) => n.label);
    assert.equal(tabs.length, EXAMPLES.length);
    assert.equal(tabs[0], "Generate an image");
    const configs = seeded.flows.filter((n) => n.type === "images-api-config");
    assert.equal(configs.length, 1, `config nodes: ${configs.map((c) => c.id).join(", ")}`);
    assert.equal(configs[0].baseUrl, `http://127.0.0.1:${env.IMAGES_API_PORT}/v1`);
    const imageNodes = seeded.flows.filter((n) => /^images-api-(generate|edit)$/.test(n.type));
    assert.ok(imageNodes.length >= EXAMPLES.length);
    for (const n of imageNodes) assert.equal(n.server, configs[0].id, `${n.type} ${n.id} is not on the demo config node`);

    // the user deploys a tab of their own
    const mine: FlowNode[] = [
      { id: "7e57ab0000000001", type: "tab", label: "My doorbell flow" },
      { id: "7e57ab0000000002", type: "comment", z: "7e57ab0000000001", name: "built by the user" } as FlowNode,
    ];
    const deploy = await fetch(`${editor}flows`, {
      method: "POST",
      headers: { "content-type": "application/json", "Node-RED-API-Version": "v2", "Node-RED-Deployment-Type": "full" },
      body: JSON.stringify({ rev: seeded.rev, flows: [...seeded.flows, ...mine] }),
    });
    assert.equal(deploy.status, 200, await deploy.text());
    const flowsFile = join(dir, "flows.json");
    const deployed = readFileSync(flowsFile);
    assert.match(deployed.toString(), /My doorbell flow/);
    const settingsBefore = readFileSync(join(dir, "settings.js"));

    // a second start while this one runs: refused, the running demo named, nothing in its user dir touched
    const second = startDemo(env);
    assert.equal(await second.exited, 1, second.output());
    assert.match(
      second.output(),
      new RegExp(`the demo is already running \\(PID ${first.child.pid}\\): open ${editor.replace(/[/.]/g, "\\$&")}`),
    );
    assert.doesNotMatch(second.output(), /Node-RED editor:/, "a second start printed the editor banner");
    assert.ok(readFileSync(flowsFile).equals(deployed), "a second start changed the running demo's flows.json");
    assert.ok(readFileSync(join(dir, "settings.js")).equals(settingsBefore), "a second start changed settings.js");
    assert.equal((await flowsOf(editor)).flows.filter((n) => n.label === "My doorbell flow").length, 1);

    // ports taken by another program: the variable, the port and a command that works; nothing created
    for (const [name, port] of [
      ["PORT", env.PORT],
      ["IMAGES_API_PORT", env.IMAGES_API_PORT],
    ]) {
      const other = newDir();
      const otherEnv = {
        IMAGES_API_DEMO_DIR: other,
        PORT: String(await freePort()),
        IMAGES_API_PORT: String(await freePort()),
        [name]: port,
      };
      const third = startDemo(otherEnv);
      assert.equal(await third.exited, 1, third.output());
      const said = new RegExp(
        `port ${port} \\(${name}, for the (Node-RED editor|Images API test server)\\) is in use by another program.*start with .*${name}=(\\d+) .*npm start`,
      );
      const m = said.exec(third.output());
      assert.ok(m, third.output());
      assert.notEqual(m[2], port);
      assert.equal(existsSync(other), false, `${name} taken: the user dir was created anyway`);
    }

    // restart (the test server on another port): the user's tab is there, the demo config node follows the port
    assert.equal(await stopDemo(first), 0, first.output());
    assert.equal(existsSync(join(dir, ".demo-running.json")), false, "the lock outlived the demo");
    // another port: the system may hand out the one just freed again
    const before = env.IMAGES_API_PORT;
    do env.IMAGES_API_PORT = String(await freePort());
    while (env.IMAGES_API_PORT === before);
    const again = startDemo(env);
    running.push(again);
    await untilBanner(again);
    assert.match(
      again.output(),
      /your flows are kept; the demo config node "local test server" now points at http:\/\/127\.0\.0\.1:\d+\/v1/,
    );
    const kept = await flowsOf(editor);
    assert.equal(kept.flows.filter((n) => n.label === "My doorbell flow").length, 1, "the user's tab is gone after a restart");
    assert.equal(kept.flows.filter((n) => n.type === "tab").length, EXAMPLES.length + 1);
    assert.equal(kept.flows.find((n) => n.type === "images-api-config")?.baseUrl, `http://127.0.0.1:${env.IMAGES_API_PORT}/v1`);
    assert.equal(await stopDemo(again), 0, again.output());

    // --reset: the examples afresh, the user's flows kept beside them as a .bak
    const reset = startDemo(env, ["--reset"]);
    running.push(reset);
    await untilBanner(reset);
    const fresh = await flowsOf(editor);
    assert.equal(fresh.flows.filter((n) => n.label === "My doorbell flow").length, 0);
    assert.equal(fresh.flows.filter((n) => n.type === "tab").length, EXAMPLES.length);
    const baks = readdirSync(dir).filter((f) => /^flows\.json\..+\.bak$/.test(f));
    assert.equal(baks.length, 1, readdirSync(dir).join(", "));
    assert.match(readFileSync(join(dir, baks[0]), "utf8"), /My doorbell flow/);
    assert.match(reset.output(), new RegExp(`--reset: your flows are kept as ${baks[0].replace(/\./g, "\\.")}`));
    assert.equal(await stopDemo(reset), 0, reset.output());
  });
});
