//! The console: server-rendered pages, Chinese by default with an English switch (the `lang` cookie). Sign-in
//! sets an HttpOnly, SameSite=Strict session cookie; every form carries a CSRF token that must match the
//! session's (or, before sign-in, a cookie of its own).

use std::collections::BTreeMap;

use axum::extract::{Form, FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use domain::orgs::{DepartmentKind, User};
use domain::roles::Role;
use minijinja::{context, Environment, Value};
use serde::Deserialize;
use service::actor::ActorKind;
use service::Actor;

use crate::extract::{client_addr, cookie};
use crate::i18n::{words, Lang};
use crate::AppState;

const SESSION_COOKIE: &str = "sy_session";
const LOGIN_CSRF_COOKIE: &str = "sy_login_csrf";
const LANG_COOKIE: &str = "lang";

pub fn templates() -> Environment<'static> {
    let mut env = Environment::new();
    for (name, src) in [
        ("base.html", include_str!("../templates/base.html")),
        ("login.html", include_str!("../templates/login.html")),
        ("home.html", include_str!("../templates/home.html")),
        ("departments.html", include_str!("../templates/departments.html")),
        ("users.html", include_str!("../templates/users.html")),
        ("audit.html", include_str!("../templates/audit.html")),
        ("calendar.html", include_str!("../templates/calendar.html")),
        ("error.html", include_str!("../templates/error.html")),
    ] {
        env.add_template(name, src).expect("templates parse");
    }
    env
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/login", get(login_form).post(login_submit))
        .route("/logout", post(logout))
        .route("/lang/{code}", get(set_lang))
        .route("/admin/departments", get(departments).post(create_department))
        .route("/admin/users", get(users).post(create_user))
        .route("/admin/users/{id}/roles", post(assign_role))
        .route("/audit", get(audit))
        .route("/calendar", get(calendar))
}

/// What every page knows about its request.
pub struct Page {
    lang: Lang,
    actor: Option<Actor>,
    user: Option<User>,
    csrf: String,
    client_addr: String,
}

impl FromRequestParts<AppState> for Page {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let lang = Lang::from_cookie(cookie(&parts.headers, LANG_COOKIE));
        let addr = client_addr(parts);
        let mut page = Page { lang, actor: None, user: None, csrf: String::new(), client_addr: addr.clone() };
        if let Some(token) = cookie(&parts.headers, SESSION_COOKIE) {
            if let Ok((actor, Some(csrf))) = service::auth::authenticate(&state.platform, token, &addr).await {
                if actor.kind == ActorKind::User {
                    if let Some(id) = actor.user_id {
                        page.user = store_user(state, id).await;
                    }
                    page.actor = Some(actor);
                    page.csrf = csrf;
                }
            }
        }
        Ok(page)
    }
}

async fn store_user(state: &AppState, id: i64) -> Option<User> {
    service::users::user(&state.platform, id).await.ok()
}

impl Page {
    fn require(&self, roles: &[Role]) -> Result<&Actor, Response> {
        match &self.actor {
            None => Err(Redirect::to("/login").into_response()),
            Some(a) if roles.is_empty() || a.has_any(roles) => Ok(a),
            Some(_) => Err(StatusCode::FORBIDDEN.into_response()),
        }
    }
}

fn render(state: &AppState, page: &Page, name: &str, status: StatusCode, extra: Value) -> Response {
    let t = words(page.lang);
    let profile = &state.platform.profile;
    let profile_name = if page.lang == Lang::Zh { profile.name.clone() } else { profile.name_en.clone() };
    let roles: Vec<Role> = page.actor.as_ref().map(|a| a.roles.clone()).unwrap_or_default();
    let base = context! {
        t => t,
        lang => if page.lang == Lang::En { "en" } else { "zh" },
        html_lang => page.lang.code(),
        user => page.user,
        csrf => page.csrf,
        profile_name => profile_name,
        is_admin => roles.contains(&Role::AuthorityAdmin),
        is_auditor => roles.contains(&Role::Auditor),
    };
    let ctx = context! { ..extra, ..base };
    match state.templates.get_template(name).and_then(|tpl| tpl.render(ctx)) {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, template = name, "template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "template error").into_response()
        }
    }
}

