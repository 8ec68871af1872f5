//! The catalogue: for every diagnosis code, its cause, its fix and the settings to check.

use super::{CauseProvenance, DiagnosisCode};
use CauseProvenance::{Inferred, Local, Observed, Verified};

/// One entry of the catalogue.
#[derive(Debug, Clone, Copy)]
pub struct CatalogueEntry {
    pub title: &'static str,
    pub cause: &'static str,
    pub solution: &'static str,
    /// Whether trying the same request again later can succeed.
    pub retryable: bool,
    /// Setup fields to check (keys of [`crate::setup::SETUP_FIELDS`]).
    pub settings: &'static [&'static str],
    /// How sure the cause is: `verified` when Datafordeleren's or CPR's documentation states
    /// it, `observed` when public material shows the service answering so, `local` when the
    /// library or the host established it itself (its own check, the transport's report),
    /// `inferred` when it is the library's reading of an answer nobody has documented.
    pub provenance: CauseProvenance,
}

const CREDENTIALS: &[&str] = &["clientId", "clientSecret", "authMethod", "environment"];

/// The catalogue entry of a code. The match is exhaustive: a new code cannot lack its entry.
pub fn entry(code: DiagnosisCode) -> &'static CatalogueEntry {
    match code {
        DiagnosisCode::TokenInvalidClient => &CatalogueEntry {
            title: "Client ID or secret rejected",
            cause: "The token endpoint rejected the client credentials (invalid_client): the Client ID or secret is wrong, \
                    the secret has expired (shared secrets last at most two years), or the credential belongs to another environment.",
            solution: "Copy the Client ID and the secret again from Datafordeler Administration for this environment. If the secret \
                       has expired or was not saved, create a new shared secret. Check that CPR Authentication Method matches the credential type.",
            retryable: false,
            settings: CREDENTIALS,
            provenance: Observed,
        },
        DiagnosisCode::TokenUnauthorized => &CatalogueEntry {
            title: "401 Unauthorized from the token endpoint",
            cause: "Invalid credentials or the wrong authentication URL: shared-secret credentials must use auth.datafordeler.dk, \
                    certificate credentials auth-oces.datafordeler.dk.",
            solution: "Verify the Client ID and the secret or certificate, and that CPR Authentication Method matches the credential you created.",
            retryable: false,
            settings: CREDENTIALS,
            provenance: Observed,
        },
        DiagnosisCode::TokenBadRequest => &CatalogueEntry {
            title: "The token endpoint refused the request",
            cause: "The token endpoint did not accept the request (for example unsupported_grant_type or invalid_request). \
                    Usually the token URL points at something other than Datafordeleren's token endpoint, or a relay changes the request.",
            solution: "Check the token endpoint override and any relay or proxy in between; turn on CPR Debug Mode and review the request.",
            retryable: false,
            settings: &["authMethod", "environment", "endpoints"],
            provenance: Inferred,
        },
        DiagnosisCode::CertificateRejected => &CatalogueEntry {
            title: "Client certificate not accepted",
            cause: "The certificate token endpoint did not accept the client certificate: it is not the one registered on the \
                    IT-system, has expired, is not an OCES3 certificate, or was not presented at all. Test 04 has used test \
                    certificates rather than production OCES certificates, so a production certificate may be refused there.",
            solution: "Upload the PFX whose public part is registered under OAuth Certificate for this IT-system and environment, \
                       compare the thumbprint with the portal's, and check the certificate's expiry date. In Test 04, use the test \
                       certificate issued for testing.",
            retryable: false,
            settings: &["certificate", "certificatePassword", "clientId", "environment"],
            provenance: Inferred,
        },
        DiagnosisCode::CertificateUnreadable => &CatalogueEntry {
            title: "The PFX file could not be opened",
            cause: "The host could not open the PFX certificate file: the Certificate Password is wrong, or the file is damaged \
                    or not a PKCS#12 file.",
            solution: "Enter the password the PFX was exported with, or export the certificate with its private key again.",
            retryable: false,
            settings: &["certificate", "certificatePassword"],
            provenance: Local,
        },
        DiagnosisCode::InvalidToken => &CatalogueEntry {
            title: "Access token expired or rejected",
            cause: "The GraphQL service did not accept the bearer token (invalid_token): it expired, was revoked, or was issued \
                    for another environment.",
            solution: "The client fetches a new token and retries once by itself. If this persists, check that the token URL and \
                       the GraphQL URL belong to the same environment.",
            retryable: false,
            settings: &["environment", "endpoints"],
            provenance: Observed,
        },
        DiagnosisCode::IpNotAllowlisted => &CatalogueEntry {
            title: "Calling IP address is not on the allowlist",
            cause: "Datafordeleren answered DAF-AUTH-0005 \"IP address is not verified\": the public IPv4 address this request \
                    came from is not on the IT-system's IP allowlist for this environment. A change to the allowlist can take some \
                    minutes to apply, so the request is retried a few times before the lookup gives up.",
            solution: "In Datafordeler Administration, add the server's public IPv4 address (IPv6 cannot be allowlisted) to the IP \
                       allowlist of this IT-system in this environment, and allow a few minutes for it to apply. Browsers cannot \
                       be allowlisted: call through a server-side relay.",
            retryable: true,
            settings: &["environment"],
            provenance: Observed,
        },
        DiagnosisCode::GatewayAuthTransient => &CatalogueEntry {
            title: "Temporary authentication error at the gateway",
            cause: "Datafordeleren's gateway answered DAF-AUTH-0005 without saying the IP address is unknown; this has been seen \
                    to happen sporadically and succeed on retry.",
            solution: "Retry after a short wait. If it persists, check the IP allowlist and the credentials.",
            retryable: true,
            settings: &["environment"],
            provenance: Observed,
        },
        DiagnosisCode::MissingAuthentication => &CatalogueEntry {
            title: "Datafordeleren accepted no credential on the request",
            cause: "Datafordeleren answered DAF-AUTH-0005 \"No authentication method found\": the request's credential was \
                    missing or was not accepted. The same answer has been seen for a token that was present but invalid, so it \
                    does not by itself mean the header was lost on the way.",
            solution: "Check the token: that it comes from the token endpoint of the same environment as the GraphQL URL, with \
                       the CPR Authentication Method the IT-system is registered for. If a relay or proxy forwards the requests, \
                       make sure it passes the Authorization header on.",
            retryable: false,
            settings: &["authMethod", "clientId", "environment", "endpoints"],
            provenance: Observed,
        },
        DiagnosisCode::ApiKeyAndToken => &CatalogueEntry {
            title: "Both an API key and a token were sent",
            cause: "Datafordeleren answered DAF-AUTH-0002: a request carried both an API key and an Authorization header. CPR \
                    accepts OAuth only.",
            solution: "Remove the apiKey from the endpoint URL or relay configuration.",
            retryable: false,
            settings: &["endpoints"],
            provenance: Observed,
        },
        DiagnosisCode::NotEntitled => &CatalogueEntry {
            title: "No access to the requested CPR service",
            cause: "The IT-system has no approved access to this CPR service in this environment (403 or DAF-AUTH-0001): the \
                    access was granted for the other sector, for another environment, or is not approved yet.",
            solution: "Check that CPR Sector Type matches the service granted (CustomPrivateSectorPerson or CustomPublicSectorPerson) \
                       and that the access request was approved in this environment in Datafordeler Administration.",
            retryable: false,
            settings: &["sectorType", "environment"],
            provenance: Observed,
        },
        DiagnosisCode::GraphqlUnauthorized => &CatalogueEntry {
            title: "401 Unauthorized from the GraphQL service",
            cause: "Invalid credentials or the wrong authentication URL: the token was not accepted by the GraphQL service.",
            solution: "Verify the Client ID and secret or certificate, and that the token endpoint and the GraphQL endpoint belong \
                       to the same environment.",
            retryable: false,
            settings: CREDENTIALS,
            provenance: Inferred,
        },
        DiagnosisCode::RequiredFieldsMissing => &CatalogueEntry {
            title: "The query lacks fields the service requires",
            cause: "The service answered \"Required fields are missing in query selection\": the query did not select a field it \
                    requires (beskyttelser, on every person, also nested ones). The schema has probably changed.",
            solution: "Use Fetch CPR Schema and check the drift report; queries built from the fetched schema select what it requires.",
            retryable: false,
            settings: &["apiVersion"],
            provenance: Observed,
        },
        DiagnosisCode::AliasesNotAllowed => &CatalogueEntry {
            title: "The service does not accept aliases",
            cause: "The query used a GraphQL alias, which Datafordeleren's CPR service rejects.",
            solution: "Send queries built by the library unchanged; a relay must not rewrite them.",
            retryable: false,
            settings: &["endpoints"],
            provenance: Observed,
        },
        DiagnosisCode::QueryRejected => &CatalogueEntry {
            title: "400 Bad Request: query structure",
            cause: "The service did not accept the query: its structure does not match the service's schema (a field or argument \
                    was renamed, or the API version differs).",
            solution: "Turn on CPR Debug Mode and review the request JSON; use Fetch CPR Schema to see the drift report. Contact \
                       support if the issue persists.",
            retryable: false,
            settings: &["apiVersion", "debugMode"],
            provenance: Inferred,
        },
        DiagnosisCode::GraphqlErrors => &CatalogueEntry {
            title: "The service reported errors",
            cause: "The GraphQL service answered with errors it did not classify further.",
            solution: "Turn on CPR Debug Mode and review the response; the detail shows the service's message.",
            retryable: false,
            settings: &["debugMode"],
            provenance: Local,
        },
        DiagnosisCode::PersonNotFound => &CatalogueEntry {
            title: "No person found",
            cause: "CPR returned no person for the number: it is not in CPR, it was typed wrong, or it belongs to a person CPR does \
                    not disclose to this sector.",
            solution: "Check the number against its source. A number can be replaced (CPR status aendret_personnummer): then look \
                       up the person's new number.",
            retryable: false,
            settings: &["sectorType"],
            provenance: Inferred,
        },
        DiagnosisCode::AmbiguousResult => &CatalogueEntry {
            title: "Several persons for one number",
            cause: "CPR returned more than one person for one CPR number, so the library cannot tell which one is meant. None of \
                    them is used.",
            solution: "Check the number against its source. If it persists, turn on CPR Debug Mode and report the (masked) \
                       request to Datafordeleren's support.",
            retryable: false,
            settings: &["debugMode"],
            provenance: Local,
        },
        DiagnosisCode::PartialData => &CatalogueEntry {
            title: "Partial answer",
            cause: "The service answered with data and errors together: the values the errors concern are missing from the answer.",
            solution: "Missing values never overwrite anything. Turn on CPR Debug Mode and review the errors; Fetch CPR Schema and \
                       the drift report show fields the service no longer has.",
            retryable: false,
            settings: &["debugMode", "apiVersion"],
            provenance: Local,
        },
        DiagnosisCode::UnexpectedResponseShape => &CatalogueEntry {
            title: "The answer does not have the expected shape",
            cause: "The response is JSON but not an answer to the lookup query (no data for the person field, or a value of the \
                    wrong type): the schema has probably changed, or something other than the CPR service answered.",
            solution: "Use Fetch CPR Schema and check the drift report; turn on CPR Debug Mode and review the response.",
            retryable: false,
            settings: &["apiVersion", "debugMode", "endpoints"],
            provenance: Inferred,
        },
        DiagnosisCode::EndpointNotFound => &CatalogueEntry {
            title: "404 Not Found",
            cause: "No service answers at this URL: the API version in the path is not (or no longer) offered, the sector path is \
                    wrong, or an endpoint override points at the wrong place.",
            solution: "Check API Version (Datafordeleren documents v1 and v2 and announced v3) and any endpoint overrides.",
            retryable: false,
            settings: &["apiVersion", "sectorType", "endpoints"],
            provenance: Inferred,
        },
        DiagnosisCode::RateLimited => &CatalogueEntry {
            title: "Too many requests",
            cause: "The service answered 429: requests are coming faster than it allows.",
            solution: "Wait as long as Retry-After says, then retry; lower the concurrency of batch refreshes.",
            retryable: true,
            settings: &[],
            provenance: Inferred,
        },
        DiagnosisCode::ServerError => &CatalogueEntry {
            title: "Datafordeleren had a server error",
            cause: "The service answered with a 5xx status: an error or outage on Datafordeleren's side.",
            solution: "Retry later; the client retries with backoff by itself. Check Datafordeleren's operating status if it persists.",
            retryable: true,
            settings: &[],
            provenance: Local,
        },
        DiagnosisCode::ConnectionRefused => &CatalogueEntry {
            title: "Connection refused",
            cause: "The connection was refused before any answer: the host or port is wrong, the service is down, or a firewall \
                    rejects this caller (Datafordeleren's setup guide lists a missing IP allowlist entry as the usual cause).",
            solution: "Verify that the server's public IPv4 address is on the IP allowlist for the correct environment, and check \
                       CPR Environment and any endpoint overrides.",
            retryable: false,
            settings: &["environment", "endpoints"],
            provenance: Inferred,
        },
        DiagnosisCode::ConnectionReset => &CatalogueEntry {
            title: "Connection dropped",
            cause: "The connection was closed in the middle of the exchange (reset or ended early).",
            solution: "Retry; the client does so by itself with backoff. If it keeps happening, check proxies between the host and Datafordeleren.",
            retryable: true,
            settings: &[],
            provenance: Local,
        },
        DiagnosisCode::Timeout => &CatalogueEntry {
            title: "No answer in time",
            cause: "The request did not complete within the timeout.",
            solution: "Retry; if it keeps happening, check the network path and raise the timeout.",
            retryable: true,
            settings: &[],
            provenance: Local,
        },
        DiagnosisCode::DnsFailure => &CatalogueEntry {
            title: "Host name not found",
            cause: "The host name of the endpoint could not be resolved.",
            solution: "Check CPR Environment and any endpoint overrides for typing errors, and the server's DNS.",
            retryable: false,
            settings: &["environment", "endpoints"],
            provenance: Local,
        },
        DiagnosisCode::TlsFailure => &CatalogueEntry {
            title: "The server's certificate was not trusted",
            cause: "The TLS connection failed because the server's certificate could not be verified (unknown issuer, expired, \
                    or issued for another host name). Verification is always on.",
            solution: "Check the endpoint URL; a TLS-inspecting proxy must be trusted by the host's certificate store.",
            retryable: false,
            settings: &["endpoints"],
            provenance: Local,
        },
        DiagnosisCode::BrowserFetchFailed => &CatalogueEntry {
            title: "The browser could not reach the service",
            cause: "The browser refused or could not complete the request (\"Failed to fetch\"): the server sent no CORS permission, \
                    or there is no server-side relay. Datafordeleren cannot be called from a browser directly: it needs an \
                    allowlisted IPv4 address and, for certificates, mutual TLS.",
            solution: "Route the requests through a server-side relay (see the relay example), or run the lookup in a server host.",
            retryable: false,
            settings: &["endpoints"],
            provenance: Inferred,
        },
        DiagnosisCode::NetworkError => &CatalogueEntry {
            title: "Network error",
            cause: "The request failed in the network before an answer arrived.",
            solution: "Retry; check the host's network connection if it persists.",
            retryable: true,
            settings: &[],
            provenance: Local,
        },
        DiagnosisCode::Cancelled => &CatalogueEntry {
            title: "Cancelled",
            cause: "The caller cancelled the operation.",
            solution: "Nothing to fix.",
            retryable: false,
            settings: &[],
            provenance: Local,
        },
        DiagnosisCode::MalformedResponse => &CatalogueEntry {
            title: "The answer was not valid JSON",
            cause: "The response could not be read as JSON: it was cut off, or something other than Datafordeleren answered \
                    (for example a proxy's error page).",
            solution: "Turn on CPR Debug Mode and look at the response body; check proxies and endpoint overrides.",
            retryable: false,
            settings: &["debugMode", "endpoints"],
            provenance: Local,
        },
        DiagnosisCode::TokenMissing => &CatalogueEntry {
            title: "The token endpoint answered without a token",
            cause: "The token endpoint answered with JSON that has no access_token: something other than Datafordeleren's \
                    token service answered (a proxy, a relay, a wrong token URL), or the service changed.",
            solution: "Check the token endpoint override and any relay or proxy in between; turn on CPR Debug Mode and look at the response.",
            retryable: false,
            settings: &["authMethod", "environment", "endpoints", "debugMode"],
            provenance: Inferred,
        },
        DiagnosisCode::InvalidCprNumber => &CatalogueEntry {
            title: "Not a valid CPR number",
            cause: "The number given is not a CPR number: it must be ten digits, DDMMYYSSSS or DDMMYY-SSSS, starting with a \
                    real date. (A number that fails the old modulus 11 check is still valid.)",
            solution: "Correct the CPR number on the customer record.",
            retryable: false,
            settings: &[],
            provenance: Verified,
        },
        DiagnosisCode::ResponseTooLarge => &CatalogueEntry {
            title: "The answer was too large",
            cause: "The response exceeded the size limit: far more than a person lookup returns.",
            solution: "Look up fewer persons per request, or check that the URL points at the CPR service.",
            retryable: false,
            settings: &["endpoints"],
            provenance: Local,
        },
        DiagnosisCode::UnexpectedStatus => &CatalogueEntry {
            title: "Unexpected HTTP status",
            cause: "The service answered with a status the library does not expect here.",
            solution: "Turn on CPR Debug Mode and review the response.",
            retryable: false,
            settings: &["debugMode"],
            provenance: Local,
        },
        DiagnosisCode::NoFailure => &CatalogueEntry {
            title: "No failure found",
            cause: "The response does not show a failure.",
            solution: "Nothing to fix.",
            retryable: false,
            settings: &[],
            provenance: Local,
        },
        DiagnosisCode::Unauthorized => &CatalogueEntry {
            title: "The relay did not accept the caller",
            cause: "The relay's caller check (its authorize option) did not recognise this browser's request (HTTP 401): the ERP session has \
                    expired, or the session or CSRF header the relay checks is missing or wrong.",
            solution: "Sign in to the ERP again. If it persists, make relay.headers (and relay.credentials for a session \
                       cookie) carry what the relay's caller check reads.",
            retryable: false,
            settings: &["relay"],
            // The library's own relay said so, in its documented protocol: no claim about Datafordeleren.
            provenance: Local,
        },
        DiagnosisCode::OriginNotAllowed => &CatalogueEntry {
            title: "The relay refused this page's origin",
            cause: "The page's origin is not in the relay's allowedOrigins, so the relay refused the request (HTTP 403). \
                    Browsers send their origin with every POST, also to their own origin.",
            solution: "Add the page's origin (scheme, host and port, e.g. https://erp.example.com) to allowedOrigins in the \
                       relay's options on the server.",
            retryable: false,
            settings: &["relay"],
            // The library's own relay said so, in its documented protocol: no claim about Datafordeleren.
            provenance: Local,
        },
        DiagnosisCode::RelayRateLimited => &CatalogueEntry {
            title: "Too many lookups through the relay",
            cause: "This caller passed the relay's own limit (limits.lookupsPerMinute; each CPR number counts one) and the \
                    relay answered 429. Datafordeleren was not asked.",
            solution: "Wait the Retry-After time and try again, look up fewer numbers at once, or raise limits.lookupsPerMinute \
                       in the relay's options if this volume is expected.",
            retryable: true,
            settings: &["relay"],
            // The library's own relay said so, in its documented protocol: no claim about Datafordeleren.
            provenance: Local,
        },
        DiagnosisCode::RelayBatchTooLarge => &CatalogueEntry {
            title: "The relay refused a batch as too large",
            cause: "A lookup request held more CPR numbers than the relay's limits.maxBatch. The client halves its batches \
                    when this happens; it remains only when the relay refuses even a single number.",
            solution: "Set limits.maxBatch in the relay's options to at least 1 (default 50).",
            retryable: false,
            settings: &["relay"],
            // The library's own relay said so, in its documented protocol: no claim about Datafordeleren.
            provenance: Local,
        },
        DiagnosisCode::RelayClosing => &CatalogueEntry {
            title: "The relay is shutting down",
            cause: "The relay is shutting down (a restart or deployment), so it refuses new requests (HTTP 503).",
            solution: "Try again shortly. If it persists, check that the relay's server is running.",
            retryable: true,
            settings: &["relay"],
            // The library's own relay said so, in its documented protocol: no claim about Datafordeleren.
            provenance: Local,
        },
        DiagnosisCode::RelayNotFound => &CatalogueEntry {
            title: "No relay route at the relay URL",
            cause: "The server at the relay URL has no such route (HTTP 404 or 405): the URL does not point at where \
                    datafordeler-cpr/relay is mounted (its basePath), or another server answers there.",
            solution: "Set relay.url to the relay's mount point, e.g. https://erp.example.com/cpr-relay when basePath is \
                       '/cpr-relay'; opening <relay.url>/health in the browser should answer.",
            retryable: false,
            settings: &["relay"],
            // The library's own relay said so, in its documented protocol: no claim about Datafordeleren.
            provenance: Local,
        },
        DiagnosisCode::RelayUnreachable => &CatalogueEntry {
            title: "The browser could not reach the relay",
            cause: "The browser refused or could not complete the request to the relay (\"Failed to fetch\"): the relay is \
                    not running at the relay URL, or it gave this page no CORS permission (the page's origin is not in \
                    allowedOrigins, or a relay header is not in allowedHeaders, so the preflight failed).",
            solution: "Open <relay.url>/health from the page's machine; add the page's origin to allowedOrigins and every \
                       relay.headers name to allowedHeaders in the relay's options; check relay.url.",
            retryable: false,
            settings: &["relay"],
            // The library's own relay said so, in its documented protocol: no claim about Datafordeleren.
            provenance: Local,
        },
        DiagnosisCode::RelayRefused => &CatalogueEntry {
            title: "The relay refused or failed the request",
            cause: "The relay answered with a problem of its own (the detail names its code): a request it does not accept, \
                    a fault of its caller check or its audit trail, or an error of the relay itself.",
            solution: "Read the detail, then the relay server's log and audit; check that the page and the relay run the same \
                       version of datafordeler-cpr.",
            retryable: false,
            settings: &["relay"],
            // The library's own relay said so, in its documented protocol: no claim about Datafordeleren.
            provenance: Local,
        },
    }
}
