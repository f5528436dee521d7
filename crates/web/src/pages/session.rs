//! Signing in and out, and the language switch.

use super::*;

pub(super) async fn login_form(State(state): State<AppState>, page: Page) -> Response {
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
pub(super) struct LoginForm {
    username: String,
    password: String,
    csrf: String,
}

pub(super) async fn login_submit(State(state): State<AppState>, page: Page, headers: HeaderMap, Form(form): Form<LoginForm>) -> Response {
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

pub(super) async fn logout(State(state): State<AppState>, page: Page, headers: HeaderMap, Form(form): Form<CsrfForm>) -> Response {
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

pub(super) async fn set_lang(Path(code): Path<String>, headers: HeaderMap) -> Response {
    let lang = if code == "en" { "en" } else { "zh" };
    let back = headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| r.find("://").and_then(|i| r[i + 3..].find('/').map(|j| r[i + 3 + j..].to_string())))
        .filter(|p| p.starts_with('/') && !p.starts_with("//"))
        .unwrap_or_else(|| "/".into());
    ([(header::SET_COOKIE, format!("{LANG_COOKIE}={lang}; Path=/; SameSite=Lax; Max-Age=31536000"))], Redirect::to(&back)).into_response()
}

