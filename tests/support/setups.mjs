// Setups shared by the JS tests.

/** A complete, valid shared-secret setup for Test 04 (no network is reached through it). */
export const goodSetup = () => ({
  enabled: true,
  legacyMode: false,
  environment: 'test04',
  sectorType: 'private',
  authMethod: 'sharedSecret',
  clientId: 'erp-it-system',
  clientSecret: 'S3cret-Value-42',
  debugMode: false,
});
