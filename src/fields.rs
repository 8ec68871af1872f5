//! The person field list: every field the library selects from the CPR custom entities, its
//! field group and its selection rules. This table is the only place these names live; the
//! query builder, the schema drift report, the answer reader (`response.rs` through
//! `shape.rs`: a GraphQL answer holds exactly the selected fields, so the selection is the
//! answer's shape) and the tests all read [`PERSON_FIELDS`].
//!
//! Rules a field can carry:
//! - **required**: the service rejects a query without it (`beskyttelser`, on every person,
//!   nested ones too). A schema without it is an error, never a silent drop.
//! - **public only**: outside what CPR discloses to private companies (history columns,
//!   supplementary addresses, relations), so it is never selected for the private sector.
//! - **group**: the caller chooses groups ([`FieldGroup`]); a field without its own group
//!   belongs to its parent's.
//! - **evidence** ([`Provenance`], per sector): `observed` when the name is seen on the CPR
//!   custom entities in public material (and, for the private sector, its content is within what
//!   the law lets CPR disclose to private companies); `inferred` when it is modelled without
//!   such evidence. A bundled model's query selects only evidenced fields; an inferred one is
//!   selected only when a schema fetched from the service has it, because a guessed field makes
//!   the real service refuse the whole query ("Cannot query field"). README's and
//!   docs/REFERENCE.md's field tables and the SDL files' headers are checked against this table.
//! - **row edge**: in a list of dated rows (a history: names, addresses, emigrations, …) the
//!   field that says when a row starts or ends ([`RowEdge`]). The reader uses it to tell the
//!   current row from history and to order history newest first.

use serde::{Deserialize, Serialize};

use crate::environment::{Provenance, SectorType};

/// A group of person fields a caller can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub enum FieldGroup {
    /// Person status, status date, birth date and the CPR numbers (needed to match answers to
    /// numbers). For the private sector only the status is evidenced; the rest comes from a
    /// live schema that has it.
    Status,
    /// Name and address protections. Always selected: the service requires them.
    Protections,
    /// The current name.
    Name,
    /// The current address, with c/o name and move-in date.
    Address,
    /// Emigration date, country and foreign address.
    Emigration,
    /// Disappearance date.
    Disappearance,
    /// Contact address.
    ContactAddress,
    /// Guardianship, with the guardian's name and address.
    Guardianship,
    /// Occupation (stilling). Its field name is inferred: selected only from a live schema.
    Occupation,
    /// Civil status (for the private sector only insurers, pension funds and banks).
    MaritalStatus,
    /// End dates of earlier names and addresses (public sector only).
    History,
    /// Children and parents, each with their own protections (public sector only).
    Relations,
}

impl FieldGroup {
    pub const ALL: [FieldGroup; 12] = [
        FieldGroup::Status,
        FieldGroup::Protections,
        FieldGroup::Name,
        FieldGroup::Address,
        FieldGroup::Emigration,
        FieldGroup::Disappearance,
        FieldGroup::ContactAddress,
        FieldGroup::Guardianship,
        FieldGroup::Occupation,
        FieldGroup::MaritalStatus,
        FieldGroup::History,
        FieldGroup::Relations,
    ];

    /// Groups selected when the caller names none: everything a customer record can use.
    /// Relations are left out because they are data about other persons.
    pub const DEFAULT: [FieldGroup; 11] = [
        FieldGroup::Status,
        FieldGroup::Protections,
        FieldGroup::Name,
        FieldGroup::Address,
        FieldGroup::Emigration,
        FieldGroup::Disappearance,
        FieldGroup::ContactAddress,
        FieldGroup::Guardianship,
        FieldGroup::Occupation,
        FieldGroup::MaritalStatus,
        FieldGroup::History,
    ];

