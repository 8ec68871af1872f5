//! Relay answers as diagnoses. A `datafordeler-cpr/relay` answers a failure with a problem
//! document `{ code, detail, diagnosis? }`: when Datafordeleren (or the way to it) failed, `code`
//! is the library's own diagnosis code and `diagnosis` the relay's diagnosis of it; otherwise
//! `code` is one of the relay's own refusals. Either way the browser gets the diagnosis a direct
//! call would have given: the entry of this catalogue for the code (title, cause, fix, settings,
//! retryable: one source), with what the relay reported about this failure (status, Retry-After,
//! detail).

use serde_json::Value;

use super::{shorten, Diagnosis, DiagnosisCode, Failure};
use crate::redact::redact_text;

/// Longest detail kept from a relay's answer.
const MAX_DETAIL_CHARS: usize = 300;

/// The diagnosis of a relay's answer that is not a success.
pub(super) fn diagnose_relay(failure: &Failure) -> Diagnosis {
    let status = failure.status.unwrap_or(0);
    if (200..300).contains(&status) {
        return Diagnosis::from_code(DiagnosisCode::NoFailure);
    }
    let json: Option<Value> = failure.body.as_deref().and_then(|body| serde_json::from_str(body).ok());
    let text = |key: &str| json.as_ref().and_then(|j| j.get(key)).and_then(Value::as_str);
    let code = text("code");
    let reported = json.as_ref().and_then(|j| j.get("diagnosis")).filter(|d| d.is_object());
    let retry_after = failure.header("retry-after").and_then(|v| v.trim().parse::<u32>().ok());
    // A failure the relay met on its way to Datafordeleren: the code it diagnosed.
    if let (Some(code), Some(reported)) = (code.and_then(|c| c.parse::<DiagnosisCode>().ok()), reported) {
        let mut diagnosis = adopt(code, Some(reported));
        diagnosis.retry_after_seconds = diagnosis.retry_after_seconds.or(retry_after);
        return diagnosis;
    }
    let mut diagnosis = Diagnosis::from_code(own_code(code, status));
    diagnosis.status = failure.status;
    diagnosis.retry_after_seconds = retry_after;
    let detail = match (code, text("detail")) {
        (Some(code), Some(detail)) => Some(format!("{code}: {detail}")),
        (Some(code), None) => Some(code.to_string()),
        (None, detail) => detail.map(str::to_string),
    };
    diagnosis.detail = detail.map(|detail| shorten(&redact_text(&detail), MAX_DETAIL_CHARS));
    diagnosis
}

/// The catalogue's diagnosis for `code`, with the status, Retry-After and detail of the
/// diagnosis a relay reported for it (a failure's or a batch item's). The reported title, cause
/// and fix are not taken: this catalogue is the one source of those.
pub fn adopt(code: DiagnosisCode, reported: Option<&Value>) -> Diagnosis {
    let mut diagnosis = Diagnosis::from_code(code);
    if let Some(reported) = reported {
        let number = |key: &str| reported.get(key).and_then(Value::as_u64);
        diagnosis.status = number("status").and_then(|n| u16::try_from(n).ok());
        diagnosis.retry_after_seconds = number("retryAfterSeconds").and_then(|n| u32::try_from(n).ok());
        diagnosis.detail = reported.get("detail").and_then(Value::as_str).map(|detail| shorten(&redact_text(detail), MAX_DETAIL_CHARS));
    }
    diagnosis
}

/// The relay's own refusals (README, Relay, wire protocol); an answer without a known code (a
/// proxy's, another server's) by its status.
fn own_code(code: Option<&str>, status: u16) -> DiagnosisCode {
    match (code, status) {
        (Some("unauthorized"), _) | (None, 401) => DiagnosisCode::Unauthorized,
        (Some("origin_not_allowed"), _) => DiagnosisCode::OriginNotAllowed,
        (Some("rate_limited"), _) | (None, 429) => DiagnosisCode::RelayRateLimited,
        (Some("batch_too_large"), _) => DiagnosisCode::RelayBatchTooLarge,
        (Some("relay_closing"), _) => DiagnosisCode::RelayClosing,
        (Some("cancelled"), _) => DiagnosisCode::Cancelled,
        (Some("not_found" | "method_not_allowed"), _) | (None, 404 | 405) => DiagnosisCode::RelayNotFound,
        _ => DiagnosisCode::RelayRefused,
    }
}

