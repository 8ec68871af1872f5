//! The CPR schema: reading SDL, deriving the *dialect* queries must speak, and the drift report.
//!
//! Datafordeleren documents little of the CPR custom entities: the root field, its filter
//! argument (`input` or `where`, `in` or `eq`) and the field names may differ between API
//! versions and sectors. So queries are built from a schema, never from fixed guesses: the
//! modelled SDL files committed under `schema/` are the default per sector, and a schema fetched
//! from the service ("Fetch CPR Schema") replaces them. [`check_schema`] says how a schema
//! differs from what the library selects.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::code::ErrorCode;
use crate::environment::SectorType;
use crate::error::CprError;
use crate::fields::{FieldGroup, FieldSpec, GroupSet, PERSON_FIELDS};
use crate::issue::{Issue, Severity};
use crate::sdl::{Definition, FieldDef, InputValue};
pub use crate::sdl::TypeRef;

/// The modelled public-sector SDL (`schema/cpr-public-sector.graphql` without its comment
/// lines, see `build.rs`), the default dialect for `sectorType: "public"`.
pub const PUBLIC_SECTOR_SDL: &str = include_str!(concat!(env!("OUT_DIR"), "/cpr-public-sector.graphql"));
/// The modelled private-sector SDL (`schema/cpr-private-sector.graphql` without its comment
/// lines), the default dialect for `sectorType: "private"`.
pub const PRIVATE_SECTOR_SDL: &str = include_str!(concat!(env!("OUT_DIR"), "/cpr-private-sector.graphql"));

/// SDL text longer than this is refused (Datafordeleren's largest published schemas are well under it).
pub const MAX_SDL_BYTES: usize = 4 * 1024 * 1024;
/// How deep the search for the CPR number filter goes into the argument's input types.
const MAX_FILTER_DEPTH: usize = 4;

/// The embedded SDL of a sector.
pub fn default_sdl(sector: SectorType) -> &'static str {
    match sector {
        SectorType::Private => PRIVATE_SECTOR_SDL,
        SectorType::Public => PUBLIC_SECTOR_SDL,
    }
}

// ---------------------------------------------------------------------------------------------
// The schema model: just what dialect derivation and selection need.
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Object,
    Input,
    Leaf,
    Union,
}

#[derive(Debug, Clone)]
struct TypeDef {
    kind: Kind,
    fields: Vec<FieldDef>,
    input_fields: Vec<InputValue>,
}

/// A parsed schema: its types and the name of the query type.
#[derive(Debug, Clone)]
pub struct SchemaModel {
    query_type: String,
    /// In definition order; a CPR schema has some tens of types, so a list searched by name is
    /// as quick as a hash map and smaller in the wasm module.
    types: Vec<(String, TypeDef)>,
}

const BUILT_IN_SCALARS: [&str; 5] = ["String", "Int", "Float", "Boolean", "ID"];

impl SchemaModel {
    /// Parse SDL text. Syntax errors, JSON instead of SDL and oversized text are errors.
    pub fn parse(sdl: &str) -> Result<SchemaModel, CprError> {
        if sdl.len() > MAX_SDL_BYTES {
            return Err(CprError::invalid_input(
                ErrorCode::SchemaTooLarge,
                format!("The schema text is {} bytes; the limit is {MAX_SDL_BYTES}. Pass the CPR schema only.", sdl.len()),
            ));
        }
        let trimmed = sdl.trim_start();
        if trimmed.is_empty() {
            return Err(CprError::invalid_input(ErrorCode::SchemaEmpty, "The schema text is empty. Pass the SDL text of the CPR schema."));
        }
        if trimmed.starts_with('{') || trimmed.starts_with('[') {
            return Err(CprError::invalid_input(
                ErrorCode::SchemaNotSdl,
                "The schema is JSON, not SDL text. Pass the schema in GraphQL SDL (type Query { ... }), as the /schema endpoint returns it.",
            ));
        }
        let definitions = crate::sdl::parse(sdl).map_err(|error| {
            let (line, column) = line_column(sdl, error.index);
            let what = if error.limit { "is too large or too deeply nested" } else { "is not valid GraphQL SDL" };
            CprError::invalid_input(ErrorCode::SchemaSyntax, format!("The schema {what}: {} at line {line}, column {column}.", error.message))
        })?;
        let mut model = SchemaModel { query_type: "Query".to_string(), types: Vec::new() };
        for definition in definitions {
            model.add(definition);
        }
        Ok(model)
    }

    fn add(&mut self, definition: Definition) {
        match definition {
            Definition::QueryType(name) => self.query_type = name,
            Definition::Object(name, fields) => self.entry(name, Kind::Object).fields.extend(fields),
            Definition::Input(name, fields) => self.entry(name, Kind::Input).input_fields.extend(fields),
            Definition::Leaf(name) => {
                self.entry(name, Kind::Leaf);
            }
            Definition::Union(name) => {
                self.entry(name, Kind::Union);
            }
        }
    }

    /// The type of a name, created with `kind` when it is new (an extension before its
    /// definition keeps the kind it was first seen with, as before).
    fn entry(&mut self, name: String, kind: Kind) -> &mut TypeDef {
        let index = match self.types.iter().position(|(n, _)| *n == name) {
            Some(index) => index,
            None => {
                self.types.push((name, TypeDef { kind, fields: Vec::new(), input_fields: Vec::new() }));
                self.types.len() - 1
            }
        };
        &mut self.types[index].1
    }

