//! The console: server-rendered pages, Chinese by default with an English switch (the `lang` cookie). Sign-in
//! sets an HttpOnly, SameSite=Strict session cookie; every form carries a CSRF token that must match the
//! session's (or, before sign-in, a cookie of its own).
// Page guards answer a finished response (a redirect to sign in, a refusal) as their error, as axum does.
#![allow(clippy::result_large_err)]

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
        ("base.html", include_str!("../../templates/base.html")),
        ("login.html", include_str!("../../templates/login.html")),
        ("home.html", include_str!("../../templates/home.html")),
        ("departments.html", include_str!("../../templates/departments.html")),
        ("users.html", include_str!("../../templates/users.html")),
        ("audit.html", include_str!("../../templates/audit.html")),
        ("calendar.html", include_str!("../../templates/calendar.html")),
        ("regions.html", include_str!("../../templates/regions.html")),
        ("tokens.html", include_str!("../../templates/tokens.html")),
        ("error.html", include_str!("../../templates/error.html")),
        ("catalog_list.html", include_str!("../../templates/catalog_list.html")),
        ("catalog_detail.html", include_str!("../../templates/catalog_detail.html")),
        ("catalog_form.html", include_str!("../../templates/catalog_form.html")),
        ("catalog_queue.html", include_str!("../../templates/catalog_queue.html")),
        ("catalog_governance.html", include_str!("../../templates/catalog_governance.html")),
        ("batch.html", include_str!("../../templates/batch.html")),
        ("aggregation.html", include_str!("../../templates/aggregation.html")),
        ("sources.html", include_str!("../../templates/sources.html")),
        ("share.html", include_str!("../../templates/share.html")),
        ("share_grant.html", include_str!("../../templates/share_grant.html")),
    ] {
        env.add_template(name, src).expect("templates parse");
    }
    env
}

mod admin;
mod aggregation;
mod audit;
mod calendar;
mod catalog;
mod catalog_form;
mod governance;
mod home;
mod session;
mod sharing;
mod tokens;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home::home))
        .route("/login", get(session::login_form).post(session::login_submit))
        .route("/logout", post(session::logout))
        .route("/lang/{code}", get(session::set_lang))
        .route("/admin/regions", get(admin::regions).post(admin::create_region))
        .route("/admin/departments", get(admin::departments).post(admin::create_department))
        .route("/admin/users", get(admin::users).post(admin::create_user))
        .route("/admin/users/{id}/roles", post(admin::assign_role))
        .route("/admin/users/{id}/roles/{role}/remove", post(admin::remove_role))
        .route("/admin/users/{id}/active", post(admin::set_active))
        .route("/tokens", get(tokens::tokens).post(tokens::create_token))
        .route("/tokens/{id}/revoke", post(tokens::revoke_token))
        .route("/catalog", get(catalog::browse))
        .route("/catalog/new", get(catalog::new_form).post(catalog::save_new))
        .route("/catalog/queue", get(catalog::queue))
        .route("/catalog/mine", get(catalog::mine))
        .route("/catalog/governance", get(governance::governance))
        .route("/catalog/governance/objections/{id}", post(governance::position))
        .route("/catalog/governance/lists/{kind}", post(governance::submit_list))
        .route("/catalog/{code}/objection", post(governance::raise))
        .route("/catalog/{code}/batches/{id}/quarantine", get(catalog::quarantine))
        .route("/catalog/{code}/batches/{id}", get(aggregation::batch))
        .route("/catalog/{code}/deliver", post(aggregation::deliver).layer(axum::extract::DefaultBodyLimit::disable()))
        .route("/aggregation", get(aggregation::aggregation))
        .route("/aggregation/sync/test", post(aggregation::test_connection))
        .route("/aggregation/sync/jobs", post(aggregation::create_job))
        .route("/aggregation/sync/jobs/{id}/run", post(aggregation::run_job))
        .route("/aggregation/sync/jobs/{id}/delete", post(aggregation::delete_job))
        .route("/sources", get(aggregation::sources))
        .route("/sources/repeated", post(aggregation::settle))
        .route("/share", get(sharing::share))
        .route("/share/apply", post(sharing::apply))
        .route("/share/applications/{id}/answer", post(sharing::answer))
        .route("/share/grants/{id}", get(sharing::grant_page))
        .route("/share/grants/{id}/state", post(sharing::decide_grant))
        .route("/share/corrections/{id}/resolve", post(sharing::resolve_correction))
        .route("/share/demands/{id}/answer", post(sharing::answer_demand))
        .route("/share/disputes", post(sharing::open_dispute))
        .route("/share/disputes/{id}/step", post(sharing::dispute_step))
        .route("/catalog/{code}", get(catalog::detail))
        .route("/catalog/{code}/edit", get(catalog::edit_form).post(catalog::save_existing))
        .route("/catalog/{code}/attributes", get(catalog::attributes_form).post(catalog::save_attributes))
        .route("/catalog/{code}/do/{action}", post(catalog::action))
        .route("/open", get(catalog::open_catalog))
        .route("/open/{code}", get(catalog::open_detail))
        .route("/audit", get(audit::audit))
        .route("/calendar", get(calendar::calendar))
}

