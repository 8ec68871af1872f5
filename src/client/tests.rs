//! The client over a scripted host: tokens, single flight, refresh, retries, cancellation and
//! debug captures, without a network or a clock.

use super::*;
use futures::executor::block_on;
use futures::future::join_all;
use serde_json::json;
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

const SECRET: &str = "Canary-Secret-0042";

/// Yield once so that concurrent operations interleave as they do on a JS event loop.
struct YieldOnce(bool);
impl Future for YieldOnce {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            Poll::Ready(())
        } else {
            self.0 = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

type Answer = Result<HttpResponse, TransportError>;

#[derive(Default)]
struct FakeHost {
    clock: Cell<f64>,
    cancelled: Cell<bool>,
    /// Scripted answers per purpose; when a script runs out, the default answer is used.
    scripts: RefCell<Vec<(Purpose, VecDeque<Answer>)>>,
    sent: RefCell<Vec<HttpRequest>>,
    sleeps: RefCell<Vec<u32>>,
    token_counter: Cell<u32>,
}

fn ok(body: &str) -> Answer {
    Ok(HttpResponse { status: 200, headers: vec![], body: body.to_string() })
}
fn status(status: u16, headers: &[(&str, &str)], body: &str) -> Answer {
    Ok(HttpResponse { status, headers: headers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(), body: body.to_string() })
}

impl FakeHost {
    fn script(&self, purpose: Purpose, answers: Vec<Answer>) {
        self.scripts.borrow_mut().push((purpose, answers.into()));
    }
    fn count(&self, purpose: Purpose) -> usize {
        self.sent.borrow().iter().filter(|r| r.purpose == purpose).count()
    }
    fn default_answer(&self, request: &HttpRequest) -> Answer {
        match request.purpose {
            Purpose::Token => {
                self.token_counter.set(self.token_counter.get() + 1);
                ok(&json!({"access_token": format!("token-{}", self.token_counter.get()), "expires_in": 300, "token_type": "Bearer"}).to_string())
            }
            Purpose::Graphql => ok(r#"{"data":{"CPRCustom_PrivateSectorPerson":{"nodes":[]}}}"#),
            Purpose::Schema => ok(crate::schema::default_sdl(crate::environment::SectorType::Private)),
            Purpose::Relay => status(404, &[], r#"{"code":"not_found"}"#),
        }
    }
}

impl Host for FakeHost {
    async fn send(&self, request: &HttpRequest, _timeout_ms: u32, _max: usize) -> Answer {
        YieldOnce(false).await;
        self.sent.borrow_mut().push(request.clone());
        let scripted = self
            .scripts
            .borrow_mut()
            .iter_mut()
            .find(|(p, answers)| *p == request.purpose && !answers.is_empty())
            .and_then(|(_, answers)| answers.pop_front());
        scripted.unwrap_or_else(|| self.default_answer(request))
    }
    fn now_ms(&self) -> f64 {
        self.clock.get()
    }
    async fn sleep(&self, ms: u32) {
        self.sleeps.borrow_mut().push(ms);
        self.clock.set(self.clock.get() + f64::from(ms));
    }
    fn random(&self) -> f64 {
        0.5
    }
    fn is_cancelled(&self) -> bool {
        self.cancelled.get()
    }
}

fn setup(extra: Value) -> Value {
    let mut s = json!({
        "enabled": true, "environment": "test04", "sectorType": "private", "authMethod": "sharedSecret",
        "clientId": "erp-client", "clientSecret": SECRET,
        "endpoints": {"graphqlBaseUrl": "http://127.0.0.1:1", "sharedSecretTokenUrl": "http://127.0.0.1:1/token"}
    });
    if let (Some(base), Some(extra)) = (s.as_object_mut(), extra.as_object()) {
        for (k, v) in extra {
            base.insert(k.clone(), v.clone());
        }
    }
    s
}

fn client(extra: Value) -> Client {
    Client::new(&setup(extra), ClientOptions::default()).unwrap()
}

fn graphql(client: &Client, host: &FakeHost) -> Result<HttpResponse, ClientError> {
    let recorder = client.begin(host).unwrap();
    block_on(client.graphql(host, &recorder, &client.endpoints.graphql_url, "{}".into()))
}

#[test]
fn the_token_request_is_a_client_credentials_form() {
    let (c, host) = (client(json!({})), FakeHost::default());
    graphql(&c, &host).unwrap();
    let sent = host.sent.borrow();
    let token = &sent[0];
    assert_eq!((token.purpose, token.method, token.url.as_str()), (Purpose::Token, "POST", "http://127.0.0.1:1/token"));
    assert_eq!(token.body.as_deref(), Some("grant_type=client_credentials&client_id=erp-client&client_secret=Canary-Secret-0042"));
    let call = &sent[1];
    assert!(call.headers.contains(&("authorization".into(), "Bearer token-1".into())));
    assert_eq!(call.url, "http://127.0.0.1:1/CPR/custom/PrivateSector/v3", "auto: the newest version first");
}

#[test]
fn the_certificate_method_sends_no_secret() {
    let c = Client::new(
        &json!({"enabled": true, "environment": "test04", "sectorType": "public", "authMethod": "certificate",
                "clientId": "cert-client", "certificate": "MIIB", "certificatePassword": "pw"}),
        ClientOptions::default(),
    )
    .unwrap();
    let host = FakeHost::default();
    graphql(&c, &host).unwrap();
    let sent = host.sent.borrow();
    assert_eq!(sent[0].body.as_deref(), Some("grant_type=client_credentials&client_id=cert-client"));
    assert_eq!(sent[0].url, "https://test04-auth-oces.datafordeler.dk/realms/distribution/protocol/openid-connect/token");
}

#[test]
fn tokens_are_cached_until_shortly_before_expiry() {
    let (c, host) = (client(json!({})), FakeHost::default());
    graphql(&c, &host).unwrap();
    graphql(&c, &host).unwrap();
    assert_eq!(host.count(Purpose::Token), 1);
    host.clock.set(239_000.0); // 300 s lifetime, 60 s margin
    graphql(&c, &host).unwrap();
    assert_eq!(host.count(Purpose::Token), 1);
    host.clock.set(240_000.0);
    graphql(&c, &host).unwrap();
    assert_eq!(host.count(Purpose::Token), 2);
}

#[test]
fn one_token_request_for_a_hundred_concurrent_lookups() {
    let (c, host) = (client(json!({})), FakeHost::default());
    let recorder = c.begin(&host).unwrap();
    let results = block_on(join_all((0..100).map(|_| c.graphql(&host, &recorder, &c.endpoints.graphql_url, "{}".into()))));
    assert!(results.iter().all(Result::is_ok));
    assert_eq!(host.count(Purpose::Token), 1);
    assert_eq!(host.count(Purpose::Graphql), 100);
}

#[test]
fn concurrent_waiters_share_a_failed_token_request() {
    let (c, host) = (client(json!({})), FakeHost::default());
    host.script(Purpose::Token, vec![status(401, &[], r#"{"error":"invalid_client"}"#)]);
    let recorder = c.begin(&host).unwrap();
    let results = block_on(join_all((0..20).map(|_| c.graphql(&host, &recorder, &c.endpoints.graphql_url, "{}".into()))));
    assert!(results.iter().all(|r| r.as_ref().err().map(ClientError::code) == Some(ErrorCode::Diagnosis(DiagnosisCode::TokenInvalidClient))));
    assert_eq!(host.count(Purpose::Token), 1, "no retry of a 401 and no stampede");
    // A later operation tries again.
    graphql(&c, &host).unwrap();
    assert_eq!(host.count(Purpose::Token), 2);
}

#[test]
fn an_invalid_token_is_replaced_once() {
    let (c, host) = (client(json!({})), FakeHost::default());
    let invalid = || status(401, &[("WWW-Authenticate", "Bearer error=\"invalid_token\"")], "");
    host.script(Purpose::Graphql, vec![invalid()]);
    assert!(graphql(&c, &host).is_ok());
    assert_eq!((host.count(Purpose::Token), host.count(Purpose::Graphql)), (2, 2));
    let last = host.sent.borrow().last().cloned().unwrap();
    assert!(last.headers.contains(&("authorization".into(), "Bearer token-2".into())));

    host.script(Purpose::Graphql, vec![invalid(), invalid()]);
    assert_eq!(graphql(&c, &host).unwrap_err().code(), "invalid_token");
    assert_eq!(host.count(Purpose::Token), 3, "only one refresh per request");
}

#[test]
fn retryable_failures_back_off_and_honour_retry_after() {
    let (c, host) = (client(json!({})), FakeHost::default());
    host.script(
        Purpose::Graphql,
        vec![status(503, &[("Retry-After", "2")], ""), status(500, &[], ""), Err(TransportError::new("read ECONNRESET"))],
    );
    assert!(graphql(&c, &host).is_ok());
    assert_eq!(host.count(Purpose::Graphql), 4);
    assert_eq!(*host.sleeps.borrow(), vec![2_000, 300, 600], "Retry-After, then equal jitter 200·2^n");
}

#[test]
fn retries_stop_at_the_maximum_and_never_for_client_errors() {
    let (c, host) = (client(json!({})), FakeHost::default());
    host.script(Purpose::Graphql, (0..10).map(|_| status(502, &[], "")).collect());
    assert_eq!(graphql(&c, &host).unwrap_err().code(), "server_error");
    assert_eq!(host.count(Purpose::Graphql), 4);
    for (code, answer) in [
        ("query_rejected", status(400, &[], "")),
        ("not_entitled", status(403, &[], "")),
    ] {
        let (c, host) = (client(json!({})), FakeHost::default());
        host.script(Purpose::Graphql, vec![answer]);
        assert_eq!(graphql(&c, &host).unwrap_err().code(), code);
        assert_eq!(host.count(Purpose::Graphql), 1, "{code} is not retried");
    }
    // An allowlist rejection is retried up to the maximum (a change to the allowlist takes
    // minutes to apply), then reported as such.
    let (c, host) = (client(json!({})), FakeHost::default());
    let not_verified = || status(401, &[("content-type", "application/problem+json")], r#"{"errorCode":"DAF-AUTH-0005","detail":"IP address is not verified"}"#);
    host.script(Purpose::Graphql, (0..10).map(|_| not_verified()).collect());
    assert_eq!(graphql(&c, &host).unwrap_err().code(), "ip_not_allowlisted");
    assert_eq!(host.count(Purpose::Graphql), 4);
}

#[test]
fn cancellation_stops_before_the_next_attempt() {
    let (c, host) = (client(json!({})), FakeHost::default());
    host.cancelled.set(true);
    assert_eq!(graphql(&c, &host).unwrap_err().code(), "cancelled");
    assert!(host.sent.borrow().is_empty());
}

#[test]
fn legacy_mode_and_disabled_integration_refuse_with_an_explanation() {
    let host = FakeHost::default();
    let c = client(json!({"legacyMode": true}));
    let error = c.begin(&host).err().unwrap();
    assert_eq!(error.code(), "legacy_mode_on");
    assert!(error.to_string().contains("Turn off CPR Legacy Mode"));
    assert_eq!(client(json!({"enabled": false})).begin(&host).err().unwrap().code(), "integration_disabled");
    let bad = Client::new(&setup(json!({"clientId": 5})), ClientOptions::default()).err().unwrap();
    assert_eq!(bad.code(), "wrong_type");
}

#[test]
fn debug_captures_are_redacted() {
    let (c, host) = (client(json!({"debugMode": true})), FakeHost::default());
    host.script(Purpose::Graphql, vec![status(500, &[], &format!("oops {SECRET} for 0101701239"))]);
    let recorder = c.begin(&host).unwrap();
    let body = json!({"query": "q", "variables": {"cprNumbers": ["0101701239"]}}).to_string();
    block_on(c.graphql(&host, &recorder, &c.endpoints.graphql_url, body)).unwrap();
    let capture = capture(&recorder, &host, "lookup", None).unwrap();
    let text = serde_json::to_string(&capture).unwrap();
    for leaked in [SECRET, "token-1", "0101701239"] {
        assert!(!text.contains(leaked), "{leaked} in {text}");
    }
    assert!(text.contains("010170-xxxx"));
    assert_eq!(capture.exchanges.len(), 3, "token, failed call, retried call");
    assert_eq!(capture.request.as_ref().map(|r| r.body.as_ref().map(|b| b["variables"]["cprNumbers"][0].clone())), Some(Some(json!("010170-xxxx"))));
    assert!(c.begin(&host).is_ok() && client(json!({})).redaction().known_secrets.len() == 1);
}

#[test]
fn a_fetched_schema_is_adopted_only_when_it_parses() {
    let (c, host) = (client(json!({})), FakeHost::default());
    let recorder = c.begin(&host).unwrap();
    let sdl = block_on(c.fetch_schema(&host, &recorder)).unwrap();
    assert!(sdl.contains("CPRCustom_PrivateSectorPerson"));
    let live = c.live_dialect().unwrap();
    assert_eq!(live.root_field, "CPRCustom_PrivateSectorPerson");
    // The drift report of the held dialect is the report of the text it came from.
    assert_eq!(
        serde_json::to_value(crate::schema::check_dialect(&live)).unwrap(),
        serde_json::to_value(crate::schema::check_schema(&sdl, crate::environment::SectorType::Private)).unwrap()
    );
    // Parsed once: every query after the fetch uses the very same dialect.
    assert!(std::rc::Rc::ptr_eq(&live, &c.live_dialect().unwrap()));
    let schema_request = host.sent.borrow().iter().find(|r| r.purpose == Purpose::Schema).cloned().unwrap();
    assert_eq!((schema_request.method, schema_request.url.as_str()), ("GET", "http://127.0.0.1:1/CPR/custom/PrivateSector/v3/schema"));
    assert!(schema_request.headers.iter().any(|(k, v)| k == "authorization" && v == "Bearer token-1"));

    let (c, host) = (client(json!({})), FakeHost::default());
    host.script(Purpose::Schema, vec![ok("this is not { graphql")]);
    assert!(block_on(c.fetch_schema(&host, &c.begin(&host).unwrap())).is_err());
    assert!(c.live_dialect().is_none());
}

#[test]
fn form_encoding() {
    assert_eq!(form_encode(&[("a", "x y&z=1/ø".into())]), "a=x+y%26z%3D1%2F%C3%B8");
}

mod connection_test {
    use super::*;
    use crate::client::connection::{StepName, StepStatus};

    fn run(c: &Client, host: &FakeHost) -> crate::client::connection::ConnectionReport {
        block_on(c.test_connection(host, &c.begin(host).unwrap()))
    }

    fn statuses(report: &crate::client::connection::ConnectionReport) -> Vec<(StepName, StepStatus)> {
        report.steps.iter().map(|s| (s.step, s.status)).collect()
    }

    #[test]
    fn all_steps_pass_and_the_probe_looks_nobody_up() {
        let (c, host) = (client(json!({})), FakeHost::default());
        let report = run(&c, &host);
        assert!(report.ok, "{report:?}");
        assert_eq!(report.steps.len(), 5);
        let probe = host.sent.borrow().iter().find(|r| r.purpose == Purpose::Graphql).cloned().unwrap();
        let body: Value = serde_json::from_str(probe.body.as_deref().unwrap()).unwrap();
        assert_eq!(body["variables"]["cprNumbers"], json!([]));
        assert_eq!(body["operationName"], "CprConnectionTest");
    }

    #[test]
    fn a_rejected_secret_fails_the_token_step_and_skips_the_rest() {
        let (c, host) = (client(json!({})), FakeHost::default());
        host.script(Purpose::Token, vec![status(401, &[], r#"{"error":"invalid_client","error_description":"Invalid client credentials"}"#)]);
        let report = run(&c, &host);
        use StepName::*;
        use StepStatus::*;
        assert_eq!(
            statuses(&report),
            [(SetupValid, Passed), (EndpointsResolved, Passed), (TokenObtained, Failed), (GraphqlReachable, Skipped), (EntityAuthorised, Skipped)]
        );
        let d = report.steps[2].diagnosis.as_ref().unwrap();
        assert_eq!(d.code, "token_invalid_client");
        assert!(d.settings.contains(&"clientSecret".to_string()));
    }

    #[test]
    fn the_wrong_sector_fails_the_entitlement_step() {
        let (c, host) = (client(json!({})), FakeHost::default());
        host.script(
            Purpose::Graphql,
            vec![ok(r#"{"data":null,"errors":[{"message":"Access denied: not authorized","extensions":{"code":"DAF-AUTH-0001"}}]}"#)],
        );
        let report = run(&c, &host);
        assert!(!report.ok);
        let last = report.steps.last().unwrap();
        assert_eq!((last.step, last.status), (StepName::EntityAuthorised, StepStatus::Failed));
        assert_eq!(last.diagnosis.as_ref().unwrap().code, "not_entitled");
    }

    #[test]
    fn setup_warnings_are_shown_but_do_not_fail() {
        let (c, host) = (client(json!({"environment": "test06"})), FakeHost::default());
        let report = run(&c, &host);
        assert_eq!(report.steps[0].status, StepStatus::Passed);
        assert_eq!(report.steps[0].issues[0].code, "no_cpr_test_data");
    }
}

mod lookups {
    use super::*;
    fn fixture(name: &str) -> String {
        std::fs::read_to_string(format!("{}/tests/fixtures/graphql/{name}.json", env!("CARGO_MANIFEST_DIR"))).unwrap()
    }

    fn lookup(c: &Client, host: &FakeHost, cpr: &str, existing: Option<Value>) -> Result<LookupOutcome, ClientError> {
        let recorder = c.begin(host).unwrap();
        let existing = existing.map(|v| v.as_object().unwrap().clone());
        block_on(c.lookup(host, &recorder, cpr, existing.as_ref()))
    }

    use crate::client::lookup::{BatchItem, LookupOutcome};

    #[test]
    fn an_ordinary_person_is_merged_into_the_record() {
        let (c, host) = (client(json!({})), FakeHost::default());
        host.script(Purpose::Graphql, vec![ok(&fixture("private-ordinary"))]);
        let existing = json!({"name": "J. Testesen", "address": "Old street 1", "customerNo": "C-1"});
        let outcome = lookup(&c, &host, "070761-0123", Some(existing)).unwrap();
        let person = outcome.person.unwrap();
        assert_eq!(person.cpr.as_deref(), Some("0707610123"));
        let merge = outcome.merge.unwrap();
        assert_eq!(merge.record["name"], "Jens Peter Testesen");
        assert_eq!(merge.record["customerNo"], "C-1", "fields CPR does not know stay");
        assert!(merge.changes.iter().any(|ch| ch.field == "name" && ch.before == Some(json!("J. Testesen"))));
        // The query carried the number only in its variables.
        let sent = host.sent.borrow().iter().find(|r| r.purpose == Purpose::Graphql).cloned().unwrap();
        let body: Value = serde_json::from_str(sent.body.as_deref().unwrap()).unwrap();
        assert_eq!(body["variables"]["cprNumbers"], json!(["0707610123"]));
        assert!(!body["query"].as_str().unwrap().contains("0707610123"));
    }

    #[test]
    fn a_protected_person_keeps_the_existing_name_and_address() {
        let (c, host) = (client(json!({})), FakeHost::default());
        host.script(Purpose::Graphql, vec![ok(&fixture("private-protected"))]);
        let existing = json!({"name": "Kept Name", "address": "Kept Street 1", "postCode": "8000", "city": "Aarhus C"});
        let outcome = lookup(&c, &host, "0204882126", Some(existing.clone())).unwrap();
        let merge = outcome.merge.unwrap();
        for field in ["name", "address", "postCode", "city"] {
            assert_eq!(merge.record[field], existing[field], "{field} kept");
        }
        assert!(outcome.notifications.iter().any(|n| n.message.to_lowercase().contains("protect")), "{:?}", outcome.notifications);
    }

    #[test]
    fn not_found_is_an_outcome_and_entitlement_errors_are_failures() {
        let (c, host) = (client(json!({})), FakeHost::default());
        let outcome = lookup(&c, &host, "0707610001", Some(json!({"name": "Someone"}))).unwrap();
        assert!(outcome.person.is_none());
        assert_eq!(outcome.merge.unwrap().record["name"], "Someone");
        assert!(outcome.notifications.iter().any(|n| n.code == "person_not_found"));

        host.script(Purpose::Graphql, vec![ok(&fixture("errors-not-authorized"))]);
        assert_eq!(lookup(&c, &host, "0707610123", None).unwrap_err().code(), "not_entitled");
        assert_eq!(lookup(&c, &host, "3213", None).unwrap_err().code(), "invalid_cpr_number");
    }

    #[test]
    fn a_batch_keeps_input_order_isolates_failures_and_reports_progress() {
        let (c, host) = (client(json!({})), FakeHost::default());
        host.script(Purpose::Graphql, vec![ok(&fixture("private-ordinary")), status(400, &[], "{}")]);
        let items: Vec<BatchItem> = ["0707610123", "0204882126", "bad", "0707610001"]
            .iter()
            .map(|cpr| BatchItem { cpr: cpr.to_string(), existing: None })
            .collect();
        let seen = RefCell::new(Vec::new());
        let results = block_on(c.lookup_many(&host, &items, 2, &|p| seen.borrow_mut().push(p), &|_| {}));
        assert_eq!(results.iter().map(|r| r.index).collect::<Vec<_>>(), [0, 1, 2, 3]);
        assert_eq!(results.iter().map(|r| r.ok).collect::<Vec<_>>(), [true, false, false, true]);
        assert_eq!(results[1].error.as_ref().unwrap().code, "query_rejected");
        assert_eq!(results[2].error.as_ref().unwrap().code, "invalid_cpr_number");
        let seen = seen.into_inner();
        assert_eq!(seen.len(), 4);
        assert_eq!((seen[3].done, seen[3].total, seen[3].failures), (4, 4, 2));
        assert_eq!(host.count(Purpose::Token), 1);
    }

    #[test]
    fn a_cancelled_batch_reports_the_rest_as_cancelled() {
        let (c, host) = (client(json!({})), FakeHost::default());
        host.cancelled.set(true);
        let items: Vec<BatchItem> = (0..5).map(|_| BatchItem { cpr: "0707610123".into(), existing: None }).collect();
        let results = block_on(c.lookup_many(&host, &items, 3, &|_| {}, &|_| {}));
        assert!(results.iter().all(|r| r.error.as_ref().map(|e| e.code.as_str()) == Some("cancelled")));
        assert!(host.sent.borrow().is_empty());
    }
}

#[test]
fn huge_bodies_are_not_copied_into_debug_captures() {
    let (c, host) = (client(json!({"debugMode": true})), FakeHost::default());
    let huge = format!("{{\"data\":\"{}\"}}", "x".repeat(crate::client::debug::MAX_CAPTURED_BODY_BYTES + 1));
    host.script(Purpose::Graphql, vec![ok(&huge)]);
    let recorder = c.begin(&host).unwrap();
    block_on(c.graphql(&host, &recorder, &c.endpoints.graphql_url, "{}".into())).unwrap();
    let capture = capture(&recorder, &host, "lookup", None).unwrap();
    let body = capture.response.unwrap().body;
    assert!(body.as_str().unwrap().contains("bytes not kept"), "{body}");
}

/// Every spelling in which a live secret may come back from a server or a host.
fn spellings(secret: &str) -> Vec<String> {
    vec![secret.to_string(), form_encode(&[("x", secret.to_string())]).trim_start_matches("x=").to_string()]
}

fn assert_clean(text: &str, secrets: &[&str]) {
    for secret in secrets {
        for spelling in spellings(secret) {
            assert!(!text.contains(&spelling), "{spelling:?} leaked in {text}");
        }
    }
}

#[test]
fn an_echoed_token_never_leaves_the_client() {
    let host = FakeHost::default();
    // A short token that no pattern recognises, echoed in a GraphQL error.
    host.script(Purpose::Token, vec![ok(r#"{"access_token":"tk-91x","expires_in":300}"#)]);
    let echo = r#"{"errors":[{"message":"not allowed for token tk-91x, client secret Canary-Secret-0042"}]}"#;
    host.script(Purpose::Graphql, vec![ok(echo), ok(echo)]);
    let c = client(json!({"debugMode": true}));
    let recorder = c.begin(&host).unwrap();
    let error = block_on(c.lookup(&host, &recorder, "0707610123", None)).unwrap_err();
    let error = c.seal(error);
    let capture = capture(&recorder, &host, "lookup", Some(&error)).unwrap();
    let emitted = format!("{} {}", c.emit(&capture).unwrap().json, c.emit(&error.to_diagnosis()).unwrap().json);
    assert!(emitted.contains("not allowed for token"), "the rest of the message stays: {emitted}");
    assert_clean(&emitted, &["tk-91x", SECRET]);
    // The batch path: item errors pass the same exit.
    let items = [lookup::BatchItem { cpr: "0707610123".into(), existing: None }];
    let results = block_on(c.lookup_many(&host, &items, 1, &|_| {}, &|_| {}));
    assert_clean(&c.emit(&results).unwrap().json, &["tk-91x", SECRET]);
}

#[test]
fn a_secret_in_a_host_exception_is_redacted_in_every_exchange() {
    let host = FakeHost::default();
    let thrown = TransportError::new(format!("TypeError: fetch failed: secret={SECRET} client_secret%3D{}", form_encode(&[("x", SECRET.into())])));
    host.script(Purpose::Token, (0..10).map(|_| Err(thrown.clone())).collect());
    let c = client(json!({"debugMode": true}));
    let recorder = c.begin(&host).unwrap();
    let error = c.seal(block_on(c.token(&host, &recorder)).unwrap_err());
    let capture = capture(&recorder, &host, "testConnection", Some(&error)).unwrap();
    assert!(!capture.exchanges.is_empty());
    assert_clean(&c.emit(&capture).unwrap().json, &[SECRET]);
    assert_clean(&format!("{error} {:?}", error.to_diagnosis()), &[SECRET]);
}

#[test]
fn tokens_without_a_lifetime_are_not_reused() {
    for body in [r#"{"access_token":"a-token-1"}"#, r#"{"access_token":"a-token-1","expires_in":0}"#, r#"{"access_token":"a-token-1","expires_in":-5}"#] {
        let host = FakeHost::default();
        host.script(Purpose::Token, vec![ok(body), ok(body)]);
        let c = client(json!({}));
        graphql(&c, &host).unwrap();
        graphql(&c, &host).unwrap();
        assert_eq!(host.count(Purpose::Token), 2, "{body}");
    }
}

#[test]
fn a_token_answer_without_a_token_says_so() {
    let host = FakeHost::default();
    host.script(Purpose::Token, vec![ok(r#"{"token_type":"Bearer","expires_in":300}"#)]);
    let error = graphql(&client(json!({})), &host).unwrap_err();
    assert_eq!(error.code(), "token_missing");
    assert!(error.to_string().contains("without a token"), "{error}");
    host.script(Purpose::Token, vec![ok("<html>proxy</html>")]);
    assert_eq!(graphql(&client(json!({})), &host).unwrap_err().code(), "malformed_response");
}

#[test]
fn an_invalid_cpr_number_in_a_batch_has_a_diagnosis() {
    let host = FakeHost::default();
    let items = [lookup::BatchItem { cpr: "3213001234".into(), existing: None }];
    let results = block_on(client(json!({})).lookup_many(&host, &items, 1, &|_| {}, &|_| {}));
    let error = results[0].error.as_ref().unwrap();
    assert_eq!(error.code, "invalid_cpr_number");
    let diagnosis = error.diagnosis.as_ref().expect("a diagnosis like every other item error");
    assert_eq!((diagnosis.code.as_str(), diagnosis.retryable), ("invalid_cpr_number", false));
}

/// Version negotiation and the live schema, over the scripted host.
mod negotiation {
    use super::*;
    use crate::client::lookup::LookupOutcome;
    use crate::client::service::SchemaSource;

    const NOT_FOUND: &str = r#"{"type":"about:blank","title":"Not Found","status":404,"detail":"Unknown service version v3"}"#;

    fn lookup(c: &Client, host: &FakeHost) -> Result<LookupOutcome, ClientError> {
        let recorder = c.begin(host).unwrap();
        block_on(c.lookup(host, &recorder, "0707610123", None))
    }
    fn urls(host: &FakeHost, purpose: Purpose) -> Vec<String> {
        host.sent.borrow().iter().filter(|r| r.purpose == purpose).map(|r| r.url.clone()).collect()
    }
    const BASE: &str = "http://127.0.0.1:1/CPR/custom/PrivateSector";

    #[test]
    fn auto_falls_back_on_404_remembers_the_version_and_warns() {
        let (c, host) = (client(json!({})), FakeHost::default());
        host.script(Purpose::Schema, vec![status(404, &[("content-type", "application/problem+json")], NOT_FOUND)]);
        let first = lookup(&c, &host).unwrap();
        let second = lookup(&c, &host).unwrap();
        assert_eq!(urls(&host, Purpose::Schema), [format!("{BASE}/v3/schema"), format!("{BASE}/v2/schema")]);
        assert_eq!(urls(&host, Purpose::Graphql), [format!("{BASE}/v2"), format!("{BASE}/v2")]);
        for outcome in [first, second] {
            let warning = outcome.notifications.iter().find(|n| n.code == ErrorCode::ApiVersionFallback).unwrap();
            assert!(warning.message.starts_with("v3 is not offered here (HTTP 404); v2 answered. v2 is being retired"), "{}", warning.message);
            assert_eq!(warning.severity, crate::issue::Severity::Warning);
        }
    }

    #[test]
    fn the_newest_version_answering_needs_no_fallback_and_no_notice() {
        let (c, host) = (client(json!({})), FakeHost::default());
        let outcome = lookup(&c, &host).unwrap();
        assert_eq!(urls(&host, Purpose::Schema), [format!("{BASE}/v3/schema")]);
        assert!(outcome.notifications.iter().all(|n| n.code != ErrorCode::ApiVersionFallback && n.code != ErrorCode::SchemaBundled));
        assert_eq!(c.live_dialect().map(|d| d.root_field.clone()).as_deref(), Some("CPRCustom_PrivateSectorPerson"));
    }

    #[test]
    fn only_a_404_moves_on_to_an_older_version() {
        // A server error on v3 is v3's problem: the client does not try v2, it uses the bundled
        // model against v3 and says so.
        let (c, host) = (client(json!({"apiVersion": "auto"})), FakeHost::default());
        host.script(Purpose::Schema, vec![status(500, &[], "boom"); 4]);
        let outcome = lookup(&c, &host).unwrap();
        assert!(urls(&host, Purpose::Schema).iter().all(|u| u.ends_with("/v3/schema")));
        assert_eq!(urls(&host, Purpose::Graphql), [format!("{BASE}/v3")]);
        let notice = outcome.notifications.iter().find(|n| n.code == ErrorCode::SchemaBundled).unwrap();
        assert!(notice.message.contains("bundled model"), "{}", notice.message);
        // The service answered: the fallback holds for the client's lifetime (one schema request per client).
        let before = host.count(Purpose::Schema);
        lookup(&c, &host).unwrap();
        assert_eq!(host.count(Purpose::Schema), before);

        // A transport error neither falls back to v2 nor sticks: the next lookup asks again.
        let (c, host) = (client(json!({})), FakeHost::default());
        let refused = || Err(TransportError { message: "connect ECONNREFUSED 127.0.0.1:1".into() });
        host.script(Purpose::Schema, (0..10).map(|_| refused()).collect());
        let outcome = lookup(&c, &host).unwrap();
        assert!(outcome.notifications.iter().any(|n| n.code == ErrorCode::SchemaBundled));
        assert!(urls(&host, Purpose::Schema).iter().all(|u| u.ends_with("/v3/schema")));
        host.scripts.borrow_mut().clear();
        let outcome = lookup(&c, &host).unwrap();
        assert!(outcome.notifications.iter().all(|n| n.code != ErrorCode::SchemaBundled), "{:?}", outcome.notifications);
        assert!(c.live_dialect().is_some());
    }

    #[test]
    fn a_schema_refused_for_credentials_fails_the_lookup() {
        let (c, host) = (client(json!({})), FakeHost::default());
        let ip = r#"{"errorCode":"DAF-AUTH-0005","detail":"IP address is not verified"}"#;
        host.script(Purpose::Schema, vec![status(401, &[("content-type", "application/problem+json")], ip); 10]);
        let error = lookup(&c, &host).unwrap_err();
        assert_eq!(error.code(), "ip_not_allowlisted");
        assert_eq!(host.count(Purpose::Graphql), 0);
    }

    #[test]
    fn an_explicit_version_is_not_probed() {
        let (c, host) = (client(json!({"apiVersion": "v2"})), FakeHost::default());
        lookup(&c, &host).unwrap();
        assert_eq!(urls(&host, Purpose::Schema), [format!("{BASE}/v2/schema")]);
        assert_eq!(urls(&host, Purpose::Graphql), [format!("{BASE}/v2")]);
        // With the bundled model nothing but the lookup is sent.
        let c = Client::new(&setup(json!({"apiVersion": "v2"})), ClientOptions { schema: Some("bundled".into()), ..ClientOptions::default() }).unwrap();
        let host = FakeHost::default();
        lookup(&c, &host).unwrap();
        assert_eq!((host.count(Purpose::Schema), urls(&host, Purpose::Graphql)), (0, vec![format!("{BASE}/v2")]));
    }

    #[test]
    fn without_a_schema_request_the_probe_query_negotiates() {
        let c = Client::new(&setup(json!({})), ClientOptions { schema: Some("bundled".into()), ..ClientOptions::default() }).unwrap();
        let host = FakeHost::default();
        host.script(Purpose::Graphql, vec![status(404, &[], NOT_FOUND)]);
        let outcome = lookup(&c, &host).unwrap();
        assert_eq!(urls(&host, Purpose::Graphql), [format!("{BASE}/v3"), format!("{BASE}/v2"), format!("{BASE}/v2")]);
        assert_eq!(host.count(Purpose::Schema), 0);
        assert!(outcome.notifications.iter().any(|n| n.code == ErrorCode::ApiVersionFallback));
        // A GraphQL answer with status 404 is the service speaking, not a missing version.
        let c = Client::new(&setup(json!({})), ClientOptions { schema: Some("bundled".into()), ..ClientOptions::default() }).unwrap();
        let host = FakeHost::default();
        host.script(Purpose::Graphql, vec![status(404, &[], r#"{"errors":[{"message":"Unknown entity"}]}"#)]);
        lookup(&c, &host).unwrap();
        assert!(urls(&host, Purpose::Graphql).iter().all(|u| u.ends_with("/v3")));
    }

    #[test]
    fn concurrent_first_lookups_negotiate_and_fetch_the_schema_once() {
        let (c, host) = (client(json!({})), FakeHost::default());
        host.script(Purpose::Schema, vec![status(404, &[], NOT_FOUND)]);
        let recorders: Vec<_> = (0..8).map(|_| c.begin(&host).unwrap()).collect();
        let outcomes = block_on(join_all(recorders.iter().map(|r| c.lookup(&host, r, "0707610123", None))));
        assert!(outcomes.iter().all(Result::is_ok));
        assert_eq!(urls(&host, Purpose::Schema), [format!("{BASE}/v3/schema"), format!("{BASE}/v2/schema")]);
        assert_eq!(host.count(Purpose::Token), 1);
        assert_eq!(host.count(Purpose::Graphql), 8);
    }

    #[test]
    fn an_unknown_field_refreshes_the_schema_once_and_asks_again() {
        let (c, host) = (client(json!({})), FakeHost::default());
        host.script(Purpose::Schema, vec![status(404, &[], NOT_FOUND)]);
        let rejected = r#"{"errors":[{"message":"Cannot query field \"statusdato\" on type \"CPRCustom_PrivateSectorPerson\".","extensions":{"code":"GRAPHQL_VALIDATION_FAILED"}}]}"#;
        host.script(Purpose::Graphql, vec![status(400, &[], rejected)]);
        lookup(&c, &host).unwrap();
        // v3 404, v2 schema, then the refresh from v2 only (the version is not negotiated again).
        assert_eq!(urls(&host, Purpose::Schema), [format!("{BASE}/v3/schema"), format!("{BASE}/v2/schema"), format!("{BASE}/v2/schema")]);
        assert_eq!(host.count(Purpose::Graphql), 2);
        // Rejected again after the refresh: the failure is reported, with no second refresh.
        host.script(Purpose::Graphql, vec![status(400, &[], rejected), status(400, &[], rejected)]);
        let error = lookup(&c, &host).unwrap_err();
        assert_eq!(error.code(), "query_rejected");
        assert_eq!(host.count(Purpose::Schema), 4);
        assert_eq!(host.count(Purpose::Graphql), 4);
    }

    #[test]
    fn the_connection_test_and_the_capture_say_which_version_answered() {
        let (c, host) = (client(json!({"debugMode": true})), FakeHost::default());
        host.script(Purpose::Schema, vec![status(404, &[], NOT_FOUND)]);
        let recorder = c.begin(&host).unwrap();
        let report = block_on(c.test_connection(&host, &recorder));
        assert!(report.ok, "{report:?}");
        assert_eq!((report.api_version.as_deref(), report.schema), (Some("v2"), Some(SchemaSource::Live)));
        assert!(report.steps[1].message.ends_with(&format!("GraphQL at {BASE}/v2, answered by v2.")), "{}", report.steps[1].message);
        assert!(report.notifications.iter().any(|n| n.code == ErrorCode::ApiVersionFallback));
        let capture = capture(&recorder, &host, "testConnection", None).unwrap();
        assert_eq!(capture.api_version.as_deref(), Some("v2"));
    }

    #[test]
    fn a_fixed_url_is_not_negotiated_and_a_missing_schema_there_means_the_bundled_model() {
        let c = client(json!({"endpoints": {"graphqlUrl": "http://127.0.0.1:1/relay/cpr", "sharedSecretTokenUrl": "http://127.0.0.1:1/token"}}));
        assert!(!c.endpoints.negotiate);
        let host = FakeHost::default();
        host.script(Purpose::Schema, vec![status(404, &[], "Not Found")]);
        let outcome = lookup(&c, &host).unwrap();
        assert_eq!(urls(&host, Purpose::Schema), ["http://127.0.0.1:1/relay/cpr/schema"]);
        assert_eq!(urls(&host, Purpose::Graphql), ["http://127.0.0.1:1/relay/cpr"]);
        assert!(outcome.notifications.iter().any(|n| n.code == ErrorCode::SchemaBundled));
        assert!(outcome.notifications.iter().all(|n| n.code != ErrorCode::ApiVersionFallback));
        assert_eq!(c.answered_api_version(), None, "a fixed URL under auto names no version");
    }

    #[test]
    fn the_schema_option_is_checked_when_the_client_is_made() {
        let given = crate::schema::default_sdl(crate::environment::SectorType::Private).to_string();
        let c = Client::new(&setup(json!({})), ClientOptions { schema: Some(given), ..ClientOptions::default() }).unwrap();
        let host = FakeHost::default();
        lookup(&c, &host).unwrap();
        assert_eq!(host.count(Purpose::Schema), 0, "a given schema is not fetched");
        let error = Client::new(&setup(json!({})), ClientOptions { schema: Some("type Query {".into()), ..ClientOptions::default() }).err().unwrap();
        assert_eq!(error.code(), "invalid_options");
    }
}
