//! The environment table: Datafordeleren's environments and their hosts, each with where we
//! know it from. This is the only place these facts live; validation, endpoint resolution,
//! the setup page and the docs all read [`ENVIRONMENTS`].

use serde::{Deserialize, Serialize};

/// Datafordeleren environments an administrator can choose ("CPR Environment").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    Production,
    Test03,
    Test04,
    Test06,
}

/// "CPR Sector Type": which custom entity the IT-system was granted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "lowercase")]
pub enum SectorType {
    Private,
    Public,
}

/// "CPR Authentication Method".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub enum AuthMethod {
    SharedSecret,
    Certificate,
}

/// How sure we are of a value. Ordered from most to least certain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "lowercase")]
pub enum Provenance {
    /// Stated by Datafordeleren's or CPR's own documentation.
    Verified,
    /// Seen working in other integrators' public code or guides, not promised by the provider.
    Observed,
    /// Guessed from a naming pattern; check it before relying on it.
    Inferred,
    /// Given by the setup's `endpoints` overrides.
    Override,
}

/// A value with where it comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sourced {
    pub value: &'static str,
    pub provenance: Provenance,
    pub source: &'static str,
}

const fn sourced(value: &'static str, provenance: Provenance, source: &'static str) -> Sourced {
    Sourced { value, provenance, source }
}

/// One row of the environment table.
#[derive(Debug, Clone, Copy)]
pub struct EnvironmentEntry {
    pub environment: Environment,
    /// The name administrators know from the portal and the setup guide.
    pub label: &'static str,
    pub key: &'static str,
    pub portal_host: Sourced,
    pub graphql_host: Sourced,
    pub shared_secret_token_host: Sourced,
    pub certificate_token_host: Sourced,
    /// How much CPR test data the environment holds, as far as the official test page says.
    pub cpr_test_data: CprTestData,
}

/// CPR test data in an environment. Datafordeleren's test page says Test03 holds test data from
/// the registers, CPR among them, though Test03 is meant for the registers' own tests; CPR's
/// test-data page names Test04; nothing public mentions CPR test data in Test06.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub enum CprTestData {
    /// Where CPR's test persons are kept: the environment to test lookups in.
    Main,
    /// Some CPR test data, but the environment serves other purposes first.
    Some,
    /// None known (production holds real persons, not test data).
    None,
}

use Provenance::{Inferred, Observed, Verified};

const SETUP_GUIDE: &str = "ERP setup guide for Datafordeleren (portal host names)";
const TEST_PREFIX_PATTERN: &str = "pattern test0N-<service>.datafordeler.dk seen on other test hosts";

/// Every environment, in the order administrators see them.
pub const ENVIRONMENTS: &[EnvironmentEntry] = &[
    EnvironmentEntry {
        environment: Environment::Production,
        label: "Production",
        key: "production",
        portal_host: sourced("portal.datafordeler.dk", Observed, SETUP_GUIDE),
        graphql_host: sourced("graphql.datafordeler.dk", Verified, "Datafordeleren's CPR GraphQL page"),
        shared_secret_token_host: sourced("auth.datafordeler.dk", Observed, "used by many public Datafordeleren clients"),
        certificate_token_host: sourced("auth-oces.datafordeler.dk", Observed, "working public-sector client code"),
        cpr_test_data: CprTestData::None,
    },
    EnvironmentEntry {
        environment: Environment::Test03,
        label: "Test 03",
        key: "test03",
        portal_host: sourced("test03-portal.datafordeler.dk", Observed, SETUP_GUIDE),
        graphql_host: sourced("test03-graphql.datafordeler.dk", Inferred, TEST_PREFIX_PATTERN),
        shared_secret_token_host: sourced("test03-auth.datafordeler.dk", Inferred, TEST_PREFIX_PATTERN),
        certificate_token_host: sourced("test03-auth-oces.datafordeler.dk", Inferred, TEST_PREFIX_PATTERN),
        cpr_test_data: CprTestData::Some,
    },
    EnvironmentEntry {
        environment: Environment::Test04,
        label: "Test 04",
        key: "test04",
        portal_host: sourced("test04-portal.datafordeler.dk", Observed, SETUP_GUIDE),
        graphql_host: sourced("test04-graphql.datafordeler.dk", Inferred, TEST_PREFIX_PATTERN),
        shared_secret_token_host: sourced("test04-auth.datafordeler.dk", Inferred, TEST_PREFIX_PATTERN),
        certificate_token_host: sourced("test04-auth-oces.datafordeler.dk", Inferred, TEST_PREFIX_PATTERN),
        cpr_test_data: CprTestData::Main,
    },
    EnvironmentEntry {
        environment: Environment::Test06,
        label: "Test 06",
        key: "test06",
        portal_host: sourced("test06-portal.datafordeler.dk", Observed, SETUP_GUIDE),
        graphql_host: sourced("test06-graphql.datafordeler.dk", Observed, "public Datafordeleren GraphQL cookbook"),
        shared_secret_token_host: sourced("test06-auth.datafordeler.dk", Inferred, TEST_PREFIX_PATTERN),
        certificate_token_host: sourced("test06-auth-oces.datafordeler.dk", Inferred, TEST_PREFIX_PATTERN),
        cpr_test_data: CprTestData::None,
    },
];

