//! Signing in and proving who you are: argon2id password hashes, sessions (web and API bearer), API tokens for
//! systems, and login rate limiting kept in the database so every node enforces the same limit.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use domain::audit::sm3_hex;
use domain::orgs::ApiToken;
use domain::roles::Role;
use rand::RngCore;

use crate::actor::ActorKind;
use crate::{Actor, Error, Platform, Result};

/// Sessions last a working day and a bit.
pub const SESSION_HOURS: i64 = 12;
/// Failed logins allowed for one username in the window before it is locked for the rest of the window.
pub const MAX_FAILURES: i64 = 5;
pub const FAILURE_WINDOW_MINUTES: i64 = 15;

const SESSION_PREFIX: &str = "sy_s_";
const API_TOKEN_PREFIX: &str = "sy_k_";

pub fn hash_password(password: &str) -> Result<String> {
    domain::orgs::check_password(password)?;
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::Internal(store::Error::Corrupt(format!("argon2: {e}"))))
}

fn password_matches(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored).map(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok()).unwrap_or(false)
}

fn random_secret(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("{prefix}{}", hex::encode(bytes))
}

/// A new session.
pub struct Session {
    /// The bearer token (and cookie value). Shown once; only its hash is stored.
    pub token: String,
    pub csrf: String,
    pub user: domain::orgs::User,
}

/// Checks a password and opens a session. Every attempt is recorded and audited; after `MAX_FAILURES`
/// failures in `FAILURE_WINDOW_MINUTES` the username is locked for the rest of the window.
pub async fn login(p: &Platform, username: &str, password: &str, client_addr: &str) -> Result<Session> {
    let now = p.now_us();
    let window_start = now - FAILURE_WINDOW_MINUTES * 60_000_000;
    let username = username.trim();
    let failures = store::users::recent_failures(&mut *p.store.read().await?, username, window_start).await?;
    if failures >= MAX_FAILURES {
        let mut event = Actor::anonymous(client_addr).event("auth.login", "user", username);
        event.actor_name = username.to_string();
        event.result = "rate_limited".into();
        p.audit_writer.append(event).await?;
        return Err(Error::RateLimited { retry_after_secs: (FAILURE_WINDOW_MINUTES * 60) as u64 });
    }
    let found = if username.len() > 64 { None } else { store::users::credentials(&mut *p.store.read().await?, username).await? };
    // Hash even when the user is unknown, so timing does not tell which usernames exist.
    let ok = match &found {
        Some((user, hash)) => password_matches(password, hash) && user.active,
        None => {
            let _ = password_matches(password, "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$5l3Z1rS2Dzv6lX8Qr6pQ0A");
            false
        }
    };
    let mut tx = p.store.begin().await?;
    store::users::record_login_attempt(&mut tx, username, client_addr, now, ok).await?;
    let mut event = Actor::anonymous(client_addr).event("auth.login", "user", username);
    event.actor_name = username.to_string();
    match (&found, ok) {
        (Some((user, _)), true) => {
            let token = random_secret(SESSION_PREFIX);
            let csrf = random_secret("");
            store::users::insert_session(&mut tx, &sm3_hex(token.as_bytes()), user.id, &csrf, now, now + SESSION_HOURS * 3_600_000_000)
                .await?;
            event.actor_user_id = Some(user.id);
            event.actor_department_id = user.department_id;
            event.actor_role = user.roles.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(",");
            store::audit::append(&mut tx, &event, now).await?;
            tx.commit().await?;
            Ok(Session { token, csrf, user: found.expect("matched").0 })
        }
        _ => {
            event.result = "denied".into();
            store::audit::append(&mut tx, &event, now).await?;
            tx.commit().await?;
            Err(Error::Unauthenticated)
        }
    }
}

pub async fn logout(p: &Platform, actor: &Actor, token: &str) -> Result<()> {
    let mut tx = p.store.begin().await?;
    store::users::delete_session(&mut tx, &sm3_hex(token.as_bytes())).await?;
    store::audit::append(&mut tx, &actor.event("auth.logout", "user", actor.name.clone()), p.now_us()).await?;
    tx.commit().await?;
    Ok(())
}

