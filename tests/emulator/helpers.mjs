// Shared helpers for the emulator's own tests (not a test file: the name matches no test pattern).
import http from 'node:http';
import https from 'node:https';

/**
 * One HTTP(S) request with a fresh connection (agent: false, so no keep-alive state leaks between
 * tests). Resolves { status, headers, body } with the body as text; rejects on network errors.
 * TLS options (ca, pfx, passphrase) pass straight through; verification is never switched off.
 */
export function request(url, { method = 'GET', headers = {}, body, ...tlsOptions } = {}) {
  const target = new URL(url);
  const lib = target.protocol === 'https:' ? https : http;
  const payload = body === undefined ? undefined : Buffer.from(body);
  return new Promise((resolve, reject) => {
    const req = lib.request(target, {
      method,
      agent: false,
      headers: { ...(payload ? { 'Content-Length': payload.length } : {}), ...headers },
      ...tlsOptions,
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
      res.on('aborted', () => reject(Object.assign(new Error('response aborted'), { code: 'ABORTED' })));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

export const json = (response) => JSON.parse(response.body);

export function tokenForm(fields) {
  return {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  };
}

/** Fetches an access token for a shared-secret client from credentials. */
export async function getToken(emu, client) {
  const res = await request(emu.urls.tokenUrl, tokenForm({
    grant_type: 'client_credentials', client_id: client.clientId, client_secret: client.clientSecret,
  }));
  if (res.status !== 200) throw new Error(`token request failed: ${res.status} ${res.body}`);
  return json(res).access_token;
}

/** Certificate token request over mutual TLS; `certificate` is one of the credentials' PFX entries. */
export function certificateTokenRequest(emu, { certificate, clientId, fields } = {}) {
  const tls = { ca: emu.credentials.caPem };
  if (certificate) Object.assign(tls, { pfx: certificate.pfx, passphrase: certificate.passphrase });
  return request(emu.urls.certificateTokenUrl, {
    ...tokenForm(fields ?? { grant_type: 'client_credentials', client_id: clientId }),
    ...tls,
  });
}

export function graphql(url, token, query, variables, extraHeaders = {}) {
  return request(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}), ...extraHeaders },
    body: JSON.stringify({ query, variables }),
  });
}

export const PRIVATE_QUERY = `
query Persons($numbers: [String!]) {
  CPRCustom_PrivateSectorPerson(input: { personnummer: { personnummer: { in: $numbers } } }) {
    nodes {
      id status statusdato foedselsdato
      personnumre { personnummer status }
      beskyttelser { beskyttelsestype status virkningfra virkningtil }
      navne { adresseringsnavn fornavne mellemnavn efternavn status virkningfra }
      adresseoplysninger {
        conavn status virkningfra
        cprAdresse { bynavn cprkommunekode cprkommunenavn cprvejkode etage husnummer postdistrikt postnummer sidedoer vejadresseringsnavn }
      }
      udrejseIndrejser {
        status udrejsedato
        cprlandUdrejse { kode navn landekode }
        udlandsadresse { adresselinie1 adresselinie2 adresselinie3 adresselinie4 adresselinie5 }
      }
      forsvindinger { status forsvindingsdato }
      kontaktadresse { status virkningfra adresselinie1 adresselinie2 adresselinie3 adresselinie4 adresselinie5 }
      vaergemaal { status virkningfra vaergenavn vaergeadresselinie1 vaergeadresselinie2 vaergeadresselinie3 }
    }
  }
}`;

export const PUBLIC_QUERY = `
query Persons($numbers: [String!]) {
  CPRCustom_PublicSectorPerson(input: { personnummer: { personnummer: { in: $numbers } } }) {
    nodes {
      id status statusdato foedselsdato koen
      personnumre { personnummer status virkningfra }
      beskyttelser { beskyttelsestype status virkningfra virkningtil }
      navne { adresseringsnavn fornavne mellemnavn efternavn status virkningfra virkningtil }
      adresseoplysninger {
        conavn status virkningfra virkningtil
        cprAdresse { bynavn cprkommunekode etage husnummer postnummer sidedoer vejadresseringsnavn }
      }
      civilstande { civilstandstype status virkningfra virkningtil }
      statsborgerskaber { status virkningFra cprland { kode landekode } }
      udrejseIndrejser { status udrejsedato cprlandUdrejse { landekode } udlandsadresse { adresselinie1 } }
      forsvindinger { status forsvindingsdato }
      kontaktadresse { status adresselinie1 }
      vaergemaal { status vaergenavn }
      boern { virkningfra barn { personid personnummer beskyttelser { beskyttelsestype status } navn { adresseringsnavn } } }
      foraeldreoplysninger { foraelderrolle foraelder { personnummer beskyttelser { beskyttelsestype status } navn { adresseringsnavn } } }
    }
  }
}`;

/** nodes of a GraphQL answer keyed by their (current) personnummer. */
export function nodesByCpr(body) {
  const data = body.data ?? {};
  const nodes = Object.values(data)[0]?.nodes ?? [];
  return new Map(nodes.map((n) => [n.personnumre[0].personnummer, n]));
}
