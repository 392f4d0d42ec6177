/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  // Jest keeps one core for itself by default; its main process only waits, so use them all.
  maxWorkers: '100%',
  roots: ['<rootDir>/test'],
  transform: { '^.+\\.ts$': ['@swc/jest'], '/node_modules/github-slugger/.+\\.js$': ['@swc/jest'] },
  // github-slugger ships only ES modules, which Jest's CommonJS runtime needs compiled.
  transformIgnorePatterns: ['/node_modules/(?!github-slugger/)'],
  // Every test file loads the app afresh: load only the part of cdk8s-plus-28 it uses.
  moduleNameMapper: { '^cdk8s-plus-28$': '<rootDir>/test/support/k8s-only.ts' },
  // Jest's runtime, with each worker reusing the V8 code cache of modules earlier test files compiled.
  runtime: '<rootDir>/test/support/code-cache-runtime.cjs',
  // Builds what is out of date: the bundled app the CLI tests run, and lib/ for the package test.
  globalSetup: '<rootDir>/test/global-setup.mjs',
};