    pub fn key(self) -> &'static str {
        match self {
            FieldGroup::Status => "status",
            FieldGroup::Protections => "protections",
            FieldGroup::Name => "name",
            FieldGroup::Address => "address",
            FieldGroup::Emigration => "emigration",
            FieldGroup::Disappearance => "disappearance",
            FieldGroup::ContactAddress => "contactAddress",
            FieldGroup::Guardianship => "guardianship",
            FieldGroup::Occupation => "occupation",
            FieldGroup::MaritalStatus => "maritalStatus",
            FieldGroup::History => "history",
            FieldGroup::Relations => "relations",
        }
    }

    pub fn from_key(key: &str) -> Option<FieldGroup> {
        FieldGroup::ALL.iter().copied().find(|g| g.key() == key)
    }

    /// Whether CPR discloses this group to the sector at all.
    pub fn available_to(self, sector: SectorType) -> bool {
        !(sector == SectorType::Private && matches!(self, FieldGroup::History | FieldGroup::Relations))
    }

    fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

/// A set of field groups. It always holds [`FieldGroup::Protections`] (the service requires
/// them) and [`FieldGroup::Status`] (the CPR numbers match answers to the numbers asked for).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct GroupSet(u16);

impl GroupSet {
    pub fn of(groups: &[FieldGroup]) -> GroupSet {
        let always = FieldGroup::Protections.bit() | FieldGroup::Status.bit();
        GroupSet(groups.iter().fold(always, |acc, g| acc | g.bit()))
    }

    pub fn default_set() -> GroupSet {
        GroupSet::of(&FieldGroup::DEFAULT)
    }

    pub fn all() -> GroupSet {
        GroupSet::of(&FieldGroup::ALL)
    }

    pub fn contains(self, group: FieldGroup) -> bool {
        self.0 & group.bit() != 0
    }

    pub fn groups(self) -> impl Iterator<Item = FieldGroup> {
        FieldGroup::ALL.into_iter().filter(move |g| self.contains(*g))
    }
}

/// Which edge of a dated row a field gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowEdge {
    /// When the row starts (e.g. `virkningfra`, `udrejsedato`): among several current rows the
    /// newest wins, and history is ordered newest first by it.
    Start,
    /// When the row ends (e.g. `virkningtil`, `indrejsedato`): a row without a `status` that has
    /// an end is history.
    End,
}

/// One field of the selection table.
#[derive(Debug)]
pub struct FieldSpec {
    pub name: &'static str,
    /// `None`: the parent's group.
    pub group: Option<FieldGroup>,
    pub required: bool,
    pub public_only: bool,
    /// Whether this scalar dates its row (`None` for every other field).
    pub row_edge: Option<RowEdge>,
    /// Sub-fields; empty for a scalar.
    pub children: &'static [FieldSpec],
    /// The evidence for this field on the public-sector entity.
    pub public: Provenance,
    /// The evidence for this field on the private-sector entity.
    pub private: Provenance,
}

const fn leaf(name: &'static str) -> FieldSpec {
    FieldSpec {
        name,
        group: None,
        required: false,
        public_only: false,
        row_edge: None,
        children: &[],
        public: Provenance::Observed,
        private: Provenance::Observed,
    }
}

/// A scalar modelled without evidence in either sector.
const fn inferred_leaf(name: &'static str) -> FieldSpec {
    leaf(name).inferred()
}

const fn public_leaf(name: &'static str) -> FieldSpec {
    FieldSpec { public_only: true, ..leaf(name) }
}

const fn history_leaf(name: &'static str) -> FieldSpec {
    FieldSpec { group: Some(FieldGroup::History), public_only: true, ..leaf(name) }
}

const fn object(name: &'static str, children: &'static [FieldSpec]) -> FieldSpec {
    FieldSpec { children, ..leaf(name) }
}

const fn grouped(name: &'static str, group: FieldGroup, children: &'static [FieldSpec]) -> FieldSpec {
    FieldSpec { group: Some(group), ..object(name, children) }
}

