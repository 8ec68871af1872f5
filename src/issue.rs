//! The one shape every validation message takes, so hosts can render them uniformly.

use serde::{Deserialize, Serialize};

use crate::code::ErrorCode;


/// How serious a validation message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The value cannot be used; fix it before going on.
    Error,
    /// The value works but is probably not what was meant.
    Warning,
    /// Worth knowing; nothing to fix.
    Info,
}

/// A message about one input value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
pub struct Issue {
    /// What the message is about: a setup field, a schema field path (`navne.mellemnavn`) or a
    /// record field; empty for the whole input or a CPR number.
    #[serde(skip_serializing_if = "String::is_empty", default)]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub field: String,
    /// A stable, machine-readable code such as `required` or `legacy_mode_on`.
    pub code: ErrorCode,
    pub severity: Severity,
    /// Text for an IT administrator: what is wrong and what to change.
    pub message: String,
}

impl Issue {
    pub fn new(field: &str, code: impl Into<ErrorCode>, severity: Severity, message: impl Into<String>) -> Self {
        Issue {
            field: field.to_string(),
            code: code.into(),
            severity,
            message: message.into(),
        }
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}
