//! Data obtained through sharing stays with its consumer (SYS-33a, CS-22f, FS-32): an entry of the consumer's that
//! declares it is derived from another department's resource is shared on or opened only as the regime allows —
//! with the providing department's consent (SYS-33b), with the authority's approval (CS-22f), or never (FS-32). The
//! check runs when the entry is submitted (telling the department before review) and again whenever a revision is
//! published — by review, by an attribute change or by a decided objection — so no path offers the data on.

use domain::catalog::attrs::Attr;
use domain::catalog::entry::ResourceContent;
use domain::clock::{format_rfc3339_local, from_micros};
use domain::roles::Role;
use domain::sharing::OnwardRule;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use store::sharing::OnwardRow;

use crate::actor::Actor;
use crate::error::{Error, Result};
use crate::platform::Platform;

/// A consumer asks to offer on data it obtained (再提供申请).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOnward {
    /// The resource whose shared data is offered on.
    pub resource_code: String,
    /// The consumer's own entry that offers it on (shared or open).
    pub derived_code: String,
    /// Why, and to whom.
    pub reason: String,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OnwardAnswer {
    pub approve: bool,
    #[serde(default)]
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Onward {
    pub id: i64,
    pub resource_code: String,
    pub provider_department_id: i64,
    pub consumer_department_id: i64,
    pub derived_code: String,
    pub reason: String,
    /// `requested`, `approved` or `refused`.
    pub state: String,
    pub requested_by: String,
    pub requested_at: String,
    pub answered_by: String,
    pub answered_at: Option<String>,
    pub answer_reason: String,
}

/// Refuses the submission of an entry that offers on data obtained through sharing without what the regime asks.
/// An entry neither shared nor open keeps the data for its department's own use and passes.
pub(crate) async fn check(p: &Platform, conn: &mut store::Conn, code: &str, provider_department_id: i64, content: &ResourceContent) -> Result<()> {
    let offered = content.effective_share_attr() != Attr::None || content.is_open(p.profile.features.open_attr);
    if content.derived_from.is_empty() || !offered {
        return Ok(());
    }
    for source in &content.derived_from {
        let resource = store::catalog::by_code(conn, source.trim()).await?.ok_or_else(|| {
            Error::invalid("derived_from", format!("数据来源资源{source}不存在"), format!("The source resource {source} does not exist"))
        })?;
        if resource.provider_department_id == provider_department_id {
            continue;
        }
        let rule = p.profile.sharing.onward;
        if rule != OnwardRule::Never && store::sharing::onward_approved(conn, resource.id, provider_department_id, code).await? {
            continue;
        }
        let (zh, en) = match rule {
            OnwardRule::ProviderConsent => ("未经数据提供部门同意，不得再共享或开放：请先提出再提供申请", "it is shared on or opened only with the providing department's consent: ask for it first"),
            OnwardRule::AuthorityApproval => ("未经数据主管部门批准，不得再共享或开放：请先提出再提供申请", "it is shared on or opened only with the authority's approval: ask for it first"),
            OnwardRule::Never => ("不得以任何形式提供给第三方：该目录只能设为不予共享且不开放", "it is never passed to a third party: the entry can only be not shared and not open"),
        };
        return Err(Error::invalid(
            "shared_in_data",
            format!("资源{}的数据系通过共享获得，{zh}", resource.code),
            format!("The data of resource {} was obtained through sharing: {en}", resource.code),
        ));
    }
    Ok(())
}

/// The consumer asks to offer on a resource's data in an entry of its own (SYS-33b, CS-22f).
pub async fn request(p: &Platform, actor: &Actor, input: NewOnward) -> Result<Onward> {
    if p.profile.sharing.onward == OnwardRule::Never {
        return Err(Error::invalid("onward_not_allowed", "适用办法规定通过共享获得的数据不得提供给第三方，不能申请再提供", "The regulation in force never lets shared data pass to a third party: there is nothing to ask"));
    }
    let Some(consumer) = actor.department_id.filter(|_| actor.has(Role::DeptDataOfficer)) else {
        return Err(Error::forbidden("再提供申请由获得数据的部门的数据专员提出", "A data officer of the department that obtained the data asks"));
    };
    let reason = input.reason.trim();
    if reason.is_empty() || reason.chars().count() > 1000 {
        return Err(Error::invalid("onward_reason", "请说明再提供的理由和对象（1至1000字）", "Say why and to whom the data is offered on (1 to 1,000 characters)"));
    }
    let mut conn = p.store.read().await?;
    let resource = store::catalog::by_code(&mut conn, input.resource_code.trim()).await?.ok_or_else(|| not_found_resource(&input.resource_code))?;
    let derived = store::catalog::by_code(&mut conn, input.derived_code.trim()).await?.ok_or_else(|| not_found_resource(&input.derived_code))?;
    drop(conn);
    if derived.provider_department_id != consumer {
        return Err(Error::forbidden("只能为本部门的目录申请再提供", "You ask only for your own department's entries"));
    }
    if resource.provider_department_id == consumer {
        return Err(Error::invalid("onward_own_data", "本部门的数据无需申请再提供", "Your own department's data needs no consent"));
    }
    let now = p.now_us();
    let row = OnwardRow {
        id: 0,
        resource_id: resource.id,
        consumer_department_id: consumer,
        derived_code: derived.code.clone(),
        reason: reason.into(),
        state: "requested".into(),
        requested_by: actor.name.clone(),
        requested_at_us: now,
        answered_by: String::new(),
        answered_at_us: None,
        answer_reason: String::new(),
    };
    let mut tx = p.store.begin().await?;
    let id = store::sharing::insert_onward(&mut tx, &row).await?;
    let mut event = actor.event("share.onward.request", "resource", &resource.code);
    event.detail = format!("request {id}: offered on in {}", derived.code);
    store::audit::append(&mut tx, &event, now).await?;
    tx.commit().await?;
    get(p, actor, id).await
}

/// The providing department consents (SYS-33b) or the authority approves (CS-22f), or refuses with a reason; the
/// requesting department never answers its own.
pub async fn answer(p: &Platform, actor: &Actor, id: i64, input: OnwardAnswer) -> Result<Onward> {
    if p.profile.sharing.onward == OnwardRule::Never {
        return Err(Error::invalid("onward_not_allowed", "适用办法规定通过共享获得的数据不得提供给第三方，没有可答复的再提供申请", "The regulation in force never lets shared data pass to a third party: there is nothing to answer"));
    }
    let mut conn = p.store.read().await?;
    let row = store::sharing::onward_by_id(&mut conn, id).await?.ok_or_else(|| not_found(id))?;
    let resource = store::catalog::by_id(&mut conn, row.resource_id).await?.ok_or_else(|| not_found(id))?;
    drop(conn);
    let allowed = match p.profile.sharing.onward {
        OnwardRule::ProviderConsent => actor.has(Role::DeptDataOfficer) && actor.department_id == Some(resource.provider_department_id),
        OnwardRule::AuthorityApproval => actor.has(Role::AuthorityAdmin),
        OnwardRule::Never => false,
    };
    if !allowed || actor.department_id == Some(row.consumer_department_id) {
        return Err(Error::forbidden(
            match p.profile.sharing.onward {
                OnwardRule::AuthorityApproval => "再提供由数据主管部门批准",
                _ => "再提供由数据提供部门的数据专员同意",
            },
            match p.profile.sharing.onward {
                OnwardRule::AuthorityApproval => "The authority approves offering data on",
                _ => "A data officer of the providing department consents to offering data on",
            },
        ));
    }
    let reason = input.reason.trim();
    if !input.approve && reason.is_empty() {
        return Err(Error::invalid("refusal_reason", "不同意的，应当说明理由", "A refusal states its reasons"));
    }
    if reason.chars().count() > 1000 {
        return Err(Error::invalid("onward_reason", "理由不超过1000字", "At most 1,000 characters for the reason"));
    }
    let state = if input.approve { "approved" } else { "refused" };
    let now = p.now_us();
    let mut tx = p.store.begin().await?;
    if !store::sharing::answer_onward(&mut tx, id, state, &actor.name, reason, now).await? {
        return Err(Error::Conflict { zh: format!("再提供申请{id}已答复"), en: format!("Request {id} is answered already") });
    }
    let mut event = actor.event("share.onward.answer", "resource", &resource.code);
    event.result = state.into();
    event.detail = format!("request {id} for {}: {state}", row.derived_code);
    store::audit::append(&mut tx, &event, now).await?;
    tx.commit().await?;
    get(p, actor, id).await
}

/// The requests a department made or must answer; every one for those who oversee.
pub async fn list(p: &Platform, actor: &Actor) -> Result<Vec<Onward>> {
    let scope = if actor.oversees() { None } else { Some(actor.department_id.ok_or_else(|| Error::forbidden("没有所属部门", "No department"))?) };
    let mut conn = p.store.read().await?;
    let rows = store::sharing::onward_list(&mut conn, scope).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(view(&mut conn, r).await?);
    }
    Ok(out)
}

