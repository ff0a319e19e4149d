//! The one error type of the core. The bindings map each variant to a Python exception class.

use thiserror::Error;

/// Everything that can go wrong in the core, phrased for the person who passed the input:
/// each message names the argument, what was expected and what was found.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum CoreError {
    /// Wrong number of rows, columns or elements.
    #[error("{arg}: expected {expected}, found {found}")]
    Shape {
        arg: String,
        expected: String,
        found: String,
    },
    /// A value out of its domain: NaN/inf, constant, malformed text.
    #[error("{arg}: expected {expected}, found {found}")]
    InvalidValue {
        arg: String,
        expected: String,
        found: String,
    },
    /// A name (function, fitness, aggregate, token) the core does not know.
    #[error("{arg}: unknown name {found:?}; expected one of {expected}")]
    UnknownName {
        arg: String,
        expected: String,
        found: String,
    },
    /// A setting out of range.
    #[error("{arg}: expected {expected}, found {found}")]
    Config {
        arg: String,
        expected: String,
        found: String,
    },
}

impl CoreError {
    pub fn shape(arg: &str, expected: impl Into<String>, found: impl Into<String>) -> Self {
        Self::Shape {
            arg: arg.into(),
            expected: expected.into(),
            found: found.into(),
        }
    }
    pub fn invalid(arg: &str, expected: impl Into<String>, found: impl Into<String>) -> Self {
        Self::InvalidValue {
            arg: arg.into(),
            expected: expected.into(),
            found: found.into(),
        }
    }
    pub fn unknown(arg: &str, expected: impl Into<String>, found: impl Into<String>) -> Self {
        Self::UnknownName {
            arg: arg.into(),
            expected: expected.into(),
            found: found.into(),
        }
    }
    pub fn config(arg: &str, expected: impl Into<String>, found: impl Into<String>) -> Self {
        Self::Config {
            arg: arg.into(),
            expected: expected.into(),
            found: found.into(),
        }
    }
}

pub type Result<T> = std::result::Result<T, CoreError>;