fn error_message(page: &Page, e: service::Error) -> String {
    // Internal errors are logged by the mapping and shown without detail.
    let api = crate::error::ApiError::from(e);
    if page.lang == Lang::Zh {
        api.message
    } else {
        api.message_en
    }
}

fn role_label(state: &AppState, lang: Lang, role: Role) -> String {
    match lang {
        Lang::Zh => state.platform.profile.role_label(role),
        Lang::En => role.label_en().to_string(),
    }
}

fn csrf_ok(page: &Page, submitted: &str) -> bool {
    !page.csrf.is_empty() && constant_time_eq(page.csrf.as_bytes(), submitted.as_bytes())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The authority's forms: the caller must be an authority administrator and the CSRF token must match.
fn authority_form(page: &Page, submitted_csrf: &str) -> Result<Actor, Response> {
    let actor = page.require(&[Role::AuthorityAdmin])?.clone();
    if !csrf_ok(page, submitted_csrf) {
        return Err(csrf_refused(page));
    }
    Ok(actor)
}

/// After a form: the confirmation (with what was saved) or the error, on the re-rendered page.
fn outcome<T>(page: &Page, result: service::Result<T>, saved: impl FnOnce(&T) -> String) -> (Option<String>, Option<String>, StatusCode) {
    match result {
        Ok(v) => (None, Some(format!("{}：{}", words(page.lang)["saved"], saved(&v))), StatusCode::OK),
        Err(e) => (Some(error_message(page, e)), None, StatusCode::BAD_REQUEST),
    }
}

fn csrf_refused(page: &Page) -> Response {
    let msg = if page.lang == Lang::Zh { "表单已过期或来源不明（CSRF校验失败），请刷新页面后重试" } else { "The form expired or came from elsewhere (CSRF check failed): reload the page and try again" };
    (StatusCode::FORBIDDEN, msg).into_response()
}

// ---- sign in and out ----

async fn login_form(State(state): State<AppState>, page: Page) -> Response {
    if page.actor.is_some() {
        return Redirect::to("/").into_response();
    }
    login_page(&state, page, None, StatusCode::OK)
}

fn login_page(state: &AppState, mut page: Page, error: Option<String>, status: StatusCode) -> Response {
    let csrf = hex::encode(rand::random::<[u8; 16]>());
    page.csrf = csrf.clone();
    let mut response = render(state, &page, "login.html", status, context! { error => error });
    let cookie = format!("{LOGIN_CSRF_COOKIE}={csrf}; Path=/login; HttpOnly; SameSite=Strict{}", secure(state));
    response.headers_mut().append(header::SET_COOKIE, cookie.parse().expect("cookie"));
    response
}

fn secure(state: &AppState) -> &'static str {
    if state.options.secure_cookies {
        "; Secure"
    } else {
        ""
    }
}

#[derive(Deserialize)]
struct LoginForm {
    username: String,
    password: String,
    csrf: String,
}

async fn login_submit(State(state): State<AppState>, page: Page, headers: HeaderMap, Form(form): Form<LoginForm>) -> Response {
    let expected = cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or("");
    if expected.is_empty() || !constant_time_eq(expected.as_bytes(), form.csrf.as_bytes()) {
        return csrf_refused(&page);
    }
    match service::auth::login(&state.platform, &form.username, &form.password, &page.client_addr).await {
        Ok(session) => {
            let cookie = format!(
                "{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{}",
                session.token,
                service::auth::SESSION_HOURS * 3600,
                secure(&state)
            );
            ([(header::SET_COOKIE, cookie)], Redirect::to("/")).into_response()
        }
        Err(e) => {
            let status = match e {
                service::Error::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
                _ => StatusCode::UNAUTHORIZED,
            };
            let msg = error_message(&page, e);
            login_page(&state, page, Some(msg), status)
        }
    }
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: String,
}

