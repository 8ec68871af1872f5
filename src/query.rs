//! Building the requests: the person lookup query and the schema download.
//!
//! Rules every lookup query keeps, whatever the schema:
//! - CPR numbers travel only in variables, as 10 digits, after validation; the query text is
//!   the same for every number (and so can be logged and cached);
//! - `beskyttelser` is selected on the person and on nested persons, because the service
//!   rejects queries without it;
//! - no aliases, because the service rejects them.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::code::ErrorCode;
use crate::cpr::CprNumber;
use crate::endpoints::ResolvedEndpoints;
use crate::environment::SectorType;
use crate::error::CprError;
use crate::fields::{FieldGroup, GroupSet};
use crate::issue::{Issue, Severity};
use crate::schema::{Dialect, FilterOperator, Selected};

/// The operation name of every lookup query.
pub const OPERATION_NAME: &str = "CprPersonLookup";
/// Numbers per request when the caller sets no `maxBatch`.
pub const DEFAULT_MAX_BATCH: usize = 50;
/// The highest `maxBatch` accepted: Datafordeleren's assumed page size.
pub const MAX_BATCH_LIMIT: usize = 1000;

/// The input of a lookup query as a host passes it (its TypeScript declaration); the host
/// boundary reads it leniently and calls [`build_lookup_query`].
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LookupQueryInput {
    pub sector_type: SectorType,
    /// CPR numbers as text, `DDMMYYSSSS` or `DDMMYY-SSSS`.
    pub cpr_numbers: Vec<String>,
    /// SDL of a fetched schema; default: the library's modelled schema for the sector. A given
    /// schema counts as the service's: the inferred fields it has are selected, where the
    /// bundled model selects only evidenced ones.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub schema: Option<String>,
    /// Field groups to select; default: everything but relations.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub fields: Option<Vec<FieldGroup>>,
    /// Most numbers in one request (default 50, at most 1000).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub max_batch: Option<u32>,
}

/// A GraphQL request ready to send as the JSON body `{ operationName, query, variables }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct LookupQuery {
    pub operation_name: String,
    pub query: String,
    /// `{ cprNumbers: [...] }`, or `{ cprNumber: "..." }` for a schema whose filter only has `eq`.
    #[cfg_attr(target_arch = "wasm32", tsify(type = "Record<string, string | string[]>"))]
    pub variables: Map<String, Value>,
    /// Fields left out because the schema lacks them, and other things worth knowing.
    pub warnings: Vec<Issue>,
    /// The rendering the query came from: its body text up to the variables is written once
    /// per dialect, not once per lookup.
    #[serde(skip)]
    rendered: Option<Arc<Rendered>>,
}

impl LookupQuery {
    /// The request body as JSON text: `{"operationName":…,"query":…,"variables":…}`.
    pub fn body(&self) -> String {
        let variables = serde_json::to_string(&self.variables).unwrap_or_default();
        // The cached start holds this query's text unless a caller changed the public fields.
        let start = match &self.rendered {
            Some(r) if r.query == self.query && self.operation_name == OPERATION_NAME => Cow::Borrowed(r.body_start.as_str()),
            _ => Cow::Owned(body_start(&self.operation_name, &self.query)),
        };
        let mut body = String::with_capacity(start.len() + variables.len() + 1);
        body.push_str(&start);
        body.push_str(&variables);
        body.push('}');
        body
    }
}

/// `{"operationName":"…","query":"…","variables":` with both texts escaped as JSON strings.
fn body_start(operation_name: &str, query: &str) -> String {
    let text = |s: &str| serde_json::to_string(s).unwrap_or_default();
    format!("{{\"operationName\":{},\"query\":{},\"variables\":", text(operation_name), text(query))
}

/// Options of [`build_lookup_query`].
#[derive(Debug, Clone)]
pub struct QueryOptions<'a> {
    /// The dialect of a fetched schema, derived for the same sector (it selects the inferred
    /// fields it has); `None`: the embedded dialect of the sector (evidenced fields only).
    pub dialect: Option<&'a Dialect>,
    /// `None`: [`FieldGroup::DEFAULT`].
    pub fields: Option<&'a [FieldGroup]>,
    pub max_batch: usize,
}

