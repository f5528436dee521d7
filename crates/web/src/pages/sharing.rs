//! The sharing console: apply for shared data, answer applications within their due days, see and decide grants.

use domain::catalog::attrs::ShareOp;
use domain::sharing::{ApplicationState, DeliveryMode, GrantState, RefusalGround};
use domain::disputes::DisputeStep;
use service::disputes::{DecidedGrant, NewDispute, StepInput};
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
    let applications = page.list(("共享申请", "applications"), service::sharing::applications(&state.platform, &actor).await);
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
                overdue => a.overdue, answerable, beyond_scope => a.beyond_scope,
            }
        })
        .collect();
    let grants = page.list(("授权", "grants"), service::sharing::grants(&state.platform, &actor).await);
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
    let (demands, disputes, corrections, alerts) = oversight(state, page, &actor).await;
    let ops: Vec<Value> = ShareOp::ALL.iter().map(|o| context! { key => o.as_str(), label => label(o.label(), o.label_en()) }).collect();
    let modes: Vec<Value> = DeliveryMode::ALL.iter().map(|m| context! { key => m.as_str(), label => label(m.label(), m.label_en()) }).collect();
    // The kinds of instrument a refusal may rest on (FS-08a); the internal rule is offered so that choosing it is
    // answered with why it is no ground.
    let grounds: Vec<Value> = RefusalGround::ALL.iter().map(|g| context! { key => g.as_str(), label => label(g.label(), g.label_en()) }).collect();
    let grounds_required = state.platform.profile.sharing.refusal_grounds_statutory;
    let asks_use_logic = state.platform.profile.sharing.application_use_logic;
    let asks_undertaking = state.platform.profile.sharing.application_undertaking;
    let grant_states: Vec<Value> = GrantState::ALL.iter().map(|s| context! { key => s.as_str(), label => label(s.label(), s.label_en()) }).collect();
    let default_expiry = (state.platform.clock.today() + chrono::Duration::days(365)).to_string();
    let is_officer = actor.has(Role::DeptDataOfficer) && actor.department_id.is_some();
    // The other departments, for an officer opening a dispute where the regime has a procedure for them.
    let dispute_mechanism = state.platform.profile.features.dispute;
    let departments: Vec<Value> = if is_officer && dispute_mechanism {
        let (all, _) = page.list(("部门", "departments"), service::orgs::list_departments(&state.platform, 1000, 0).await);
        all.iter().filter(|d| Some(d.id) != actor.department_id).map(|d| context! { id => d.id, name => d.name }).collect()
    } else {
        vec![]
    };
    render(
        state,
        page,
        "share.html",
        status,
        context! {
            applications, grants, ops, modes, grant_states, default_expiry, resource, is_officer, error, notice, demands, disputes, corrections, alerts,
            dispute_mechanism, departments, grounds, grounds_required, asks_use_logic, asks_undertaking,
        },
    )
}

/// The alert kinds the sharing page shows: idle and ended grants, anomalies, failing pushes, overdue corrections,
/// and the steps of applications with the answers they await.
const SHARING_ALERTS: &[&str] =
    &["grant_idle", "grant_destruction", "share_anomaly", "share_push", "correction_overdue", service::sharing::STEP_PREFIX, service::sharing::REVIEW_PREFIX];

