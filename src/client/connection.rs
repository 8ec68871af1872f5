//! "Test connection": the steps from a setup to an authorised CPR query, each passed, failed
//! with its diagnosis, or skipped because an earlier one failed. It answers the setup guide's
//! troubleshooting table without the administrator reading HTTP traces.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::debug::Recorder;
use super::service::{SchemaSource, Service};
use super::{Client, ClientError, Host};
use crate::cpr::CprNumber;
use crate::diagnosis::{diagnose, Diagnosis, DiagnosisCode, Failure, Stage};
use crate::issue::Issue;
use crate::query::{build_lookup_query, QueryOptions};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub enum StepName {
    SetupValid,
    EndpointsResolved,
    TokenObtained,
    GraphqlReachable,
    EntityAuthorised,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "lowercase")]
pub enum StepStatus {
    Passed,
    Failed,
    Skipped,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct Step {
    pub step: StepName,
    pub status: StepStatus,
    /// What was checked, or what went wrong, in words for an administrator.
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub diagnosis: Option<Diagnosis>,
    /// Setup issues (first step only).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub issues: Vec<Issue>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct ConnectionReport {
    pub ok: bool,
    pub steps: Vec<Step>,
    /// The API version that answered (with `apiVersion: "auto"`, the one negotiated); absent
    /// when no version answered, or a fixed `graphqlUrl` does not say.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub api_version: Option<String>,
    /// Where the schema the queries follow comes from, once the service answered.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub schema: Option<SchemaSource>,
    /// What lookups will also say: a version fallback, a schema that could not be fetched.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub notifications: Vec<Issue>,
}

/// A number for the probe when the schema filters by `eq` (one number) rather than `in`
/// (an empty list, which looks nobody up): 1 January 1901, sequence 0000.
const PROBE_NUMBER: &str = "0101010000";

struct Steps(Vec<Step>);

impl Steps {
    fn pass(&mut self, step: StepName, message: String) {
        self.0.push(Step { step, status: StepStatus::Passed, message, diagnosis: None, issues: vec![] });
    }
    fn fail(&mut self, step: StepName, diagnosis: Diagnosis) {
        let message = format!("{} {}", diagnosis.title, diagnosis.solution);
        self.0.push(Step { step, status: StepStatus::Failed, message, diagnosis: Some(diagnosis), issues: vec![] });
    }
    fn finish_with(self, service: &Service) -> ConnectionReport {
        let mut report = self.finish();
        report.api_version = service.api_version.clone();
        report.schema = Some(service.schema);
        report.notifications = service.notices.clone();
        report
    }
    fn finish(mut self) -> ConnectionReport {
        use StepName::*;
        for step in [SetupValid, EndpointsResolved, TokenObtained, GraphqlReachable, EntityAuthorised] {
            if !self.0.iter().any(|s| s.step == step) {
                self.0.push(Step { step, status: StepStatus::Skipped, message: "Not tried: an earlier step failed.".into(), diagnosis: None, issues: vec![] });
            }
        }
        let ok = self.0.iter().all(|s| s.status == StepStatus::Passed);
        ConnectionReport { ok, steps: self.0, api_version: None, schema: None, notifications: vec![] }
    }
}

/// A failed step's diagnosis, sealed like every error the client hands back.
fn failed_diagnosis(client: &Client, error: ClientError) -> Diagnosis {
    match client.seal(error) {
        ClientError::Failed(d) => *d,
        ClientError::Invalid(e) => {
            let mut d = Diagnosis::from_code(DiagnosisCode::UnexpectedStatus);
            d.detail = Some(e.to_string());
            d
        }
    }
}

impl Client {
    /// Run the connection test.
    pub async fn test_connection<H: Host>(&self, host: &H, recorder: &Recorder) -> ConnectionReport {
        let setup_issues = self.setup_issues.clone();
        let mut steps = Steps(Vec::new());
        let errors = setup_issues.iter().filter(|i| i.is_error()).count();
        let setup_step = Step {
            step: StepName::SetupValid,
            status: if errors == 0 { StepStatus::Passed } else { StepStatus::Failed },
            message: match errors {
                0 => "The setup is complete.".to_string(),
                n => format!("{n} setting(s) to fix before connecting."),
            },
            diagnosis: None,
            issues: setup_issues,
        };
        steps.0.push(setup_step);
        if errors > 0 {
            return steps.finish();
        }
        let e = &self.endpoints;
        let versions: Vec<&str> = e.candidates.iter().filter_map(|c| c.api_version.as_deref()).collect();
        let graphql = match e.negotiate {
            true => format!("GraphQL at {} (the first of versions {} to try)", e.graphql_url, versions.join(", ")),
            false => format!("GraphQL at {}", e.graphql_url),
        };
        steps.pass(StepName::EndpointsResolved, format!("{} ({}): token from {}, {graphql}.", e.environment_label, e.service, e.token_url));
        if let Err(error) = self.token(host, recorder).await {
            steps.fail(StepName::TokenObtained, failed_diagnosis(self, error));
            return steps.finish();
        }
        steps.pass(StepName::TokenObtained, "Datafordeleren issued an access token for the Client ID.".into());

        let service = match self.service(host, recorder).await {
            Ok(service) => service,
            Err(error) => {
                steps.fail(StepName::GraphqlReachable, failed_diagnosis(self, error));
                return steps.finish();
            }
        };
        let answered = match &service.api_version {
            Some(version) => format!(", answered by {version}"),
            None => String::new(),
        };
        if let Some(step) = steps.0.iter_mut().find(|s| s.step == StepName::EndpointsResolved) {
            step.message = format!("{} ({}): token from {}, GraphQL at {}{answered}.", e.environment_label, e.service, e.token_url, service.graphql_url);
        }
        let body = match self.probe_body(service.dialect.as_deref()) {
            Ok(body) => body,
            Err(error) => {
                steps.fail(StepName::GraphqlReachable, failed_diagnosis(self, error));
                return steps.finish_with(&service);
            }
        };
        let response = match self.graphql(host, recorder, &service.graphql_url, body).await {
            Ok(response) => response,
            Err(error) => {
                steps.fail(StepName::GraphqlReachable, failed_diagnosis(self, error));
                return steps.finish_with(&service);
            }
        };
        steps.pass(StepName::GraphqlReachable, format!("The GraphQL service answered (HTTP {}).", response.status));
        let entitlement = diagnose(&Failure {
            stage: Some(Stage::Graphql),
            status: Some(response.status),
            headers: response.headers.clone(),
            body: Some(response.body.clone()),
            transport_error: None,
        });
        let has_data = serde_json::from_str::<Value>(&response.body)
            .ok()
            .and_then(|v| v.get("data").and_then(|d| d.get(&e.entity)).map(|entity| !entity.is_null()))
            .unwrap_or(false);
        if entitlement.code == DiagnosisCode::NoFailure && has_data {
            steps.pass(StepName::EntityAuthorised, format!("The IT-system may query {} ({}).", e.entity, e.service));
        } else {
            steps.fail(StepName::EntityAuthorised, failed_diagnosis(self, ClientError::Failed(Box::new(entitlement))));
        }
        steps.finish_with(&service)
    }

    /// A query of the entity that looks nobody up: enough to show access without a (paid) lookup.
    /// Also the version probe when no schema is fetched.
    pub(crate) fn probe_body(&self, dialect: Option<&crate::schema::Dialect>) -> Result<String, ClientError> {
        let probe = CprNumber::parse(PROBE_NUMBER).map_err(|_| ClientError::from_code(DiagnosisCode::UnexpectedStatus))?;
        let options = QueryOptions { dialect, ..QueryOptions::default() };
        let mut query = build_lookup_query(self.endpoints.sector_type, &[probe], &options)?;
        query.operation_name = "CprConnectionTest".to_string();
        query.query = query.query.replacen("CprPersonLookup", "CprConnectionTest", 1);
        if let Some(list) = query.variables.get_mut("cprNumbers") {
            *list = Value::Array(vec![]);
        }
        Ok(query.body())
    }
}
