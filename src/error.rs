//! Errors the library reports to its callers. Each has a stable [`ErrorCode`] that hosts can
//! match on, and a message written for the person who has to fix it.

use thiserror::Error;

pub use crate::code::{DiagnosisCode, ErrorCode};

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CprError {
    /// The setup cannot be used; `field` names the setting to change.
    #[error("{message}")]
    InvalidSetup { field: String, code: ErrorCode, message: String },
    /// An argument from the caller has the wrong shape.
    #[error("{message}")]
    InvalidInput { code: ErrorCode, message: String },
}

impl CprError {
    pub fn code(&self) -> ErrorCode {
        match self {
            CprError::InvalidSetup { code, .. } | CprError::InvalidInput { code, .. } => *code,
        }
    }

    /// The setup field to change, if the error is about one.
    pub fn field(&self) -> Option<&str> {
        match self {
            CprError::InvalidSetup { field, .. } if !field.is_empty() => Some(field),
            _ => None,
        }
    }

    pub fn invalid_input(code: impl Into<ErrorCode>, message: impl Into<String>) -> Self {
        CprError::InvalidInput { code: code.into(), message: message.into() }
    }
}