#[cfg(test)]
mod tests {
    use super::super::{diagnose, Stage};
    use super::*;

    fn relay(status: u16, headers: &[(&str, &str)], body: &str) -> Diagnosis {
        diagnose(&Failure {
            stage: Some(Stage::Relay),
            status: Some(status),
            headers: headers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            body: Some(body.to_string()),
            transport_error: None,
        })
    }

    #[test]
    fn a_forwarded_failure_is_the_catalogue_entry_with_what_the_relay_reported() {
        let d = relay(
            502,
            &[],
            r#"{"code":"ip_not_allowlisted","detail":"x","diagnosis":{"code":"ip_not_allowlisted","title":"forged","status":401,"retryAfterSeconds":3,"detail":"DAF-AUTH-0005: IP address is not verified 0707610123"}}"#,
        );
        let direct = Diagnosis::from_code(DiagnosisCode::IpNotAllowlisted);
        assert_eq!(d.code, DiagnosisCode::IpNotAllowlisted);
        assert_eq!((d.title.as_str(), d.cause.as_str(), d.settings.clone()), (direct.title.as_str(), direct.cause.as_str(), direct.settings));
        assert_eq!(d.status, Some(401));
        assert_eq!(d.retry_after_seconds, Some(3));
        assert_eq!(d.detail.as_deref(), Some("DAF-AUTH-0005: IP address is not verified 070761-xxxx"));
    }

    #[test]
    fn the_relays_own_refusals_have_their_codes() {
        let problem = |code: &str| format!(r#"{{"type":"urn:datafordeler-cpr:relay:{code}","code":"{code}","detail":"no"}}"#);
        assert_eq!(relay(401, &[], &problem("unauthorized")).code, DiagnosisCode::Unauthorized);
        assert_eq!(relay(403, &[], &problem("origin_not_allowed")).code, DiagnosisCode::OriginNotAllowed);
        let limited = relay(429, &[("Retry-After", "7")], &problem("rate_limited"));
        assert_eq!((limited.code, limited.retry_after_seconds, limited.retryable), (DiagnosisCode::RelayRateLimited, Some(7), true));
        assert_eq!(relay(400, &[], &problem("batch_too_large")).code, DiagnosisCode::RelayBatchTooLarge);
        assert_eq!(relay(503, &[], &problem("relay_closing")).code, DiagnosisCode::RelayClosing);
        assert_eq!(relay(503, &[], &problem("cancelled")).code, DiagnosisCode::Cancelled);
        assert_eq!(relay(404, &[], &problem("not_found")).code, DiagnosisCode::RelayNotFound);
        let refused = relay(500, &[], &problem("audit_failed"));
        assert_eq!((refused.code, refused.detail.as_deref()), (DiagnosisCode::RelayRefused, Some("audit_failed: no")));
        // Not a relay's answer: by status.
        assert_eq!(relay(404, &[], "<html>Not Found</html>").code, DiagnosisCode::RelayNotFound);
        assert_eq!(relay(401, &[], "").code, DiagnosisCode::Unauthorized);
        assert_eq!(relay(502, &[], "Bad Gateway").code, DiagnosisCode::RelayRefused);
    }

    #[test]
    fn a_browser_that_cannot_reach_the_relay_is_told_about_the_relay() {
        let failed = |stage| diagnose(&Failure { stage: Some(stage), transport_error: Some("TypeError: Failed to fetch".into()), ..Failure::default() }).code;
        assert_eq!(failed(Stage::Relay), DiagnosisCode::RelayUnreachable);
        assert_eq!(failed(Stage::Graphql), DiagnosisCode::BrowserFetchFailed);
    }

    #[test]
    fn a_relay_answer_never_repeats_a_bearer_token() {
        let d = relay(500, &[], r#"{"code":"relay_error","detail":"Authorization: Bearer abc.def.ghi"}"#);
        assert!(!d.detail.unwrap_or_default().contains("abc.def.ghi"));
    }
}
