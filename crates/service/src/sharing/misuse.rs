//! Misuse of grants (SYS-31a): grants left idle for the regime's period are flagged to the consumer and the
//! authority; anomalies in a token's use (a sudden rise in calls, enumeration of keys, many refusals: SYS-31a,
//! YZ-27d) raise an alert and, where the profile says so, suspend the token until the authority resumes it.

use domain::profile::keys;
use domain::anomaly::Anomaly;
use domain::sharing::{self as rules};

use crate::actor::Actor;
use crate::error::Result;
use crate::platform::Platform;
use super::*;

/// Flags grants in force that have not been used for the regime's idle period (SYS-31a: 3 months without a call)
/// to the consumer and the authority, once per idle day; a call resolves the flag. Regimes without the rule flag
/// nothing. Answers how many were raised.
pub async fn scan_idle(p: &Platform) -> Result<usize> {
    let Some(rule) = p.profile.deadline(keys::IDLE_GRANT).filter(|d| d.unit == domain::profile::Unit::Months) else { return Ok(0) };
    let actor = Actor::platform("share-idle");
    let today = p.clock.today();
    let now = p.now_us();
    let mut conn = p.store.read().await?;
    let grants = store::sharing::grants_in_force(&mut conn).await?;
    drop(conn);
    let mut raised = 0;
    let mut tx = p.store.begin().await?;
    for g in grants {
        let last = domain::clock::local_day(g.last_used_at_us.unwrap_or(g.created_at_us));
        let idle = rules::idle_on(last, rule.value);
        if today < idle {
            continue;
        }
        let row = store::alerts::AlertRow {
            id: 0,
            kind: "grant_idle".into(),
            object_kind: "grant".into(),
            object_id: g.id.to_string(),
            department_id: g.consumer_department_id,
            to_authority: true,
            due_at_us: start_of_day_us(idle),
            message: format!("授权{}（{}）自{last}起{}个月未调用，请说明情况或申请终止授权", g.id, g.scenario, rule.value),
            message_en: format!("Grant {} ({}) has not been called for {} months since {last}: explain, or ask to end it", g.id, g.scenario, rule.value),
            raised_at_us: now,
            resolved_at_us: None,
        };
        if crate::alerts::raise_logged(&mut tx, &actor, &row, format!("grant_idle: last used {last}, idle since {idle}"), now).await? {
            raised += 1;
        }
    }
    tx.commit().await?;
    Ok(raised)
}


/// Counts an allowed call of `token_id` (looking up `key`, if it does) and acts on an anomaly it completes. When
/// the anomaly suspends the token, the call that tipped it is refused too.
pub(super) async fn observe_call(p: &Platform, actor: &Actor, token_id: i64, key: Option<&str>) -> Result<()> {
    let t = &p.profile.sharing.anomaly;
    let minute = p.now_us().div_euclid(60_000_000);
    let key = key.map(key_hash);
    let found = p.caches.watch(token_id, |w| {
        let limit = w.keys_per_hour.unwrap_or(t.keys_per_hour);
        w.watch.call(minute, key, t, limit)
    });
    match found {
        Some(anomaly) => match act(p, actor, token_id, anomaly).await? {
            Some((zh, en)) => Err(crate::auth::token_suspended(&zh, &en)),
            None => Ok(()),
        },
        None => Ok(()),
    }
}

/// Counts a refused call of `token_id` and acts on an anomaly it completes.
pub(super) async fn observe_denial(p: &Platform, actor: &Actor, token_id: i64) -> Result<()> {
    let t = &p.profile.sharing.anomaly;
    let minute = p.now_us().div_euclid(60_000_000);
    // The refused call is answered with its own refusal; the suspension shows from the next call on.
    if let Some(anomaly) = p.caches.watch(token_id, |w| w.watch.denied(minute, t)) {
        act(p, actor, token_id, anomaly).await?;
    }
    Ok(())
}

fn key_hash(key: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    key.hash(&mut h);
    h.finish()
}

/// Raises the anomaly to the token's department and the authority and, where the profile says so, suspends the
/// token: alert, suspension and audit event in one transaction. Answers why (Chinese, English) if it suspended.
async fn act(p: &Platform, actor: &Actor, token_id: i64, anomaly: Anomaly) -> Result<Option<(String, String)>> {
    let suspends = p.profile.sharing.anomaly.suspends_token;
    let now = p.now_us();
    let (zh, en) = anomaly.describe();
    let mut tx = p.store.begin().await?;
    let row = store::alerts::AlertRow {
        id: 0,
        kind: format!("share_anomaly_{}", anomaly.kind()),
        object_kind: "api_token".into(),
        object_id: token_id.to_string(),
        department_id: actor.department_id.unwrap_or_default(),
        to_authority: true,
        due_at_us: now,
        message: format!("令牌{token_id}（{}）{zh}{}", actor.name, if suspends { "，已暂停该令牌，待数据主管部门核查" } else { "，请核查" }),
        message_en: format!("Token {token_id} ({}): {en}{}", actor.name, if suspends { "; the token is suspended until the authority reviews it" } else { ": review it" }),
        raised_at_us: now,
        resolved_at_us: None,
    };
    store::alerts::raise(&mut tx, &row).await?;
    let suspended = suspends && store::tokens::suspend(&mut tx, token_id, &zh, now).await?;
    let mut event = Actor::platform("share-anomaly").event(if suspended { "token.suspend" } else { "alert.raise" }, "api_token", token_id.to_string());
    event.result = if suspended { "suspended".into() } else { "ok".into() };
    event.detail = format!("{}: {en}", anomaly.kind());
    store::audit::append(&mut tx, &event, now).await?;
    tx.commit().await?;
    if !suspended {
        return Ok(None);
    }
    p.caches.bump();
    Ok(Some((zh, en)))
}
