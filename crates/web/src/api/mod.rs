//! JSON handlers of `/api/v1`, one module per capability.

pub mod aggregation;
pub mod alerts;
pub mod audit;
pub mod auth;
pub mod basedb;
pub mod business_items;
pub mod calendar;
pub mod catalog;
pub mod channels;
pub mod corrections;
pub mod demands;
pub mod disputes;
pub mod health;
pub mod objections;
pub mod orgs;
pub mod projects;
pub mod sharing;
pub mod sources;
pub mod sync;
pub mod tokens;
pub mod users;

use serde::Deserialize;

pub use crate::routes::List;

/// `limit` (1–1000, default 50) and `offset` of every list route.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Paging {
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

impl Paging {
    pub fn get(&self) -> (i64, i64) {
        (self.limit.unwrap_or(50).clamp(1, 1000), self.offset.unwrap_or(0).max(0))
    }
}