impl Default for QueryOptions<'_> {
    fn default() -> Self {
        QueryOptions { dialect: None, fields: None, max_batch: DEFAULT_MAX_BATCH }
    }
}

/// A query text rendered for one dialect and one group set, with the warnings of adapting it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub query: String,
    pub warnings: Vec<Issue>,
    /// The query selects the persons' CPR numbers, so answers to several numbers can be matched.
    pub keyed: bool,
    /// The request body up to its variables (see [`LookupQuery::body`]).
    body_start: String,
}

/// Build the lookup query for already validated numbers.
///
/// ```
/// use datafordeler_cpr::cpr::CprNumber;
/// use datafordeler_cpr::environment::SectorType;
/// use datafordeler_cpr::query::{build_lookup_query, QueryOptions};
///
/// let numbers = [CprNumber::parse("070761-0123").unwrap()];
/// let q = build_lookup_query(SectorType::Private, &numbers, &QueryOptions::default()).unwrap();
/// assert_eq!(q.operation_name, "CprPersonLookup");
/// assert_eq!(q.variables["cprNumbers"], serde_json::json!(["0707610123"]));
/// assert!(q.query.contains("input: {personnummer: {personnummer: {in: $cprNumbers}}}"));
/// assert!(!q.query.contains("0707610123"));
/// ```
pub fn build_lookup_query(sector: SectorType, numbers: &[CprNumber], options: &QueryOptions) -> Result<LookupQuery, CprError> {
    let max_batch = options.max_batch.clamp(1, MAX_BATCH_LIMIT);
    if numbers.is_empty() {
        return Err(CprError::invalid_input(ErrorCode::NoCprNumbers, "Give at least one CPR number in cprNumbers."));
    }
    let mut warnings = Vec::new();
    let mut unique: Vec<&CprNumber> = Vec::with_capacity(numbers.len());
    for (i, number) in numbers.iter().enumerate() {
        if unique.contains(&number) {
            warnings.push(Issue::new(
                "cprNumbers",
                ErrorCode::DuplicateCprNumber,
                Severity::Info,
                format!("CPR number {} ({}) appears more than once; it is looked up once.", i + 1, number.masked()),
            ));
        } else {
            unique.push(number);
        }
    }
    if unique.len() > max_batch {
        return Err(batch_too_large(unique.len(), max_batch));
    }
    let dialect = match options.dialect {
        Some(given) => given,
        None => Dialect::embedded(sector)?,
    };
    if dialect.filter.operator == FilterOperator::Eq && unique.len() > 1 {
        return Err(CprError::invalid_input(
            ErrorCode::BatchNotSupported,
            format!(
                "This schema's personnummer filter takes one number per request (eq), and {} were given. \
                 Build one query per number.",
                unique.len()
            ),
        ));
    }
    let requested = options.fields.unwrap_or(&FieldGroup::DEFAULT);
    for group in requested {
        if !group.available_to(sector) && options.fields.is_some() {
            warnings.push(Issue::new(
                "fields",
                ErrorCode::GroupNotAvailable,
                Severity::Warning,
                format!("CPR does not disclose {} to the {} sector; the group is left out.", group.key(), sector.key()),
            ));
        }
    }
    let rendered = rendered(dialect, GroupSet::of(requested))?;
    if !rendered.keyed && unique.len() > 1 {
        return Err(CprError::invalid_input(
            ErrorCode::BatchNotSupported,
            format!(
                "{} numbers were given, but this query selects no personnumre to tell the answers apart. Build one query \
                 per number, or use a schema fetched from the service that has personnumre.",
                unique.len()
            ),
        ));
    }
    let mut all_warnings = dialect.warnings.clone();
    all_warnings.extend(rendered.warnings.iter().cloned());
    all_warnings.extend(warnings);
    let mut variables = Map::new();
    match dialect.filter.operator {
        FilterOperator::In => {
            variables.insert(
                dialect.filter.variable().to_string(),
                Value::Array(unique.iter().map(|n| Value::String(n.normalized())).collect()),
            );
        }
        FilterOperator::Eq => {
            if let Some(first) = unique.first() {
                variables.insert(dialect.filter.variable().to_string(), Value::String(first.normalized()));
            }
        }
    }
    Ok(LookupQuery {
        operation_name: OPERATION_NAME.to_string(),
        query: rendered.query.clone(),
        variables,
        warnings: all_warnings,
        rendered: Some(rendered),
    })
}

