//! The one error a domain rule gives: a stable code with a message in Chinese and in English, and, where a form
//! or an entry has several problems, each field's problem so a client can show it beside the field.

use std::fmt;

use schemars::JsonSchema;
use serde::Serialize;

/// Input that breaks a domain rule. The code is stable (clients match on it); the messages say what to do next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub code: &'static str,
    pub message: String,
    pub message_en: String,
    /// Every field at fault, when there is more than one thing to fix.
    pub fields: Vec<FieldIssue>,
}

/// One field's problem: where (`items[2].name`), and what to do, in Chinese and English.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct FieldIssue {
    pub field: String,
    pub message: String,
    pub message_en: String,
}

impl FieldIssue {
    pub fn new(field: impl Into<String>, message: impl Into<String>, message_en: impl Into<String>) -> Self {
        FieldIssue { field: field.into(), message: message.into(), message_en: message_en.into() }
    }
}

impl Invalid {
    pub fn new(code: &'static str, message: impl Into<String>, message_en: impl Into<String>) -> Self {
        Invalid { code, message: message.into(), message_en: message_en.into(), fields: vec![] }
    }

    /// One error for several field problems; its messages list them all.
    pub fn fields(code: &'static str, lead: &str, lead_en: &str, fields: Vec<FieldIssue>) -> Self {
        let zh = fields.iter().map(|f| f.message.as_str()).collect::<Vec<_>>().join("；");
        let en = fields.iter().map(|f| f.message_en.as_str()).collect::<Vec<_>>().join("; ");
        Invalid { code, message: format!("{lead}：{zh}"), message_en: format!("{lead_en}: {en}"), fields }
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} / {}", self.message, self.message_en)
    }
}

impl std::error::Error for Invalid {}
