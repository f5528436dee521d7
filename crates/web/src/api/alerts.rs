//! Warnings and alerts raised to departments and the authority.

use axum::extract::State;
use axum::Json;
use schemars::JsonSchema;
use serde::Deserialize;
use service::alerts::Alert;

use super::List;
use crate::error::ApiResult;
use crate::extract::{ApiQuery, Caller};
use crate::AppState;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AlertsQuery {
    /// Only those not yet resolved.
    pub open: Option<bool>,
}

pub async fn list(State(s): State<AppState>, Caller(caller): Caller, ApiQuery(q): ApiQuery<AlertsQuery>) -> ApiResult<Json<List<Alert>>> {
    let items = service::alerts::list(&s.platform, &caller, q.open.unwrap_or(false)).await?;
    Ok(Json(List { total: items.len() as i64, items }))
}
