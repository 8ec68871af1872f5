// Fictitious persons served by the emulator, and the rules for numbers that are not fixtures.
//
// Every name, street and person here is invented. Persons are stored once, in the richest
// (public-sector) shape with full history; toPublicNode / toPrivateNode project them per sector.
//
// Run `node tests/emulator/fixtures.mjs --table` to print the README fixture table; a test checks
// that the README table equals this output and that the emulator answers as each row says.
import { createHash } from 'node:crypto';
import { pathToFileURL } from 'node:url';

// ---------------------------------------------------------------------------------------------
// CPR number rules
// ---------------------------------------------------------------------------------------------

const MOD11_WEIGHTS = [4, 3, 2, 7, 6, 5, 4, 3, 2, 1];

/** True when the weighted sum of the 10 digits is divisible by 11 (not required since 2007). */
export function passesMod11(cpr) {
  if (!/^\d{10}$/.test(cpr)) return false;
  let sum = 0;
  for (let i = 0; i < 10; i++) sum += MOD11_WEIGHTS[i] * Number(cpr[i]);
  return sum % 11 === 0;
}

/** Full birth year from the two-digit year and digit 7 (1-based), per the CPR century rule. */
export function birthYear(cpr) {
  const yy = Number(cpr.slice(4, 6));
  const d7 = Number(cpr[6]);
  if (d7 <= 3) return 1900 + yy;
  if (d7 === 4 || d7 === 9) return (yy <= 36 ? 2000 : 1900) + yy;
  return (yy <= 57 ? 2000 : 1800) + yy; // digits 5-8
}

/** Birth date as YYYY-MM-DD, or null when the number is not 10 digits or the date does not exist. */
export function birthDate(cpr) {
  if (!/^\d{10}$/.test(cpr)) return null;
  const day = Number(cpr.slice(0, 2));
  const month = Number(cpr.slice(2, 4));
  const year = birthYear(cpr);
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return null;
  return date.toISOString().slice(0, 10);
}

/** The only form in which a CPR number may appear in logs: DDMMYY-xxxx. */
export function maskCpr(value) {
  return typeof value === 'string' && /^\d{10}$/.test(value) ? `${value.slice(0, 6)}-xxxx` : 'invalid';
}

const koen = (cpr) => (Number(cpr[9]) % 2 === 1 ? 'mand' : 'kvinde');

// ---------------------------------------------------------------------------------------------
// Small builders so each fixture reads like a record card
// ---------------------------------------------------------------------------------------------

// Danish local midnight as an ISO timestamp: +02:00 in summer time (last Sunday of March to last
// Sunday of October), +01:00 otherwise. Clients must parse the offset, not assume one.
function lastSunday(year, monthIndex) {
  const d = new Date(Date.UTC(year, monthIndex + 1, 0));
  d.setUTCDate(d.getUTCDate() - d.getUTCDay());
  return d.toISOString().slice(0, 10);
}
export function danishMidnight(date) {
  if (!date) return null;
  const year = Number(date.slice(0, 4));
  const summer = date >= lastSunday(year, 2) && date < lastSunday(year, 9);
  return `${date}T00:00:00${summer ? '+02:00' : '+01:00'}`;
}

