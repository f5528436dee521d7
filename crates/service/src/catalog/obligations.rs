//! Update obligations. When a law or a department's duties change, the department must update its catalog within
//! the profile's working days (SYS-13a: 10, CS-16c and FS-17c: 15; 鄞州 says 及时, default 10). The authority (or
//! the department) records the change; the obligation is fulfilled by the department's next submission or
//! publication, as the regime says, and is overdue from the day after its due date.

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::Serialize;

use domain::profile::keys;
use domain::roles::Role;
use store::catalog::obligations::{NewObligation, ObligationRow};

use super::Entry;
use crate::actor::ActorKind;
use crate::{Actor, Error, Platform, Result};

/// An obligation as shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Obligation {
    pub id: i64,
    pub department_id: i64,
    pub department_name: String,
    /// `law_change` (法律法规修订) or `duty_change` (职能变化).
    pub cause: String,
    pub description: String,
    pub occurred_on: NaiveDate,
    pub due_on: Option<NaiveDate>,
    pub due_provisional: bool,
    pub fulfilled_on: Option<NaiveDate>,
    /// The entry whose submission or publication fulfilled it.
    pub fulfilled_by: Option<String>,
    pub overdue: bool,
    /// `pending` until the authority acknowledges the filing, then `filed` (CS-16d); none where the regime files
    /// nothing.
    pub filing_status: Option<String>,
}

pub struct ObligationInput {
    pub department_id: i64,
    pub cause: String,
    pub description: String,
    pub occurred_on: NaiveDate,
}

/// Records a change of law or duties for a department and when its catalog update is due.
pub async fn create(p: &Platform, actor: &Actor, input: ObligationInput) -> Result<Obligation> {
    let own = actor.has(Role::DeptDataOfficer) && actor.department_id == Some(input.department_id);
    if !(actor.kind == ActorKind::Cli || actor.has(Role::AuthorityAdmin) || own) {
        return Err(Error::forbidden("只有数据主管部门或本部门数据专员可以登记目录更新义务", "Only the authority or the department's own data officer can record an update obligation"));
    }
    if !matches!(input.cause.as_str(), "law_change" | "duty_change") {
        return Err(Error::invalid(
            "invalid_cause",
            "变化原因须为 law_change（法律法规修订）或 duty_change（职能变化）",
            "The cause must be law_change or duty_change",
        ));
    }
    let description = input.description.trim();
    if description.is_empty() || description.chars().count() > 500 {
        return Err(Error::invalid("invalid_description", "请说明发生了什么变化（1至500个字符）", "Say what changed (1 to 500 characters)"));
    }
    if input.occurred_on > p.clock.today() {
        return Err(Error::invalid("future_date", "变化发生日期不能晚于今天", "The change cannot have happened after today"));
    }
    let due = p.profile.due(&p.calendar(), keys::CATALOG_UPDATE_AFTER_CHANGE, input.occurred_on).map(|d| (d.due, d.provisional));
    let now = p.now_us();
    let mut tx = p.store.begin().await?;
    if store::orgs::department_by_id(&mut tx, input.department_id).await?.is_none() {
        return Err(Error::not_found(format!("部门{}不存在", input.department_id), format!("Department {} does not exist", input.department_id)));
    }
    let new = NewObligation {
        department_id: input.department_id,
        cause: &input.cause,
        description,
        occurred_on: input.occurred_on,
        due,
        created_by: actor.user_id,
    };
    let id = store::catalog::obligations::insert(&mut tx, &new, now).await?;
    let mut event = actor.event("catalog.obligation.create", "catalog_obligation", id.to_string());
    event.detail = format!("department {} {} on {}, due {:?}", input.department_id, input.cause, input.occurred_on, due.map(|d| d.0));
    store::audit::append(&mut tx, &event, now).await?;
    let row = store::catalog::obligations::by_id(&mut tx, id).await?.ok_or_else(|| Error::not_found("义务不存在", "Obligation not found"))?;
    tx.commit().await?;
    let mut conn = p.store.read().await?;
    show(p, &mut conn, row).await
}