/// The Keycloak realm path of both token endpoints.
pub const TOKEN_PATH: &str = "/realms/distribution/protocol/openid-connect/token";

/// The API version used when the setup names none: the newest one whose URL Datafordeleren
/// documents. v3 was announced for 21 May 2026 but its URL is not documented; set
/// `apiVersion: "v3"` once it is confirmed in your environment.
pub const DEFAULT_API_VERSION: &str = "v2";

/// API versions whose URLs are documented by Datafordeleren.
pub const DOCUMENTED_API_VERSIONS: &[&str] = &["v1", "v2"];

impl Environment {
    pub fn entry(self) -> &'static EnvironmentEntry {
        // The table has a row for every variant (tested below); Production is a safe fallback.
        ENVIRONMENTS
            .iter()
            .find(|e| e.environment == self)
            .unwrap_or(&ENVIRONMENTS[0])
    }

    pub fn key(self) -> &'static str {
        self.entry().key
    }

    pub fn from_key(key: &str) -> Option<Environment> {
        ENVIRONMENTS.iter().find(|e| e.key == key).map(|e| e.environment)
    }
}

impl SectorType {
    pub const ALL: [SectorType; 2] = [SectorType::Private, SectorType::Public];

    pub fn key(self) -> &'static str {
        match self {
            SectorType::Private => "private",
            SectorType::Public => "public",
        }
    }

    /// The URL segment: `/CPR/custom/<segment>/<version>`.
    pub fn path_segment(self) -> &'static str {
        match self {
            SectorType::Private => "PrivateSector",
            SectorType::Public => "PublicSector",
        }
    }

    /// The service an IT-system requests access to in Datafordeler Administration.
    pub fn service(self) -> &'static str {
        match self {
            SectorType::Private => "CustomPrivateSectorPerson",
            SectorType::Public => "CustomPublicSectorPerson",
        }
    }

    /// The GraphQL root field / entity name.
    pub fn entity(self) -> &'static str {
        match self {
            SectorType::Private => "CPRCustom_PrivateSectorPerson",
            SectorType::Public => "CPRCustom_PublicSectorPerson",
        }
    }
}

impl AuthMethod {
    pub fn key(self) -> &'static str {
        match self {
            AuthMethod::SharedSecret => "sharedSecret",
            AuthMethod::Certificate => "certificate",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_environment_has_exactly_one_row() {
        for env in [Environment::Production, Environment::Test03, Environment::Test04, Environment::Test06] {
            assert_eq!(ENVIRONMENTS.iter().filter(|e| e.environment == env).count(), 1);
            assert_eq!(Environment::from_key(env.key()), Some(env));
            assert_eq!(serde_json::to_value(env).unwrap(), env.key());
        }
        assert_eq!(ENVIRONMENTS.iter().filter(|e| e.cpr_test_data == CprTestData::Main).count(), 1, "one place to test lookups in");
    }

    #[test]
    fn only_production_graphql_host_is_documented() {
        for e in ENVIRONMENTS {
            assert_eq!(e.graphql_host.provenance == Provenance::Verified, e.environment == Environment::Production);
            assert!(e.portal_host.value.ends_with("datafordeler.dk"));
        }
    }
}

/// A sourced value as hosts see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
pub struct SourcedValue {
    pub value: String,
    pub provenance: Provenance,
    pub source: String,
}

/// One environment as hosts see it (for a setup page's choices and its "where from" notes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct EnvironmentInfo {
    pub key: Environment,
    pub label: String,
    pub portal_host: SourcedValue,
    pub graphql_host: SourcedValue,
    pub shared_secret_token_host: SourcedValue,
    pub certificate_token_host: SourcedValue,
    pub cpr_test_data: CprTestData,
}

impl From<Sourced> for SourcedValue {
    fn from(s: Sourced) -> Self {
        SourcedValue { value: s.value.to_string(), provenance: s.provenance, source: s.source.to_string() }
    }
}

/// The environment table, for hosts.
pub fn environment_table() -> Vec<EnvironmentInfo> {
    ENVIRONMENTS
        .iter()
        .map(|e| EnvironmentInfo {
            key: e.environment,
            label: e.label.to_string(),
            portal_host: e.portal_host.into(),
            graphql_host: e.graphql_host.into(),
            shared_secret_token_host: e.shared_secret_token_host.into(),
            certificate_token_host: e.certificate_token_host.into(),
            cpr_test_data: e.cpr_test_data,
        })
        .collect()
}