/// Who holds this bearer token, with the session's CSRF token for users. Unknown, expired and revoked
/// tokens are `Unauthenticated`.
pub async fn authenticate(p: &Platform, token: &str, client_addr: &str) -> Result<(Actor, Option<String>)> {
    if token.starts_with(SESSION_PREFIX) {
        let hash = sm3_hex(token.as_bytes());
        let mut conn = p.store.read().await?;
        let (user, csrf) = store::users::session_user(&mut conn, &hash, p.now_us()).await?.ok_or(Error::Unauthenticated)?;
        let actor = Actor {
            kind: ActorKind::User,
            user_id: Some(user.id),
            name: user.username,
            department_id: user.department_id,
            roles: user.roles,
            client_addr: client_addr.into(),
        };
        Ok((actor, Some(csrf)))
    } else if token.starts_with(API_TOKEN_PREFIX) {
        let now = p.now_us();
        let mac = p.caches.token_mac(token);
        let t = match p.caches.token(mac, now) {
            Some(t) => t,
            None => {
                let gen = p.caches.generation();
                let mut conn = p.store.read().await?;
                let t = store::tokens::active_by_hash(&mut conn, &sm3_hex(token.as_bytes())).await?.ok_or(Error::Unauthenticated)?;
                let limit = t.keys_per_hour.and_then(|n| u32::try_from(n).ok());
                p.caches.watch(t.id, |w| w.keys_per_hour = limit);
                let suspended = t.suspended_at.is_some().then_some(t.suspended_reason);
                let t = crate::serving::CachedToken { id: t.id, name: t.name, department_id: t.department_id, suspended };
                p.caches.keep_token(mac, t.clone(), gen, now);
                t
            }
        };
        // The last use is written once a minute, not on every call of a busy system.
        if p.caches.touch_due(t.id, now) {
            let mut tx = p.store.begin().await?;
            store::tokens::touch(&mut tx, t.id, now).await?;
            tx.commit().await?;
        }
        let actor = Actor {
            kind: ActorKind::System { token_id: t.id },
            user_id: None,
            name: format!("token:{}", t.name),
            department_id: Some(t.department_id),
            roles: vec![],
            client_addr: client_addr.into(),
        };
        if let Some(reason) = &t.suspended {
            let mut event = actor.event("access.denied", "api_token", t.id.to_string());
            event.result = "refused".into();
            event.detail = format!("token suspended: {reason}");
            p.audit_writer.append(event).await?;
            return Err(token_suspended(reason, reason));
        }
        Ok((actor, None))
    } else {
        Err(Error::Unauthenticated)
    }
}

/// The refusal of a call by a token an anomaly suspended, with why (SYS-31a); a stored suspension keeps the
/// Chinese reason only, so both messages carry it.
pub(crate) fn token_suspended(reason: &str, reason_en: &str) -> Error {
    Error::Denied(domain::Invalid::new(
        "token_suspended",
        format!("令牌因调用异常已暂停（{reason}），请联系数据主管部门核查后恢复"),
        format!("The token is suspended after anomalous use ({reason_en}): ask the data authority to review and resume it"),
    ))
}

/// May `actor` manage the tokens of `department_id`? The authority for all; a data officer for their own.
fn may_manage_tokens(actor: &Actor, department_id: i64) -> bool {
    actor.has(Role::AuthorityAdmin) || actor.kind == ActorKind::Cli
        || (actor.has(Role::DeptDataOfficer) && actor.department_id == Some(department_id))
}