async fn logout(State(state): State<AppState>, page: Page, headers: HeaderMap, Form(form): Form<CsrfForm>) -> Response {
    let Some(actor) = &page.actor else { return Redirect::to("/login").into_response() };
    if !csrf_ok(&page, &form.csrf) {
        return csrf_refused(&page);
    }
    if let Some(token) = cookie(&headers, SESSION_COOKIE) {
        let _ = service::auth::logout(&state.platform, actor, token).await;
    }
    let clear = format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{}", secure(&state));
    ([(header::SET_COOKIE, clear)], Redirect::to("/login")).into_response()
}

async fn set_lang(Path(code): Path<String>, headers: HeaderMap) -> Response {
    let lang = if code == "en" { "en" } else { "zh" };
    let back = headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| r.find("://").and_then(|i| r[i + 3..].find('/').map(|j| r[i + 3 + j..].to_string())))
        .filter(|p| p.starts_with('/') && !p.starts_with("//"))
        .unwrap_or_else(|| "/".into());
    ([(header::SET_COOKIE, format!("{LANG_COOKIE}={lang}; Path=/; SameSite=Lax; Max-Age=31536000"))], Redirect::to(&back)).into_response()
}

// ---- home ----

async fn home(State(state): State<AppState>, page: Page) -> Response {
    let actor = match page.require(&[]) {
        Ok(a) => a.clone(),
        Err(r) => return r,
    };
    let t = words(page.lang);
    let mut tasks = Vec::new();
    for (role, key) in [
        (Role::AuthorityAdmin, "tasks_authority"),
        (Role::ServiceOperator, "tasks_service"),
        (Role::DeptDataOfficer, "tasks_officer"),
        (Role::DeptSecurityOfficer, "tasks_security"),
        (Role::Auditor, "tasks_auditor"),
        (Role::Operator, "tasks_operator"),
    ] {
        if actor.has(role) {
            tasks.push(t[key]);
        }
    }
    let role_labels: Vec<String> = actor.roles.iter().map(|r| role_label(&state, page.lang, *r)).collect();
    let (_, departments) = service::orgs::list_departments(&state.platform, 1, 0).await.unwrap_or_default();
    let regions = service::orgs::list_regions(&state.platform).await.map(|r| r.len()).unwrap_or(0);
    let users = if actor.has(Role::AuthorityAdmin) {
        service::users::list_users(&state.platform, &actor, 1, 0).await.ok().map(|(_, n)| n)
    } else {
        None
    };
    let recent = if actor.has(Role::Auditor) {
        service::audit::search(&state.platform, &actor, &Default::default(), 8, 0).await.map(|(e, _)| e).unwrap_or_default()
    } else {
        vec![]
    };
    render(
        &state,
        &page,
        "home.html",
        StatusCode::OK,
        context! { tasks, role_labels, recent, counts => context! { departments, regions, users } },
    )
}

// ---- departments ----

async fn departments(State(state): State<AppState>, page: Page) -> Response {
    if let Err(r) = page.require(&[Role::AuthorityAdmin]) {
        return r;
    }
    departments_page(&state, &page, None, None, StatusCode::OK).await
}

async fn departments_page(state: &AppState, page: &Page, error: Option<String>, notice: Option<String>, status: StatusCode) -> Response {
    let regions = service::orgs::list_regions(&state.platform).await.unwrap_or_default();
    let (list, total) = service::orgs::list_departments(&state.platform, 1000, 0).await.unwrap_or_default();
    let region_names: BTreeMap<i64, String> = regions.iter().map(|r| (r.id, r.name.clone())).collect();
    let rows: Vec<Value> = list
        .iter()
        .map(|d| {
            context! {
                id => d.id, name => d.name, uscc => d.uscc,
                kind_label => if page.lang == Lang::Zh { d.kind.label() } else { d.kind.label_en() },
                region => region_names.get(&d.region_id).cloned().unwrap_or_default(),
            }
        })
        .collect();
    let kinds: Vec<(String, String)> = DepartmentKind::ALL
        .iter()
        .map(|k| (k.as_str().to_string(), if page.lang == Lang::Zh { k.label() } else { k.label_en() }.to_string()))
        .collect();
    render(state, page, "departments.html", status, context! { departments => rows, total, regions, kinds, error, notice })
}

#[derive(Deserialize)]
struct DepartmentForm {
    csrf: String,
    name: String,
    kind: String,
    region_code: String,
    uscc: String,
}