/// A department's obligations, or everyone's for the authority and the service center.
pub async fn list(p: &Platform, actor: &Actor, department_id: Option<i64>, open_only: bool) -> Result<Vec<Obligation>> {
    let all = actor.oversees();
    let scope = if all {
        department_id
    } else {
        let own = actor.department_id.ok_or_else(|| Error::forbidden("无权查看目录更新义务", "You may not see update obligations"))?;
        if department_id.is_some_and(|d| d != own) {
            return Err(Error::forbidden("只能查看本部门的目录更新义务", "You can only see your own department's obligations"));
        }
        Some(own)
    };
    let mut conn = p.store.read().await?;
    let rows = store::catalog::obligations::list(&mut conn, scope, open_only).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        out.push(show(p, &mut conn, row).await?);
    }
    Ok(out)
}

/// Fulfils the provider's open obligations with this revision, inside the caller's transaction.
pub(crate) async fn fulfil(p: &Platform, tx: &mut store::Tx, actor: &Actor, entry: &Entry, rev: i64) -> Result<()> {
    let today = p.clock.today();
    let now = p.now_us();
    let ids = store::catalog::obligations::fulfil_open(tx, entry.provider.id, today, entry.row.id, rev, p.profile.catalog.update_filing, now).await?;
    for id in ids {
        let mut event = actor.event("catalog.obligation.fulfil", "catalog_obligation", id.to_string());
        event.detail = format!("{} revision {rev}", entry.row.code);
        store::audit::append(tx, &event, now).await?;
    }
    Ok(())
}

async fn show(p: &Platform, conn: &mut store::Conn, row: ObligationRow) -> Result<Obligation> {
    let department_name = store::orgs::department_by_id(conn, row.department_id).await?.map(|d| d.name).unwrap_or_default();
    let fulfilled_by = match row.fulfilled_resource_id {
        Some(id) => store::catalog::by_id(conn, id).await?.map(|r| r.code),
        None => None,
    };
    let overdue = match (row.fulfilled_on, row.due_on) {
        (Some(done), Some(due)) => done > due,
        (None, Some(due)) => p.clock.today() > due,
        _ => false,
    };
    Ok(Obligation {
        id: row.id,
        department_id: row.department_id,
        department_name,
        cause: row.cause,
        description: row.description,
        occurred_on: row.occurred_on,
        due_on: row.due_on,
        due_provisional: row.due_provisional,
        fulfilled_on: row.fulfilled_on,
        fulfilled_by,
        overdue,
        filing_status: row.filing_status,
    })
}

/// The authority acknowledges the filing of a fulfilled update (备案, CS-16d).
pub async fn acknowledge_filing(p: &Platform, actor: &Actor, id: i64) -> Result<Obligation> {
    crate::orgs::require_authority(actor)?;
    let now = p.now_us();
    let mut tx = p.store.begin().await?;
    let row = store::catalog::obligations::by_id(&mut tx, id).await?.ok_or_else(|| Error::not_found(format!("目录更新义务{id}不存在"), format!("Update obligation {id} does not exist")))?;
    if !store::catalog::obligations::acknowledge_filing(&mut tx, id, &actor.name, now).await? {
        let (zh, en) = match row.filing_status.as_deref() {
            Some("filed") => ("已备案", "already filed"),
            _ => ("尚无待备案的更新", "has no update waiting to be filed"),
        };
        return Err(Error::invalid("not_pending", format!("目录更新义务{id}{zh}"), format!("Update obligation {id} {en}")));
    }
    store::audit::append(&mut tx, &actor.event("catalog.obligation.file", "catalog_obligation", id.to_string()), now).await?;
    let row = store::catalog::obligations::by_id(&mut tx, id).await?.ok_or_else(|| Error::not_found("义务不存在", "Obligation not found"))?;
    tx.commit().await?;
    let mut conn = p.store.read().await?;
    show(p, &mut conn, row).await
}
