//! The open catalog's public change log (LS-21a: 数据开放目录向社会公布并动态更新): each publication or withdrawal
//! that adds an entry to the open catalog, updates one in it or takes one out is written in the same transaction,
//! and anyone can read the log.

use chrono::NaiveDate;
use domain::catalog::entry::ResourceContent;
use domain::catalog::lifecycle::{open_change, OpenChange, ResourceState};
use domain::clock::{format_rfc3339_local, from_micros, start_of_day_us};
use schemars::JsonSchema;
use serde::Serialize;
use store::catalog::open_changes::OpenChangeRow;

use super::Entry;
use crate::{Platform, Result};

/// One line of the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct OpenChangeView {
    pub code: String,
    pub name: String,
    pub change: OpenChange,
    pub change_label: String,
    /// The revision published (or, for a withdrawal, the one that was in force).
    pub rev: i64,
    /// When, in Asia/Shanghai.
    pub at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct OpenChanges {
    pub items: Vec<OpenChangeView>,
    pub total: i64,
}

/// Records what publishing `after` (revision `rev`) or withdrawing (`after` none) does to the open catalog, inside
/// the caller's transaction. `before` is the content published until now.
pub(crate) async fn record(p: &Platform, tx: &mut store::Tx, entry: &Entry, before: Option<&ResourceContent>, after: Option<(&ResourceContent, i64)>) -> Result<()> {
    let open_attr = p.profile.features.open_attr;
    let was_open = entry.row.state == ResourceState::Published && before.is_some_and(|c| c.is_open(open_attr));
    let is_open = after.is_some_and(|(c, _)| c.is_open(open_attr));
    let Some(change) = open_change(was_open, is_open) else { return Ok(()) };
    let (name, rev) = match (after, before) {
        (Some((c, rev)), _) => (c.name.trim().to_string(), rev),
        (None, Some(c)) => (c.name.trim().to_string(), entry.row.published_rev.unwrap_or_default()),
        (None, None) => return Ok(()),
    };
    let row = OpenChangeRow { code: entry.row.code.clone(), name, change: change.as_str().into(), rev, at_us: p.now_us() };
    Ok(store::catalog::open_changes::insert(tx, entry.row.id, &row).await?)
}

/// The log from `since` (a day in Asia/Shanghai; everything when absent), newest first.
pub async fn list(p: &Platform, since: Option<NaiveDate>, limit: i64, offset: i64) -> Result<OpenChanges> {
    let since_us = since.map(start_of_day_us).unwrap_or(i64::MIN);
    let mut conn = p.store.read().await?;
    let (rows, total) = store::catalog::open_changes::list(&mut conn, since_us, limit, offset).await?;
    let items = rows
        .into_iter()
        .filter_map(|r| {
            let change = OpenChange::parse(&r.change)?;
            Some(OpenChangeView { code: r.code, name: r.name, change, change_label: change.label().into(), rev: r.rev, at: format_rfc3339_local(from_micros(r.at_us)) })
        })
        .collect();
    Ok(OpenChanges { items, total })
}
