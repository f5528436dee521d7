//! Extractors that turn malformed input into our error body (never axum's plain-text rejections), and the
//! acting principal that the access layer puts on each request.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use serde::de::DeserializeOwned;
use service::Actor;

use crate::error::ApiError;

/// A JSON body. Malformed JSON → 400, wrong fields or types → 422, too large → 413, wrong content type → 415.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;
    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

/// Field names that would put a price on a service. No body has them, and the platform says why: sharing and
/// open-data services carry no fee (CS-13d: 不得因数据共享和开放服务另行收取费用).
const FEE_FIELDS: [&str; 5] = ["fee", "fees", "price", "charge", "amount_due"];

fn json_rejection(r: JsonRejection) -> ApiError {
    match r {
        JsonRejection::JsonDataError(e) if FEE_FIELDS.iter().any(|f| e.body_text().contains(&format!("unknown field `{f}`"))) => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "fee_not_allowed",
            "数据共享和开放服务不得另行收取费用，请删除请求中的收费字段",
            "Data sharing and open-data services carry no fee: remove the fee from the request",
        ),
        JsonRejection::JsonDataError(e) => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            format!("请求体字段不符合要求：{}", e.body_text()),
            format!("The request body does not fit the schema: {}", e.body_text()),
        ),
        JsonRejection::JsonSyntaxError(e) => ApiError::bad_request(
            "malformed_json",
            format!("请求体不是合法的JSON：{}", e.body_text()),
            format!("The request body is not valid JSON: {}", e.body_text()),
        ),
        JsonRejection::MissingJsonContentType(_) => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "请求头须为 Content-Type: application/json",
            "Send the body with 'Content-Type: application/json'",
        ),
        JsonRejection::BytesRejection(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => too_large(),
        other => ApiError::bad_request("unreadable_body", format!("无法读取请求体：{other}"), format!("Cannot read the request body: {other}")),
    }
}

pub fn too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        "请求体过大（上限1 MiB）；大文件请使用数据归集上传接口",
        "The request body is too large (limit 1 MiB); send large files through the upload routes",
    )
}

/// A query string.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(ApiQuery(v)),
            Err(QueryRejection::FailedToDeserializeQueryString(e)) => Err(ApiError::bad_request(
                "invalid_query",
                format!("查询参数不正确：{}", e.body_text()),
                format!("Invalid query string: {}", e.body_text()),
            )),
            Err(e) => Err(ApiError::bad_request("invalid_query", format!("查询参数不正确：{e}"), format!("Invalid query string: {e}"))),
        }
    }
}

/// Path parameters.
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(ApiPath(v)),
            Err(PathRejection::FailedToDeserializePathParams(e)) => Err(ApiError::bad_request(
                "invalid_path",
                format!("路径参数不正确：{}", e.body_text()),
                format!("Invalid path parameter: {}", e.body_text()),
            )),
            Err(e) => Err(ApiError::bad_request("invalid_path", format!("路径参数不正确：{e}"), format!("Invalid path parameter: {e}"))),
        }
    }
}

/// The principal the access layer authenticated (anonymous on public routes).
#[derive(Clone)]
pub struct Caller(pub Actor);

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        parts.extensions.get::<Caller>().cloned().ok_or_else(ApiError::unauthenticated)
    }
}

/// The bearer token of the request, if any.
pub fn bearer(parts: &axum::http::HeaderMap) -> Option<&str> {
    parts
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim)
}

/// A cookie's value.
pub fn cookie<'a>(headers: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The client's address as seen by this server.
pub fn client_addr(parts: &Parts) -> String {
    parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
}
