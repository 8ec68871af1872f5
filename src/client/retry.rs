//! Retries: only for failures the diagnosis calls retryable, with exponential backoff and
//! jitter, honouring `Retry-After`, up to a maximum number of attempts.

use crate::diagnosis::Diagnosis;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    pub base_delay_ms: u32,
    pub max_delay_ms: u32,
    /// A longer `Retry-After` is not waited for: the failure is returned instead.
    pub max_retry_after_ms: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy { max_attempts: 4, base_delay_ms: 200, max_delay_ms: 8_000, max_retry_after_ms: 60_000 }
    }
}

impl RetryPolicy {
    /// How long to wait before attempt `attempt + 1`, or None when not to retry.
    /// `random` is in `[0, 1)`.
    pub fn delay_ms(&self, attempt: u32, diagnosis: &Diagnosis, random: f64) -> Option<u32> {
        if !diagnosis.retryable || attempt >= self.max_attempts {
            return None;
        }
        if let Some(seconds) = diagnosis.retry_after_seconds {
            let ms = seconds.saturating_mul(1000);
            return (ms <= self.max_retry_after_ms).then_some(ms);
        }
        // "Equal jitter": half the exponential step for sure, half at random, so concurrent
        // clients spread out but none retries immediately.
        let exponent = attempt.saturating_sub(1).min(16);
        let step = self.base_delay_ms.saturating_mul(1 << exponent).min(self.max_delay_ms);
        let half = step / 2;
        Some(half + (f64::from(step - half) * random.clamp(0.0, 1.0)) as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Tests name codes by their text; a misspelt one fails here instead of meaning another code.
    fn diagnosis(code: &str) -> Diagnosis {
        Diagnosis::from_code(code.parse().unwrap_or_else(|_| panic!("{code} is not a diagnosis code")))
    }

    #[test]
    fn only_retryable_failures_are_retried() {
        let p = RetryPolicy::default();
        // An allowlist change takes minutes to apply: the rejection is retried a few times too.
        for code in ["server_error", "rate_limited", "gateway_auth_transient", "connection_reset", "timeout", "ip_not_allowlisted"] {
            assert!(p.delay_ms(1, &diagnosis(code), 0.5).is_some(), "{code}");
        }
        for code in ["token_invalid_client", "not_entitled", "query_rejected", "invalid_token", "missing_authentication", "cancelled"] {
            assert_eq!(p.delay_ms(1, &diagnosis(code), 0.5), None, "{code}");
        }
    }

    #[test]
    fn backoff_grows_with_jitter_and_stops_at_the_limit() {
        let p = RetryPolicy { max_attempts: 5, base_delay_ms: 100, max_delay_ms: 300, max_retry_after_ms: 5_000 };
        let d = diagnosis("server_error");
        assert_eq!(p.delay_ms(1, &d, 0.0), Some(50));
        assert_eq!(p.delay_ms(1, &d, 0.999_999), Some(99));
        assert_eq!(p.delay_ms(2, &d, 0.0), Some(100));
        assert_eq!(p.delay_ms(3, &d, 0.0), Some(150), "capped at max_delay_ms");
        assert_eq!(p.delay_ms(5, &d, 0.0), None, "no attempt after the maximum");
    }

    #[test]
    fn retry_after_is_honoured_within_reason() {
        let p = RetryPolicy::default();
        let mut d = diagnosis("rate_limited");
        d.retry_after_seconds = Some(3);
        assert_eq!(p.delay_ms(1, &d, 0.9), Some(3_000));
        d.retry_after_seconds = Some(3_600);
        assert_eq!(p.delay_ms(1, &d, 0.9), None);
    }
}
