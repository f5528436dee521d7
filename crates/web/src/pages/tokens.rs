//! API tokens for departments' systems: the authority sees and issues them for every department, a data officer
//! for their own. A new token's secret is shown once, on the page that issued it.

use super::*;

const TOKEN_MANAGERS: &[Role] = &[Role::AuthorityAdmin, Role::DeptDataOfficer];

pub(super) async fn tokens(State(state): State<AppState>, page: Page) -> Response {
    if let Err(r) = page.require(TOKEN_MANAGERS) {
        return r;
    }
    tokens_page(&state, &page, None, (None, None, StatusCode::OK)).await
}

async fn tokens_page(state: &AppState, page: &Page, secret: Option<String>, (error, notice, status): Outcome) -> Response {
    let Some(actor) = page.actor.clone() else { return Redirect::to("/login").into_response() };
    let (list, total) = page.list(("API令牌", "API tokens"), service::auth::list_tokens(&state.platform, &actor, 1000, 0).await);
    let (departments, _) = page.list(("部门", "departments"), service::orgs::list_departments(&state.platform, 1000, 0).await);
    let dept_names: BTreeMap<i64, String> = departments.iter().map(|d| (d.id, d.name.clone())).collect();
    let rows: Vec<Value> = list
        .iter()
        .map(|t| {
            context! {
                id => t.id, name => t.name, prefix => t.prefix, created_at => t.created_at,
                last_used_at => t.last_used_at, revoked_at => t.revoked_at,
                department => dept_names.get(&t.department_id).cloned().unwrap_or_default(),
            }
        })
        .collect();
    // The authority issues for any department; a data officer only for their own.
    let choices: Vec<Value> = departments
        .iter()
        .filter(|d| actor.has(Role::AuthorityAdmin) || actor.department_id == Some(d.id))
        .map(|d| context! { id => d.id, name => d.name })
        .collect();
    render(state, page, "tokens.html", status, context! { tokens => rows, total, departments => choices, secret, error, notice })
}

#[derive(Deserialize)]
pub(super) struct TokenForm {
    csrf: String,
    name: String,
    department_id: String,
}

/// The caller must manage tokens and the CSRF token must match.
fn token_form(page: &Page, submitted_csrf: &str) -> Result<Actor, Response> {
    let actor = page.require(TOKEN_MANAGERS)?.clone();
    if !csrf_ok(page, submitted_csrf) {
        return Err(csrf_refused(page));
    }
    Ok(actor)
}

pub(super) async fn create_token(State(state): State<AppState>, page: Page, Form(form): Form<TokenForm>) -> Response {
    let actor = match token_form(&page, &form.csrf) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let result = async {
        let department_id = form
            .department_id
            .trim()
            .parse::<i64>()
            .map_err(|_| service::Error::invalid("invalid_department", "请选择部门", "Choose a department"))?;
        service::auth::create_token(&state.platform, &actor, &form.name, department_id, None).await
    }
    .await;
    let secret = result.as_ref().ok().map(|(_, secret)| secret.clone());
    tokens_page(&state, &page, secret, outcome(&page, result, |(t, _)| t.name.clone())).await
}

pub(super) async fn revoke_token(State(state): State<AppState>, page: Page, Path(id): Path<i64>, Form(form): Form<CsrfForm>) -> Response {
    let actor = match token_form(&page, &form.csrf) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let result = service::auth::revoke_token(&state.platform, &actor, id).await;
    tokens_page(&state, &page, None, outcome(&page, result, |t| t.name.clone())).await
}
