// Shared mocha settings: TypeScript through tsx, no global leaks, fail fast on unhandled rejections.
module.exports = {
  require: ['tsx/cjs'],
  extension: ['ts'],
  reporter: require.resolve('./support/reporter.cjs'),
  timeout: 10000,
  exit: true,
};
