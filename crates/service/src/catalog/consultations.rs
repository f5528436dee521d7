//! Consulting the providing institution (YZ-7c): where the regime asks, a revision written by someone other than
//! the provider's own data officers (the competent department compiling the district catalog) is not published
//! until the provider has recorded its opinion. The text does not say the opinion binds, so a disagreement is
//! recorded and shown to the reviewer, and the competent department decides.

use domain::catalog::lifecycle::Opinion;
use domain::clock::{format_rfc3339_local, from_micros};
use domain::roles::Role;
use schemars::JsonSchema;
use serde::Serialize;

use super::{load, Entry};
use crate::actor::ActorKind;
use crate::{Actor, Error, Platform, Result};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct ConsultationView {
    pub code: String,
    pub rev: i64,
    pub department: String,
    pub opened_by: String,
    pub opened_at: String,
    pub opinion: Option<Opinion>,
    pub comment: String,
    pub answered_by: Option<String>,
    pub answered_at: Option<String>,
}

fn provider_officer(actor: &Actor, provider_id: i64) -> bool {
    actor.has(Role::DeptDataOfficer) && actor.department_id == Some(provider_id)
}

/// Opens the consultation of revision `rev` of resource `resource_id` when someone other than the provider wrote
/// it, inside the caller's transaction. The command line acts for the department whose file it loads.
pub(crate) async fn open_if_needed(p: &Platform, tx: &mut store::Tx, actor: &Actor, resource_id: i64, provider_id: i64, rev: i64) -> Result<()> {
    if p.profile.catalog.consult_provider && actor.kind != ActorKind::Cli && !provider_officer(actor, provider_id) {
        store::catalog::consultations::open(tx, resource_id, rev, provider_id, &actor.name, p.now_us()).await?;
    }
    Ok(())
}

/// Refuses to publish revision `rev` while its provider has not answered.
pub(crate) async fn require_answered(tx: &mut store::Tx, entry: &Entry, rev: i64) -> Result<()> {
    match store::catalog::consultations::get(tx, entry.row.id, rev).await? {
        Some(c) if c.opinion.is_none() => Err(Error::Conflict {
            zh: format!("已就本次修订征求{}意见，该机构尚未答复，暂不能发布", entry.provider.name),
            en: format!("{} was consulted on this revision and has not answered: it cannot be published yet", entry.provider.name),
        }),
        _ => Ok(()),
    }
}

/// The consultation of the entry's working revision.
pub async fn get(p: &Platform, actor: &Actor, code: &str) -> Result<ConsultationView> {
    let mut conn = p.store.read().await?;
    let entry = load(p, &mut conn, code).await?;
    if !super::may_see_working(actor, entry.provider.id) {
        return Err(Error::forbidden("无权查看该资源的意见征求", "You may not see this entry's consultation"));
    }
    let rev = entry.row.working_rev.ok_or_else(|| none(code))?;
    let row = store::catalog::consultations::get(&mut conn, entry.row.id, rev).await?.ok_or_else(|| none(code))?;
    Ok(ConsultationView {
        code: entry.row.code.clone(),
        rev,
        department: entry.provider.name.clone(),
        opened_by: row.opened_by,
        opened_at: format_rfc3339_local(from_micros(row.opened_at_us)),
        opinion: row.opinion.as_deref().and_then(Opinion::parse),
        comment: row.comment,
        answered_by: row.answered_by,
        answered_at: row.answered_at_us.map(|u| format_rfc3339_local(from_micros(u))),
    })
}

fn none(code: &str) -> Error {
    Error::not_found(format!("资源{code}当前没有征求意见"), format!("Resource {code} has no consultation open"))
}

/// The provider's data officer records its opinion on the working revision.
pub async fn answer(p: &Platform, actor: &Actor, code: &str, opinion: Opinion, comment: &str) -> Result<ConsultationView> {
    let comment = comment.trim();
    if comment.chars().count() > 2000 || (opinion == Opinion::Disagree && comment.is_empty()) {
        return Err(Error::invalid("comment_required", "不同意时须说明理由（至多2000个字符）", "A disagreement gives its reasons (at most 2000 characters)"));
    }
    let now = p.now_us();
    let mut tx = p.store.begin().await?;
    let entry = load(p, &mut tx, code).await?;
    if !provider_officer(actor, entry.provider.id) {
        return Err(Error::forbidden(format!("只有{}的数据专员可以答复", entry.provider.name), format!("Only the data officers of {} answer", entry.provider.name)));
    }
    let rev = entry.row.working_rev.ok_or_else(|| none(code))?;
    if !store::catalog::consultations::answer(&mut tx, entry.row.id, rev, opinion.as_str(), comment, &actor.name, now).await? {
        return Err(none(code));
    }
    let mut event = actor.event("resource.consultation.answer", "resource", code);
    event.detail = format!("revision {rev}: {}", opinion.as_str());
    event.purpose = comment.into();
    store::audit::append(&mut tx, &event, now).await?;
    tx.commit().await?;
    get(p, actor, code).await
}
