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

/** A shared-secret setup for the emulator's private-sector client, its URLs as overrides. */
export const emulatorSetup = (emu, overrides = {}) => ({
  enabled: true,
  environment: emu.environment,
  sectorType: 'private',
  authMethod: 'sharedSecret',
  clientId: emu.credentials.privateSector.clientId,
  clientSecret: emu.credentials.privateSector.clientSecret,
  endpoints: { graphqlBaseUrl: emu.urls.graphqlBaseUrl, sharedSecretTokenUrl: emu.urls.tokenUrl },
  ...overrides,
});
