//! Version retention: old dataset versions stay readable (time travel) until the authority's rule removes them —
//! a version is kept while it is among a resource's newest `keep_versions` or younger than `keep_days`; the newest
//! is always kept. Each removal is an audit event committed with the row's deletion; the file goes after the commit
//! (a crash in between leaves a file no row names, which the lake's sweep removes).

use domain::clock::{format_rfc3339_local, from_micros};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::lake_of;
use crate::{Actor, Error, Platform, Result};

/// The retention rule, which the authority sets; none of it set keeps every version.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Retention {
    /// Keep at least the newest this many versions of each resource (1 or more).
    #[serde(default)]
    pub keep_versions: Option<u32>,
    /// Keep every version younger than this many days.
    #[serde(default)]
    pub keep_days: Option<u32>,
}

pub async fn rule(p: &Platform) -> Result<Retention> {
    let mut conn = p.store.read().await?;
    let get = |v: Option<String>| v.and_then(|v| v.parse().ok());
    Ok(Retention {
        keep_versions: get(store::settings::get(&mut conn, "retention_keep_versions").await?),
        keep_days: get(store::settings::get(&mut conn, "retention_keep_days").await?),
    })
}

/// The authority sets the rule, audited.
pub async fn set_rule(p: &Platform, actor: &Actor, r: Retention) -> Result<Retention> {
    crate::orgs::require_authority(actor)?;
    if r.keep_versions == Some(0) {
        return Err(Error::invalid("invalid_retention", "至少保留1个版本", "Keep at least one version"));
    }
    let now = p.now_us();
    let mut tx = p.store.begin().await?;
    let text = |v: Option<u32>| v.map(|n| n.to_string()).unwrap_or_default();
    store::settings::set(&mut tx, "retention_keep_versions", &text(r.keep_versions)).await?;
    store::settings::set(&mut tx, "retention_keep_days", &text(r.keep_days)).await?;
    let mut event = actor.event("aggregation.retention.set", "settings", "retention");
    event.detail = format!("keep versions {:?}, keep days {:?}", r.keep_versions, r.keep_days);
    store::audit::append(&mut tx, &event, now).await?;
    tx.commit().await?;
    rule(p).await
}

/// Applies the rule: removes the versions it no longer keeps. Answers how many.
pub async fn apply(p: &Platform) -> Result<usize> {
    let r = rule(p).await?;
    if r.keep_versions.is_none() && r.keep_days.is_none() {
        return Ok(0);
    }
    let now = p.now_us();
    let young = |created: i64| r.keep_days.is_some_and(|d| now - created < d as i64 * 86_400_000_000);
    let mut conn = p.store.read().await?;
    let versions = store::lake::all_versions(&mut conn).await?;
    drop(conn);
    let mut removed = Vec::new();
    let mut rank = 0u32;
    let mut resource = None;
    for v in versions {
        if resource != Some(v.resource_id) {
            resource = Some(v.resource_id);
            rank = 0;
        }
        rank += 1;
        // The newest version of a resource is its data: always kept.
        if rank == 1 || r.keep_versions.is_some_and(|n| rank <= n) || young(v.created_at_us) {
            continue;
        }
        removed.push(v);
    }
    if removed.is_empty() {
        return Ok(0);
    }
    let actor = Actor::platform("retention");
    let mut tx = p.store.begin().await?;
    for v in &removed {
        store::lake::delete_version(&mut tx, v.resource_id, v.version).await?;
        let code = store::catalog::by_id(&mut tx, v.resource_id).await?.map(|r| r.code).unwrap_or_default();
        let mut event = actor.event("aggregation.version.remove", "resource", code);
        event.detail = format!("version {} of {} ({} rows, sha256 {}) under the retention rule", v.version, format_rfc3339_local(from_micros(v.created_at_us)), v.rows, v.sha256);
        store::audit::append(&mut tx, &event, now).await?;
    }
    tx.commit().await?;
    let paths: Vec<String> = removed.iter().map(|v| v.path.clone()).collect();
    super::blocking(&lake_of(p)?, move |l| {
        paths.iter().for_each(|rel| l.remove(rel));
        Ok(())
    })
    .await?;
    Ok(removed.len())
}
