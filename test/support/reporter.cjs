// Mocha's spec reporter, plus the run's counts and its failures (title and the head of the error) written
// to $TIER_RESULTS_FILE for test/run-tiers.ts, which repeats the failures at the very end of its output.
const Mocha = require('mocha');
const { writeFileSync } = require('node:fs');

class TierReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    const failed = [];
    runner.on(Mocha.Runner.constants.EVENT_TEST_FAIL, (test, err) => {
      const message = String((err && (err.stack || err.message)) || err).split('\n').slice(0, 12).join('\n');
      failed.push({ title: test.fullTitle(), error: message.slice(0, 2000) });
    });
    runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
      const file = process.env.TIER_RESULTS_FILE;
      if (file) writeFileSync(file, JSON.stringify({ ...this.stats, failed }));
    });
  }
}
module.exports = TierReporter;