    fn get(&self, type_name: &str) -> Option<&TypeDef> {
        self.types.iter().find(|(n, _)| n == type_name).map(|(_, t)| t)
    }

    fn field(&self, type_name: &str, field: &str) -> Option<&FieldDef> {
        self.get(type_name)?.fields.iter().find(|f| f.name == field)
    }

    fn fields(&self, type_name: &str) -> &[FieldDef] {
        self.get(type_name).map(|t| t.fields.as_slice()).unwrap_or(&[])
    }

    fn input_fields(&self, type_name: &str) -> &[InputValue] {
        self.get(type_name).map(|t| t.input_fields.as_slice()).unwrap_or(&[])
    }

    /// Whether values of the type are scalars. Undeclared names count as scalars: a fetched
    /// schema may leave out custom scalar declarations (`LocalDate`, `DafDateTime`).
    fn is_leaf(&self, type_name: &str) -> bool {
        BUILT_IN_SCALARS.contains(&type_name) || self.get(type_name).map_or(true, |t| t.kind == Kind::Leaf)
    }

    fn is_object(&self, type_name: &str) -> bool {
        self.get(type_name).is_some_and(|t| t.kind == Kind::Object)
    }
}

fn line_column(text: &str, index: usize) -> (usize, usize) {
    let before = text.get(..index.min(text.len())).unwrap_or("");
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

// ---------------------------------------------------------------------------------------------
// The dialect
// ---------------------------------------------------------------------------------------------

/// How the filter compares CPR numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "lowercase")]
pub enum FilterOperator {
    /// A list of numbers: batches in one request.
    In,
    /// One number per request.
    Eq,
}

/// Where the CPR numbers go in the root field's arguments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct FilterForm {
    /// The root field's argument, e.g. `input` or `where`.
    pub argument: String,
    /// Input fields from the argument down to the comparison, e.g. `["personnummer", "personnummer"]`.
    pub path: Vec<String>,
    pub operator: FilterOperator,
    /// The GraphQL type of the query variable, e.g. `[String!]!`.
    pub variable_type: String,
    /// The argument as it appears in the query, e.g. `input: {personnummer: {personnummer: {in: $cprNumbers}}}`.
    pub text: String,
}

impl FilterForm {
    /// The name of the query variable that carries the CPR numbers.
    pub fn variable(&self) -> &'static str {
        match self.operator {
            FilterOperator::In => "cprNumbers",
            FilterOperator::Eq => "cprNumber",
        }
    }
}

/// What queries for one sector must look like under one schema.
#[derive(Debug)]
pub struct Dialect {
    pub sector: SectorType,
    pub root_field: String,
    /// The root field returns a connection with `nodes` (otherwise a plain list of persons).
    pub nodes: bool,
    pub person_type: String,
    pub filter: FilterForm,
    /// Warnings found while deriving the dialect (a renamed root field, `eq` only).
    pub warnings: Vec<Issue>,
    /// Derived from a schema the service gave (not the bundled model): only then are fields
    /// whose evidence is `inferred` selected (see [`crate::fields`]).
    pub live: bool,
    model: SchemaModel,
    /// Unique per derivation: what the query module knows a dialect by when it keeps the texts
    /// rendered for it.
    pub(crate) id: usize,
}

impl Dialect {
    /// Derive the dialect from SDL text.
    ///
    /// ```
    /// use datafordeler_cpr::environment::SectorType;
    /// use datafordeler_cpr::schema::{Dialect, FilterOperator, PUBLIC_SECTOR_SDL};
    /// let d = Dialect::from_sdl(PUBLIC_SECTOR_SDL, SectorType::Public).unwrap();
    /// assert_eq!(d.root_field, "CPRCustom_PublicSectorPerson");
    /// assert_eq!(d.filter.argument, "input");
    /// assert_eq!(d.filter.operator, FilterOperator::In);
    /// ```
    ///
    /// Given SDL counts as a live schema (one fetched from the service): its dialect selects
    /// the inferred fields it has. Only [`Dialect::embedded`] is the bundled model.
    pub fn from_sdl(sdl: &str, sector: SectorType) -> Result<Dialect, CprError> {
        let model = SchemaModel::parse(sdl)?;
        let (dialect, issues) = derive(model, sector, true);
        match dialect {
            Some(d) => Ok(d),
            None => Err(first_error(&issues)),
        }
    }

    /// The built-in dialect of a sector (from the committed SDL), derived once. It is the
    /// bundled model: its queries select only evidenced fields.
    pub fn embedded(sector: SectorType) -> Result<&'static Dialect, CprError> {
        static PRIVATE: OnceLock<Result<Dialect, CprError>> = OnceLock::new();
        static PUBLIC: OnceLock<Result<Dialect, CprError>> = OnceLock::new();
        let cell = match sector {
            SectorType::Private => &PRIVATE,
            SectorType::Public => &PUBLIC,
        };
        cell.get_or_init(|| {
            let model = SchemaModel::parse(default_sdl(sector))?;
            let (dialect, issues) = derive(model, sector, false);
            dialect.ok_or_else(|| first_error(&issues))
        })
        .as_ref()
        .map_err(Clone::clone)
    }

    /// Adapt the selection table to this schema for the given groups.
    pub fn select(&self, groups: GroupSet) -> Selection {
        let mut selection = Selection::default();
        let scope = Scope { sector: self.sector, groups, live: self.live };
        adapt(&self.model, &self.person_type, PERSON_FIELDS, FieldGroup::Status, scope, "", &mut selection.fields, &mut selection.report);
        selection
    }
}

