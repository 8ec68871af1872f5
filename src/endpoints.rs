//! Endpoint resolution: from a setup to the URLs the library calls, each with its provenance.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::code::ErrorCode;
use crate::environment::{api_version_provenance, AuthMethod, Environment, Provenance, SectorType, API_VERSIONS, AUTO_API_VERSION, TOKEN_PATH};
use crate::error::CprError;
use crate::setup::{read_setup, Setup};

/// Where each resolved URL comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct EndpointProvenance {
    pub graphql_url: Provenance,
    pub schema_url: Provenance,
    pub token_url: Provenance,
    pub portal_url: Provenance,
}

/// One GraphQL endpoint the client may call: with `apiVersion: "auto"` one per known version,
/// newest first; otherwise the one the setup names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct EndpointCandidate {
    /// The version in the URL; absent when a `graphqlUrl` override fixes the URL under `auto`
    /// (the version is then whatever that URL serves).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub api_version: Option<String>,
    pub graphql_url: String,
    pub schema_url: String,
    /// Of the GraphQL URL: the host's and the version's, the less certain of the two.
    pub provenance: Provenance,
}

/// The URLs and names a setup resolves to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct ResolvedEndpoints {
    pub environment: Environment,
    /// The environment's name as administrators know it, e.g. "Test 04".
    pub environment_label: String,
    pub sector_type: SectorType,
    pub auth_method: AuthMethod,
    pub graphql_url: String,
    pub schema_url: String,
    /// The token endpoint of the chosen authentication method.
    pub token_url: String,
    pub portal_url: String,
    /// The service to request access to in Datafordeler Administration.
    pub service: String,
    /// The GraphQL root field / entity.
    pub entity: String,
    /// The setup's API version: `auto` or the version it names.
    pub api_version: String,
    /// True when the client negotiates the version on first use (`auto` without a `graphqlUrl`
    /// or `schemaUrl` override): `graphqlUrl` and `schemaUrl` are then only the first of the
    /// `candidates`, tried in order; a 404 moves on to the next.
    pub negotiate: bool,
    /// The endpoints the client may call, in the order it tries them.
    pub candidates: Vec<EndpointCandidate>,
    pub provenance: EndpointProvenance,
}

/// Resolve a setup given as JSON. Only the fields endpoints depend on must be valid
/// (environment, sector type, authentication method, API version, overrides), so the setup
/// page can show URLs while the administrator is still typing credentials.
///
/// ```
/// use datafordeler_cpr::endpoints::resolve_endpoints;
/// use serde_json::json;
/// let e = resolve_endpoints(&json!({"environment": "production", "sectorType": "private", "authMethod": "certificate"})).unwrap();
/// // The default API version is `auto`: v3 (inferred) is tried first, then v2 and v1.
/// assert!(e.negotiate);
/// assert_eq!(e.graphql_url, "https://graphql.datafordeler.dk/CPR/custom/PrivateSector/v3");
/// assert_eq!(e.candidates[1].graphql_url, "https://graphql.datafordeler.dk/CPR/custom/PrivateSector/v2");
/// assert_eq!(e.token_url, "https://auth-oces.datafordeler.dk/realms/distribution/protocol/openid-connect/token");
/// ```
pub fn resolve_endpoints(input: &Value) -> Result<ResolvedEndpoints, CprError> {
    let (setup, issues) = read_setup(input);
    const RELEVANT: [&str; 4] = ["environment", "sectorType", "authMethod", "apiVersion"];
    if let Some(issue) = issues
        .iter()
        .find(|i| i.is_error() && (RELEVANT.contains(&i.field.as_str()) || i.field.starts_with("endpoints") || i.code == ErrorCode::SetupNotObject))
    {
        return Err(CprError::InvalidSetup {
            field: issue.field.clone(),
            code: issue.code,
            message: issue.message.clone(),
        });
    }
    resolve(&setup)
}