/// What the sharing page lists besides applications and grants: demands, disputes, corrections and alerts, each as
/// the caller may see them.
async fn oversight(state: &AppState, page: &Page, actor: &Actor) -> (Vec<Value>, Vec<Value>, Vec<Value>, Vec<Value>) {
    let p = &state.platform;
    let zh = page.lang == Lang::Zh;
    let pick = |a: &str, b: &str| if zh { a.to_string() } else { b.to_string() };
    let demands = page.list(("数据需求", "data demands"), service::demands::list(p, actor).await);
    let demands = demands
        .iter()
        .map(|d| {
            context! {
                id => d.id, requester => d.requester.name, provider => d.provider.name, items => d.items.join(","), scenario => d.scenario,
                state_label => pick(d.state.label(), d.state.label_en()), due_on => d.due_on.map(|x| x.to_string()),
                overdue => d.overdue || d.catalog_overdue, resource_code => d.resource_code,
                answerable => service::demands::answerable(p, actor, d),
            }
        })
        .collect();
    let disputes = page.list(("争议", "disputes"), service::disputes::disputes(p, actor).await);
    let disputes = disputes
        .iter()
        .map(|d| {
            context! {
                id => d.id, filer => d.filer.name, respondent => d.respondent.name, subject => d.subject, resource_code => d.resource_code,
                state_label => pick(d.state.label(), d.state.label_en()), coordinator => d.coordinator.as_ref().map(|c| c.name.clone()),
                decider => d.decider, resolution => d.resolution, grant_id => d.grant_id, claim => d.claim,
                escalation_reason => d.escalation_reason, opinion => d.opinion, decision_ref => d.decision_ref,
                steps => d.steps.iter().map(|s| context! { key => s.as_str(), label => pick(s.label(), s.label_en()) }).collect::<Vec<_>>(),
                can_decide => d.steps.contains(&DisputeStep::Decide),
            }
        })
        .collect();
    let corrections = page.list(("数据纠错", "corrections"), service::corrections::list(p, actor).await);
    let corrections = corrections
        .iter()
        .map(|c| {
            let state = match (c.state.as_str(), c.outcome.as_str()) {
                ("received", _) => pick("核查中", "under verification"),
                (_, "corrected") => pick("已更正", "corrected"),
                _ => pick("确认无误", "confirmed correct"),
            };
            context! {
                id => c.id, code => c.resource_code, name => c.resource_name, item => c.item, description => c.description,
                reporter => c.reporter_department.clone().unwrap_or_default(), provider => c.provider, channel => c.channel,
                state_label => state, due_on => c.due_on.map(|d| d.to_string()), overdue => c.overdue, resolution => c.resolution,
                resolvable => service::corrections::resolvable(actor, c),
            }
        })
        .collect();
    let alerts = page.list(("告警", "alerts"), service::alerts::list(p, actor, true).await);
    let alerts = alerts
        .iter()
        .filter(|a| SHARING_ALERTS.iter().any(|k| a.kind.starts_with(k)))
        .map(|a| context! { kind => a.kind, object => format!("{} {}", a.object_kind, a.object_id), message => if zh { &a.message } else { &a.message_en }, raised_at => a.raised_at.get(..16).unwrap_or_default() })
        .collect();
    (demands, disputes, corrections, alerts)
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
    #[serde(default)]
    use_logic: String,
    #[serde(flatten)]
    rest: BTreeMap<String, String>,
}

/// Item names typed into one field, separated by commas (either width) or spaces.
fn item_names(text: &str) -> Vec<String> {
    text.split([',', '，', ' ']).map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect()
}

/// The operations ticked on a form (`op_view=1`, …).
fn checked_ops(fields: &BTreeMap<String, String>) -> Vec<ShareOp> {
    ShareOp::ALL.iter().copied().filter(|o| fields.get(&format!("op_{}", o.as_str())).is_some_and(|v| v == "1")).collect()
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
        items: item_names(&form.items),
        ops: checked_ops(&form.rest),
        mode: DeliveryMode::parse(&form.mode),
        token_ids: vec![],
        starts_on: None,
        expires_on,
        use_logic: form.use_logic,
        undertaking: form.rest.get("undertaking").is_some_and(|v| v == "1"),
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
    #[serde(default)]
    ground: String,
}

pub(super) async fn answer(State(state): State<AppState>, page: Page, Path(id): Path<i64>, Form(form): Form<AnswerForm>) -> Response {
    let actor = match officer_form(&page, &form.csrf) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let ground = match form.ground.trim() {
        "" => None,
        key => match RefusalGround::parse(key) {
            Some(g) => Some(g),
            None => {
                let msg = if page.lang == Lang::Zh { "请从列表中选择依据类别" } else { "Choose the kind of basis from the list" };
                return share_page(&state, &page, String::new(), (Some(msg.into()), None, StatusCode::BAD_REQUEST)).await;
            }
        },
    };
    let input = Answer::new(form.approve == "1", form.reason, form.basis, ground);
    let result = service::sharing::answer(&state.platform, &actor, id, input).await;
    share_page(&state, &page, String::new(), outcome(&page, result, |a| format!("#{} {}", a.id, a.state.label()))).await
}

#[derive(Deserialize)]
pub(super) struct ResolveForm {
    csrf: String,
    outcome: String,
    #[serde(default)]
    resolution: String,
}