/// Issues an API token for a department's system. The secret is returned once. `keys_per_hour` declares a bulk
/// system's volume of distinct keys an hour (above the profile's, lookups count as enumeration): only the authority
/// sets it, since a department could otherwise raise its own alarm threshold.
pub async fn create_token(p: &Platform, actor: &Actor, name: &str, department_id: i64, keys_per_hour: Option<i64>) -> Result<(ApiToken, String)> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 64 {
        return Err(Error::invalid("invalid_token_name", "令牌名称须为1至64个字符", "A token name has 1 to 64 characters"));
    }
    if !may_manage_tokens(actor, department_id) {
        return Err(Error::forbidden("只能为本部门签发令牌", "You can only issue tokens for your own department"));
    }
    if let Some(n) = keys_per_hour {
        if !(1..=100_000_000).contains(&n) {
            return Err(Error::invalid("invalid_keys_per_hour", "每小时主键数须为1至100000000", "keys_per_hour is 1 to 100,000,000"));
        }
        if !(actor.has(Role::AuthorityAdmin) || actor.kind == ActorKind::Cli) {
            return Err(Error::forbidden("只有数据主管部门可以为令牌设定批量查询量", "Only the authority sets a token's bulk volume"));
        }
    }
    let mut tx = p.store.begin().await?;
    if store::orgs::department_by_id(&mut tx, department_id).await?.is_none() {
        return Err(Error::not_found(format!("部门{department_id}不存在"), format!("Department {department_id} does not exist")));
    }
    let secret = random_secret(API_TOKEN_PREFIX);
    let prefix: String = secret.chars().take(API_TOKEN_PREFIX.len() + 6).collect();
    let id = store::tokens::insert_token(&mut tx, name, &sm3_hex(secret.as_bytes()), &prefix, department_id, actor.user_id, keys_per_hour, p.now_us()).await?;
    let mut event = actor.event("token.create", "api_token", id.to_string());
    event.detail = format!("department {department_id}: {name}{}", keys_per_hour.map(|n| format!(", {n} keys an hour")).unwrap_or_default());
    store::audit::append(&mut tx, &event, p.now_us()).await?;
    let token = store::tokens::by_id(&mut tx, id).await?.ok_or_else(|| Error::not_found("令牌不存在", "Token not found"))?;
    tx.commit().await?;
    Ok((token, secret))
}

pub async fn revoke_token(p: &Platform, actor: &Actor, id: i64) -> Result<ApiToken> {
    let mut tx = p.store.begin().await?;
    let token = store::tokens::by_id(&mut tx, id).await?.ok_or_else(|| Error::not_found(format!("令牌{id}不存在"), format!("Token {id} does not exist")))?;
    if !may_manage_tokens(actor, token.department_id) {
        return Err(Error::forbidden("只能吊销本部门的令牌", "You can only revoke your own department's tokens"));
    }
    if store::tokens::revoke(&mut tx, id, p.now_us()).await? {
        store::audit::append(&mut tx, &actor.event("token.revoke", "api_token", id.to_string()), p.now_us()).await?;
    }
    let token = store::tokens::by_id(&mut tx, id).await?.ok_or_else(|| Error::not_found("令牌不存在", "Token not found"))?;
    tx.commit().await?;
    p.caches.bump();
    Ok(token)
}

/// Lifts an anomaly's suspension of a token once the authority has looked into it (SYS-31b: the authority decides);
/// the reason is kept in the audit log and the token's open anomaly alerts are resolved.
pub async fn resume_token(p: &Platform, actor: &Actor, id: i64, reason: &str) -> Result<ApiToken> {
    if !(actor.has(Role::AuthorityAdmin) || actor.kind == ActorKind::Cli) {
        return Err(Error::forbidden("只有数据主管部门可以恢复被暂停的令牌", "Only the data authority resumes a suspended token"));
    }
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(Error::invalid("resume_reason", "请写明核查结论（1至500字）", "Give what the review found (1 to 500 characters)"));
    }
    let now = p.now_us();
    let mut tx = p.store.begin().await?;
    store::tokens::by_id(&mut tx, id).await?.ok_or_else(|| Error::not_found(format!("令牌{id}不存在"), format!("Token {id} does not exist")))?;
    if !store::tokens::resume(&mut tx, id).await? {
        return Err(Error::Conflict { zh: format!("令牌{id}未被暂停"), en: format!("Token {id} is not suspended") });
    }
    let mut event = actor.event("token.resume", "api_token", id.to_string());
    event.detail = reason.to_string();
    store::audit::append(&mut tx, &event, now).await?;
    store::alerts::resolve_other(&mut tx, "share_anomaly", &id.to_string(), None, now).await?;
    let token = store::tokens::by_id(&mut tx, id).await?.ok_or_else(|| Error::not_found("令牌不存在", "Token not found"))?;
    tx.commit().await?;
    p.caches.bump();
    Ok(token)
}

pub async fn list_tokens(p: &Platform, actor: &Actor, limit: i64, offset: i64) -> Result<(Vec<ApiToken>, i64)> {
    let scope = if actor.has(Role::AuthorityAdmin) {
        None
    } else if actor.has(Role::DeptDataOfficer) && actor.department_id.is_some() {
        actor.department_id
    } else {
        return Err(Error::forbidden("无权查看令牌", "You may not list API tokens"));
    };
    Ok(store::tokens::list(&mut *p.store.read().await?, scope, limit, offset).await?)
}