/// One selected field, with its selected sub-fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selected {
    pub name: &'static str,
    pub children: Vec<Selected>,
}

/// The person fields a query selects under one schema, and what had to be left out.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub fields: Vec<Selected>,
    pub report: SelectionReport,
}

/// What adapting the selection table to a schema found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SelectionReport {
    /// Optional fields the schema lacks (dropped, each with a warning).
    pub missing: Vec<String>,
    /// Required fields the schema lacks (each an error).
    pub missing_required: Vec<String>,
    /// Schema fields on the types the library reads that it does not select.
    pub unused: Vec<String>,
    pub issues: Vec<Issue>,
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}.{name}")
    }
}

/// What a selection is adapted for.
#[derive(Clone, Copy)]
struct Scope {
    sector: SectorType,
    groups: GroupSet,
    /// A live schema: inferred fields are selected when it has them.
    live: bool,
}

#[allow(clippy::too_many_arguments)]
fn adapt(
    model: &SchemaModel,
    type_name: &str,
    specs: &'static [FieldSpec],
    parent_group: FieldGroup,
    scope: Scope,
    prefix: &str,
    out: &mut Vec<Selected>,
    report: &mut SelectionReport,
) {
    let sector = scope.sector;
    for spec in specs {
        if !spec.wanted(parent_group, sector, scope.groups) {
            continue;
        }
        // A bundled model states no more than the evidence: a guessed field would make the
        // real service refuse the whole query.
        let inferred = !spec.evidenced(parent_group, sector);
        if inferred && !scope.live {
            continue;
        }
        let path = join(prefix, spec.name);
        let group = spec.group.unwrap_or(parent_group);
        let Some(field) = model.field(type_name, spec.name) else {
            // A live schema without a guessed field is no drift: the guess was wrong, or the
            // service keeps the field from this IT-system.
            if inferred {
                continue;
            }
            if spec.required {
                report.issues.push(Issue::new(
                    &path,
                    ErrorCode::RequiredFieldMissing,
                    Severity::Error,
                    format!(
                        "The schema has no field {path} on {type_name}, and the service rejects queries without it. \
                         The schema is not one the library can query; check API Version and the drift report."
                    ),
                ));
                report.missing_required.push(path);
            } else {
                report.issues.push(Issue::new(
                    &path,
                    ErrorCode::FieldMissing,
                    Severity::Warning,
                    format!("The schema has no field {path} on {type_name}; it is left out of the query, so that value stays empty."),
                ));
                report.missing.push(path);
            }
            continue;
        };
        let schema_is_leaf = model.is_leaf(&field.ty.name);
        if spec.is_scalar() != schema_is_leaf || (!schema_is_leaf && !model.is_object(&field.ty.name)) {
            let (severity, code) = if spec.required {
                (Severity::Error, ErrorCode::RequiredFieldMissing)
            } else {
                (Severity::Warning, ErrorCode::FieldTypeChanged)
            };
            let expected = if spec.is_scalar() { "a scalar" } else { "an object" };
            report.issues.push(Issue::new(
                &path,
                code,
                severity,
                format!("{path} is no longer {expected} in the schema (its type is {}); it is left out of the query.", field.ty.name),
            ));
            if spec.required {
                report.missing_required.push(path);
            } else {
                report.missing.push(path);
            }
            continue;
        }
        if spec.is_scalar() {
            out.push(Selected { name: spec.name, children: Vec::new() });
            continue;
        }
        let mut children = Vec::new();
        let required_before = report.missing_required.len();
        adapt(model, &field.ty.name, spec.children, group, scope, &path, &mut children, report);
        for extra in model.fields(&field.ty.name) {
            if !spec.children.iter().any(|c| c.name == extra.name) {
                report.unused.push(join(&path, &extra.name));
            }
        }
        if children.is_empty() {
            if report.missing_required.len() == required_before && !inferred {
                let (severity, code) = if spec.required {
                    (Severity::Error, ErrorCode::RequiredFieldMissing)
                } else {
                    (Severity::Warning, ErrorCode::FieldMissing)
                };
                report.issues.push(Issue::new(
                    &path,
                    code,
                    severity,
                    format!("None of the sub-fields the library reads exist on {path} in the schema; it is left out of the query."),
                ));
                if spec.required {
                    report.missing_required.push(path);
                } else {
                    report.missing.push(path);
                }
            }
            continue;
        }
        out.push(Selected { name: spec.name, children });
    }
}

fn first_error(issues: &[Issue]) -> CprError {
    match issues.iter().find(|i| i.is_error()) {
        Some(issue) => CprError::invalid_input(issue.code, issue.message.clone()),
        None => CprError::invalid_input(ErrorCode::SchemaUnusable, "The schema cannot be used for CPR lookups."),
    }
}

