// Test PKI for the emulator's certificate (mutual TLS) token endpoint.
//
// Everything is generated with the `openssl` command at emulator start-up, in a temp directory the
// emulator deletes on stop: nothing secret is committed, and every run gets fresh keys.
//
//   trusted CA ──┬── server certificate (127.0.0.1, localhost, ::1)
//                ├── client certificate        → registered, exported as password-protected PFX
//                └── unregistered certificate  → trusted by TLS, but mapped to no client (HTTP 401)
//   other CA ────── untrusted certificate      → rejected during the TLS handshake
import { execFileSync } from 'node:child_process';
import { randomBytes, X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const VALIDITY_DAYS = '7';

// `openssl req` insists on a config file; a minimal one keeps us independent of the system config.
const MINIMAL_CONFIG = '[req]\ndistinguished_name = dn\nprompt = no\n[dn]\nCN = placeholder\n';

function openssl(dir, args, env = {}) {
  // stdio: no stdin, keep stdout/stderr so failures carry openssl's own message.
  return execFileSync('openssl', args, {
    cwd: dir,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 30_000,
  });
}

function keyArgs(keyType) {
  return keyType === 'ec'
    ? ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256']
    : ['-newkey', 'rsa:2048'];
}

function serial() {
  // Positive 64-bit serial (leading nibble < 8), unique per certificate as RFC 5280 wants.
  const bytes = randomBytes(8);
  bytes[0] &= 0x7f;
  return '0x' + bytes.toString('hex');
}

function makeCa(dir, name, subject, keyType) {
  openssl(dir, [
    'req', '-config', 'openssl.cnf', '-x509', ...keyArgs(keyType), '-nodes',
    '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', VALIDITY_DAYS, '-subj', subject,
    '-set_serial', serial(),
    '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  return { keyPath: join(dir, `${name}.key`), certPath: join(dir, `${name}.crt`) };
}

function makeLeaf(dir, name, subject, ca, extensions, keyType) {
  writeFileSync(join(dir, `${name}.ext`), extensions.join('\n') + '\n');
  openssl(dir, [
    'req', '-config', 'openssl.cnf', ...keyArgs(keyType), '-nodes',
    '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject,
  ]);
  openssl(dir, [
    'x509', '-req', '-in', `${name}.csr`, '-CA', ca.certPath, '-CAkey', ca.keyPath,
    '-set_serial', serial(), '-days', VALIDITY_DAYS, '-sha256',
    '-extfile', `${name}.ext`, '-out', `${name}.crt`,
  ]);
  return { keyPath: join(dir, `${name}.key`), certPath: join(dir, `${name}.crt`) };
}

function exportPfx(dir, name, leaf, ca, passphrase) {
  // The passphrase travels through the environment, not the argument list (visible in `ps`).
  openssl(dir, [
    'pkcs12', '-export', '-inkey', leaf.keyPath, '-in', leaf.certPath, '-certfile', ca.certPath,
    '-name', name, '-out', `${name}.pfx`, '-passout', 'env:EMULATOR_PFX_PASSPHRASE',
  ], { EMULATOR_PFX_PASSPHRASE: passphrase });
  const pfxPath = join(dir, `${name}.pfx`);
  return { pfxPath, pfx: readFileSync(pfxPath) };
}

function describeLeaf(leaf, ca, pfx, passphrase) {
  const certPem = readFileSync(leaf.certPath, 'utf8');
  const x509 = new X509Certificate(certPem);
  return {
    certPem,
    certPath: leaf.certPath,
    keyPath: leaf.keyPath,
    fingerprint256: x509.fingerprint256,
    subject: x509.subject,
    pfxPath: pfx.pfxPath,
    pfx: pfx.pfx,
    pfxBase64: pfx.pfx.toString('base64'),
    passphrase,
    issuerCaPem: readFileSync(ca.certPath, 'utf8'),
  };
}

/**
 * Generates the whole test PKI into `dir` (which must exist and be empty).
 * keyType: 'rsa' (2048-bit, default, like real certificates) or 'ec' (P-256, much faster).
 */
export function createTestPki(dir, { keyType = 'rsa' } = {}) {
  writeFileSync(join(dir, 'openssl.cnf'), MINIMAL_CONFIG);
  const clientExt = [
    'basicConstraints=CA:FALSE',
    'keyUsage=critical,digitalSignature,keyEncipherment',
    'extendedKeyUsage=clientAuth',
  ];

  const ca = makeCa(dir, 'ca', '/O=Datafordeler Emulator/CN=Datafordeler Emulator Test CA', keyType);
  const server = makeLeaf(dir, 'server', '/O=Datafordeler Emulator/CN=127.0.0.1', ca, [
    'basicConstraints=CA:FALSE',
    'keyUsage=critical,digitalSignature,keyEncipherment',
    'extendedKeyUsage=serverAuth',
    'subjectAltName=IP:127.0.0.1,DNS:localhost,IP:::1',
  ], keyType);
  const client = makeLeaf(dir, 'client', '/O=Emulator Test Company/CN=emulator-certificate-client', ca, clientExt, keyType);
  const unregistered = makeLeaf(dir, 'unregistered', '/O=Emulator Test Company/CN=emulator-unregistered-client', ca, clientExt, keyType);
  const otherCa = makeCa(dir, 'other-ca', '/O=Somebody Else/CN=Untrusted Test CA', keyType);
  const untrusted = makeLeaf(dir, 'untrusted', '/O=Somebody Else/CN=emulator-untrusted-client', otherCa, clientExt, keyType);

  // One passphrase per PKI: each PFX is still individually encrypted with it.
  const passphrase = randomBytes(12).toString('base64url');
  return {
    dir,
    caPem: readFileSync(ca.certPath, 'utf8'),
    caPath: ca.certPath,
    server: {
      keyPem: readFileSync(server.keyPath, 'utf8'),
      certPem: readFileSync(server.certPath, 'utf8'),
    },
    client: describeLeaf(client, ca, exportPfx(dir, 'client', client, ca, passphrase), passphrase),
    unregistered: describeLeaf(unregistered, ca, exportPfx(dir, 'unregistered', unregistered, ca, passphrase), passphrase),
    untrusted: describeLeaf(untrusted, otherCa, exportPfx(dir, 'untrusted', untrusted, otherCa, passphrase), passphrase),
  };
}