/// The provider resolves a correction request on the console (LS-13c, SYS-28d, FS-30b).
pub(super) async fn resolve_correction(State(state): State<AppState>, page: Page, Path(id): Path<i64>, Form(form): Form<ResolveForm>) -> Response {
    let actor = match officer_form(&page, &form.csrf) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let input = service::corrections::Resolution { outcome: form.outcome, resolution: form.resolution };
    let result = service::corrections::resolve(&state.platform, &actor, id, input).await;
    share_page(&state, &page, String::new(), outcome(&page, result, |c| format!("#{} {}", c.id, c.outcome))).await
}

#[derive(Deserialize)]
pub(super) struct DemandForm {
    csrf: String,
    decision: service::demands::Decision,
    #[serde(default)]
    reason: String,
}

/// The reviewer answers a data demand on the console (SYS-32b, SYS-32c).
pub(super) async fn answer_demand(State(state): State<AppState>, page: Page, Path(id): Path<i64>, Form(form): Form<DemandForm>) -> Response {
    let actor = match officer_form(&page, &form.csrf) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let input = service::demands::DemandAnswer { decision: form.decision, reason: form.reason };
    let result = service::demands::answer(&state.platform, &actor, id, input).await;
    share_page(&state, &page, String::new(), outcome(&page, result, |d| format!("#{} {}", d.id, d.state_label))).await
}

#[derive(Deserialize)]
pub(super) struct OpenDisputeForm {
    csrf: String,
    respondent_department_id: String,
    #[serde(default)]
    resource_code: String,
    subject: String,
    claim: String,
    #[serde(default)]
    scenario: String,
}

/// A department's officer opens a dispute with another department on the console (SYS-29a, FS-26c).
pub(super) async fn open_dispute(State(state): State<AppState>, page: Page, Form(form): Form<OpenDisputeForm>) -> Response {
    let actor = match officer_form(&page, &form.csrf) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let Ok(respondent_department_id) = form.respondent_department_id.trim().parse() else {
        let msg = if page.lang == Lang::Zh { "请选择争议的另一方" } else { "Choose the other party" };
        return share_page(&state, &page, String::new(), (Some(msg.into()), None, StatusCode::BAD_REQUEST)).await;
    };
    let code = form.resource_code.trim();
    let input = NewDispute {
        respondent_department_id,
        resource_code: (!code.is_empty()).then(|| code.to_string()),
        application_id: None,
        subject: form.subject,
        claim: form.claim,
        scenario: form.scenario,
    };
    let result = service::disputes::open(&state.platform, &actor, input).await;
    share_page(&state, &page, String::new(), outcome(&page, result, |d| format!("#{} {}", d.id, d.state_label))).await
}

#[derive(Deserialize)]
pub(super) struct DisputeStepForm {
    csrf: String,
    step: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    reference: String,
    /// A decision that grants data: the items (comma-separated), the end of use, and `op_*` checkboxes.
    #[serde(default)]
    grant_items: String,
    #[serde(default)]
    grant_expires_on: String,
    #[serde(flatten)]
    rest: BTreeMap<String, String>,
}