/// What every page knows about its request.
pub struct Page {
    lang: Lang,
    actor: Option<Actor>,
    user: Option<User>,
    csrf: String,
    client_addr: String,
    /// The lists beside the page's main content that failed to load (see [`Page::list`]), named in a banner.
    unloaded: std::sync::Mutex<Vec<Words>>,
}

/// A name in Chinese and in English.
type Words = (&'static str, &'static str);

impl FromRequestParts<AppState> for Page {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let lang = Lang::from_cookie(cookie(&parts.headers, LANG_COOKIE));
        let addr = client_addr(parts);
        let mut page = Page { lang, actor: None, user: None, csrf: String::new(), client_addr: addr.clone(), unloaded: Default::default() };
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

    /// A list shown beside the page's main content. A list the actor's role may not see is simply empty for them
    /// (the page shows what the role may see); any other failure is logged and named in a banner on the page, so
    /// a database outage never reads as "nothing here" while the rest of the page still shows.
    fn list<T: Default>(&self, what: Words, result: service::Result<T>) -> T {
        use service::Error;
        match result {
            Ok(list) => list,
            Err(Error::Forbidden { .. } | Error::Unauthenticated | Error::Denied(_) | Error::NotFound { .. }) => T::default(),
            Err(e) => {
                tracing::error!(error = %e, list = what.1, "a page's list could not be loaded");
                self.unloaded.lock().unwrap_or_else(|e| e.into_inner()).push(what);
                T::default()
            }
        }
    }

    /// The banner naming the lists that failed to load, if any did.
    fn unloaded_banner(&self) -> Option<String> {
        let unloaded = self.unloaded.lock().unwrap_or_else(|e| e.into_inner());
        if unloaded.is_empty() {
            return None;
        }
        Some(if self.lang == Lang::Zh {
            let names: Vec<&str> = unloaded.iter().map(|w| w.0).collect();
            format!("以下内容未能加载：{}。请稍后刷新页面；如仍失败，请联系平台运维人员（错误已记入日志）。", names.join("、"))
        } else {
            let names: Vec<&str> = unloaded.iter().map(|w| w.1).collect();
            format!("Could not load: {}. Reload the page later; if it keeps failing, tell the platform's operators (the error is logged).", names.join(", "))
        })
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
        unloaded => page.unloaded_banner(),
        profile_name => profile_name,
        is_admin => roles.contains(&Role::AuthorityAdmin),
        is_auditor => roles.contains(&Role::Auditor),
        manages_tokens => roles.contains(&Role::AuthorityAdmin) || roles.contains(&Role::DeptDataOfficer),
        is_cataloger => roles.contains(&Role::AuthorityAdmin) || roles.contains(&Role::DeptDataOfficer),
        is_reviewer => roles.contains(&Role::AuthorityAdmin) || roles.contains(&Role::ServiceOperator)
            || (roles.contains(&Role::DeptDataOfficer) && profile.catalog.department_review),
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

/// A form's result on the re-rendered page: an error or a confirmation, and the status.
type Outcome = (Option<String>, Option<String>, StatusCode);

fn outcome<T>(page: &Page, result: service::Result<T>, saved: impl FnOnce(&T) -> String) -> Outcome {
    match result {
        Ok(v) => (None, Some(format!("{}：{}", words(page.lang)["saved"], saved(&v))), StatusCode::OK),
        Err(e) => (Some(error_message(page, e)), None, StatusCode::BAD_REQUEST),
    }
}

/// A date field of a form: none when left empty, a message naming the field and what to write when it is not a
/// date (a filter or a calculation must not quietly go without it).
fn form_day(page: &Page, (field_zh, field_en): Words, text: &Option<String>) -> Result<Option<chrono::NaiveDate>, String> {
    let Some(text) = text.as_deref().map(str::trim).filter(|v| !v.is_empty()) else { return Ok(None) };
    text.parse().map(Some).map_err(|_| {
        if page.lang == Lang::Zh {
            format!("{field_zh}“{text}”无法识别：请按 YYYY-MM-DD 填写，如 2026-12-07")
        } else {
            format!("The {field_en} \"{text}\" is not a date: write it as YYYY-MM-DD, e.g. 2026-12-07")
        }
    })
}

/// A form that carries nothing but its CSRF token.
#[derive(Deserialize)]
struct CsrfForm {
    csrf: String,
}

fn csrf_refused(page: &Page) -> Response {
    let msg = if page.lang == Lang::Zh { "表单已过期或来源不明（CSRF校验失败），请刷新页面后重试" } else { "The form expired or came from elsewhere (CSRF check failed): reload the page and try again" };
    (StatusCode::FORBIDDEN, msg).into_response()
}

