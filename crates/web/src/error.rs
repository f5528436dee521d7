//! The web layer's error: every failure becomes one response shape, mapped here and nowhere else.
//! API: `{"error": {"code", "message", "message_en"}}` with a 4xx for every bad input. Internal errors are
//! logged with detail and answered with a bare 500.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub message_en: String,
    pub retry_after: Option<u64>,
    /// Each field at fault, when there are several.
    pub fields: Vec<domain::FieldIssue>,
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct ErrorDetail {
    /// A stable code to match on.
    pub code: String,
    /// 中文说明.
    pub message: String,
    pub message_en: String,
    /// Each field at fault, when the input has several problems (a catalog entry before submission).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<domain::FieldIssue>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>, message_en: impl Into<String>) -> Self {
        ApiError { status, code, message: message.into(), message_en: message_en.into(), retry_after: None, fields: vec![] }
    }

    pub fn unauthenticated() -> Self {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "需要登录：请在 Authorization 头中提供有效的 Bearer 令牌",
            "Authentication required: send a valid token as 'Authorization: Bearer TOKEN'",
        )
    }

    pub fn forbidden() -> Self {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", "您的角色无权调用此接口", "Your role may not call this route")
    }

    pub fn not_found_route() -> Self {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", "接口不存在，请查阅 /api/v1/openapi.json", "No such route: see /api/v1/openapi.json")
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>, message_en: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, code, message, message_en)
    }

    /// A failure of this server's own (a disk that cannot be written): logged with its detail, answered without.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!(error = %detail, "internal error");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "服务器内部错误，已记录日志，请稍后重试或联系管理员",
            "Internal error; it has been logged. Try again later or contact the administrator",
        )
    }
}

impl From<service::Error> for ApiError {
    fn from(e: service::Error) -> Self {
        use service::Error as E;
        match e {
            E::Invalid(i) => {
                let status = match i.code {
                    "not_initialized" | "search_unavailable" => StatusCode::SERVICE_UNAVAILABLE,
                    _ => StatusCode::BAD_REQUEST,
                };
                ApiError { fields: i.fields, ..ApiError::new(status, i.code, i.message, i.message_en) }
            }
            E::NotFound { zh, en } => ApiError::new(StatusCode::NOT_FOUND, "not_found", zh, en),
            E::Conflict { zh, en } => ApiError::new(StatusCode::CONFLICT, "conflict", zh, en),
            E::Unauthenticated => ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "用户名或密码错误，或令牌无效",
                "Wrong username or password, or an invalid token",
            ),
            E::Forbidden { zh, en } => ApiError::new(StatusCode::FORBIDDEN, "forbidden", zh, en),
            E::Denied(i) => ApiError::new(StatusCode::FORBIDDEN, i.code, i.message, i.message_en),
            E::RateLimited { retry_after_secs } => ApiError {
                retry_after: Some(retry_after_secs),
                ..ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "rate_limited",
                    format!("登录失败次数过多，请{}分钟后再试", retry_after_secs / 60),
                    format!("Too many failed logins: try again in {} minutes", retry_after_secs / 60),
                )
            },
            E::Internal(e) => {
                tracing::error!(error = %e, "internal error");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "服务器内部错误，已记录日志，请稍后重试或联系管理员",
                    "Internal error; it has been logged. Try again later or contact the administrator",
                )
            }
        }
    }
}

impl From<domain::Invalid> for ApiError {
    fn from(i: domain::Invalid) -> Self {
        ApiError { fields: i.fields, ..ApiError::new(StatusCode::BAD_REQUEST, i.code, i.message, i.message_en) }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail { code: self.code.to_string(), message: self.message, message_en: self.message_en, fields: self.fields },
        };
        let mut response = (self.status, axum::Json(body)).into_response();
        if self.status == StatusCode::PAYLOAD_TOO_LARGE {
            // The rest of the body is never read, so this connection cannot carry another request; saying so
            // keeps clients from reusing it and failing their next request.
            response.headers_mut().insert(header::CONNECTION, header::HeaderValue::from_static("close"));
        }
        if let Some(secs) = self.retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, secs.to_string().parse().expect("digits"));
        }
        response
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