async fn get(p: &Platform, actor: &Actor, id: i64) -> Result<Onward> {
    let mut conn = p.store.read().await?;
    let row = store::sharing::onward_by_id(&mut conn, id).await?.ok_or_else(|| not_found(id))?;
    let o = view(&mut conn, row).await?;
    if !actor.oversees() && actor.department_id != Some(o.consumer_department_id) && actor.department_id != Some(o.provider_department_id) {
        return Err(not_found(id));
    }
    Ok(o)
}

async fn view(conn: &mut store::Conn, r: OnwardRow) -> Result<Onward> {
    let resource = store::catalog::by_id(conn, r.resource_id).await?;
    let (resource_code, provider_department_id) = resource.map(|x| (x.code, x.provider_department_id)).unwrap_or_default();
    Ok(Onward {
        id: r.id,
        resource_code,
        provider_department_id,
        consumer_department_id: r.consumer_department_id,
        derived_code: r.derived_code,
        reason: r.reason,
        state: r.state,
        requested_by: r.requested_by,
        requested_at: format_rfc3339_local(from_micros(r.requested_at_us)),
        answered_by: r.answered_by,
        answered_at: r.answered_at_us.map(|u| format_rfc3339_local(from_micros(u))),
        answer_reason: r.answer_reason,
    })
}

fn not_found(id: i64) -> Error {
    Error::not_found(format!("再提供申请{id}不存在"), format!("Request {id} does not exist"))
}

fn not_found_resource(code: &str) -> Error {
    Error::not_found(format!("资源{}不存在", code.trim()), format!("Resource {} does not exist", code.trim()))
}
