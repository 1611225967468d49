/**
 * Mocha root hooks of the browser suite (loaded through test/e2e/.mocharc.json `require`): one Images API test
 * server, one Node-RED and one Chromium for the whole run. A failed start fails the run (a failed hook counts
 * as a failure), it never skips.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { e2e, SHOTS_DIR, startAll, stopAll } from "./harness";

const started = Date.now();

export const mochaHooks = {
  async beforeAll(this: Mocha.Context) {
    this.timeout(180_000);
    const s = await startAll();
    console.log(
      `  [e2e] Node-RED ${s.nodeRedVersion} on Node ${s.nodeVersion} at ${s.nrUrl}; Images API test server ${s.server.baseUrl} (key required)`,
    );
  },
  async afterEach(this: Mocha.Context) {
    const t = this.currentTest;
    if (t && t.state === "failed") {
      try {
        const name = t
          .fullTitle()
          .replace(/[^a-z0-9]+/gi, "-")
          .slice(0, 80);
        await e2e().page.screenshot({ path: path.join(SHOTS_DIR, `99-FAILED-${name}.png`) });
      } catch {
        /* no page */
      }
    }
  },
  async afterAll(this: Mocha.Context) {
    this.timeout(60_000);
    try {
      const s = e2e();
      const total = Date.now() - started;
      console.log(`  [e2e] timings ${JSON.stringify({ ...s.timings, total_ms: total })}`);
      if (s.pageErrors.length) console.log(`  [e2e] uncaught page errors: ${JSON.stringify(s.pageErrors)}`);
      if (s.consoleErrors.length) console.log(`  [e2e] browser console errors: ${JSON.stringify(s.consoleErrors)}`);
      const errors = s.nodeRedLog.filter((l) => /\[error\]/.test(l));
      if (errors.length) console.log(`  [e2e] Node-RED error lines:\n    ${errors.join("\n    ")}`);
      console.log(
        `  [e2e] screenshots: ${fs.readdirSync(SHOTS_DIR).filter((f) => f.endsWith(".png")).length} in ${path.relative(process.cwd(), SHOTS_DIR)}`,
      );
    } catch {
      /* never started */
    }
    await stopAll();
  },
};
