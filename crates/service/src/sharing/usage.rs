//! What consumers record of the data they obtained (SYS-20b) and its destruction once a grant ends (FS-08d); the
//! calls made under a grant, day by day, as the audit log has them.

use chrono::NaiveDate;
use domain::clock::{format_rfc3339_local, from_micros};
use domain::roles::Role;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::actor::Actor;
use crate::error::{Error, Result};
use crate::platform::Platform;
use super::*;

/// What a consumer records of the data a grant gave it (SYS-20b): its use and effect and how it is kept, or, once
/// the grant has ended, that the copies are destroyed (FS-08d).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUsage {
    /// `usage` or `destruction`.
    pub kind: UsageKind,
    /// 应用效果.
    #[serde(default)]
    pub effect: String,
    /// 使用过程.
    #[serde(default)]
    pub process: String,
    /// 存储情况.
    #[serde(default)]
    pub storage: String,
    /// The day the copies were destroyed (for `destruction`).
    #[serde(default)]
    pub destroyed_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum UsageKind {
    Usage,
    Destruction,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Usage {
    pub id: i64,
    pub grant_id: i64,
    pub kind: String,
    pub effect: String,
    pub process: String,
    pub storage: String,
    pub destroyed_on: Option<String>,
    pub reported_by: String,
    pub reported_at: String,
}

fn usage_view(u: store::sharing::UsageRow) -> Usage {
    Usage {
        id: u.id,
        grant_id: u.grant_id,
        kind: u.kind,
        effect: u.effect,
        process: u.process,
        storage: u.storage,
        destroyed_on: u.destroyed_on,
        reported_by: u.reported_by,
        reported_at: format_rfc3339_local(from_micros(u.reported_at_us)),
    }
}

/// Records a grant's use or the destruction of its copies; only the consumer's data officers.
pub async fn record_usage(p: &Platform, actor: &Actor, grant_id: i64, u: NewUsage) -> Result<Usage> {
    let mut conn = p.store.read().await?;
    let g = store::sharing::grant_by_id(&mut conn, grant_id).await?.ok_or_else(|| grant_not_found(grant_id))?;
    drop(conn);
    if !(actor.has(Role::DeptDataOfficer) && actor.department_id == Some(g.consumer_department_id)) {
        return Err(Error::forbidden("使用情况由获取数据的部门记录", "The consumer records how it uses the data"));
    }
    let text = |s: &str| s.trim().chars().take(2000).collect::<String>();
    match u.kind {
        UsageKind::Usage if u.effect.trim().is_empty() || u.storage.trim().is_empty() => {
            return Err(Error::invalid("usage_fields", "请填写应用效果和存储情况", "State the effect of use and how the data is stored"));
        }
        UsageKind::Destruction if u.destroyed_on.is_none() => {
            return Err(Error::invalid("usage_fields", "请填写销毁日期", "State the day the copies were destroyed"));
        }
        UsageKind::Destruction if u.destroyed_on.is_some_and(|d| d > p.clock.today()) => {
            return Err(Error::invalid("usage_fields", "销毁日期不能晚于今天", "The destruction cannot be dated after today"));
        }
        _ => {}
    }
    let now = p.now_us();
    let row = store::sharing::UsageRow {
        id: 0,
        grant_id,
        kind: match u.kind {
            UsageKind::Usage => "usage",
            UsageKind::Destruction => "destruction",
        }
        .into(),
        effect: text(&u.effect),
        process: text(&u.process),
        storage: text(&u.storage),
        destroyed_on: u.destroyed_on.map(|d| d.to_string()),
        reported_by: actor.name.clone(),
        reported_at_us: now,
    };
    let mut tx = p.store.begin().await?;
    let id = store::sharing::insert_usage(&mut tx, &row).await?;
    let mut event = actor.event("share.usage", "grant", grant_id.to_string());
    event.purpose = g.scenario.clone();
    event.detail = format!("{}{}", row.kind, row.destroyed_on.as_deref().map(|d| format!(" on {d}")).unwrap_or_default());
    store::audit::append(&mut tx, &event, now).await?;
    if u.kind == UsageKind::Destruction {
        store::alerts::resolve_other(&mut tx, "grant_destruction", &grant_id.to_string(), None, now).await?;
    }
    tx.commit().await?;
    Ok(usage_view(store::sharing::UsageRow { id, ..row }))
}

/// A grant with its resource, for its consumer, its provider and those who oversee (not found for anyone else).
pub(super) async fn visible_grant(conn: &mut store::Conn, actor: &Actor, grant_id: i64) -> Result<(GrantRow, store::catalog::ResourceRow)> {
    let g = store::sharing::grant_by_id(conn, grant_id).await?.ok_or_else(|| grant_not_found(grant_id))?;
    let resource = store::catalog::by_id(conn, g.resource_id).await?.ok_or_else(|| grant_not_found(grant_id))?;
    if !actor.oversees() && actor.department_id != Some(g.consumer_department_id) && actor.department_id != Some(resource.provider_department_id) {
        return Err(grant_not_found(grant_id));
    }
    Ok((g, resource))
}

/// One grant, for its consumer, its provider and those who oversee.
pub async fn grant_by_id(p: &Platform, actor: &Actor, grant_id: i64) -> Result<GrantView> {
    let mut conn = p.store.read().await?;
    let (g, resource) = visible_grant(&mut conn, actor, grant_id).await?;
    view_of(&mut conn, g, resource).await
}

async fn view_of(conn: &mut store::Conn, g: GrantRow, resource: store::catalog::ResourceRow) -> Result<GrantView> {
    let consumer = store::orgs::department_by_id(conn, g.consumer_department_id).await?.map(|d| d.name).unwrap_or_default();
    Ok(grant_view(g, resource.code, consumer))
}

/// A grant's usage records, for its consumer, its provider and those who oversee.
pub async fn usage(p: &Platform, actor: &Actor, grant_id: i64) -> Result<Vec<Usage>> {
    let mut conn = p.store.read().await?;
    visible_grant(&mut conn, actor, grant_id).await?;
    usage_of(&mut conn, grant_id).await
}

async fn usage_of(conn: &mut store::Conn, grant_id: i64) -> Result<Vec<Usage>> {
    Ok(store::sharing::usage_of(conn, grant_id).await?.into_iter().map(usage_view).collect())
}

/// What the console shows of a grant: the grant, its calls per day and its usage records, read with one check of
/// who may see it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct GrantOverview {
    pub grant: GrantView,
    pub calls: Vec<DayCalls>,
    pub usage: Vec<Usage>,
}

