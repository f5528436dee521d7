//! Subjects' consent (FS-31a: 行政相对人有权决定是否允许自身的敏感数据应用于特定业务场景): a grant approved as
//! consent-based serves a subject's record only while that subject's consent to the consumer's use in the grant's
//! scenario is in force. The service center records a consent and its revocation for the subject, whose identity it
//! verified; each is audited and takes effect on the next call.

use domain::clock::{format_rfc3339_local, from_micros};
use domain::roles::Role;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use store::sharing::ConsentRow;

use crate::actor::Actor;
use crate::error::{Error, Result};
use crate::platform::Platform;

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewConsent {
    /// The subject's citizen ID or credit code, as verified where the consent was taken.
    pub subject_id: String,
    pub resource_code: String,
    /// The consumer department the subject lets use its data.
    pub department_id: i64,
    /// The scenario the use is for (the grant's).
    pub scenario: String,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Consent {
    pub id: i64,
    pub subject_id: String,
    pub resource_code: String,
    pub department_id: i64,
    pub scenario: String,
    pub granted_at: String,
    pub recorded_by: String,
    pub revoked_at: Option<String>,
    pub revoked_by: String,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentQuery {
    pub subject_id: String,
}

fn require_counter(actor: &Actor) -> Result<()> {
    if actor.has_any(&[Role::ServiceOperator, Role::AuthorityAdmin]) {
        Ok(())
    } else {
        Err(Error::forbidden("数据主体的授权同意由政务服务中心或数据主管部门受理", "A subject's consent is taken by the service center or the data authority"))
    }
}

fn subject_key(subject: &str) -> Result<String> {
    let subject = subject.trim().to_ascii_uppercase();
    if domain::ids::CitizenId::parse(&subject).is_err() && domain::ids::Uscc::parse(&subject).is_err() {
        return Err(Error::invalid("invalid_subject_id", "数据主体须为有效的公民身份号码或统一社会信用代码", "The subject is a valid citizen ID number or unified social credit code"));
    }
    Ok(subject)
}

/// Records a subject's consent to a consumer's use of its data in a scenario.
pub async fn record(p: &Platform, actor: &Actor, input: NewConsent) -> Result<Consent> {
    require_counter(actor)?;
    let key = subject_key(&input.subject_id)?;
    let scenario = input.scenario.trim();
    if scenario.is_empty() || scenario.chars().count() > 500 {
        return Err(Error::invalid("consent_scenario", "请填写授权的应用场景（1至500字）", "State the scenario consented to (1 to 500 characters)"));
    }
    let mut conn = p.store.read().await?;
    let resource = store::catalog::by_code(&mut conn, input.resource_code.trim())
        .await?
        .ok_or_else(|| Error::not_found(format!("资源{}不存在", input.resource_code.trim()), format!("Resource {} does not exist", input.resource_code.trim())))?;
    store::orgs::department_by_id(&mut conn, input.department_id)
        .await?
        .ok_or_else(|| Error::not_found(format!("部门{}不存在", input.department_id), format!("Department {} does not exist", input.department_id)))?;
    drop(conn);
    let now = p.now_us();
    let row = ConsentRow {
        id: 0,
        subject_key: key,
        resource_id: resource.id,
        consumer_department_id: input.department_id,
        scenario: scenario.into(),
        granted_at_us: now,
        recorded_by: actor.name.clone(),
        revoked_at_us: None,
        revoked_by: String::new(),
    };
    let mut tx = p.store.begin().await?;
    let id = store::sharing::insert_consent(&mut tx, &row).await?;
    let mut event = actor.event("share.consent", "resource", &resource.code);
    event.purpose = row.scenario.clone();
    event.detail = format!("consent {id}: subject {}, department {}", crate::sharing::key_print(&row.subject_key), row.consumer_department_id);
    store::audit::append(&mut tx, &event, now).await?;
    tx.commit().await?;
    p.caches.bump();
    Ok(view(resource.code, ConsentRow { id, ..row }))
}

/// Revokes a consent: the next call for the subject under that scenario is refused.
pub async fn revoke(p: &Platform, actor: &Actor, id: i64) -> Result<Consent> {
    require_counter(actor)?;
    let now = p.now_us();
    let mut tx = p.store.begin().await?;
    let row = store::sharing::consent_by_id(&mut tx, id).await?.ok_or_else(|| Error::not_found(format!("授权同意{id}不存在"), format!("Consent {id} does not exist")))?;
    if !store::sharing::revoke_consent(&mut tx, id, &actor.name, now).await? {
        return Err(Error::Conflict { zh: format!("授权同意{id}已撤回"), en: format!("Consent {id} is revoked already") });
    }
    let code = store::catalog::by_id(&mut tx, row.resource_id).await?.map(|r| r.code).unwrap_or_default();
    let mut event = actor.event("share.consent.revoke", "resource", &code);
    event.purpose = row.scenario.clone();
    event.detail = format!("consent {id} revoked");
    store::audit::append(&mut tx, &event, now).await?;
    tx.commit().await?;
    p.caches.bump();
    Ok(view(code, ConsentRow { revoked_at_us: Some(now), revoked_by: actor.name.clone(), ..row }))
}

/// A subject's consents, for the counter that serves the subject.
pub async fn of_subject(p: &Platform, actor: &Actor, subject_id: &str) -> Result<Vec<Consent>> {
    require_counter(actor)?;
    let key = subject_key(subject_id)?;
    let mut conn = p.store.read().await?;
    let rows = store::sharing::consents_of(&mut conn, &key).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let code = store::catalog::by_id(&mut conn, r.resource_id).await?.map(|x| x.code).unwrap_or_default();
        out.push(view(code, r));
    }
    Ok(out)
}

fn view(resource_code: String, r: ConsentRow) -> Consent {
    Consent {
        id: r.id,
        subject_id: r.subject_key,
        resource_code,
        department_id: r.consumer_department_id,
        scenario: r.scenario,
        granted_at: format_rfc3339_local(from_micros(r.granted_at_us)),
        recorded_by: r.recorded_by,
        revoked_at: r.revoked_at_us.map(|u| format_rfc3339_local(from_micros(u))),
        revoked_by: r.revoked_by,
    }
}
