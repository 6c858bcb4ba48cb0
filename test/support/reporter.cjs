// Mocha's spec reporter, plus the run's counts written to $TIER_RESULTS_FILE for test/run-tiers.ts.
const Mocha = require('mocha');
const { writeFileSync } = require('node:fs');

class TierReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
      const file = process.env.TIER_RESULTS_FILE;
      if (file) writeFileSync(file, JSON.stringify(this.stats));
    });
  }
}
module.exports = TierReporter;
