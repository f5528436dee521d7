//! The sharing console: apply for shared data, answer applications within their due days, see and decide grants.

use domain::catalog::attrs::ShareOp;
use domain::sharing::{ApplicationState, DeliveryMode, GrantState};
use service::sharing::{Answer, GrantDecision, NewApplication};

use super::*;

const OVERSEERS: &[Role] = &[Role::AuthorityAdmin, Role::ServiceOperator, Role::DeptDataOfficer, Role::Auditor];

#[derive(Deserialize)]
pub(super) struct ShareQuery {
    resource: Option<String>,
}

pub(super) async fn share(State(state): State<AppState>, page: Page, Query(q): Query<ShareQuery>) -> Response {
    if let Err(r) = page.require(OVERSEERS) {
        return r;
    }
    share_page(&state, &page, q.resource.unwrap_or_default(), (None, None, StatusCode::OK)).await
}

async fn share_page(state: &AppState, page: &Page, resource: String, (error, notice, status): Outcome) -> Response {
    let Some(actor) = page.actor.clone() else { return Redirect::to("/login").into_response() };
    let zh = page.lang == Lang::Zh;
    let label = |zh_label: &'static str, en_label: &'static str| if zh { zh_label } else { en_label };
    let admin = actor.has(Role::AuthorityAdmin);
    let applications = service::sharing::applications(&state.platform, &actor).await.unwrap_or_default();
    let applications: Vec<Value> = applications
        .iter()
        .map(|a| {
            let answerable = match a.state {
                ApplicationState::ProviderReview => actor.has(Role::DeptDataOfficer) && actor.department_id == Some(a.provider.id),
                ApplicationState::AuthorityReview | ApplicationState::Consent | ApplicationState::Forwarding | ApplicationState::CityReview => admin,
                _ => false,
            };
            context! {
                id => a.id, code => a.resource_code, name => a.resource_name, consumer => a.consumer.name, provider => a.provider.name,
                scenario => a.scenario, items => a.items.join(","), ops => a.ops.iter().map(|o| label(o.label(), o.as_str())).collect::<Vec<_>>().join("、"),
                state_label => label(a.state.label(), a.state.label_en()), reason => a.reason, due_on => a.due_on.map(|d| d.to_string()),
                overdue => a.overdue, answerable,
            }
        })
        .collect();
    let grants = service::sharing::grants(&state.platform, &actor).await.unwrap_or_default();
    let grants: Vec<Value> = grants
        .iter()
        .map(|g| {
            context! {
                id => g.id, code => g.resource_code, consumer => g.consumer.name, scenario => g.scenario, items => g.items.join(","),
                ops => g.ops.iter().map(|o| label(o.label(), o.as_str())).collect::<Vec<_>>().join("、"), mode => label(g.mode.label(), g.mode.label_en()),
                expires_at => g.expires_at.get(..10).unwrap_or_default(), state => g.state.as_str(), state_label => label(g.state.label(), g.state.label_en()),
                state_reason => g.state_reason,
            }
        })
        .collect();
    let ops: Vec<Value> = ShareOp::ALL.iter().map(|o| context! { key => o.as_str(), label => label(o.label(), o.label_en()) }).collect();
    let modes: Vec<Value> = DeliveryMode::ALL.iter().map(|m| context! { key => m.as_str(), label => label(m.label(), m.label_en()) }).collect();
    let grant_states: Vec<Value> = GrantState::ALL.iter().map(|s| context! { key => s.as_str(), label => label(s.label(), s.label_en()) }).collect();
    let default_expiry = (state.platform.clock.today() + chrono::Duration::days(365)).to_string();
    let is_officer = actor.has(Role::DeptDataOfficer) && actor.department_id.is_some();
    render(
        state,
        page,
        "share.html",
        status,
        context! { applications, grants, ops, modes, grant_states, default_expiry, resource, is_officer, error, notice },
    )
}

#[derive(Deserialize)]
pub(super) struct ApplyForm {
    csrf: String,
    resource_code: String,
    scenario: String,
    basis: String,
    purpose: String,
    items: String,
    mode: String,
    expires_on: String,
    #[serde(flatten)]
    rest: BTreeMap<String, String>,
}

fn officer_form(page: &Page, csrf: &str) -> Result<Actor, Response> {
    let actor = page.require(&[Role::AuthorityAdmin, Role::DeptDataOfficer])?.clone();
    if !csrf_ok(page, csrf) {
        return Err(csrf_refused(page));
    }
    Ok(actor)
}

pub(super) async fn apply(State(state): State<AppState>, page: Page, Form(form): Form<ApplyForm>) -> Response {
    let actor = match officer_form(&page, &form.csrf) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let resource = form.resource_code.trim().to_string();
    let Ok(expires_on) = form.expires_on.trim().parse() else {
        let msg = if page.lang == Lang::Zh { "使用期限须为日期（年-月-日）" } else { "The end of use is a date (YYYY-MM-DD)" };
        return share_page(&state, &page, resource, (Some(msg.into()), None, StatusCode::BAD_REQUEST)).await;
    };
    let input = NewApplication {
        resource_code: resource.clone(),
        scenario: form.scenario,
        basis: form.basis,
        purpose: form.purpose,
        items: form.items.split([',', '，', ' ']).map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect(),
        ops: ShareOp::ALL.iter().copied().filter(|o| form.rest.get(&format!("op_{}", o.as_str())).is_some_and(|v| v == "1")).collect(),
        mode: DeliveryMode::parse(&form.mode),
        token_ids: vec![],
        starts_on: None,
        expires_on,
    };
    let result = service::sharing::apply(&state.platform, &actor, input).await;
    share_page(&state, &page, resource, outcome(&page, result, |a| format!("#{} {}", a.id, a.state.label()))).await
}

#[derive(Deserialize)]
pub(super) struct AnswerForm {
    csrf: String,
    approve: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    basis: String,
}

pub(super) async fn answer(State(state): State<AppState>, page: Page, Path(id): Path<i64>, Form(form): Form<AnswerForm>) -> Response {
    let actor = match officer_form(&page, &form.csrf) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let input = Answer { approve: form.approve == "1", reason: form.reason, basis: form.basis };
    let result = service::sharing::answer(&state.platform, &actor, id, input).await;
    share_page(&state, &page, String::new(), outcome(&page, result, |a| format!("#{} {}", a.id, a.state.label()))).await
}

#[derive(Deserialize)]
pub(super) struct GrantForm {
    csrf: String,
    state: String,
    reason: String,
}

pub(super) async fn decide_grant(State(state): State<AppState>, page: Page, Path(id): Path<i64>, Form(form): Form<GrantForm>) -> Response {
    let actor = match authority_form(&page, &form.csrf) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let Some(new_state) = GrantState::parse(&form.state) else {
        return share_page(&state, &page, String::new(), (Some(format!("state: {}", form.state)), None, StatusCode::BAD_REQUEST)).await;
    };
    let result = service::sharing::decide_grant(&state.platform, &actor, id, GrantDecision { state: new_state, reason: form.reason }).await;
    share_page(&state, &page, String::new(), outcome(&page, result, |g| format!("#{} {}", g.id, g.state.label()))).await
}