async fn create_department(State(state): State<AppState>, page: Page, Form(form): Form<DepartmentForm>) -> Response {
    let actor = match authority_form(&page, &form.csrf) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let input = service::orgs::DepartmentInput {
        name: form.name,
        name_en: String::new(),
        kind: form.kind,
        region_code: form.region_code,
        uscc: form.uscc,
    };
    let result = service::orgs::create_department(&state.platform, &actor, input).await;
    let (error, notice, status) = outcome(&page, result, |d| d.name.clone());
    departments_page(&state, &page, error, notice, status).await
}

// ---- users ----

async fn users(State(state): State<AppState>, page: Page) -> Response {
    if let Err(r) = page.require(&[Role::AuthorityAdmin]) {
        return r;
    }
    users_page(&state, &page, None, None, StatusCode::OK).await
}

async fn users_page(state: &AppState, page: &Page, error: Option<String>, notice: Option<String>, status: StatusCode) -> Response {
    let actor = page.actor.clone().unwrap_or_else(Actor::cli);
    let (list, total) = service::users::list_users(&state.platform, &actor, 1000, 0).await.unwrap_or_default();
    let (departments, _) = service::orgs::list_departments(&state.platform, 1000, 0).await.unwrap_or_default();
    let dept_names: BTreeMap<i64, String> = departments.iter().map(|d| (d.id, d.name.clone())).collect();
    let rows: Vec<Value> = list
        .iter()
        .map(|u| {
            context! {
                id => u.id, username => u.username, display_name => u.display_name,
                department => u.department_id.and_then(|d| dept_names.get(&d).cloned()).unwrap_or_default(),
                role_labels => u.roles.iter().map(|r| role_label(state, page.lang, *r)).collect::<Vec<_>>(),
            }
        })
        .collect();
    let roles: Vec<(String, String)> = Role::ALL.iter().map(|r| (r.as_str().to_string(), role_label(state, page.lang, *r))).collect();
    render(state, page, "users.html", status, context! { users => rows, total, departments, roles, error, notice })
}

#[derive(Deserialize)]
struct UserForm {
    csrf: String,
    username: String,
    display_name: String,
    password: String,
    department_id: String,
    role: String,
}

async fn create_user(State(state): State<AppState>, page: Page, Form(form): Form<UserForm>) -> Response {
    let actor = match authority_form(&page, &form.csrf) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let result = async {
        let role: Role = form.role.parse()?;
        let department_id = match form.department_id.trim() {
            "" => None,
            s => Some(s.parse::<i64>().map_err(|_| service::Error::invalid("invalid_department", "部门编号无效", "Invalid department id"))?),
        };
        let input = service::users::UserInput {
            username: form.username,
            display_name: form.display_name,
            password: form.password,
            department_id,
            roles: vec![role],
        };
        service::users::create_user(&state.platform, &actor, input).await
    }
    .await;
    let (error, notice, status) = outcome(&page, result, |u| u.username.clone());
    users_page(&state, &page, error, notice, status).await
}

#[derive(Deserialize)]
struct RoleForm {
    csrf: String,
    role: String,
}

async fn assign_role(State(state): State<AppState>, page: Page, Path(id): Path<i64>, Form(form): Form<RoleForm>) -> Response {
    let actor = match authority_form(&page, &form.csrf) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let result = async {
        let role: Role = form.role.parse()?;
        service::users::assign_role(&state.platform, &actor, id, role).await
    }
    .await;
    let (error, notice, status) = outcome(&page, result, |u| u.username.clone());
    users_page(&state, &page, error, notice, status).await
}

// ---- audit ----

#[derive(Deserialize, Default, serde::Serialize)]
struct AuditForm {
    action: Option<String>,
    actor: Option<String>,
    result: Option<String>,
    from: Option<String>,
    to: Option<String>,
    offset: Option<i64>,
    verify: Option<String>,
}