/// A party, or the coordinating authority, takes a step in a dispute on the console (SYS-29a/b, FS-26c).
pub(super) async fn dispute_step(State(state): State<AppState>, page: Page, Path(id): Path<i64>, Form(form): Form<DisputeStepForm>) -> Response {
    let actor = match officer_form(&page, &form.csrf) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let zh = page.lang == Lang::Zh;
    let refuse = |msg: String| share_page(&state, &page, String::new(), (Some(msg), None, StatusCode::BAD_REQUEST));
    let Some(step) = DisputeStep::parse(&form.step) else {
        return refuse(if zh { format!("没有“{}”这一步骤", form.step) } else { format!("There is no step '{}'", form.step) }).await;
    };
    let items = item_names(&form.grant_items);
    let grant = if step == DisputeStep::Decide && !items.is_empty() {
        let Ok(expires_on) = form.grant_expires_on.trim().parse() else {
            return refuse(if zh { "使用期限须为日期（年-月-日）" } else { "The end of use is a date (YYYY-MM-DD)" }.into()).await;
        };
        Some(DecidedGrant { items, ops: checked_ops(&form.rest), expires_on })
    } else {
        None
    };
    let input = StepInput { step, text: form.text, reference: form.reference, grant };
    let result = service::disputes::step(&state.platform, &actor, id, input).await;
    share_page(&state, &page, String::new(), outcome(&page, result, |d| format!("#{} {}", d.id, d.state_label))).await
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

/// A grant's page: what it allows, its calls day by day for thirty days as a chart, what the consumer recorded of
/// its use, and its open alerts.
pub(super) async fn grant_page(State(state): State<AppState>, page: Page, Path(id): Path<i64>) -> Response {
    if let Err(r) = page.require(OVERSEERS) {
        return r;
    }
    let Some(actor) = page.actor.clone() else { return Redirect::to("/login").into_response() };
    let zh = page.lang == Lang::Zh;
    let label = |zh_label: &'static str, en_label: &'static str| if zh { zh_label } else { en_label };
    let p = &state.platform;
    let service::sharing::GrantOverview { grant: g, calls, usage } = match service::sharing::grant_overview(p, &actor, id, 30).await {
        Ok(o) => o,
        Err(e) => return render(&state, &page, "error.html", StatusCode::NOT_FOUND, context! { title => error_message(&page, e) }),
    };
    let grant = context! {
        id => g.id, code => g.resource_code, consumer => g.consumer.name, scenario => g.scenario, items => g.items.join(","),
        ops => g.ops.iter().map(|o| label(o.label(), o.as_str())).collect::<Vec<_>>().join("、"), mode => label(g.mode.label(), g.mode.label_en()),
        starts_at => g.starts_at.get(..10).unwrap_or_default(), expires_at => g.expires_at.get(..10).unwrap_or_default(),
        state_label => label(g.state.label(), g.state.label_en()), state_reason => g.state_reason,
    };
    let chart = calls_chart(&calls);
    let total: i64 = calls.iter().map(|d| d.record + d.verify + d.stats + d.batch).sum();
    let denied: i64 = calls.iter().map(|d| d.denied).sum();
    let usage: Vec<Value> = usage.iter().map(Value::from_serialize).collect();
    let alerts: Vec<Value> = page.list(("告警", "alerts"), service::alerts::list(p, &actor, true).await)
        .iter()
        .filter(|a| a.object_kind == "grant" && a.object_id == id.to_string())
        .map(|a| context! { message => if zh { &a.message } else { &a.message_en }, raised_at => a.raised_at.get(..16).unwrap_or_default() })
        .collect();
    render(&state, &page, "share_grant.html", StatusCode::OK, context! { grant, chart, total, denied, usage, alerts, days => calls.len() })
}

/// The calls per day as an inline SVG bar chart: calls served in blue, refusals stacked in red, one bar a day.
fn calls_chart(days: &[service::sharing::DayCalls]) -> String {
    let (w, h, pad) = (720.0_f64, 160.0_f64, 24.0_f64);
    let max = days.iter().map(|d| d.record + d.verify + d.stats + d.batch + d.denied).max().unwrap_or(0).max(1) as f64;
    let step = (w - pad) / days.len().max(1) as f64;
    let mut svg = format!(r##"<svg id="calls-chart" viewBox="0 0 {w} {}" width="100%" role="img" xmlns="http://www.w3.org/2000/svg">"##, h + 20.0);
    svg.push_str(&format!(r##"<text x="0" y="12" font-size="10" fill="#666">{}</text>"##, max as i64));
    for (i, d) in days.iter().enumerate() {
        let served = (d.record + d.verify + d.stats + d.batch) as f64;
        let x = pad + i as f64 * step;
        let hs = served / max * (h - 16.0);
        let hd = d.denied as f64 / max * (h - 16.0);
        let bar = (step * 0.7).max(1.0);
        svg.push_str(&format!(
            r##"<rect class="served" x="{x:.1}" y="{:.1}" width="{bar:.1}" height="{hs:.1}" fill="#2b6cb0"><title>{} {}</title></rect>"##,
            h - hs,
            d.day,
            served as i64
        ));
        if d.denied > 0 {
            svg.push_str(&format!(
                r##"<rect class="denied" x="{x:.1}" y="{:.1}" width="{bar:.1}" height="{hd:.1}" fill="#c53030"><title>{} {}</title></rect>"##,
                h - hs - hd,
                d.day,
                d.denied
            ));
        }
        if i % 7 == 0 || i + 1 == days.len() {
            svg.push_str(&format!(r##"<text x="{x:.1}" y="{}" font-size="10" fill="#666">{}</text>"##, h + 14.0, d.day.format("%m-%d")));
        }
    }
    svg.push_str(&format!(r##"<line x1="{pad}" y1="{h}" x2="{w}" y2="{h}" stroke="#999"/></svg>"##));
    svg
}