/// Derive the dialect; `None` when an error issue makes the schema unusable.
fn derive(model: SchemaModel, sector: SectorType, live: bool) -> (Option<Dialect>, Vec<Issue>) {
    let mut issues = Vec::new();
    let error = |code: ErrorCode, message: String| Issue::new("", code, Severity::Error, message);
    let query_type = model.query_type.clone();
    if model.get(&query_type).is_none() {
        issues.push(error(ErrorCode::QueryTypeMissing, format!("The schema has no query type ({query_type}). Pass the CPR schema's SDL.")));
        return (None, issues);
    }
    let Some(root) = find_root(&model, sector, &mut issues) else {
        return (None, issues);
    };
    // Connection with `nodes`, or a plain list of persons.
    let (nodes, person_type) = match model.field(&root.ty.name, "nodes") {
        Some(nodes) if !root.ty.list && model.is_object(&nodes.ty.name) => (true, nodes.ty.name.clone()),
        _ if root.ty.list && model.is_object(&root.ty.name) => (false, root.ty.name.clone()),
        _ => {
            issues.push(error(
                ErrorCode::NodesMissing,
                format!(
                    "{} returns {}, which has no `nodes` list of persons. The library cannot read this schema's answers.",
                    root.name, root.ty.name
                ),
            ));
            return (None, issues);
        }
    };
    let Some(filter) = find_filter(&model, root, &mut issues) else {
        return (None, issues);
    };
    if issues.iter().any(Issue::is_error) {
        return (None, issues);
    }
    let warnings = issues.clone();
    let root_field = root.name.clone();
    static DERIVED: AtomicUsize = AtomicUsize::new(0);
    let id = DERIVED.fetch_add(1, Ordering::Relaxed);
    let dialect = Dialect { sector, root_field, nodes, person_type, filter, warnings, live, model, id };
    (Some(dialect), issues)
}

fn find_root<'m>(model: &'m SchemaModel, sector: SectorType, issues: &mut Vec<Issue>) -> Option<&'m FieldDef> {
    let query_type = &model.query_type;
    if let Some(root) = model.field(query_type, sector.entity()) {
        return Some(root);
    }
    let other = match sector {
        SectorType::Private => SectorType::Public,
        SectorType::Public => SectorType::Private,
    };
    // GraphQL names are ASCII, so ASCII folding is exact (and keeps Unicode's case tables out).
    let family = format!("{}Person", other.path_segment()).to_ascii_lowercase();
    let own_family = format!("{}Person", sector.path_segment()).to_ascii_lowercase();
    let candidates: Vec<&FieldDef> =
        model.fields(query_type).iter().filter(|f| f.name.to_ascii_lowercase().contains(&own_family)).collect();
    if let [only] = candidates.as_slice() {
        issues.push(Issue::new(
            &only.name,
            ErrorCode::RootFieldRenamed,
            Severity::Warning,
            format!("The schema has no {} but has {}; the library queries that instead.", sector.entity(), only.name),
        ));
        return Some(only);
    }
    if model.fields(query_type).iter().any(|f| f.name.to_ascii_lowercase().contains(&family)) {
        issues.push(Issue::new(
            "",
            ErrorCode::WrongSectorSchema,
            Severity::Error,
            format!(
                "This schema is for the {} sector entity ({}), but CPR Sector Type is {}. Fetch the schema for the right \
                 sector, or change CPR Sector Type to match the service your IT-system was granted.",
                other.key(),
                other.entity(),
                sector.key()
            ),
        ));
    } else {
        issues.push(Issue::new(
            "",
            ErrorCode::RootFieldMissing,
            Severity::Error,
            format!(
                "The schema's query type has no field {}. Check that this is the CPR schema for the {} sector and the right API Version.",
                sector.entity(),
                sector.key()
            ),
        ));
    }
    None
}

struct FilterCandidate {
    argument: String,
    path: Vec<String>,
    operator: FilterOperator,
    element_type: String,
}