/// Query texts already rendered, per dialect (its id) and group set: a text depends on neither
/// the numbers nor the caller, so each is written once. The oldest entry goes first; a
/// dropped dialect's texts, never asked for again, leave that way.
static RENDERED: Mutex<Vec<(usize, GroupSet, Arc<Rendered>)>> = Mutex::new(Vec::new());

/// Rendered entries kept at most: a few group sets of a dialect or two in practice.
const MAX_RENDERED: usize = 16;

fn rendered(dialect: &Dialect, groups: GroupSet) -> Result<Arc<Rendered>, CprError> {
    if let Ok(cache) = RENDERED.lock() {
        if let Some((_, _, rendered)) = cache.iter().find(|(id, g, _)| *id == dialect.id && *g == groups) {
            return Ok(Arc::clone(rendered));
        }
    }
    let rendered = Arc::new(render(dialect, groups)?);
    if let Ok(mut cache) = RENDERED.lock() {
        if cache.len() >= MAX_RENDERED {
            cache.remove(0);
        }
        cache.push((dialect.id, groups, Arc::clone(&rendered)));
    }
    Ok(rendered)
}

fn render(dialect: &Dialect, groups: GroupSet) -> Result<Rendered, CprError> {
    let selection = dialect.select(groups);
    if let Some(error) = selection.report.issues.iter().find(|i| i.is_error()) {
        return Err(CprError::invalid_input(error.code, error.message.clone()));
    }
    let filter = &dialect.filter;
    let mut q = String::with_capacity(2048);
    let _ = writeln!(q, "query {OPERATION_NAME}(${}: {}) {{", filter.variable(), filter.variable_type);
    let _ = writeln!(q, "  {}({}) {{", dialect.root_field, filter.text);
    let depth = if dialect.nodes {
        q.push_str("    nodes {\n");
        3
    } else {
        2
    };
    write_fields(&mut q, &selection.fields, depth);
    if dialect.nodes {
        q.push_str("    }\n");
    }
    q.push_str("  }\n}\n");
    let keyed = selection.fields.iter().any(|f| f.name == "personnumre");
    Ok(Rendered { body_start: body_start(OPERATION_NAME, &q), query: q, warnings: selection.report.issues, keyed })
}

fn write_fields(out: &mut String, fields: &[Selected], depth: usize) {
    for field in fields {
        for _ in 0..depth {
            out.push_str("  ");
        }
        out.push_str(field.name);
        if field.children.is_empty() {
            out.push('\n');
        } else {
            out.push_str(" {\n");
            write_fields(out, &field.children, depth + 1);
            for _ in 0..depth {
                out.push_str("  ");
            }
            out.push_str("}\n");
        }
    }
}

pub(crate) fn batch_too_large(count: usize, max_batch: usize) -> CprError {
    CprError::invalid_input(
        ErrorCode::BatchTooLarge,
        format!("{count} CPR numbers were given; one request takes at most {max_batch} (maxBatch). Split them into smaller batches."),
    )
}

/// The request that downloads the CPR schema ("Fetch CPR Schema"). The host adds the bearer token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct SchemaRequest {
    pub method: String,
    pub url: String,
    /// Header names and their text values. A JSON object rather than a BTreeMap of its own:
    /// one map type in the wasm module instead of two.
    #[cfg_attr(target_arch = "wasm32", tsify(type = "Record<string, string>"))]
    pub headers: Map<String, Value>,
    pub sector_type: SectorType,
}