impl FieldSpec {
    /// This scalar says when its row starts.
    const fn starts_row(self) -> FieldSpec {
        FieldSpec { row_edge: Some(RowEdge::Start), ..self }
    }

    /// This scalar says when its row ends.
    const fn ends_row(self) -> FieldSpec {
        FieldSpec { row_edge: Some(RowEdge::End), ..self }
    }

    /// Modelled without evidence in either sector.
    const fn inferred(self) -> FieldSpec {
        FieldSpec { public: Provenance::Inferred, private: Provenance::Inferred, ..self }
    }

    /// Seen on the public-sector entity, but nothing shows the private one has it.
    const fn inferred_in_private(self) -> FieldSpec {
        FieldSpec { private: Provenance::Inferred, ..self }
    }
}

const PROTECTION_FIELDS: &[FieldSpec] = &[
    leaf("beskyttelsestype"),
    leaf("status"),
    leaf("virkningfra").starts_row(),
    leaf("virkningtil").ends_row(),
];

/// `beskyttelser`: required on the person and on every nested person.
const PROTECTIONS: FieldSpec = FieldSpec { required: true, ..grouped("beskyttelser", FieldGroup::Protections, PROTECTION_FIELDS) };

const NAME_PARTS: &[FieldSpec] = &[leaf("adresseringsnavn"), leaf("fornavne"), leaf("mellemnavn"), leaf("efternavn")];

const NAME_ROW: &[FieldSpec] = &[
    leaf("adresseringsnavn"),
    leaf("fornavne"),
    leaf("mellemnavn"),
    leaf("efternavn"),
    leaf("status"),
    leaf("virkningfra").starts_row(),
    history_leaf("virkningtil").ends_row(),
];

const FIVE_LINES: &[FieldSpec] =
    &[leaf("adresselinie1"), leaf("adresselinie2"), leaf("adresselinie3"), leaf("adresselinie4"), leaf("adresselinie5")];

const CPR_ADDRESS: &[FieldSpec] = &[
    leaf("vejadresseringsnavn"),
    public_leaf("vejnavn"),
    leaf("husnummer"),
    leaf("etage"),
    leaf("sidedoer"),
    leaf("bynavn"),
    leaf("postnummer"),
    leaf("postdistrikt"),
    leaf("cprkommunekode"),
    leaf("cprkommunenavn"),
];

const ADDRESS_ROW: &[FieldSpec] = &[
    leaf("conavn"),
    leaf("status"),
    leaf("virkningfra").starts_row(),
    history_leaf("virkningtil").ends_row(),
    object("cprAdresse", CPR_ADDRESS),
    FieldSpec { public_only: true, ..object("supplerendeAdresse", FIVE_LINES) },
];

const COUNTRY: &[FieldSpec] = &[inferred_leaf("kode"), inferred_leaf("navn"), inferred_leaf("landekode")];

const INFERRED_FIVE_LINES: &[FieldSpec] = &[
    inferred_leaf("adresselinie1"),
    inferred_leaf("adresselinie2"),
    inferred_leaf("adresselinie3"),
    inferred_leaf("adresselinie4"),
    inferred_leaf("adresselinie5"),
];

const NESTED_PERSON: &[FieldSpec] = &[leaf("personnummer"), PROTECTIONS, object("navn", NAME_PARTS)];