fn find_filter(model: &SchemaModel, root: &FieldDef, issues: &mut Vec<Issue>) -> Option<FilterForm> {
    let mut best: Option<FilterCandidate> = None;
    for arg in &root.args {
        let mut path = Vec::new();
        let mut visited: Vec<String> = Vec::new();
        let mut found = Vec::new();
        search(model, &arg.name, &arg.ty, &mut path, &mut visited, &mut found);
        for (path, operator, element_type) in found {
            let candidate = FilterCandidate { argument: arg.name.clone(), path, operator, element_type };
            if best.as_ref().map_or(true, |b| rank(&candidate) < rank(b)) {
                best = Some(candidate);
            }
        }
    }
    let Some(found) = best else {
        issues.push(Issue::new(
            &root.name,
            ErrorCode::FilterNotFound,
            Severity::Error,
            format!(
                "No argument of {} filters on personnummer with `in` or `eq`. The library cannot look persons up with this schema; \
                 check API Version and the drift report.",
                root.name
            ),
        ));
        return None;
    };
    // Anything else the schema requires must be something the library fills in.
    for arg in &root.args {
        if arg.name != found.argument && arg.is_required() {
            issues.push(Issue::new(
                &format!("{}({})", root.name, arg.name),
                ErrorCode::RequiredArgumentUnknown,
                Severity::Error,
                format!("{} requires the argument {}, which the library does not know how to fill.", root.name, arg.name),
            ));
        }
    }
    let mut type_name = root.args.iter().find(|a| a.name == found.argument).map(|a| a.ty.name.clone()).unwrap_or_default();
    let mut where_ = found.argument.clone();
    for step in &found.path {
        for input in model.input_fields(&type_name) {
            if &input.name != step && input.is_required() {
                issues.push(Issue::new(
                    &format!("{where_}.{}", input.name),
                    ErrorCode::RequiredArgumentUnknown,
                    Severity::Error,
                    format!("The filter input {type_name} requires {}, which the library does not know how to fill.", input.name),
                ));
            }
        }
        type_name = model.input_fields(&type_name).iter().find(|i| &i.name == step).map(|i| i.ty.name.clone()).unwrap_or_default();
        where_ = format!("{where_}.{step}");
    }
    if found.operator == FilterOperator::Eq {
        issues.push(Issue::new(
            &where_,
            ErrorCode::FilterEqOnly,
            Severity::Warning,
            format!("The schema's personnummer filter only has `eq`: each request looks up one number ({where_})."),
        ));
    }
    let (op, variable_type) = match found.operator {
        FilterOperator::In => ("in", format!("[{}!]!", found.element_type)),
        FilterOperator::Eq => ("eq", format!("{}!", found.element_type)),
    };
    let variable = match found.operator {
        FilterOperator::In => "cprNumbers",
        FilterOperator::Eq => "cprNumber",
    };
    let mut value = format!("{{{op}: ${variable}}}");
    for step in found.path.iter().rev() {
        value = format!("{{{step}: {value}}}");
    }
    Some(FilterForm {
        text: format!("{}: {value}", found.argument),
        argument: found.argument,
        path: found.path,
        operator: found.operator,
        variable_type,
    })
}

/// Lower is better: batching (`in`) first, then the shortest path, then the documented names.
fn rank(c: &FilterCandidate) -> (u8, usize, u8) {
    let op = match c.operator {
        FilterOperator::In => 0,
        FilterOperator::Eq => 1,
    };
    let name = match c.argument.as_str() {
        "input" => 0,
        "where" => 1,
        _ => 2,
    };
    (op, c.path.len(), name)
}

/// Depth-first search from an input value for a comparison on a field named `personnummer`.
fn search(
    model: &SchemaModel,
    name: &str,
    ty: &TypeRef,
    path: &mut Vec<String>,
    visited: &mut Vec<String>,
    found: &mut Vec<(Vec<String>, FilterOperator, String)>,
) {
    if ty.list || path.len() > MAX_FILTER_DEPTH || visited.contains(&ty.name) {
        return;
    }
    // The input types on the way here (a path a few deep): a recursive filter type ends the search.
    visited.push(ty.name.clone());
    let fields = model.input_fields(&ty.name);
    if name.eq_ignore_ascii_case("personnummer") {
        let op_in = fields.iter().find(|f| f.name == "in" && f.ty.list);
        let op_eq = fields.iter().find(|f| f.name == "eq" && !f.ty.list);
        if let Some(op) = op_in {
            found.push((path.clone(), FilterOperator::In, op.ty.name.clone()));
        } else if let Some(op) = op_eq {
            found.push((path.clone(), FilterOperator::Eq, op.ty.name.clone()));
        }
    }
    for field in fields {
        if matches!(field.name.as_str(), "and" | "or" | "not") {
            continue;
        }
        path.push(field.name.clone());
        search(model, &field.name, &field.ty, path, visited, found);
        path.pop();
    }
    visited.pop();
}

// ---------------------------------------------------------------------------------------------
// The drift report
// ---------------------------------------------------------------------------------------------

/// Options of a schema check as a host passes them (the sector of [`check_schema`]).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SchemaCheckOptions {
    pub sector_type: SectorType,
}

/// How a schema differs from what the library selects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct DriftReport {
    /// True when lookups can be made with this schema (no issue of severity `error`).
    pub ok: bool,
    pub sector_type: SectorType,
    /// The root field queried, when found.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub root_field: Option<String>,
    /// The person type (the root field's nodes).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub person_type: Option<String>,
    /// The argument form found for the CPR number filter.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub filter: Option<FilterForm>,
    /// Fields the library selects that the schema lacks (optional ones; left out of queries).
    pub missing_fields: Vec<String>,
    /// Required fields the schema lacks (lookups fail without them).
    pub missing_required: Vec<String>,
    /// Fields the schema offers on the types the library reads, which it does not select.
    pub unused_fields: Vec<String>,
    pub issues: Vec<Issue>,
}

/// Compare a schema with what the library selects, for every field group the sector may see.
///
/// Never fails: an unreadable schema is a report with an error issue.
///
/// ```
/// use datafordeler_cpr::environment::SectorType;
/// use datafordeler_cpr::schema::{check_schema, PRIVATE_SECTOR_SDL};
/// let report = check_schema(PRIVATE_SECTOR_SDL, SectorType::Private);
/// assert!(report.ok);
/// assert!(report.missing_fields.is_empty());
/// assert_eq!(report.filter.unwrap().text, "input: {personnummer: {personnummer: {in: $cprNumbers}}}");
///
/// let renamed = PRIVATE_SECTOR_SDL.replace("beskyttelser:", "protections:");
/// let report = check_schema(&renamed, SectorType::Private);
/// assert!(!report.ok);
/// assert_eq!(report.missing_required, ["beskyttelser"]);
/// ```
pub fn check_schema(sdl: &str, sector: SectorType) -> DriftReport {
    let mut report = DriftReport {
        ok: false,
        sector_type: sector,
        root_field: None,
        person_type: None,
        filter: None,
        missing_fields: Vec::new(),
        missing_required: Vec::new(),
        unused_fields: Vec::new(),
        issues: Vec::new(),
    };
    let model = match SchemaModel::parse(sdl) {
        Ok(model) => model,
        Err(e) => {
            report.issues.push(Issue::new("", e.code(), Severity::Error, e.to_string()));
            return report;
        }
    };
    // Checked as the service would give it: the report covers the inferred fields too.
    match derive(model, sector, true) {
        (Some(dialect), _) => check_dialect(&dialect),
        (None, issues) => {
            report.issues = issues;
            report.ok = !report.issues.iter().any(Issue::is_error);
            report
        }
    }
}

