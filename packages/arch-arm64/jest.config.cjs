module.exports = { ...require('../../jest.preset.cjs'), rootDir: __dirname, displayName: 'arch-arm64' };
