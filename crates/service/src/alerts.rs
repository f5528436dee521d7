//! Warnings and alerts (报送逾期预警, FS-44c): the platform tells a department, before its delivery is due, that it
//! is coming (within the authority's warning lead, in working days), and tells the department and the authority
//! once it is overdue. A scan raises each warning once per due date and resolves those a new delivery has made
//! moot; the node's worker scans periodically and tests call [`scan`] directly.

use chrono::{DateTime, Utc};
use domain::clock::{format_rfc3339_local, from_micros, to_micros};
use domain::freshness::FeedStatus;
use schemars::JsonSchema;
use serde::Serialize;
use store::alerts::AlertRow;

use crate::{Actor, Error, Platform, Result};

/// An alert as shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Alert {
    pub id: i64,
    /// `delivery_due_soon` or `delivery_overdue`.
    pub kind: String,
    pub object_kind: String,
    pub object_id: String,
    pub department_id: i64,
    /// Whether the authority was told too.
    pub to_authority: bool,
    pub due: String,
    pub message: String,
    pub message_en: String,
    pub raised_at: String,
    pub resolved_at: Option<String>,
}

fn view(a: AlertRow) -> Alert {
    Alert {
        id: a.id,
        kind: a.kind,
        object_kind: a.object_kind,
        object_id: a.object_id,
        department_id: a.department_id,
        to_authority: a.to_authority,
        due: format_rfc3339_local(from_micros(a.due_at_us)),
        message: a.message,
        message_en: a.message_en,
        raised_at: format_rfc3339_local(from_micros(a.raised_at_us)),
        resolved_at: a.resolved_at_us.map(|u| format_rfc3339_local(from_micros(u))),
    }
}

/// What a scan did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Scanned {
    pub raised: usize,
    pub resolved: u64,
}

/// Raises `row` with its `alert.raise` audit event (naming the alert's object, `detail` saying why) in `tx`,
/// unless the same alert is raised already; answers whether it was raised now.
pub(crate) async fn raise_logged(tx: &mut store::Conn, actor: &Actor, row: &AlertRow, detail: String, now_us: i64) -> Result<bool> {
    if !store::alerts::raise(tx, row).await? {
        return Ok(false);
    }
    let mut event = actor.event("alert.raise", &row.object_kind, row.object_id.clone());
    event.detail = detail;
    store::audit::append(tx, &event, now_us).await?;
    Ok(true)
}

/// Raises the delivery warnings and alerts due now and resolves the ones a delivery made moot, each raised alert
/// with its audit event.
pub async fn scan(p: &Platform) -> Result<Scanned> {
    let actor = Actor::platform("alerts");
    let feeds = crate::aggregation::freshness(p, &actor).await?;
    let now = p.now_us();
    let mut scanned = Scanned::default();
    let mut tx = p.store.begin().await?;
    for feed in feeds {
        let due_us = feed.due_at.map(to_micros);
        scanned.resolved += store::alerts::resolve_other(&mut tx, "delivery_", &feed.code, due_us, now).await?;
        let Some(due) = feed.due_at else { continue };
        let shown = format_rfc3339_local(due);
        let (kind, to_authority, message, message_en) = match feed.status {
            FeedStatus::DueSoon => (
                "delivery_due_soon",
                false,
                format!("资源“{}”（{}）应于{}前报送数据（{}更新），请按时归集", feed.name, feed.code, shown, feed.update_frequency.label()),
                format!("Resource {} ({}) is due for delivery by {shown} ({}): deliver on time", feed.name, feed.code, feed.update_frequency.label_en()),
            ),
            FeedStatus::Overdue => (
                "delivery_overdue",
                true,
                format!("资源“{}”（{}）报送逾期：应于{}前报送数据，尚未收到", feed.name, feed.code, shown),
                format!("Resource {} ({}) is overdue: its delivery was due by {shown} and has not arrived", feed.name, feed.code),
            ),
            FeedStatus::OnTime | FeedStatus::Irregular => continue,
        };
        let row = AlertRow {
            id: 0,
            kind: kind.into(),
            object_kind: "resource".into(),
            object_id: feed.code.clone(),
            department_id: feed.provider_id,
            to_authority,
            due_at_us: to_micros(due),
            message,
            message_en,
            raised_at_us: now,
            resolved_at_us: None,
        };
        if raise_logged(&mut tx, &actor, &row, format!("{kind}: due {shown}, department {}", feed.provider_id), now).await? {
            scanned.raised += 1;
        }
    }
    tx.commit().await?;
    scanned.raised += crate::sharing::scan_idle(p).await?;
    scanned.raised += crate::sharing::scan_destruction(p).await?;
    scanned.raised += crate::corrections::scan_overdue(p).await?;
    scanned.raised += crate::sharing::scan_overdue_answers(p).await?;
    Ok(scanned)
}

/// The alerts a caller sees: a department's own; every one for those who oversee. Newest first, at most 500.
pub async fn list(p: &Platform, actor: &Actor, open_only: bool) -> Result<Vec<Alert>> {
    let department = if actor.oversees() {
        None
    } else {
        Some(actor.department_id.ok_or_else(|| Error::forbidden("无权查看预警", "You may not see alerts"))?)
    };
    let mut conn = p.store.read().await?;
    Ok(store::alerts::list(&mut conn, department, open_only, 500).await?.into_iter().map(view).collect())
}

/// How often a node scans for alerts.
pub const SCAN_EVERY: std::time::Duration = std::time::Duration::from_secs(300);

/// Whether a scan is due, the last one having run at `last`: the worker scans every [`SCAN_EVERY`].
pub(crate) fn due_for_scan(last: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    last.is_none_or(|l| now - l >= chrono::Duration::from_std(SCAN_EVERY).unwrap_or_default())
}
