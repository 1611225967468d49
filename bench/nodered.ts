/**
 * 5. What the Node-RED node adds per message: the generate node in a real Node-RED runtime
 * (node-red-node-test-helper, the flow of test/support/flow.ts: config node → generate node →
 * helper; the nodes bundled as dist/ is, see bench/lib/build.ts) against calling our client directly (ImagesClient.call + readAnswer) with the same
 * settings, same server, tiny images, one message at a time. The two take turns batch by batch.
 * Per message: wall time (message in → message out) and client-process CPU.
 *
 *   node --import tsx --expose-gc bench/nodered.ts <baseUrl> <messages> <rounds> <warmup>
 */
import { helper } from "../test/support/node-red";
import { imageFlow, NODES as SRC_NODES } from "../test/support/flow";
import { built } from "./lib/build";
import { report } from "./lib/proc";
import { API_KEY, GENERATE_BODY, TINY_PNG } from "./lib/payloads";
import { median } from "./lib/stats";
import { makeOurs } from "./lib/variants";

const [baseUrl, messagesArg = "1000", roundsArg = "5", warmupArg = "100"] = process.argv.slice(2);
const MESSAGES = Number(messagesArg);
const ROUNDS = Number(roundsArg);
const WARMUP = Number(warmupArg);

type Msg = Record<string, any>;
type Spied = { (...args: unknown[]): unknown; restore?: () => void };

interface Batch {
  cpuUs: number;
  latenciesUs: number[];
}

async function batch(count: number, one: () => Promise<void>): Promise<Batch> {
  const latenciesUs: number[] = [];
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < count; i++) {
    const t0 = process.hrtime.bigint();
    await one();
    latenciesUs.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  const cpu = process.cpuUsage(cpu0);
  return { cpuUs: cpu.user + cpu.system, latenciesUs };
}

async function main() {
  await new Promise<void>((resolve) => helper.startServer(() => resolve()));
  const flow = imageFlow({
    baseUrl,
    // the node with the settings the direct call uses (GENERATE_BODY)
    node: { model: GENERATE_BODY.model, size: GENERATE_BODY.size, quality: GENERATE_BODY.quality, n: 1, output: "buffer" },
  });
  // the nodes as users run them (bundled like dist/), else from src/ through tsx
  const config = built("images-api-config");
  const generate = built("images-api-generate");
  const nodes = config && generate ? [require(config), require(generate)] : SRC_NODES;
  await helper.load(nodes as never, flow as never, { cfg: { apiKey: API_KEY } } as never);
  // The test helper wraps Node.prototype's send, status, log … (and Node-RED's log) in sinon spies that record every
  // call and emit an event for each on the next tick; Node-RED itself has none of that. Removed here, also from the
  // nodes' own `send` (Node-RED copies Node.prototype.send onto each node when it is created).
  const h = helper as unknown as { _NodePrototype: Record<string, Spied>; _logSpy?: Spied };
  const proto = h._NodePrototype;
  for (const method of ["log", "status", "warn", "error", "debug", "trace", "send"]) proto[method].restore?.();
  h._logSpy?.restore?.();
  for (const n of flow) {
    const node = helper.getNode(n.id as string) as unknown as { send?: Spied } | null;
    if (node?.send && "restore" in node.send) node.send = proto.send;
  }
  if ("restore" in proto.send || "restore" in (helper.getNode("img") as unknown as { send: Spied }).send)
    throw new Error("the test helper's spies are still there");
  const img = helper.getNode("img");
  let waiting: { resolve: () => void; reject: (e: Error) => void } | undefined;
  helper.getNode("out").on("input", (m: Msg) => {
    const w = waiting;
    waiting = undefined;
    if (Buffer.isBuffer(m.payload) && m.payload.equals(TINY_PNG)) w?.resolve();
    else w?.reject(new Error(`unexpected output: ${String(m.payload).slice(0, 80)}`));
  });
  helper.getNode("caught").on("input", (m: Msg) => {
    const w = waiting;
    waiting = undefined;
    w?.reject(new Error(`the node failed: ${m.error?.message}`));
  });
  const viaNode = () =>
    new Promise<void>((resolve, reject) => {
      waiting = { resolve, reject };
      img.receive({ payload: GENERATE_BODY.prompt });
    });

  // the same settings as the config node in the flow: retries 2, default concurrency
  const direct = makeOurs(baseUrl, { maxRetries: 2 });
  const viaClient = async () => {
    const [image] = await direct.generate();
    if (!image.equals(TINY_PNG)) throw new Error("unexpected image");
  };

  await batch(WARMUP, viaNode);
  await batch(WARMUP, viaClient);
  const perBatch = Math.ceil(MESSAGES / ROUNDS);
  const node: Batch[] = [];
  const client: Batch[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 ? [viaClient, viaNode] : [viaNode, viaClient];
    for (const run of order) (run === viaNode ? node : client).push(await batch(perBatch, run));
  }
  const summary = (b: Batch[]) => ({
    messages: b.reduce((n, x) => n + x.latenciesUs.length, 0),
    latencyUsMedian: median(b.flatMap((x) => x.latenciesUs)),
    cpuUsPerMessage: median(b.map((x) => x.cpuUs / x.latenciesUs.length)),
  });
  await direct.close();
  await helper.unload();
  await new Promise<void>((resolve) => helper.stopServer(() => resolve()));
  const nodeRedVersion = require("node-red/package.json").version as string;
  // the overhead round by round (the two batches of a round ran side by side), then the median: the host's drift
  // between rounds cancels out, as in section 1
  const perRound = (f: (b: Batch) => number) => median(node.map((b, i) => f(b) - f(client[i])));
  const overhead = { latencyUs: perRound((b) => median(b.latenciesUs)), cpuUs: perRound((b) => b.cpuUs / b.latenciesUs.length) };
  return { nodeRedVersion, node: summary(node), client: summary(client), overhead };
}

report(main);