function uuidFrom(text) {
  const h = createHash('sha256').update(text).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const rowStatus = (til) => (til ? 'historisk' : 'aktuel');

function navn({ fornavne, mellemnavn = null, efternavn, adresseringsnavn, fra, til = null }) {
  return {
    adresseringsnavn: adresseringsnavn ?? [fornavne, mellemnavn, efternavn].filter(Boolean).join(' '),
    fornavne,
    mellemnavn,
    efternavn,
    status: rowStatus(til),
    virkningfra: danishMidnight(fra),
    virkningtil: danishMidnight(til),
  };
}

// Municipalities and post districts used by fixtures and seeded persons.
const PLACES = {
  kbhOe: { postnummer: '2100', postdistrikt: 'København Ø', cprkommunekode: '0101', cprkommunenavn: 'København' },
  kbhN: { postnummer: '2200', postdistrikt: 'København N', cprkommunekode: '0101', cprkommunenavn: 'København' },
  kbhK: { postnummer: '1455', postdistrikt: 'København K', cprkommunekode: '0101', cprkommunenavn: 'København' },
  aarhus: { postnummer: '8000', postdistrikt: 'Aarhus C', cprkommunekode: '0751', cprkommunenavn: 'Aarhus' },
  odense: { postnummer: '5000', postdistrikt: 'Odense C', cprkommunekode: '0461', cprkommunenavn: 'Odense' },
  aalborg: { postnummer: '9000', postdistrikt: 'Aalborg', cprkommunekode: '0851', cprkommunenavn: 'Aalborg' },
  vejle: { postnummer: '7100', postdistrikt: 'Vejle', cprkommunekode: '0630', cprkommunenavn: 'Vejle' },
  esbjerg: { postnummer: '6700', postdistrikt: 'Esbjerg', cprkommunekode: '0561', cprkommunenavn: 'Esbjerg' },
  hvidovre: { postnummer: '2650', postdistrikt: 'Hvidovre', cprkommunekode: '0167', cprkommunenavn: 'Hvidovre' },
  skibby: { postnummer: '4050', postdistrikt: 'Skibby', cprkommunekode: '0250', cprkommunenavn: 'Frederikssund' },
};

function adresse({ vej, vejkode, husnummer, etage = null, sidedoer = null, place, bynavn = null, conavn = null, fra, til = null }) {
  const p = PLACES[place];
  return {
    conavn,
    status: rowStatus(til),
    virkningfra: danishMidnight(fra),
    virkningtil: danishMidnight(til),
    cprAdresse: {
      daradresse: uuidFrom(`dar:${vej}:${husnummer}:${etage}:${sidedoer}:${p.postnummer}`),
      bygningsnummer: null,
      bynavn,
      cprkommunekode: p.cprkommunekode,
      cprkommunenavn: p.cprkommunenavn,
      cprvejkode: vejkode,
      etage,
      husnummer,
      postdistrikt: p.postdistrikt,
      postnummer: p.postnummer,
      sidedoer,
      vejadresseringsnavn: vej,
      vejnavn: vej,
    },
    supplerendeAdresse: null,
  };
}

function beskyttelse(beskyttelsestype, fra, til = null) {
  return { beskyttelsestype, status: rowStatus(til), virkningfra: danishMidnight(fra), virkningtil: danishMidnight(til) };
}

function civilstand(civilstandstype, fra, til = null) {
  return { civilstandstype, status: rowStatus(til), virkningfra: danishMidnight(fra), virkningtil: danishMidnight(til) };
}

// Occupation and the credit-warning marker: the law lets CPR disclose both to private companies,
// but their field names are the library's guesses (inferred), modelled in the private SDL only.
function stilling(text, fra, til = null) {
  return { stilling: text, status: rowStatus(til), virkningfra: danishMidnight(fra) };
}

function kreditadvarsel(fra, til = null) {
  return { status: rowStatus(til), virkningfra: danishMidnight(fra), virkningtil: danishMidnight(til) };
}

const DANMARK = { kode: '5100', navn: 'Danmark', landekode: 'DK' };

/**
 * Builds a stored person. `names`/`addresses` are lists of builder inputs, oldest first; a row
 * with `til` is history (status "historisk"), the one without is current ("aktuel").
 */
function person(cpr, spec) {
  const foedselsdato = birthDate(cpr);
  return {
    id: uuidFrom(`person:${cpr}`),
    status: spec.status ?? 'bopael_i_danmark',
    statusdato: spec.statusdato ?? foedselsdato,
    foedselsdato,
    koen: koen(cpr),
    personnumre: [{
      personnummer: cpr,
      status: 'aktuel',
      virkningfra: danishMidnight(foedselsdato),
      virkningfrausikkerhedsmarkering: false,
      virkningtil: null,
      virkningtilusikkerhedsmarkering: false,
    }],
    beskyttelser: spec.beskyttelser ?? [],
    navne: (spec.names ?? []).map((n) => navn({ fra: foedselsdato, ...n })),
    adresseoplysninger: (spec.addresses ?? []).map(adresse),
    civilstande: spec.civilstande ?? [civilstand('ugift', foedselsdato)],
    statsborgerskaber: [{
      cprland: DANMARK,
      status: 'aktuel',
      virkningFra: danishMidnight(foedselsdato),
      virkningFraUsikkerhedsmarkering: false,
      virkningTil: null,
      virkningTilUsikkerhedsmarkering: false,
    }],
    udrejseIndrejser: spec.udrejseIndrejser ?? [],
    forsvindinger: spec.forsvindinger ?? [],
    kontaktadresse: spec.kontaktadresse ?? [],
    vaergemaal: spec.vaergemaal ?? [],
    stillinger: spec.stillinger ?? [],
    kreditadvarsler: spec.kreditadvarsler ?? [],
    // Relations hold CPR numbers; the projection resolves them to nested persons.
    boern: spec.boern ?? [],
    foraeldre: spec.foraeldre ?? [],
  };
}

// ---------------------------------------------------------------------------------------------
// The fixtures. Order = README table order.
// ---------------------------------------------------------------------------------------------

const FIXTURE_LIST = [
  {
    cpr: '0707610123',
    demonstrates: 'Ordinary resident; floor and door (2. tv); married',
    person: (cpr) => person(cpr, {
      names: [{ fornavne: 'Jens Peter', efternavn: 'Testesen' }],
      addresses: [{ vej: 'Prøvevej', vejkode: '5678', husnummer: '12', etage: '2', sidedoer: 'tv', place: 'kbhOe', fra: '2003-09-01' }],
      civilstande: [civilstand('ugift', '1961-07-07', '2005-06-18'), civilstand('gift', '2005-06-18')],
    }),
  },
  {
    cpr: '1203750168',
    demonstrates: 'Ordinary resident; ground floor (st. th); occupation and credit-warning marker (private schema)',
    person: (cpr) => person(cpr, {
      names: [{ fornavne: 'Karen Margrethe', efternavn: 'Eksempel' }],
      addresses: [{ vej: 'Eksempelgade', vejkode: '0412', husnummer: '3', etage: 'st', sidedoer: 'th', place: 'aarhus', fra: '2010-04-01' }],
      stillinger: [stilling('Sygeplejerske', '1999-08-01', '2012-02-01'), stilling('Afdelingssygeplejerske', '2012-02-01')],
      kreditadvarsler: [kreditadvarsel('2019-05-20')],
    }),
  },
  {
    cpr: '2311054123',
    demonstrates: 'Century rule: digit 7 = 4, year 05 → 2005; middle name; door mf',
    person: (cpr) => person(cpr, {
      names: [{ fornavne: 'Oliver', mellemnavn: 'Fiktiv', efternavn: 'Nielsen' }],
      addresses: [{ vej: 'Testparken', vejkode: '7301', husnummer: '45', etage: '1', sidedoer: 'mf', place: 'odense', fra: '2005-11-23' }],
    }),
  },
  {
    cpr: '3009609198',
    demonstrates: 'Century rule: digit 7 = 9, year 60 → 1960; letters æ ø å; no floor or door',
    person: (cpr) => person(cpr, {
      names: [{ fornavne: 'Åse Birgitte', efternavn: 'Ørskov-Ærø' }],
      addresses: [{ vej: 'Åbrinken', vejkode: '0031', husnummer: '7B', place: 'aalborg', fra: '1999-05-01' }],
    }),
  },
  {
    cpr: '0204882126',
    demonstrates: 'Name and address protection (active): private sector gets navne and adresseoplysninger = null',
    person: (cpr) => person(cpr, {
      beskyttelser: [beskyttelse('navne_og_adressebeskyttelse', '2015-01-05')],
      names: [{ fornavne: 'Lone', efternavn: 'Skjult' }],
      addresses: [{ vej: 'Gemmestien', vejkode: '2214', husnummer: '4', etage: '3', sidedoer: 'th', place: 'kbhN', fra: '2015-01-05' }],
      boern: [{ cpr: '0406104168', fra: '2010-06-04' }],
    }),
  },
  {
    cpr: '1710671199',
    demonstrates: 'Marketing protection only: nothing is withheld',
    person: (cpr) => person(cpr, {
      beskyttelser: [beskyttelse('markedsfoeringsbeskyttelse', '2001-02-01')],
      names: [{ fornavne: 'Henrik', mellemnavn: 'Holm', efternavn: 'Testrup' }],
      addresses: [{ vej: 'Reklamevej', vejkode: '1150', husnummer: '88', place: 'vejle', fra: '1995-08-15' }],
    }),
  },
  {
    cpr: '2502913126',
    demonstrates: 'Expired name and address protection (historisk): nothing withheld; private sector sees no beskyttelser',
    person: (cpr) => person(cpr, {
      beskyttelser: [beskyttelse('navne_og_adressebeskyttelse', '2012-03-01', '2020-03-01')],
      names: [{ fornavne: 'Camilla', efternavn: 'Prøvelund' }],
      addresses: [{ vej: 'Åbenvej', vejkode: '0988', husnummer: '21', etage: '4', sidedoer: 'tv', place: 'kbhN', fra: '2020-03-01' }],
    }),
  },
  {
    cpr: '1406322129',
    demonstrates: 'Deceased: status doed with statusdato; last address is history only',
    person: (cpr) => person(cpr, {
      status: 'doed',
      statusdato: '2021-06-14',
      names: [{ fornavne: 'Erik', efternavn: 'Testesen' }],
      addresses: [{ vej: 'Mindevej', vejkode: '0310', husnummer: '2', place: 'odense', fra: '1970-01-01', til: '2021-06-14' }],
      civilstande: [civilstand('gift', '1958-05-03', '2001-11-20'), civilstand('enke', '2001-11-20')],
    }),
  },
  {
    cpr: '1203895123',
    demonstrates: 'Century rule: digit 7 = 5, year 89 → 1889; deceased 1971',
    person: (cpr) => person(cpr, {
      status: 'doed',
      statusdato: '1971-02-03',
      names: [{ fornavne: 'Christian Frederik', efternavn: 'Gammelgaard' }],
      addresses: [{ vej: 'Kirkestien', vejkode: '0105', husnummer: '1', place: 'vejle', fra: '1968-04-02', til: '1971-02-03' }],
    }),
  },
  {
    cpr: '0808940124',
    demonstrates: 'Emigrated: status udrejst, udrejseIndrejser with date, country and foreign address',
    person: (cpr) => person(cpr, {
      status: 'udrejst',
      statusdato: '2019-08-01',
      names: [{ fornavne: 'Signe', efternavn: 'Rejsholm' }],
      addresses: [{ vej: 'Havnegade', vejkode: '0210', husnummer: '5', etage: '1', sidedoer: 'th', place: 'aarhus', fra: '2013-09-01', til: '2019-08-01' }],
      udrejseIndrejser: [{
        status: 'aktuel',
        udrejsedato: '2019-08-01',
        indrejsedato: null,
        cprlandUdrejse: { kode: '5120', navn: 'Sverige', landekode: 'SE' },
        udlandsadresse: {
          adresselinie1: 'Exempelgatan 5',
          adresselinie2: '211 20 Malmö',
          adresselinie3: 'SVERIGE',
          adresselinie4: null,
          adresselinie5: null,
        },
      }],
    }),
  },
  {
    cpr: '1002701169',
    demonstrates: 'Disappeared: status forsvundet with forsvindinger',
    person: (cpr) => person(cpr, {
      status: 'forsvundet',
      statusdato: '2016-02-10',
      names: [{ fornavne: 'Torben', efternavn: 'Mortensen' }],
      addresses: [{ vej: 'Skovbrynet', vejkode: '0777', husnummer: '19', place: 'esbjerg', fra: '2004-01-01', til: '2016-02-10' }],
      forsvindinger: [{ status: 'aktuel', forsvindingsdato: '2016-02-10', genfindingsdato: null }],
    }),
  },
  {
    cpr: '2207993126',
    demonstrates: 'c/o address (conavn)',
    person: (cpr) => person(cpr, {
      names: [{ fornavne: 'Maja', efternavn: 'Lindholm' }],
      addresses: [{ vej: 'Eksempelgade', vejkode: '0412', husnummer: '3', etage: '1', sidedoer: 'tv', place: 'aarhus', conavn: 'c/o Karen Eksempel', fra: '2018-08-15' }],
    }),
  },
  {
    cpr: '0511481139',
    demonstrates: 'Locality (bynavn) in the address',
    person: (cpr) => person(cpr, {
      names: [{ fornavne: 'Niels', efternavn: 'Bondesen' }],
      addresses: [{ vej: 'Bakkegårdsvej', vejkode: '0620', husnummer: '2', place: 'skibby', bynavn: 'Lille Prøvstrup', fra: '1975-05-01' }],
    }),
  },
  {
    cpr: '2906790168',
    demonstrates: 'History: 2 names and 3 addresses (public sector); private sector gets the current rows only',
    person: (cpr) => person(cpr, {
      names: [
        { fornavne: 'Hanne Marie', efternavn: 'Hansen', til: '2005-06-18' },
        { fornavne: 'Hanne Marie', efternavn: 'Testesen', fra: '2005-06-18' },
      ],
      addresses: [
        { vej: 'Første Vej', vejkode: '0101', husnummer: '1', place: 'aarhus', fra: '1979-06-29', til: '1998-08-01' },
        { vej: 'Studiestræde', vejkode: '6930', husnummer: '9', etage: '4', sidedoer: 'th', place: 'kbhK', fra: '1998-08-01', til: '2003-09-01' },
        { vej: 'Prøvevej', vejkode: '5678', husnummer: '12', etage: '2', sidedoer: 'tv', place: 'kbhOe', fra: '2003-09-01' },
      ],
      civilstande: [civilstand('ugift', '1979-06-29', '2005-06-18'), civilstand('gift', '2005-06-18')],
    }),
  },
  {
    cpr: '1512532159',
    demonstrates: 'Guardianship (vaergemaal) with the guardian\'s name and address',
    person: (cpr) => person(cpr, {
      names: [{ fornavne: 'Poul Erik', efternavn: 'Skovgaard' }],
      addresses: [{ vej: 'Lindehaven', vejkode: '0440', husnummer: '3', etage: 'st', sidedoer: 'tv', place: 'vejle', fra: '2018-10-01' }],
      vaergemaal: [{
        status: 'aktuel',
        virkningfra: danishMidnight('2019-03-01'),
        virkningtil: null,
        vaergenavn: 'Advokat Lise Værgesen',
        vaergeadresselinie1: 'Advokatgården 1',
        vaergeadresselinie2: '7100 Vejle',
        vaergeadresselinie3: null,
      }],
    }),
  },
  {
    cpr: '0303962158',
    demonstrates: 'Contact address (kontaktadresse)',
    person: (cpr) => person(cpr, {
      names: [{ fornavne: 'Ida', mellemnavn: 'Sommer', efternavn: 'Post' }],
      addresses: [{ vej: 'Strandbakken', vejkode: '0901', husnummer: '14', place: 'esbjerg', fra: '2021-01-01' }],
      kontaktadresse: [{
        status: 'aktuel',
        virkningfra: danishMidnight('2022-05-01'),
        virkningtil: null,
        adresselinie1: 'Postboks 123',
        adresselinie2: '6700 Esbjerg',
        adresselinie3: null,
        adresselinie4: null,
        adresselinie5: null,
      }],
    }),
  },
  {
    cpr: '0101204318',
    demonstrates: 'Valid number that fails the modulus-11 check (born 1 January 2020): must be accepted',
    person: (cpr) => person(cpr, {
      names: [{ fornavne: 'Alma', mellemnavn: 'Juhl', efternavn: 'Prøvesen' }],
      addresses: [{ vej: 'Nyvej', vejkode: '0202', husnummer: '6', etage: '1', sidedoer: 'th', place: 'kbhOe', fra: '2020-01-01' }],
    }),
  },
  {
    cpr: '1908801179',
    demonstrates: 'Parent (public sector): boern with nested barn persons, one of them protected',
    person: (cpr) => person(cpr, {
      names: [{ fornavne: 'Lars', mellemnavn: 'Holm', efternavn: 'Familiesen' }],
      addresses: [{ vej: 'Familievej', vejkode: '0808', husnummer: '8', etage: '1', sidedoer: 'th', place: 'hvidovre', fra: '2009-02-01' }],
      boern: [{ cpr: '0406104168', fra: '2010-06-04' }, { cpr: '2109145125', fra: '2014-09-21' }],
    }),
  },
  {
    cpr: '0406104168',
    demonstrates: 'Child (public sector): foraeldreoplysninger with far and a protected mor',
    person: (cpr) => person(cpr, {
      names: [{ fornavne: 'Freja', mellemnavn: 'Holm', efternavn: 'Familiesen' }],
      addresses: [{ vej: 'Familievej', vejkode: '0808', husnummer: '8', etage: '1', sidedoer: 'th', place: 'hvidovre', fra: '2010-06-04' }],
      foraeldre: [{ cpr: '1908801179', rolle: 'far', fra: '2010-06-04' }, { cpr: '0204882126', rolle: 'mor', fra: '2010-06-04' }],
    }),
  },
  {
    cpr: '2109145125',
    demonstrates: 'Century rule: digit 7 = 5, year 14 → 2014; protected child of 1908801179',
    person: (cpr) => person(cpr, {
      beskyttelser: [beskyttelse('navne_og_adressebeskyttelse', '2016-01-01')],
      names: [{ fornavne: 'Kasper', mellemnavn: 'Holm', efternavn: 'Familiesen' }],
      addresses: [{ vej: 'Lukket Gård', vejkode: '0999', husnummer: '1', place: 'hvidovre', fra: '2016-01-01' }],
      foraeldre: [{ cpr: '1908801179', rolle: 'far', fra: '2014-09-21' }],
    }),
  },
];

/** Numbers documented as not found, with the reason. */
export const NOT_FOUND = [
  { cpr: '1203750000', demonstrates: 'Not found: numbers ending 000, 001 or 002 are never found' },
  { cpr: '0707610001', demonstrates: 'Not found: ending 001 (same birth date as a fixture)' },
  { cpr: '3102901235', demonstrates: 'Not found: 31 February does not exist' },
  { cpr: '0101304123', demonstrates: 'Not found: digit 7 = 4, year 30 → 2030, a future birth date' },
];

/** A number that is not a fixture, shown in the table to document the seeded data. */
export const SEEDED_EXAMPLE = { cpr: '0101801234', demonstrates: 'Not a fixture: deterministic person seeded from the number' };

export const FIXTURES = new Map(FIXTURE_LIST.map((f) => [f.cpr, { ...f, person: f.person(f.cpr) }]));

// ---------------------------------------------------------------------------------------------
// Seeded persons: any other valid, past birth date gives the same invented person every time.
// ---------------------------------------------------------------------------------------------

const MALE = ['Anders', 'Bo', 'Christian', 'Frederik', 'Jakob', 'Mads', 'Morten', 'Rasmus', 'Søren', 'Thomas'];
const FEMALE = ['Anne', 'Camilla', 'Emma', 'Ida', 'Julie', 'Lene', 'Maria', 'Mette', 'Sara', 'Tina'];
const SURNAMES = ['Andersen', 'Christensen', 'Hansen', 'Jensen', 'Larsen', 'Madsen', 'Nielsen', 'Pedersen', 'Rasmussen', 'Sørensen'];
const STREETS = ['Bøgevej', 'Egevænget', 'Kastanjealle', 'Møllegade', 'Skolevej', 'Søndergade', 'Toftevej', 'Vestergade'];
const SEED_PLACES = ['kbhOe', 'aarhus', 'odense', 'aalborg', 'vejle', 'esbjerg'];
const FLOORS = [null, 'st', '1', '2', '3'];
const DOORS = ['tv', 'th', 'mf'];

function seededPerson(cpr, foedselsdato) {
  const h = createHash('sha256').update(`seed:${cpr}`).digest();
  const pick = (list, i) => list[h[i] % list.length];
  const first = pick(koen(cpr) === 'mand' ? MALE : FEMALE, 0);
  const floor = pick(FLOORS, 4);
  // Moved in some whole number of days after birth, but never later than 2024-01-01.
  const birth = Date.parse(foedselsdato);
  const latest = Date.parse('2024-01-01');
  const movedIn = new Date(Math.min(latest, birth + (h[7] * 256 + h[8]) * 86_400_000 / 2)).toISOString().slice(0, 10);
  return person(cpr, {
    names: [{ fornavne: first, efternavn: pick(SURNAMES, 1) }],
    addresses: [{
      vej: pick(STREETS, 2),
      vejkode: String(100 + (h[9] % 900)).padStart(4, '0'),
      husnummer: String(1 + (h[3] % 120)),
      etage: floor,
      sidedoer: floor ? pick(DOORS, 5) : null,
      place: pick(SEED_PLACES, 6),
      fra: movedIn < foedselsdato ? foedselsdato : movedIn,
    }],
  });
}

/**
 * The stored person for a number (fixture or seeded), or null when not found.
 * `today` (YYYY-MM-DD) decides whether a birth date lies in the future.
 */
export function findPerson(cpr, today = new Date().toISOString().slice(0, 10)) {
  const fixture = FIXTURES.get(cpr);
  if (fixture) return fixture.person;
  if (/(000|001|002)$/.test(cpr)) return null;
  const foedselsdato = birthDate(cpr);
  if (!foedselsdato || foedselsdato > today) return null;
  return seededPerson(cpr, foedselsdato);
}

// ---------------------------------------------------------------------------------------------
// Projections per sector
// ---------------------------------------------------------------------------------------------

const current = (rows) => rows.filter((r) => r.status !== 'historisk');

export function hasActiveNameAndAddressProtection(p) {
  return p.beskyttelser.some((b) => b.beskyttelsestype === 'navne_og_adressebeskyttelse' && b.status === 'aktuel');
}

// The short form of a person nested under boern / foraeldreoplysninger (public sector).
function simpelPerson(cpr) {
  const p = findPerson(cpr);
  if (!p) return null;
  return {
    personid: p.id,
    personnummer: cpr,
    beskyttelser: p.beskyttelser,
    navn: current(p.navne)[0] ?? null,
  };
}

/** Public sector: everything, history included. */
export function toPublicNode(p) {
  const { foraeldre, boern, ...rest } = p;
  return {
    ...rest,
    boern: boern.map((b) => ({
      virkningfra: danishMidnight(b.fra),
      virkningfrausikkerhedsmarkering: false,
      barn: simpelPerson(b.cpr),
    })),
    foraeldreoplysninger: foraeldre.map((f) => ({
      virkningfra: danishMidnight(f.fra),
      virkningfrausikkerhedsmarkering: false,
      foraelderrolle: f.rolle,
      foraelder: simpelPerson(f.cpr),
    })),
  };
}

/**
 * Private sector: current rows only; with active name and address protection the name and the
 * address come back as null (the emulator's choice: the real behaviour is unverified).
 */
export function toPrivateNode(p) {
  const withheld = hasActiveNameAndAddressProtection(p);
  return {
    id: p.id,
    status: p.status,
    statusdato: p.statusdato,
    foedselsdato: p.foedselsdato,
    personnumre: current(p.personnumre),
    beskyttelser: current(p.beskyttelser),
    navne: withheld ? null : current(p.navne),
    adresseoplysninger: withheld ? null : current(p.adresseoplysninger),
    udrejseIndrejser: current(p.udrejseIndrejser),
    forsvindinger: current(p.forsvindinger),
    kontaktadresse: current(p.kontaktadresse),
    vaergemaal: current(p.vaergemaal),
    stillinger: current(p.stillinger),
    kreditadvarsler: current(p.kreditadvarsler),
    civilstande: current(p.civilstande),
  };
}

// ---------------------------------------------------------------------------------------------
// The README fixture table
// ---------------------------------------------------------------------------------------------

export const TABLE_HEADER = ['CPR', 'Status', 'Name (public sector)', 'Name (private sector)', 'Mod 11', 'Demonstrates'];

const currentName = (p) => current(p.navne)[0]?.adresseringsnavn ?? '—';

/** One row of cells per documented number, in table order. */
export function fixtureTableRows() {
  const rows = [];
  const found = (cpr, demonstrates) => {
    const p = findPerson(cpr);
    rows.push([
      cpr,
      p.status,
      currentName(p),
      hasActiveNameAndAddressProtection(p) ? 'withheld (null)' : currentName(p),
      passesMod11(cpr) ? 'passes' : 'fails',
      demonstrates,
    ]);
  };
  for (const f of FIXTURES.values()) found(f.cpr, f.demonstrates);
  found(SEEDED_EXAMPLE.cpr, SEEDED_EXAMPLE.demonstrates);
  for (const n of NOT_FOUND) rows.push([n.cpr, 'not found', '—', '—', passesMod11(n.cpr) ? 'passes' : 'fails', n.demonstrates]);
  return rows;
}

export function fixtureTableMarkdown() {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(TABLE_HEADER), line(TABLE_HEADER.map(() => '---')), ...fixtureTableRows().map(line)].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href && process.argv.includes('--table')) {
  console.log(fixtureTableMarkdown());
}
