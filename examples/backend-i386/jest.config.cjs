module.exports = { ...require('../../jest.preset.cjs'), rootDir: __dirname, displayName: 'example-backend-i386' };
