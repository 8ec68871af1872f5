// The comparison for the per-lookup benchmark: a straightforward hand-written JavaScript
// version of the same work (build the lookup query, read the answer into a person record,
// merge it into a customer record), as an integrator would write it without the library.
// It follows the library's rules for the common cases (current rows, dates written as local
// dates, address lines, history newest first, protection and status notices, the default
// field map) and skips what a quick version skips: UTC date conversion, schema adaptation,
// lenient shapes (a list sent as one object, numbers as text), most validation.

const QUERY_FIELDS = {
  private: `status statusdato foedselsdato
      personnumre { personnummer status }
      beskyttelser { beskyttelsestype status virkningfra virkningtil }
      navne { adresseringsnavn fornavne mellemnavn efternavn status virkningfra virkningtil }
      adresseoplysninger { conavn status virkningfra virkningtil
        cprAdresse { vejadresseringsnavn vejnavn husnummer etage sidedoer bynavn postnummer postdistrikt cprkommunekode cprkommunenavn }
        supplerendeAdresse { adresselinie1 adresselinie2 adresselinie3 adresselinie4 adresselinie5 } }
      udrejseIndrejser { status udrejsedato cprlandUdrejse { kode navn landekode } udlandsadresse { adresselinie1 adresselinie2 adresselinie3 adresselinie4 adresselinie5 } }
      forsvindinger { status forsvindingsdato }
      kontaktadresse { status virkningfra adresselinie1 adresselinie2 adresselinie3 adresselinie4 adresselinie5 }
      vaergemaal { status virkningfra vaergenavn vaergeadresselinie1 vaergeadresselinie2 vaergeadresselinie3 }`,
};
QUERY_FIELDS.public = QUERY_FIELDS.private.replace('udrejsedato', 'udrejsedato indrejsedato').replace('forsvindingsdato', 'forsvindingsdato genfindingsdato');

const ROOT = { private: 'CPRCustom_PrivateSectorPerson', public: 'CPRCustom_PublicSectorPerson' };

/** The lookup query for CPR numbers (DDMMYYSSSS or DDMMYY-SSSS). */
export function buildQuery(sectorType, cprNumbers) {
  const numbers = cprNumbers.map((n) => {
    const digits = n.replace('-', '');
    if (!/^\d{10}$/.test(digits)) throw new Error('invalid CPR number');
    return digits;
  });
  const query = `query CprPersonLookup($cprNumbers: [String!]!) {\n  ${ROOT[sectorType]}(input: {personnummer: {personnummer: {in: $cprNumbers}}}) {\n    nodes {\n      ${QUERY_FIELDS[sectorType]}\n    }\n  }\n}\n`;
  return { operationName: 'CprPersonLookup', query, variables: { cprNumbers: numbers } };
}

const text = (v) => (v == null ? undefined : (String(v).trim() || undefined));
const date = (v) => text(v)?.slice(0, 10);
const isCurrent = (row, to = 'virkningtil') => (row.status ? row.status === 'aktuel' : !row[to]);

function current(rows = [], to) {
  let found;
  const history = [];
  for (const row of rows ?? []) {
    if (isCurrent(row, to) && !found) found = row;
    else history.push(row);
  }
  history.sort((a, b) => (date(b.virkningfra) ?? '').localeCompare(date(a.virkningfra) ?? ''));
  return [found, history];
}

function nameOf(n) {
  if (!n) return undefined;
  const name = { given: text(n.fornavne), middle: text(n.mellemnavn), family: text(n.efternavn), addressing: text(n.adresseringsnavn), from: date(n.virkningfra), to: date(n.virkningtil) };
  return name.given || name.family || name.addressing ? name : undefined;
}