/// The fields selected on the person (the root field's node type).
pub const PERSON_FIELDS: &[FieldSpec] = &[
    grouped("status", FieldGroup::Status, &[]),
    // Seen on the public-sector entity; outside what the law lists for private companies and
    // seen in no private answer, so private lookups select them only from a live schema.
    grouped("statusdato", FieldGroup::Status, &[]).inferred_in_private(),
    grouped("foedselsdato", FieldGroup::Status, &[]).inferred_in_private(),
    grouped("personnumre", FieldGroup::Status, &[leaf("personnummer").inferred_in_private(), leaf("status").inferred_in_private()])
        .inferred_in_private(),
    PROTECTIONS,
    grouped("navne", FieldGroup::Name, NAME_ROW),
    grouped("adresseoplysninger", FieldGroup::Address, ADDRESS_ROW),
    // These four lists are seen on the public-sector entity, but none of their sub-fields is
    // documented anywhere: every sub-field is inferred, so they come only from a live schema.
    grouped(
        "udrejseIndrejser",
        FieldGroup::Emigration,
        &[
            inferred_leaf("status"),
            inferred_leaf("udrejsedato").starts_row(),
            FieldSpec { public_only: true, ..inferred_leaf("indrejsedato").ends_row() },
            object("cprlandUdrejse", COUNTRY).inferred(),
            object("udlandsadresse", INFERRED_FIVE_LINES).inferred(),
        ],
    ),
    grouped(
        "forsvindinger",
        FieldGroup::Disappearance,
        &[
            inferred_leaf("status"),
            inferred_leaf("forsvindingsdato").starts_row(),
            FieldSpec { public_only: true, ..inferred_leaf("genfindingsdato").ends_row() },
        ],
    ),
    grouped(
        "kontaktadresse",
        FieldGroup::ContactAddress,
        &[
            inferred_leaf("status"),
            inferred_leaf("virkningfra").starts_row(),
            inferred_leaf("adresselinie1"),
            inferred_leaf("adresselinie2"),
            inferred_leaf("adresselinie3"),
            inferred_leaf("adresselinie4"),
            inferred_leaf("adresselinie5"),
        ],
    ),
    grouped(
        "vaergemaal",
        FieldGroup::Guardianship,
        &[
            inferred_leaf("status"),
            inferred_leaf("virkningfra").starts_row(),
            inferred_leaf("vaergenavn"),
            inferred_leaf("vaergeadresselinie1"),
            inferred_leaf("vaergeadresselinie2"),
            inferred_leaf("vaergeadresselinie3"),
        ],
    ),
    // The law lets CPR disclose occupation and the credit-warning marker to private companies,
    // but no schema or query anywhere names them: both the names and the shapes are guesses.
    grouped("stillinger", FieldGroup::Occupation, &[inferred_leaf("stilling"), inferred_leaf("status"), inferred_leaf("virkningfra").starts_row()])
        .inferred(),
    grouped(
        "kreditadvarsler",
        FieldGroup::Protections,
        &[inferred_leaf("status"), inferred_leaf("virkningfra").starts_row(), inferred_leaf("virkningtil").ends_row()],
    )
    .inferred(),
    // Seen on the public-sector entity; the private one may carry it for insurers, pension
    // funds and banks only, and nothing shows it does.
    grouped(
        "civilstande",
        FieldGroup::MaritalStatus,
        &[
            leaf("civilstandstype").inferred_in_private(),
            leaf("status").inferred_in_private(),
            leaf("virkningfra").starts_row().inferred_in_private(),
            leaf("virkningtil").ends_row().inferred_in_private(),
        ],
    )
    .inferred_in_private(),
    // A relation's `virkningfra` is when the relation began, not a row in a history.
    FieldSpec { public_only: true, ..grouped("boern", FieldGroup::Relations, &[leaf("virkningfra"), object("barn", NESTED_PERSON)]) },
    FieldSpec {
        public_only: true,
        ..grouped(
            "foraeldreoplysninger",
            FieldGroup::Relations,
            &[leaf("virkningfra"), leaf("foraelderrolle"), object("foraelder", NESTED_PERSON)],
        )
    },
];

impl FieldSpec {
    pub fn is_scalar(&self) -> bool {
        self.children.is_empty()
    }

    /// Whether the field applies to a sector and a set of groups, given its parent's group.
    pub fn wanted(&self, parent_group: FieldGroup, sector: SectorType, groups: GroupSet) -> bool {
        let group = self.group.unwrap_or(parent_group);
        !(self.public_only && sector == SectorType::Private) && group.available_to(sector) && groups.contains(group)
    }

