// Shared jest settings: TypeScript sources run through swc as CommonJS, and
// workspace packages resolve to their sources so tests never need a build.
const path = require('node:path');
const packages = path.join(__dirname, 'packages');

module.exports = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  moduleFileExtensions: ['ts', 'js', 'cjs', 'json'],
  moduleNameMapper: {
    // Test prerequisites and shared checks (tools/test-support).
    '^@jitlink/test-support$': path.join(__dirname, 'tools/test-support/src/index.ts'),
    '^@jitlink/([a-z0-9-]+)$': `${packages}/$1/src/index.ts`,
    '^@jitlink/([a-z0-9-]+)/([a-z0-9-]+)$': `${packages}/$1/src/$2/index.ts`,
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  testMatch: ['<rootDir>/src/**/*.test.ts', '<rootDir>/test/**/*.test.ts'],
  testTimeout: 60000,
};
