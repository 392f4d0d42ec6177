/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  transform: { '^.+\\.ts$': ['@swc/jest'] },
  // The CLI tests run the bundled app; build it once before the suite.
  globalSetup: '<rootDir>/test/global-setup.js',
};