/// The schema download for resolved endpoints: `GET <graphql url>/schema` unless overridden.
///
/// ```
/// use datafordeler_cpr::endpoints::resolve_endpoints;
/// use datafordeler_cpr::query::build_schema_request;
/// let e = resolve_endpoints(&serde_json::json!({"environment": "production", "sectorType": "private", "authMethod": "sharedSecret", "apiVersion": "v2"})).unwrap();
/// let r = build_schema_request(&e);
/// assert_eq!(r.method, "GET");
/// assert_eq!(r.url, "https://graphql.datafordeler.dk/CPR/custom/PrivateSector/v2/schema");
/// ```
pub fn build_schema_request(endpoints: &ResolvedEndpoints) -> SchemaRequest {
    let mut headers = Map::new();
    // SDL is text; some GraphQL servers choose the format by Accept.
    headers.insert("accept".to_string(), Value::String("application/graphql, text/plain;q=0.9, */*;q=0.1".to_string()));
    SchemaRequest { method: "GET".to_string(), url: endpoints.schema_url.clone(), headers, sector_type: endpoints.sector_type }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{PRIVATE_SECTOR_SDL, PUBLIC_SECTOR_SDL};
    use serde_json::json;

    fn given(sdl: &str, sector: SectorType) -> Dialect {
        Dialect::from_sdl(sdl, sector).unwrap()
    }

    fn numbers(texts: &[&str]) -> Vec<CprNumber> {
        texts.iter().map(|t| CprNumber::parse(t).unwrap()).collect()
    }

    #[test]
    fn default_queries_for_both_sectors() {
        for sector in SectorType::ALL {
            // The bundled private model has no evidenced CPR numbers to match answers by: one number.
            let n = match sector {
                SectorType::Public => numbers(&["0707610123", "1203750168"]),
                SectorType::Private => numbers(&["0707610123"]),
            };
            let q = build_lookup_query(sector, &n, &QueryOptions::default()).unwrap();
            assert!(q.warnings.is_empty(), "{:?}", q.warnings);
            assert!(q.query.starts_with("query CprPersonLookup($cprNumbers: [String!]!) {\n"));
            assert!(q.query.contains(&format!("  {}(input: {{personnummer: {{personnummer: {{in: $cprNumbers}}}}}}) {{\n    nodes {{\n", sector.entity())));
            let texts: Vec<String> = n.iter().map(CprNumber::normalized).collect();
            assert_eq!(q.variables, json!({"cprNumbers": texts}).as_object().unwrap().clone());
            assert!(q.query.contains("      beskyttelser {\n        beskyttelsestype\n"));
            assert!(!q.query.contains("0707610123"));
            // No aliases: a colon appears only in the variable definition and the filter argument.
            let colons = q.query.matches(':').count();
            assert_eq!(colons, 1 + 4, "{}", q.query);
            // Protections, and in the public sector names, addresses and civil status.
            let history_columns = if sector == SectorType::Public { 4 } else { 1 };
            assert_eq!(q.query.matches("virkningtil").count(), history_columns, "{}", q.query);
            assert_eq!(q.query.contains("supplerendeAdresse"), sector == SectorType::Public);
            assert_eq!(q.query.contains("vejnavn"), sector == SectorType::Public);
            assert_eq!(q.query.contains("personnumre"), sector == SectorType::Public);
            // Sub-fields nobody has documented are never in a bundled model's query.
            for inferred in ["udrejseIndrejser", "forsvindinger", "kontaktadresse", "vaergemaal", "stillinger", "kreditadvarsler"] {
                assert!(!q.query.contains(inferred), "{inferred} {sector:?}");
            }
            assert!(!q.query.contains("boern"));
        }
        // Several numbers need an answer that says which person is which.
        let two = numbers(&["0707610123", "1203750168"]);
        let err = build_lookup_query(SectorType::Private, &two, &QueryOptions::default()).unwrap_err();
        assert_eq!(err.code(), "batch_not_supported");
        let live = given(&PRIVATE_SECTOR_SDL.replace("  id: ID\n", ""), SectorType::Private);
        let q = build_lookup_query(SectorType::Private, &two, &QueryOptions { dialect: Some(&live), ..Default::default() }).unwrap();
        assert!(q.query.contains("personnumre {\n"));
        assert!(q.query.contains("stillinger {\n        stilling\n"), "{}", q.query);
    }

    /// The fields a query text selects under `nodes`, as dotted paths, read from the text itself.
    fn selected_paths(query: &str) -> Vec<String> {
        let mut stack: Vec<&str> = Vec::new();
        let mut paths = Vec::new();
        for line in query.lines().map(str::trim) {
            let (name, opens) = match line.strip_suffix(" {") {
                Some(name) => (name, true),
                None => (line, false),
            };
            if line == "}" {
                stack.pop();
                continue;
            }
            if let Some(at) = stack.iter().position(|s| *s == "nodes") {
                let mut path: Vec<&str> = stack.get(at + 1..).unwrap_or_default().to_vec();
                path.push(name);
                paths.push(path.join("."));
            }
            if opens {
                stack.push(name);
            }
        }
        paths
    }

    #[test]
    fn the_bundled_private_query_text_selects_only_evidenced_fields() {
        let evidenced = crate::schema::tests::EVIDENCED_PRIVATE_FIELDS;
        let n = numbers(&["0707610123"]);
        let all = FieldGroup::ALL;
        for fields in [None, Some(&all[..])] {
            let q = build_lookup_query(SectorType::Private, &n, &QueryOptions { fields, ..Default::default() }).unwrap();
            let mut selected = selected_paths(&q.query);
            selected.sort();
            let mut expected: Vec<String> = evidenced.iter().map(|s| s.to_string()).collect();
            expected.sort();
            assert_eq!(selected, expected, "{}", q.query);
        }
        // A live schema with the same text selects the inferred fields too, and only ones it has.
        let live = given(PRIVATE_SECTOR_SDL, SectorType::Private);
        let q = build_lookup_query(SectorType::Private, &n, &QueryOptions { dialect: Some(&live), ..Default::default() }).unwrap();
        let selected = selected_paths(&q.query);
        for inferred in ["personnumre.personnummer", "stillinger.stilling", "kreditadvarsler.virkningfra", "civilstande.civilstandstype", "vaergemaal.vaergenavn"] {
            assert!(selected.iter().any(|p| p == inferred), "{inferred}");
        }
        let without = PRIVATE_SECTOR_SDL.replace("  stillinger: [Stilling!]\n", "");
        let live = given(&without, SectorType::Private);
        let q = build_lookup_query(SectorType::Private, &n, &QueryOptions { dialect: Some(&live), ..Default::default() }).unwrap();
        assert!(!selected_paths(&q.query).iter().any(|p| p.starts_with("stillinger")));
        assert!(q.warnings.is_empty(), "{:?}", q.warnings);
    }

    #[test]
    fn relations_select_nested_protections() {
        let n = numbers(&["1908801179"]);
        let fields = [FieldGroup::Relations];
        let q = build_lookup_query(SectorType::Public, &n, &QueryOptions { fields: Some(&fields), ..Default::default() }).unwrap();
        assert!(q.warnings.is_empty());
        assert_eq!(q.query.matches("beskyttelser {").count(), 3, "{}", q.query);
        assert!(q.query.contains("      boern {\n        virkningfra\n        barn {\n          personnummer\n          beskyttelser {\n"));
        assert!(!q.query.contains("navne {"));
        let q = build_lookup_query(SectorType::Private, &n, &QueryOptions { fields: Some(&fields), ..Default::default() }).unwrap();
        assert_eq!(q.warnings.iter().map(|w| w.code.as_str()).collect::<Vec<_>>(), ["group_not_available"]);
        assert!(!q.query.contains("boern"));
    }

    #[test]
    fn a_given_schema_changes_the_query() {
        let n = numbers(&["0707610123"]);
        let sdl = PRIVATE_SECTOR_SDL.replace("  mellemnavn: String\n", "").replace(
            "CPRCustom_PrivateSectorPerson(input: CPRCustom_PrivateSectorPersonInput!)",
            "CPRCustom_PrivateSectorPerson(where: CPRCustom_PrivateSectorPersonInput)",
        );
        let dialect = given(&sdl, SectorType::Private);
        let with_dialect = QueryOptions { dialect: Some(&dialect), ..Default::default() };
        let q = build_lookup_query(SectorType::Private, &n, &with_dialect).unwrap();
        assert!(q.query.contains("CPRCustom_PrivateSectorPerson(where: {personnummer: {personnummer: {in: $cprNumbers}}})"));
        assert!(!q.query.contains("mellemnavn"));
        assert_eq!(q.warnings.len(), 1);
        assert_eq!((q.warnings[0].code.as_str(), q.warnings[0].field.as_str()), ("field_missing", "navne.mellemnavn"));
        // Rendered once per dialect: the same dialect gives the very same text.
        let again = build_lookup_query(SectorType::Private, &n, &with_dialect).unwrap();
        assert_eq!(again, q);
        assert!(Arc::ptr_eq(again.rendered.as_ref().unwrap(), q.rendered.as_ref().unwrap()));
        // Another dialect of the same text is another dialect: its text is its own.
        let other = given(&sdl, SectorType::Private);
        let from_other = build_lookup_query(SectorType::Private, &n, &QueryOptions { dialect: Some(&other), ..Default::default() }).unwrap();
        assert_eq!(from_other, q);
        assert!(!Arc::ptr_eq(from_other.rendered.as_ref().unwrap(), q.rendered.as_ref().unwrap()));

        let no_protections = PUBLIC_SECTOR_SDL.replace("  beskyttelser: [Beskyttelse!]!\n  navne:", "  navne:");
        let err = build_lookup_query(SectorType::Public, &n, &QueryOptions { dialect: Some(&given(&no_protections, SectorType::Public)), ..Default::default() })
            .unwrap_err();
        assert_eq!(err.code(), "required_field_missing");

        let eq_only = PUBLIC_SECTOR_SDL.replace("  in: [String!]\n", "");
        let eq_only_dialect = given(&eq_only, SectorType::Public);
        let q = build_lookup_query(SectorType::Public, &n, &QueryOptions { dialect: Some(&eq_only_dialect), ..Default::default() }).unwrap();
        assert!(q.query.starts_with("query CprPersonLookup($cprNumber: String!)"));
        assert_eq!(q.variables["cprNumber"], "0707610123");
        assert_eq!(q.warnings[0].code, "filter_eq_only");
        let two = numbers(&["0707610123", "1203750168"]);
        let err = build_lookup_query(SectorType::Public, &two, &QueryOptions { dialect: Some(&eq_only_dialect), ..Default::default() })
            .unwrap_err();
        assert_eq!(err.code(), "batch_not_supported");
    }

    #[test]
    fn body_is_the_query_as_json_whether_cached_or_not() {
        let expected = |q: &LookupQuery| {
            json!({"operationName": q.operation_name, "query": q.query, "variables": q.variables})
        };
        let numbers = [CprNumber::parse("0707610123").unwrap(), CprNumber::parse("1203750168").unwrap()];
        let mut q = build_lookup_query(SectorType::Public, &numbers, &QueryOptions::default()).unwrap();
        assert!(q.rendered.is_some());
        assert_eq!(serde_json::from_str::<Value>(&q.body()).unwrap(), expected(&q));
        // A caller may edit the public fields: the body follows them, not the cache.
        q.query = q.query.replace("nodes", "nodes \"quoted\"");
        q.operation_name = "Other".into();
        assert_eq!(serde_json::from_str::<Value>(&q.body()).unwrap(), expected(&q));
        let read_back: LookupQuery = serde_json::from_value(serde_json::to_value(&q).unwrap()).unwrap();
        assert!(read_back.rendered.is_none());
        assert_eq!(serde_json::from_str::<Value>(&read_back.body()).unwrap(), expected(&q));
    }


}