/// A grant's overview for the last `days` days, for its consumer, its provider and those who oversee.
pub async fn grant_overview(p: &Platform, actor: &Actor, grant_id: i64, days: u32) -> Result<GrantOverview> {
    check_days(days)?;
    p.audit_writer.settle().await;
    let mut conn = p.store.read().await?;
    let (g, resource) = visible_grant(&mut conn, actor, grant_id).await?;
    let calls = calls_of(p, &mut conn, &g, &resource, days).await?;
    let usage = usage_of(&mut conn, grant_id).await?;
    let grant = view_of(&mut conn, g, resource).await?;
    Ok(GrantOverview { grant, calls, usage })
}

/// Asks the consumer of every ended grant that obtained data to confirm its copies are destroyed (FS-08d), once
/// per grant; the confirmation resolves it.
pub async fn scan_destruction(p: &Platform) -> Result<usize> {
    let actor = Actor::platform("share-destruction");
    let now = p.now_us();
    let mut conn = p.store.read().await?;
    let ended = store::sharing::ended_without_destruction(&mut conn, now).await?;
    drop(conn);
    let mut raised = 0;
    let mut tx = p.store.begin().await?;
    for g in ended {
        let row = store::alerts::AlertRow {
            id: 0,
            kind: "grant_destruction_due".into(),
            object_kind: "grant".into(),
            object_id: g.id.to_string(),
            department_id: g.consumer_department_id,
            to_authority: false,
            due_at_us: g.expires_at_us.min(now),
            message: format!("授权{}（{}）已结束：请销毁获取的数据副本并记录销毁情况", g.id, g.scenario),
            message_en: format!("Grant {} ({}) has ended: destroy the copies obtained and record it", g.id, g.scenario),
            raised_at_us: now,
            resolved_at_us: None,
        };
        // One request per grant, whatever the instant it is first seen.
        if store::alerts::open_exists(&mut tx, "grant_destruction_due", &row.object_id).await? {
            continue;
        }
        if crate::alerts::raise_logged(&mut tx, &actor, &row, "grant_destruction_due".into(), now).await? {
            raised += 1;
        }
    }
    tx.commit().await?;
    Ok(raised)
}