async fn audit(State(state): State<AppState>, page: Page, Query(q): Query<AuditForm>) -> Response {
    let actor = match page.require(&[Role::Auditor]) {
        Ok(a) => a.clone(),
        Err(r) => return r,
    };
    let parse_day = |s: &Option<String>| s.as_deref().filter(|v| !v.is_empty()).and_then(|v| v.parse().ok());
    let query = crate::api::audit::SearchQuery {
        action: q.action.clone(),
        actor: q.actor.clone(),
        result: q.result.clone(),
        from: parse_day(&q.from),
        to: parse_day(&q.to),
        ..Default::default()
    };
    let offset = q.offset.unwrap_or(0).max(0);
    let report = if q.verify.is_some() { service::audit::verify(&state.platform, &actor).await.ok() } else { None };
    match service::audit::search(&state.platform, &actor, &query.filter(), 50, offset).await {
        Ok((events, total)) => {
            let link = |off: i64| {
                let mut params = vec![format!("offset={off}")];
                for (k, v) in [("action", &q.action), ("actor", &q.actor), ("result", &q.result), ("from", &q.from), ("to", &q.to)] {
                    if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
                        params.push(format!("{k}={}", urlencode(v)));
                    }
                }
                format!("/audit?{}", params.join("&"))
            };
            let prev_offset = if offset > 0 { Some((offset - 50).max(0)) } else { None };
            let next_link = if offset + 50 < total { Some(link(offset + 50)) } else { None };
            render(
                &state,
                &page,
                "audit.html",
                StatusCode::OK,
                context! { events, total, q, report, prev_offset, prev_link => prev_offset.map(link), next_link },
            )
        }
        Err(e) => render(&state, &page, "error.html", StatusCode::BAD_REQUEST, context! { title => error_message(&page, e) }),
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

// ---- calendar ----

#[derive(Deserialize)]
struct CalendarForm {
    from: Option<String>,
    working_days: Option<String>,
}

async fn calendar(State(state): State<AppState>, page: Page, Query(q): Query<CalendarForm>) -> Response {
    let from = q.from.as_deref().and_then(|s| s.parse::<chrono::NaiveDate>().ok());
    let n = q.working_days.as_deref().and_then(|s| s.parse::<u32>().ok()).unwrap_or(1);
    let due = from.and_then(|f| service::calendar::deadline(&state.platform, f, n).ok());
    let years: Vec<Value> = {
        let cal = state.platform.calendar();
        cal.loaded_years()
            .into_iter()
            .rev()
            .filter_map(|y| cal.notice(y))
            .map(|n| {
                let off: Vec<String> = n.days.iter().filter(|d| d.off).map(|d| d.date.format("%m-%d").to_string()).collect();
                let worked: Vec<String> = n.days.iter().filter(|d| !d.off).map(|d| d.date.format("%m-%d").to_string()).collect();
                context! { year => n.year, off, worked }
            })
            .collect()
    };
    let deadlines: Vec<Value> = state
        .platform
        .profile
        .deadlines
        .iter()
        .map(|d| {
            let unit = match (d.unit, page.lang) {
                (domain::profile::Unit::WorkingDays, Lang::Zh) => "个工作日",
                (domain::profile::Unit::WorkingDays, Lang::En) => "working days",
                (domain::profile::Unit::CalendarDays, Lang::Zh) => "日",
                (domain::profile::Unit::CalendarDays, Lang::En) => "days",
                (domain::profile::Unit::Months, Lang::Zh) => "个月",
                (domain::profile::Unit::Months, Lang::En) => "months",
                (domain::profile::Unit::Years, Lang::Zh) => "年",
                (domain::profile::Unit::Years, Lang::En) => "years",
                (domain::profile::Unit::Immediately, Lang::Zh) => "（立即）",
                (domain::profile::Unit::Immediately, Lang::En) => "(immediately)",
                (domain::profile::Unit::Unspecified, Lang::Zh) => "（未规定）",
                (domain::profile::Unit::Unspecified, Lang::En) => "(unspecified)",
            };
            let label = if page.lang == Lang::Zh { &d.label } else { &d.label_en };
            context! { label, value => d.value, unit, article => d.article, quote => d.quote, configurable => d.configurable }
        })
        .collect();
    render(
        &state,
        &page,
        "calendar.html",
        StatusCode::OK,
        context! { from => q.from, working_days => n, due, years, deadlines },
    )
}