    /// The evidence for this field in a sector's entity.
    pub fn provenance(&self, sector: SectorType) -> Provenance {
        match sector {
            SectorType::Public => self.public,
            SectorType::Private => self.private,
        }
    }

    /// Whether a bundled model may select this field for a sector: the field itself is
    /// evidenced and, for an object, so is at least one of the sub-fields it would select.
    pub fn evidenced(&self, parent_group: FieldGroup, sector: SectorType) -> bool {
        let group = self.group.unwrap_or(parent_group);
        self.provenance(sector) != Provenance::Inferred
            && (self.is_scalar()
                || self.children.iter().any(|c| !(c.public_only && sector == SectorType::Private) && c.evidenced(group, sector)))
    }
}

/// Every field of the table a sector may see, as dotted paths (`navne.fornavne`), with its
/// evidence in that sector: what the SDL headers, README and docs/REFERENCE.md are checked
/// against.
pub fn field_evidence(sector: SectorType) -> Vec<(String, Provenance)> {
    fn walk(fields: &[FieldSpec], prefix: &str, parent: FieldGroup, sector: SectorType, out: &mut Vec<(String, Provenance)>) {
        for f in fields {
            if !f.wanted(parent, sector, GroupSet::all()) {
                continue;
            }
            let path = if prefix.is_empty() { f.name.to_string() } else { format!("{prefix}.{}", f.name) };
            out.push((path.clone(), f.provenance(sector)));
            walk(f.children, &path, f.group.unwrap_or(parent), sector, out);
        }
    }
    let mut out = Vec::new();
    walk(PERSON_FIELDS, "", FieldGroup::Status, sector, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn walk(fields: &[FieldSpec], f: &mut dyn FnMut(&FieldSpec)) {
        for field in fields {
            f(field);
            walk(field.children, f);
        }
    }

    #[test]
    fn protections_are_required_wherever_a_person_appears() {
        let mut required = Vec::new();
        walk(PERSON_FIELDS, &mut |f| {
            if f.required {
                required.push(f.name);
            }
        });
        // The person and the two nested persons (child, parent).
        assert_eq!(required, ["beskyttelser", "beskyttelser", "beskyttelser"]);
        assert!(GroupSet::of(&[]).contains(FieldGroup::Protections));
        assert!(GroupSet::of(&[FieldGroup::Name]).contains(FieldGroup::Status));
    }

    #[test]
    fn row_edges_are_scalars_once_per_row() {
        let mut dated = Vec::new();
        walk(PERSON_FIELDS, &mut |f| {
            let edge = |e: RowEdge| f.children.iter().filter(|c| c.row_edge == Some(e)).count();
            assert!(edge(RowEdge::Start) <= 1 && edge(RowEdge::End) <= 1, "{}", f.name);
            assert!(f.row_edge.is_none() || f.is_scalar(), "{} dates a row but is an object", f.name);
            if edge(RowEdge::Start) + edge(RowEdge::End) > 0 {
                dated.push(f.name);
            }
        });
        // The lists the lookup splits into a current row and history (protections on the
        // person and on the two nested persons).
        assert_eq!(
            dated,
            [
                "beskyttelser",
                "navne",
                "adresseoplysninger",
                "udrejseIndrejser",
                "forsvindinger",
                "kontaktadresse",
                "vaergemaal",
                "stillinger",
                "kreditadvarsler",
                "civilstande",
                "beskyttelser",
                "beskyttelser"
            ]
        );
    }

    #[test]
    fn group_keys_round_trip() {
        for g in FieldGroup::ALL {
            assert_eq!(FieldGroup::from_key(g.key()), Some(g));
            assert_eq!(serde_json::to_value(g).unwrap(), g.key());
        }
        assert!(!FieldGroup::History.available_to(SectorType::Private));
        assert!(FieldGroup::History.available_to(SectorType::Public));
        assert!(!GroupSet::default_set().contains(FieldGroup::Relations));
    }
}
