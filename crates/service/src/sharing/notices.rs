//! Notices on share applications (SYS-22, LS-16d): the applicant is told of every step its application takes, the
//! provider is told when an application waits for its answer, and an answer past its due day is raised to the
//! provider and the authority. Notices are alerts (each with its `alert.raise` audit event), written in the same
//! transaction as the step they tell of.

use chrono::NaiveDate;
use domain::sharing::ApplicationState;
use store::alerts::AlertRow;
use store::sharing::ApplicationRow;

use crate::actor::Actor;
use crate::error::Result;
use crate::platform::Platform;

/// Kinds of notice, by prefix: a step resolves the ones it made moot. The applicant's kind names the state
/// (`share_application_approved`…), so two steps at one instant are two notices.
pub const STEP_PREFIX: &str = "share_application_";
pub const REVIEW_PREFIX: &str = "share_review_";
const REVIEW_DUE: &str = "share_review_due";
const REVIEW_OVERDUE: &str = "share_review_overdue";

/// What a step needs to say.
pub(crate) struct Step<'a> {
    pub application: &'a ApplicationRow,
    pub resource_code: &'a str,
    pub provider_department_id: i64,
    pub state: ApplicationState,
    /// The provider's due day, where the step leaves the application with the provider.
    pub due_on: Option<&'a str>,
}

/// Tells of a step in `tx`: resolves the earlier notices of the application, tells the applicant where it stands
/// now (SYS-22), and tells the provider when its answer is awaited (LS-16d).
pub(crate) async fn step(tx: &mut store::Conn, actor: &Actor, s: Step<'_>, now_us: i64) -> Result<()> {
    let a = s.application;
    let id = a.id.to_string();
    store::alerts::resolve_other(tx, REVIEW_PREFIX, &id, None, now_us).await?;
    store::alerts::resolve_other(tx, STEP_PREFIX, &id, None, now_us).await?;
    let (label, label_en) = (s.state.label(), s.state.label_en());
    let kind = format!("{STEP_PREFIX}{}", s.state.as_str());
    let applicant = AlertRow {
        id: 0,
        kind: kind.clone(),
        object_kind: "share_application".into(),
        object_id: id.clone(),
        department_id: a.consumer_department_id,
        to_authority: false,
        due_at_us: now_us,
        message: format!("共享申请{}（资源{}，{}）：{label}", a.id, s.resource_code, a.scenario),
        message_en: format!("Share application {} (resource {}, {}): {label_en}", a.id, s.resource_code, a.scenario),
        raised_at_us: now_us,
        resolved_at_us: None,
    };
    crate::alerts::raise_logged(tx, actor, &applicant, format!("{kind}: application {}", a.id), now_us).await?;
    if s.state == ApplicationState::ProviderReview {
        let due = s.due_on.unwrap_or_default();
        let provider = AlertRow {
            kind: REVIEW_DUE.into(),
            department_id: s.provider_department_id,
            due_at_us: due_at_us(due, now_us),
            message: format!("共享申请{}（资源{}，{}）待本部门答复，应于{due}前答复", a.id, s.resource_code, a.scenario),
            message_en: format!("Share application {} (resource {}, {}) awaits your answer, due by {due}", a.id, s.resource_code, a.scenario),
            ..applicant
        };
        crate::alerts::raise_logged(tx, actor, &provider, format!("{REVIEW_DUE}: application {} due {due}", a.id), now_us).await?;
    }
    Ok(())
}

fn due_at_us(due_on: &str, now_us: i64) -> i64 {
    due_on.parse::<NaiveDate>().map(super::start_of_day_us).unwrap_or(now_us)
}

/// Raises an alert to the provider and the authority for each application still with its provider after its due
/// day (LS-16d: 及时响应; SYS-27c, CS-22c, FS-26b set the days), once per application; answering resolves it.
pub async fn scan_overdue_answers(p: &Platform) -> Result<usize> {
    let today = p.clock.today();
    let now = p.now_us();
    let mut conn = p.store.read().await?;
    let late: Vec<ApplicationRow> = store::sharing::applications(&mut conn, None)
        .await?
        .into_iter()
        .filter(|a| a.state == ApplicationState::ProviderReview.as_str() && a.due_on.as_deref().and_then(|d| d.parse::<NaiveDate>().ok()).is_some_and(|d| d < today))
        .collect();
    let mut resources = Vec::with_capacity(late.len());
    for a in &late {
        resources.push(store::catalog::by_id(&mut conn, a.resource_id).await?);
    }
    drop(conn);
    let actor = Actor::platform("share-answers");
    let mut raised = 0;
    let mut tx = p.store.begin().await?;
    for (a, resource) in late.iter().zip(resources) {
        let Some(resource) = resource else { continue };
        // Answered since it was read: the answer's step resolved its notices, and none is raised after it.
        if !store::sharing::application_by_id(&mut tx, a.id).await?.is_some_and(|now| now.state == ApplicationState::ProviderReview.as_str()) {
            continue;
        }
        let due = a.due_on.clone().unwrap_or_default();
        let row = AlertRow {
            id: 0,
            kind: REVIEW_OVERDUE.into(),
            object_kind: "share_application".into(),
            object_id: a.id.to_string(),
            department_id: resource.provider_department_id,
            to_authority: true,
            due_at_us: due_at_us(&due, now),
            message: format!("共享申请{}（资源{}，{}）应于{due}前答复，已逾期", a.id, resource.code, a.scenario),
            message_en: format!("Share application {} (resource {}, {}) was due for an answer by {due} and is overdue", a.id, resource.code, a.scenario),
            raised_at_us: now,
            resolved_at_us: None,
        };
        if crate::alerts::raise_logged(&mut tx, &actor, &row, format!("{REVIEW_OVERDUE}: application {} due {due}", a.id), now).await? {
            raised += 1;
        }
    }
    tx.commit().await?;
    Ok(raised)
}