/// The drift report of a dialect already derived (a client's live schema): the same report as
/// [`check_schema`] of its SDL, whose derivation warnings the dialect keeps.
pub fn check_dialect(dialect: &Dialect) -> DriftReport {
    let selection = dialect.select(GroupSet::all());
    let unused_fields = dialect
        .model
        .fields(&dialect.person_type)
        .iter()
        .filter(|f| !PERSON_FIELDS.iter().any(|s| s.name == f.name))
        .map(|f| f.name.clone())
        .chain(selection.report.unused)
        .collect();
    let mut issues = dialect.warnings.clone();
    issues.extend(selection.report.issues);
    DriftReport {
        ok: !issues.iter().any(Issue::is_error),
        sector_type: dialect.sector,
        root_field: Some(dialect.root_field.clone()),
        person_type: Some(dialect.person_type.clone()),
        filter: Some(dialect.filter.clone()),
        missing_fields: selection.report.missing,
        missing_required: selection.report.missing_required,
        unused_fields,
        issues,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::environment::Provenance;

    fn codes(issues: &[Issue]) -> Vec<&str> {
        issues.iter().map(|i| i.code.as_str()).collect()
    }

    #[test]
    fn embedded_schemas_match_the_selection_table_exactly() {
        for sector in SectorType::ALL {
            let report = check_schema(default_sdl(sector), sector);
            assert!(report.ok, "{sector:?}: {:?}", report.issues);
            assert!(report.issues.is_empty(), "{sector:?}: {:?}", report.issues);
            assert!(report.missing_fields.is_empty());
            assert_eq!(report.root_field.as_deref(), Some(sector.entity()));
            let filter = report.filter.unwrap();
            assert_eq!(filter.argument, "input");
            assert_eq!(filter.path, ["personnummer", "personnummer"]);
            assert_eq!(filter.operator, FilterOperator::In);
            assert_eq!(filter.variable_type, "[String!]!");
            assert!(Dialect::embedded(sector).is_ok());
        }
        // The public schema has fields the library does not read; they are listed, not errors.
        let public = check_schema(PUBLIC_SECTOR_SDL, SectorType::Public);
        for unused in ["id", "koen", "kommunaleForhold", "foraeldremyndighedsoplysninger", "statsborgerskaber", "personnumre.virkningfra", "adresseoplysninger.cprAdresse.daradresse"] {
            assert!(public.unused_fields.iter().any(|f| f == unused), "{unused}: {:?}", public.unused_fields);
        }
    }

    fn paths(fields: &[Selected], prefix: &str, out: &mut Vec<String>) {
        for f in fields {
            let path = join(prefix, f.name);
            out.push(path.clone());
            paths(&f.children, &path, out);
        }
    }

    /// The evidence block an SDL file's header must hold: the table's fields the file models,
    /// by evidence, wrapped as comment lines.
    fn evidence_block(sector: SectorType) -> String {
        let model = SchemaModel::parse(default_sdl(sector)).unwrap();
        let live = derive(model, sector, true).0.unwrap();
        let mut modelled = Vec::new();
        paths(&live.select(GroupSet::all()).fields, "", &mut modelled);
        let evidence = crate::fields::field_evidence(sector);
        let mut block = String::new();
        for (word, provenance) in [("observed", Provenance::Observed), ("inferred", Provenance::Inferred)] {
            let names: Vec<&str> = evidence
                .iter()
                .filter(|(path, p)| *p == provenance && modelled.contains(path))
                .map(|(path, _)| path.as_str())
                .collect();
            let mut line = format!("#   {word}:");
            for (i, name) in names.iter().enumerate() {
                let item = if i + 1 < names.len() { format!(" {name},") } else { format!(" {name}") };
                if line.len() + item.len() > 100 {
                    block.push_str(&line);
                    block.push('\n');
                    line = "#    ".to_string();
                }
                line.push_str(&item);
            }
            block.push_str(&line);
            block.push('\n');
        }
        block
    }

    #[test]
    fn sdl_headers_state_the_field_tables_evidence() {
        let files = [
            (SectorType::Private, include_str!("../schema/cpr-private-sector.graphql")),
            (SectorType::Public, include_str!("../schema/cpr-public-sector.graphql")),
        ];
        for (sector, file) in files {
            let after = file.split("#EVIDENCE\n").nth(1).expect("an #EVIDENCE line in the header");
            let block: String = after.lines().take_while(|l| l.starts_with("#  ")).map(|l| format!("{l}\n")).collect();
            let expected = evidence_block(sector);
            assert_eq!(block, expected, "{sector:?}: the header's evidence block should read:\n{expected}");
        }
    }

    /// The private entity's fields the evidence supports, written by hand (never from the field
    /// table): the legal scope (name, address with move-in date, status, protections) under the
    /// names seen on the public-sector entity. The bundled model selects these and nothing else.
    pub(crate) const EVIDENCED_PRIVATE_FIELDS: &[&str] = &[
        "status",
        "beskyttelser",
        "beskyttelser.beskyttelsestype",
        "beskyttelser.status",
        "beskyttelser.virkningfra",
        "beskyttelser.virkningtil",
        "navne",
        "navne.adresseringsnavn",
        "navne.fornavne",
        "navne.mellemnavn",
        "navne.efternavn",
        "navne.status",
        "navne.virkningfra",
        "adresseoplysninger",
        "adresseoplysninger.conavn",
        "adresseoplysninger.status",
        "adresseoplysninger.virkningfra",
        "adresseoplysninger.cprAdresse",
        "adresseoplysninger.cprAdresse.vejadresseringsnavn",
        "adresseoplysninger.cprAdresse.husnummer",
        "adresseoplysninger.cprAdresse.etage",
        "adresseoplysninger.cprAdresse.sidedoer",
        "adresseoplysninger.cprAdresse.bynavn",
        "adresseoplysninger.cprAdresse.postnummer",
        "adresseoplysninger.cprAdresse.postdistrikt",
        "adresseoplysninger.cprAdresse.cprkommunekode",
        "adresseoplysninger.cprAdresse.cprkommunenavn",
    ];

    #[test]
    fn the_bundled_private_query_selects_only_what_the_evidence_supports() {
        let expected = EVIDENCED_PRIVATE_FIELDS;
        let bundled = Dialect::embedded(SectorType::Private).unwrap();
        assert!(!bundled.live);
        let selection = bundled.select(GroupSet::all());
        assert!(selection.report.issues.is_empty(), "{:?}", selection.report.issues);
        let mut selected = Vec::new();
        paths(&selection.fields, "", &mut selected);
        assert_eq!(selected, expected);
        // A schema given as text is a fetched one, even when it reads like the model: it
        // selects the inferred fields it has.
        let given = Dialect::from_sdl(PRIVATE_SECTOR_SDL, SectorType::Private).unwrap();
        assert!(given.live);
        let mut from_given = Vec::new();
        paths(&given.select(GroupSet::all()).fields, "", &mut from_given);
        assert!(from_given.len() > selected.len() && from_given.iter().any(|p| p == "stillinger.stilling"));
    }

    #[test]
    fn a_live_schema_enables_the_inferred_fields_it_has_and_no_others() {
        // A live private schema with occupation and emigration, but no credit warning, no civil
        // status, no CPR numbers and no contact address.
        let sdl = PRIVATE_SECTOR_SDL
            .replace("  kreditadvarsler: [Kreditadvarsel!]\n", "")
            .replace("  civilstande: [Civilstand!]\n", "")
            .replace("  personnumre: [Personnummer!]\n", "")
            .replace("  kontaktadresse: [Kontaktadresse!]\n", "")
            .replace("  udrejsedato: String\n", "  udrejsedato: String\n  nyt: String\n");
        let live = Dialect::from_sdl(&sdl, SectorType::Private).unwrap();
        assert!(live.live);
        let selection = live.select(GroupSet::all());
        // A guessed field the live schema lacks is no drift: nothing to warn about.
        assert!(selection.report.issues.is_empty(), "{:?}", selection.report.issues);
        assert!(selection.report.missing.is_empty());
        let mut selected = Vec::new();
        paths(&selection.fields, "", &mut selected);
        for inferred in ["stillinger.stilling", "udrejseIndrejser.udrejsedato", "udrejseIndrejser.cprlandUdrejse.kode", "statusdato", "vaergemaal.vaergenavn"] {
            assert!(selected.iter().any(|p| p == inferred), "{inferred}: {selected:?}");
        }
        // Nothing the live schema lacks, and nothing it has that the table does not know.
        let model = SchemaModel::parse(&sdl).unwrap();
        for path in &selected {
            let mut type_name = live.person_type.clone();
            for step in path.split('.') {
                let field = model.field(&type_name, step).unwrap_or_else(|| panic!("{path} is not in the live schema"));
                type_name = field.ty.name.clone();
            }
        }
        for absent in ["kreditadvarsler", "civilstande", "personnumre", "kontaktadresse", "udrejseIndrejser.nyt"] {
            assert!(!selected.iter().any(|p| p == absent || p.starts_with(&format!("{absent}."))), "{absent}");
        }
    }

    #[test]
    fn where_style_and_eq_filters_are_found() {
        let sdl = r#"
            schema { query: Root }
            type Root { CPRCustom_PrivateSectorPerson(first: Int, where: PersonFilter): Conn }
            input PersonFilter { and: [PersonFilter!] or: [PersonFilter!] personnummer: StringOperationFilterInput foedselsdato: StringOperationFilterInput }
            input StringOperationFilterInput { eq: String neq: String in: [String] }
            type Conn { nodes: [P!]! }
            type P { beskyttelser: [B!]! status: String }
            type B { beskyttelsestype: String }
        "#;
        let d = Dialect::from_sdl(sdl, SectorType::Private).unwrap();
        assert_eq!(d.filter.text, "where: {personnummer: {in: $cprNumbers}}");
        assert_eq!(d.filter.variable_type, "[String!]!");
        assert!(d.warnings.is_empty());

        let eq_only = sdl.replace("in: [String]", "");
        let d = Dialect::from_sdl(&eq_only, SectorType::Private).unwrap();
        assert_eq!(d.filter.text, "where: {personnummer: {eq: $cprNumber}}");
        assert_eq!(d.filter.variable_type, "String!");
        assert_eq!(codes(&d.warnings), ["filter_eq_only"]);
    }

    #[test]
    fn unusable_schemas_say_why() {
        let cases = [
            ("", "schema_empty"),
            ("{\"data\": {\"__schema\": {}}}", "schema_not_sdl"),
            ("type Query { x: }", "schema_syntax"),
            ("type Foo { x: String }", "query_type_missing"),
            ("type Query { other: String }", "root_field_missing"),
            (&PUBLIC_SECTOR_SDL.replace("input: CPRCustom_PublicSectorPersonInput!", "id: ID"), "filter_not_found"),
        ];
        for (sdl, code) in cases {
            let r = check_schema(sdl, SectorType::Public);
            assert!(!r.ok, "{code}");
            assert_eq!(codes(&r.issues).first().copied(), Some(code), "{code}: {:?}", r.issues);
            assert_eq!(Dialect::from_sdl(sdl, SectorType::Public).unwrap_err().code(), code);
        }
        let r = check_schema(PUBLIC_SECTOR_SDL, SectorType::Private);
        assert_eq!(codes(&r.issues), ["wrong_sector_schema"]);
        let big = "#".repeat(MAX_SDL_BYTES + 1);
        assert_eq!(codes(&check_schema(&big, SectorType::Public).issues), ["schema_too_large"]);
        let deep = format!("type Query {{ x(a: {}1{}): Int }}", "[".repeat(500), "]".repeat(500));
        assert_eq!(codes(&check_schema(&deep, SectorType::Public).issues), ["schema_syntax"]);
    }

    #[test]
    fn required_extra_arguments_are_errors() {
        let sdl = PRIVATE_SECTOR_SDL.replace(
            "CPRCustom_PrivateSectorPerson(input: CPRCustom_PrivateSectorPersonInput!)",
            "CPRCustom_PrivateSectorPerson(input: CPRCustom_PrivateSectorPersonInput!, purpose: String!)",
        );
        let r = check_schema(&sdl, SectorType::Private);
        assert_eq!(codes(&r.issues), ["required_argument_unknown"]);
        let sdl = PRIVATE_SECTOR_SDL.replace("personnummer: PersonnummerFilterInput!", "personnummer: PersonnummerFilterInput!\n  reason: String!");
        let r = check_schema(&sdl, SectorType::Private);
        assert_eq!(codes(&r.issues), ["required_argument_unknown"]);
        assert_eq!(r.issues[0].field, "input.reason");
    }

    #[test]
    fn renamed_and_missing_fields_are_reported() {
        let sdl = PRIVATE_SECTOR_SDL
            .replace("  mellemnavn: String\n", "  mellemnavne: String\n")
            .replace("type Forsvinding {\n  status: String\n  forsvindingsdato: String\n}", "type Forsvinding {\n  id: ID\n}")
            .replace("  etage: String\n", "  etage: Etage\n")
            .replace("CPRCustom_PrivateSectorPerson(", "CPRCustom_PrivateSectorPerson_v3(");
        let sdl = format!("{sdl}\ntype Etage {{ kode: String }}");
        let r = check_schema(&sdl, SectorType::Private);
        assert!(r.ok, "{:?}", r.issues);
        assert_eq!(r.root_field.as_deref(), Some("CPRCustom_PrivateSectorPerson_v3"));
        // The disappearance's sub-fields are guesses (inferred): a live schema without them
        // is no drift, so they are left out without a word.
        assert_eq!(codes(&r.issues), ["root_field_renamed", "field_missing", "field_type_changed"]);
        assert_eq!(r.missing_fields, ["navne.mellemnavn", "adresseoplysninger.cprAdresse.etage"]);
        assert!(r.unused_fields.contains(&"forsvindinger.id".to_string()));
        assert!(r.unused_fields.contains(&"navne.mellemnavne".to_string()));
        assert!(r.missing_required.is_empty());
    }

    #[test]
    fn nested_persons_need_their_protections_too() {
        let sdl = PUBLIC_SECTOR_SDL.replace(
            "  personnummer: String\n  beskyttelser: [Beskyttelse!]!\n  navn: Navn\n}",
            "  personnummer: String\n  navn: Navn\n}",
        );
        let r = check_schema(&sdl, SectorType::Public);
        assert!(!r.ok);
        assert_eq!(r.missing_required, ["boern.barn.beskyttelser", "foraeldreoplysninger.foraelder.beskyttelser"]);
    }

    #[test]
    fn line_and_column_of_syntax_errors() {
        let e = SchemaModel::parse("type Query {\n  a: String\n  b: \n}").unwrap_err();
        assert_eq!(e.code(), "schema_syntax");
        assert!(e.to_string().contains("line 4"), "{e}");
    }
}
