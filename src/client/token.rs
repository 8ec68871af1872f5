//! Access tokens: requested with OAuth client credentials, cached until shortly before they
//! expire, and shared by every lookup waiting for one (one request in flight at a time). The
//! single-flight cell, [`Flight`], also holds the negotiated service (version and schema).

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use crate::setup::Secret;

/// A token, with when it stops being used.
#[derive(Clone, Debug)]
pub struct Token {
    pub value: Secret,
    /// Time (host clock, ms) after which a new token is fetched.
    pub refresh_at_ms: f64,
}

/// The parts of an OAuth token response the client needs (`token_type` is always Bearer here).
pub struct TokenResponse {
    pub access_token: Option<String>,
    pub expires_in: Option<f64>,
}

impl TokenResponse {
    /// Read the response body: an object whose `access_token` is text and `expires_in` a number
    /// (either may be missing or null); anything else is `None`. Read from a parsed value rather
    /// than derived: a typed reader would add a second copy of the JSON reading code to the wasm
    /// module.
    pub fn from_body(body: &str) -> Option<TokenResponse> {
        let value: serde_json::Value = serde_json::from_str(body).ok()?;
        let object = value.as_object()?;
        let access_token = match object.get("access_token") {
            None | Some(serde_json::Value::Null) => None,
            Some(v) => Some(v.as_str()?.to_string()),
        };
        let expires_in = match object.get("expires_in") {
            None | Some(serde_json::Value::Null) => None,
            Some(v) => Some(v.as_f64()?),
        };
        Some(TokenResponse { access_token, expires_in })
    }
}

enum State<T, E> {
    Empty,
    Fetching,
    Ready(T),
    /// The outcome of the last fetch, for the callers that waited for it.
    Failed(E),
}

/// A single-flight cell for one single-threaded client: one caller fetches the value, the
/// others wait for its outcome.
pub struct Flight<T: Clone, E: Clone> {
    state: RefCell<State<T, E>>,
    /// Bumped whenever a fetch ends, so waiters know to look again.
    generation: Cell<u64>,
    waiters: RefCell<Vec<Waker>>,
}

/// The token cache.
pub type TokenCache<E> = Flight<Token, E>;

/// What a caller should do next.
pub enum Next<'a, T: Clone, E: Clone> {
    Use(T),
    Fetch(FetchGuard<'a, T, E>),
    Wait(u64),
    Fail(E),
}

/// Held by the one caller that fetches. If it is dropped without [`FetchGuard::finish`] (the
/// fetching operation was dropped), the slot is freed so other callers do not wait forever.
pub struct FetchGuard<'a, T: Clone, E: Clone> {
    cache: &'a Flight<T, E>,
    finished: bool,
}

impl<T: Clone, E: Clone> FetchGuard<'_, T, E> {
    /// Record the fetch's outcome and wake the waiters.
    pub fn finish(mut self, outcome: Result<T, E>) {
        self.finished = true;
        *self.cache.state.borrow_mut() = match outcome {
            Ok(token) => State::Ready(token),
            Err(error) => State::Failed(error),
        };
        self.cache.bump();
    }
}

impl<T: Clone, E: Clone> Drop for FetchGuard<'_, T, E> {
    fn drop(&mut self) {
        if !self.finished {
            *self.cache.state.borrow_mut() = State::Empty;
            self.cache.bump();
        }
    }
}

impl<T: Clone, E: Clone> Default for Flight<T, E> {
    fn default() -> Self {
        Flight { state: RefCell::new(State::Empty), generation: Cell::new(0), waiters: RefCell::new(Vec::new()) }
    }
}

impl<T: Clone, E: Clone> Flight<T, E> {
    /// The value held now, if any (nothing is fetched).
    pub fn peek(&self) -> Option<T> {
        match &*self.state.borrow() {
            State::Ready(value) => Some(value.clone()),
            _ => None,
        }
    }

    /// Decide what to do: use a value that is still `usable`, wait for the fetch in flight, or
    /// fetch. `seen` is the generation a waiter last saw (None for a new caller).
    pub fn next(&self, usable: impl Fn(&T) -> bool, seen: Option<u64>) -> Next<'_, T, E> {
        let mut state = self.state.borrow_mut();
        match &*state {
            State::Ready(value) if usable(value) => Next::Use(value.clone()),
            State::Fetching => Next::Wait(self.generation.get()),
            State::Failed(error) if seen.is_some_and(|g| g < self.generation.get()) => Next::Fail(error.clone()),
            _ => {
                *state = State::Fetching;
                Next::Fetch(FetchGuard { cache: self, finished: false })
            }
        }
    }

    /// Forget the value if it is the one `stale` recognises (the service said a token is
    /// invalid; a schema is out of date). A value fetched since by another caller stays.
    pub fn invalidate(&self, stale: impl Fn(&T) -> bool) {
        let mut state = self.state.borrow_mut();
        if matches!(&*state, State::Ready(t) if stale(t)) {
            *state = State::Empty;
        }
    }

    fn bump(&self) {
        self.generation.set(self.generation.get() + 1);
        let waiters: Vec<Waker> = self.waiters.borrow_mut().drain(..).collect();
        for waker in waiters {
            waker.wake();
        }
    }

    /// Resolves once the fetch in flight at generation `seen` has ended.
    pub fn changed(&self, seen: u64) -> Changed<'_, T, E> {
        Changed { cache: self, seen }
    }
}

pub struct Changed<'a, T: Clone, E: Clone> {
    cache: &'a Flight<T, E>,
    seen: u64,
}

impl<T: Clone, E: Clone> Future for Changed<'_, T, E> {
    type Output = u64;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u64> {
        let now = self.cache.generation.get();
        if now != self.seen {
            Poll::Ready(now)
        } else {
            self.cache.waiters.borrow_mut().push(cx.waker().clone());
            Poll::Pending
        }
    }
}

/// When to stop using a token: `expires_in` minus a safety margin, never less than half its life.
///
/// A token whose `expires_in` is missing, not a number above zero, or not finite is used for the
/// request that fetched it and never again (it counts as expired at once): how long it lasts is
/// unknown, and a token used after it expired only earns an `invalid_token` round trip.
pub fn refresh_at(now_ms: f64, expires_in_seconds: Option<f64>, margin_seconds: f64) -> f64 {
    match expires_in_seconds.filter(|s| s.is_finite() && *s > 0.0) {
        Some(lifetime) => now_ms + (lifetime - margin_seconds).max(lifetime / 2.0) * 1000.0,
        None => now_ms,
    }
}
