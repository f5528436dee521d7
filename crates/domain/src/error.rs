//! The one error a domain rule gives: a stable code with a message in Chinese and in English.

use std::fmt;

/// Input that breaks a domain rule. The code is stable (clients match on it); the messages say what to do next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub code: &'static str,
    pub message: String,
    pub message_en: String,
}

impl Invalid {
    pub fn new(code: &'static str, message: impl Into<String>, message_en: impl Into<String>) -> Self {
        Invalid { code, message: message.into(), message_en: message_en.into() }
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} / {}", self.message, self.message_en)
    }
}

impl std::error::Error for Invalid {}
