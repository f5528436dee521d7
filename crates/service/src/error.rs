//! The service layer's one error type: user errors (shown to the caller with a stable code and messages in
//! Chinese and English) apart from internal ones (logged, never shown).

use domain::Invalid;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Input that breaks a rule.
    #[error("{0}")]
    Invalid(Invalid),
    #[error("not found: {en}")]
    NotFound { zh: String, en: String },
    #[error("already exists: {en}")]
    Conflict { zh: String, en: String },
    /// No valid credentials.
    #[error("authentication required")]
    Unauthenticated,
    /// Authenticated, but this actor may not do this.
    #[error("forbidden: {en}")]
    Forbidden { zh: String, en: String },
    /// Refused under a rule with its own code (a sharing call outside its grant: `share_over_scope`…).
    #[error("denied: {}", .0.message_en)]
    Denied(Invalid),
    #[error("too many attempts")]
    RateLimited { retry_after_secs: u64 },
    #[error("internal: {0}")]
    Internal(#[from] store::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<Invalid> for Error {
    fn from(e: Invalid) -> Self {
        Error::Invalid(e)
    }
}

impl Error {
    pub fn not_found(zh: impl Into<String>, en: impl Into<String>) -> Self {
        Error::NotFound { zh: zh.into(), en: en.into() }
    }
    pub fn forbidden(zh: impl Into<String>, en: impl Into<String>) -> Self {
        Error::Forbidden { zh: zh.into(), en: en.into() }
    }
    pub fn invalid(code: &'static str, zh: impl Into<String>, en: impl Into<String>) -> Self {
        Error::Invalid(Invalid::new(code, zh, en))
    }

    /// A store conflict becomes a user error; anything else stays internal.
    pub fn from_store_conflict(e: store::Error, zh: impl Into<String>, en: impl Into<String>) -> Self {
        match e {
            store::Error::Conflict(_) => Error::Conflict { zh: zh.into(), en: en.into() },
            other => Error::Internal(other),
        }
    }
}

impl From<store::DbError> for Error {
    fn from(e: store::DbError) -> Self {
        Error::Internal(store::Error::Db(e))
    }
}