function addressOf(a) {
  const c = a?.cprAdresse;
  if (!c) return undefined;
  const street = text(c.vejadresseringsnavn) ?? text(c.vejnavn);
  const houseNumber = text(c.husnummer)?.replace(/^0+(?=.)/, '');
  const floor = text(c.etage);
  const door = text(c.sidedoer);
  const unit = [floor && (/^\d+$/.test(floor) ? `${Number(floor)}.` : `${floor}.`), door].filter(Boolean).join(' ');
  const streetLine = street && [street, houseNumber].filter(Boolean).join(' ') + (unit ? `, ${unit}` : '');
  const postCode = text(c.postnummer);
  const postDistrict = text(c.postdistrikt);
  const coName = text(a.conavn);
  const lines = [coName && `c/o ${coName}`, streetLine, text(c.bynavn), [postCode, postDistrict].filter(Boolean).join(' ') || undefined].filter(Boolean);
  return {
    street, houseNumber, floor, door, postCode, postDistrict, locality: text(c.bynavn),
    municipalityCode: text(c.cprkommunekode), municipalityName: text(c.cprkommunenavn), coName,
    lines, from: date(a.virkningfra), to: date(a.virkningtil),
  };
}

/** Read the answer (JSON text) into person records. */
export function parseResponse(body, sectorType) {
  const json = JSON.parse(body);
  if (json.errors?.length) throw new Error(json.errors[0].message);
  const root = json.data[ROOT[sectorType]];
  return (root?.nodes ?? []).map((node) => {
    const protections = (node.beskyttelser ?? []).map((b) => ({ type: b.beskyttelsestype, from: date(b.virkningfra), to: date(b.virkningtil), active: isCurrent(b) }));
    const protectedFromPrivate = sectorType === 'private' && protections.some((p) => p.active && p.type === 'navne_og_adressebeskyttelse');
    const [nameRow, names] = current(node.navne);
    const [addressRow, addresses] = current(node.adresseoplysninger);
    const name = nameOf(nameRow);
    const address = addressOf(addressRow);
    const [emigrationRow] = current(node.udrejseIndrejser, 'indrejsedato');
    const status = text(node.status);
    return {
      cpr: (node.personnumre ?? []).find((p) => isCurrent(p))?.personnummer,
      status,
      statusDate: date(node.statusdato),
      birthDate: date(node.foedselsdato),
      name,
      nameWithheld: !name && (node.navne === null || protectedFromPrivate),
      address,
      addressWithheld: !address && (node.adresseoplysninger === null || protectedFromPrivate),
      protections,
      emigration: emigrationRow && { date: date(emigrationRow.udrejsedato), country: emigrationRow.cprlandUdrejse && { code: text(emigrationRow.cprlandUdrejse.kode), name: text(emigrationRow.cprlandUdrejse.navn) } },
      death: status === 'doed' ? { date: date(node.statusdato) } : undefined,
      nameHistory: names.map(nameOf).filter(Boolean),
      addressHistory: addresses.map(addressOf).filter(Boolean),
      relations: [],
    };
  });
}

/** Merge a person into a customer record: changed fields, the change list, notices. */
export function mergePerson(existing, person) {
  const record = { ...existing };
  const changes = [];
  const notifications = [];
  if (person.status === 'doed') notifications.push({ code: 'person_deceased', message: `The person died on ${person.death?.date}.` });
  if (person.status === 'udrejst') notifications.push({ code: 'person_emigrated', message: 'The person has emigrated.' });
  if (person.protections.some((p) => p.active && p.type === 'navne_og_adressebeskyttelse')) {
    notifications.push({ code: 'name_and_address_protected', message: 'Do not pass the name or address on to others.' });
  }
  const a = person.address;
  const full = person.name && [person.name.given, person.name.middle, person.name.family].filter(Boolean).join(' ');
  const values = {
    name: full || undefined,
    address: a?.lines.find((l) => !l.startsWith('c/o')),
    address2: a?.coName ? `c/o ${a.coName}` : a?.locality,
    postCode: a?.postCode,
    city: a?.postDistrict,
    countryCode: a ? (a.postCode?.startsWith('39') ? 'GL' : 'DK') : undefined,
  };
  for (const [field, value] of Object.entries(values)) {
    if (value === undefined || String(record[field] ?? '') === value) continue;
    changes.push({ field, before: record[field] ?? null, after: value });
    record[field] = value;
  }
  if (!a) notifications.push({ field: 'address', code: 'address_missing', message: "CPR has no current address; the record's address fields are kept." });
  return { record, changes, notifications };
}