/// One day's calls under a grant, as the audit log has them.
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct DayCalls {
    pub day: NaiveDate,
    pub record: i64,
    pub verify: i64,
    pub stats: i64,
    pub batch: i64,
    /// Calls refused under this grant (over-scope, over-purpose, expired, suspended).
    pub denied: i64,
}

/// A grant's calls for each of the last `days` days (today last, days without calls as zeros), for its consumer,
/// its provider and those who oversee: the console's usage chart.
pub async fn calls(p: &Platform, actor: &Actor, grant_id: i64, days: u32) -> Result<Vec<DayCalls>> {
    check_days(days)?;
    // Calls still in the journal are counted too.
    p.audit_writer.settle().await;
    let mut conn = p.store.read().await?;
    let (g, resource) = visible_grant(&mut conn, actor, grant_id).await?;
    calls_of(p, &mut conn, &g, &resource, days).await
}

/// The calls made under a grant, newest first (at most `limit`, 1–1000), each with the scenario it was logged under:
/// for its consumer, its provider and the authority to review its use (YZ-16, LS-19b).
pub async fn grant_events(p: &Platform, actor: &Actor, grant_id: i64, limit: i64) -> Result<Vec<domain::orgs::AuditEvent>> {
    if !(1..=1000).contains(&limit) {
        return Err(Error::invalid("invalid_limit", "条数须为1至1000", "limit is 1 to 1000"));
    }
    p.audit_writer.settle().await;
    let mut conn = p.store.read().await?;
    let (g, resource) = visible_grant(&mut conn, actor, grant_id).await?;
    Ok(store::audit::grant_events(&mut conn, &resource.code, g.consumer_department_id, grant_id, limit).await?)
}

fn check_days(days: u32) -> Result<()> {
    if !(1..=366).contains(&days) {
        return Err(Error::invalid("invalid_days", "天数须为1至366", "days is 1 to 366"));
    }
    Ok(())
}

/// The calls of a grant already found visible; the journal settled by the caller.
async fn calls_of(p: &Platform, conn: &mut store::Conn, g: &GrantRow, resource: &store::catalog::ResourceRow, days: u32) -> Result<Vec<DayCalls>> {
    let grant_id = g.id;
    let today = p.clock.today();
    let first = today - chrono::Duration::days(i64::from(days) - 1);
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("the epoch");
    let rows = store::audit::grant_calls(conn, &resource.code, g.consumer_department_id, grant_id, start_of_day_us(first)).await?;
    let mut out: Vec<DayCalls> = first.iter_days().take(days as usize).map(|day| DayCalls { day, ..Default::default() }).collect();
    for (day, action, n) in rows {
        let day = epoch + chrono::Duration::days(day);
        let Some(slot) = out.iter_mut().find(|d| d.day == day) else { continue };
        match action.as_str() {
            "share.record" => slot.record += n,
            "share.verify" => slot.verify += n,
            "share.stats" => slot.stats += n,
            "share.batch" => slot.batch += n,
            _ => slot.denied += n,
        }
    }
    Ok(out)
}