/// Resolve an already read setup.
pub fn resolve(setup: &Setup) -> Result<ResolvedEndpoints, CprError> {
    let missing = |field: &str| CprError::InvalidSetup {
        field: field.to_string(),
        code: ErrorCode::Required,
        message: format!("{} is required to resolve endpoints.", crate::setup::field(field).map(|f| f.label).unwrap_or(field)),
    };
    let environment = setup.environment.ok_or_else(|| missing("environment"))?;
    let sector = setup.sector_type.ok_or_else(|| missing("sectorType"))?;
    let auth = setup.auth_method.ok_or_else(|| missing("authMethod"))?;
    let version = setup.api_version.clone().ok_or_else(|| missing("apiVersion"))?;
    let entry = environment.entry();
    let overrides = &setup.endpoints;

    let auto = version == AUTO_API_VERSION;
    // A fixed URL is not negotiated: the administrator said where the service is.
    let negotiate = auto && overrides.graphql_url.is_none() && overrides.schema_url.is_none();
    let versions: Vec<&str> = match (auto, negotiate) {
        (false, _) => vec![version.as_str()],
        (true, true) => API_VERSIONS.iter().map(|v| v.version).collect(),
        // `auto` with a fixed URL: the GraphQL URL of a `graphqlBaseUrl` needs a version; the
        // newest documented one (a fixed schema URL says nothing about which version it is).
        (true, false) => vec![API_VERSIONS.iter().find(|v| v.provenance == Provenance::Verified).map_or("v2", |v| v.version)],
    };
    let candidates: Vec<EndpointCandidate> = versions
        .into_iter()
        .map(|v| {
            let graphql_path = format!("/CPR/custom/{}/{v}", sector.path_segment());
            let (graphql_url, provenance, api_version) = match (&overrides.graphql_url, &overrides.graphql_base_url) {
                (Some(url), _) => (url.clone(), Provenance::Override, (!auto).then(|| v.to_string())),
                (None, Some(base)) => (format!("{base}{graphql_path}"), Provenance::Override, Some(v.to_string())),
                (None, None) => (
                    format!("https://{}{graphql_path}", entry.graphql_host.value),
                    entry.graphql_host.provenance.max(api_version_provenance(v)),
                    Some(v.to_string()),
                ),
            };
            let schema_url = overrides.schema_url.clone().unwrap_or_else(|| format!("{graphql_url}/schema"));
            EndpointCandidate { api_version, graphql_url, schema_url, provenance }
        })
        .collect();
    let first = candidates.first().cloned().unwrap_or(EndpointCandidate {
        api_version: None,
        graphql_url: String::new(),
        schema_url: String::new(),
        provenance: Provenance::Inferred,
    });
    let (graphql_url, graphql_provenance) = (first.graphql_url, first.provenance);
    let (schema_url, schema_provenance) = match &overrides.schema_url {
        Some(_) => (first.schema_url, Provenance::Override),
        None => (first.schema_url, graphql_provenance),
    };
    let (token_override, token_host) = match auth {
        AuthMethod::SharedSecret => (&overrides.shared_secret_token_url, entry.shared_secret_token_host),
        AuthMethod::Certificate => (&overrides.certificate_token_url, entry.certificate_token_host),
    };
    let (token_url, token_provenance) = match token_override {
        Some(url) => (url.clone(), Provenance::Override),
        None => (format!("https://{}{TOKEN_PATH}", token_host.value), token_host.provenance),
    };
    let (portal_url, portal_provenance) = match &overrides.portal_url {
        Some(url) => (url.clone(), Provenance::Override),
        None => (format!("https://{}/", entry.portal_host.value), entry.portal_host.provenance),
    };
    Ok(ResolvedEndpoints {
        environment,
        environment_label: entry.label.to_string(),
        sector_type: sector,
        auth_method: auth,
        graphql_url,
        schema_url,
        token_url,
        portal_url,
        service: sector.service().to_string(),
        entity: sector.entity().to_string(),
        api_version: version,
        negotiate,
        candidates,
        provenance: EndpointProvenance {
            graphql_url: graphql_provenance,
            schema_url: schema_provenance,
            token_url: token_provenance,
            portal_url: portal_provenance,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::environment::ENVIRONMENTS;
    use serde_json::json;

    fn setup(env: &str, sector: &str, auth: &str) -> Value {
        json!({"environment": env, "sectorType": sector, "authMethod": auth, "apiVersion": "v2"})
    }

    #[test]
    fn auto_lists_every_known_version_newest_first_with_its_provenance() {
        let mut s = setup("production", "private", "sharedSecret");
        s["apiVersion"] = json!("auto");
        let auto = resolve_endpoints(&s).unwrap();
        let mut defaulted = s.clone();
        defaulted.as_object_mut().unwrap().remove("apiVersion");
        assert_eq!(resolve_endpoints(&defaulted).unwrap(), auto, "auto is the default");
        assert!(auto.negotiate);
        assert_eq!(auto.api_version, "auto");
        let seen: Vec<(Option<&str>, &str, Provenance)> =
            auto.candidates.iter().map(|c| (c.api_version.as_deref(), c.graphql_url.as_str(), c.provenance)).collect();
        assert_eq!(
            seen,
            [
                (Some("v3"), "https://graphql.datafordeler.dk/CPR/custom/PrivateSector/v3", Provenance::Inferred),
                (Some("v2"), "https://graphql.datafordeler.dk/CPR/custom/PrivateSector/v2", Provenance::Verified),
                (Some("v1"), "https://graphql.datafordeler.dk/CPR/custom/PrivateSector/v1", Provenance::Verified),
            ]
        );
        assert_eq!(auto.graphql_url, auto.candidates[0].graphql_url);
        assert_eq!(auto.candidates[1].schema_url, "https://graphql.datafordeler.dk/CPR/custom/PrivateSector/v2/schema");
        // A base URL keeps negotiating; a fixed GraphQL or schema URL does not.
        s["endpoints"] = json!({"graphqlBaseUrl": "http://127.0.0.1:8787"});
        let based = resolve_endpoints(&s).unwrap();
        assert!(based.negotiate && based.candidates.len() == 3);
        assert_eq!(based.candidates[2].graphql_url, "http://127.0.0.1:8787/CPR/custom/PrivateSector/v1");
        s["endpoints"] = json!({"graphqlUrl": "https://relay.example.dk/cpr"});
        let fixed = resolve_endpoints(&s).unwrap();
        assert!(!fixed.negotiate);
        assert_eq!(fixed.candidates.len(), 1);
        assert_eq!((fixed.candidates[0].api_version.as_deref(), fixed.graphql_url.as_str()), (None, "https://relay.example.dk/cpr"));
        s["endpoints"] = json!({"graphqlBaseUrl": "http://127.0.0.1:8787", "schemaUrl": "http://127.0.0.1:8787/sdl"});
        let fixed = resolve_endpoints(&s).unwrap();
        assert!(!fixed.negotiate);
        assert_eq!(fixed.graphql_url, "http://127.0.0.1:8787/CPR/custom/PrivateSector/v2");
        assert_eq!(fixed.provenance.schema_url, Provenance::Override);
    }

    #[test]
    fn every_environment_sector_and_method_resolves_from_the_table() {
        for entry in ENVIRONMENTS {
            for (sector, segment, service, entity) in [
                ("private", "PrivateSector", "CustomPrivateSectorPerson", "CPRCustom_PrivateSectorPerson"),
                ("public", "PublicSector", "CustomPublicSectorPerson", "CPRCustom_PublicSectorPerson"),
            ] {
                for (auth, host) in [("sharedSecret", entry.shared_secret_token_host), ("certificate", entry.certificate_token_host)] {
                    let e = resolve_endpoints(&setup(entry.key, sector, auth)).unwrap();
                    let graphql = format!("https://{}/CPR/custom/{segment}/v2", entry.graphql_host.value);
                    assert_eq!(e.graphql_url, graphql);
                    assert_eq!(e.schema_url, format!("{graphql}/schema"));
                    assert_eq!(e.token_url, format!("https://{}/realms/distribution/protocol/openid-connect/token", host.value));
                    assert_eq!(e.portal_url, format!("https://{}/", entry.portal_host.value));
                    assert_eq!((e.service.as_str(), e.entity.as_str()), (service, entity));
                    assert_eq!(e.provenance.token_url, host.provenance);
                    assert_eq!(e.environment_label, entry.label);
                }
            }
        }
    }

    #[test]
    fn real_hosts() {
        let e = resolve_endpoints(&setup("production", "public", "sharedSecret")).unwrap();
        assert_eq!(e.graphql_url, "https://graphql.datafordeler.dk/CPR/custom/PublicSector/v2");
        assert_eq!(e.token_url, "https://auth.datafordeler.dk/realms/distribution/protocol/openid-connect/token");
        assert_eq!(e.provenance.graphql_url, Provenance::Verified);
        let e = resolve_endpoints(&setup("test04", "private", "sharedSecret")).unwrap();
        assert_eq!(e.graphql_url, "https://test04-graphql.datafordeler.dk/CPR/custom/PrivateSector/v2");
        assert_eq!(e.provenance.graphql_url, Provenance::Inferred);
    }

    #[test]
    fn api_version_is_configurable_and_v3_is_marked_inferred() {
        let mut s = setup("production", "private", "sharedSecret");
        s["apiVersion"] = json!("v3");
        let e = resolve_endpoints(&s).unwrap();
        assert!(e.graphql_url.ends_with("/PrivateSector/v3"));
        assert_eq!(e.provenance.graphql_url, Provenance::Inferred);
        assert!(!e.negotiate && e.candidates.len() == 1, "an explicit version is used as given");
        s["apiVersion"] = json!("latest");
        let err = resolve_endpoints(&s).unwrap_err();
        assert_eq!(err.code(), "invalid_api_version");
    }

    #[test]
    fn overrides_win() {
        let mut s = setup("test04", "public", "certificate");
        s["endpoints"] = json!({
            "graphqlBaseUrl": "http://127.0.0.1:8787/",
            "certificateTokenUrl": "https://127.0.0.1:8788/realms/distribution/protocol/openid-connect/token",
        });
        let e = resolve_endpoints(&s).unwrap();
        assert_eq!(e.graphql_url, "http://127.0.0.1:8787/CPR/custom/PublicSector/v2");
        assert_eq!(e.schema_url, "http://127.0.0.1:8787/CPR/custom/PublicSector/v2/schema");
        assert_eq!(e.token_url, "https://127.0.0.1:8788/realms/distribution/protocol/openid-connect/token");
        assert_eq!(e.provenance.graphql_url, Provenance::Override);
        assert_eq!(e.provenance.token_url, Provenance::Override);
        assert_eq!(e.provenance.portal_url, Provenance::Observed);
        s["endpoints"] = json!({"graphqlUrl": "https://relay.example.dk/cpr", "graphqlBaseUrl": "https://ignored.example.dk"});
        let e = resolve_endpoints(&s).unwrap();
        assert_eq!(e.graphql_url, "https://relay.example.dk/cpr");
        assert_eq!(e.schema_url, "https://relay.example.dk/cpr/schema");
    }

    #[test]
    fn invalid_setups_fail_with_a_code() {
        let cases = [
            (json!(null), "setup_not_object"),
            (json!({"sectorType": "private", "authMethod": "sharedSecret"}), "required"),
            (json!({"environment": "prod", "sectorType": "private", "authMethod": "sharedSecret"}), "unknown_value"),
            (json!({"environment": "test04", "sectorType": 7, "authMethod": "sharedSecret"}), "wrong_type"),
            (
                json!({"environment": "test04", "sectorType": "private", "authMethod": "sharedSecret",
                       "endpoints": {"graphqlBaseUrl": "http://relay.example.dk"}}),
                "insecure_url",
            ),
        ];
        for (input, code) in cases {
            assert_eq!(resolve_endpoints(&input).unwrap_err().code(), code, "{input}");
        }
        // Credentials are not needed to resolve.
        assert!(resolve_endpoints(&setup("test04", "private", "sharedSecret")).is_ok());
    }
}
