"use strict";
/**
 * Mocha reporter: the `spec` reporter on the console, plus, when TEST_COUNTS_FILE is set, a JSON file
 * `{"passed": N, "failed": N, "pending": N}` written at the end of the run (scripts/test-all.mjs adds the
 * stages up from these files). Failed hooks count as failures, as in mocha's own summary.
 */
const fs = require("node:fs");
const Mocha = require("mocha/lib/mocha.cjs");

const { Spec } = Mocha.reporters;
const { EVENT_RUN_END } = Mocha.Runner.constants;

class CountReporter extends Spec {
  constructor(runner, options) {
    super(runner, options);
    const file = process.env.TEST_COUNTS_FILE;
    if (!file) return;
    runner.once(EVENT_RUN_END, () => {
      const stats = runner.stats || this.stats || {};
      const counts = { passed: stats.passes || 0, failed: stats.failures || 0, pending: stats.pending || 0 };
      // Synchronous: .mocharc.json has `exit: true`, so mocha calls process.exit right after the run.
      fs.writeFileSync(file, JSON.stringify(counts) + "\n");
    });
  }
}

module.exports = CountReporter;
