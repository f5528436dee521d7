//! Data push (数据推送, CS-21c): under a push grant the consumer subscribes an endpoint; the node's worker queues each
//! new version of the resource for it and delivers the changes since the version it last delivered — the whole
//! version the first time — as JSON lines of the granted items, signed with the subscription's secret
//! (HMAC-SM3), retried with growing waits. A push that keeps failing stops the subscription, so a consumer never
//! holds a version with a gap before it; subscribing again starts from the whole version. Every attempt is an
//! audit event naming the grant and its scenario.

use std::io::Write;
use std::time::Duration;

use domain::clock::{format_rfc3339_local, from_micros};
use domain::roles::Role;
use domain::sharing::{self as rules, DeliveryMode, GrantState};
use hmac::Mac;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use store::pushes::{PushRow, SubscriptionRow};

use super::parse_list;
use crate::actor::Actor;
use crate::error::{Error, Result};
use crate::platform::Platform;

/// Attempts before a push is given up (and its subscription stopped).
pub const MAX_ATTEMPTS: i64 = 8;
/// How long a worker holds a claimed push.
const CLAIM_US: i64 = 15 * 60 * 1_000_000;
/// How long one delivery may take, body included.
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(300);
/// The most pushes one worker round delivers.
const PER_ROUND: usize = 20;

type HmacSm3 = hmac::Hmac<sm3::Sm3>;

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSubscription {
    pub grant_id: i64,
    /// Where the changes are posted: an `http://` or `https://` address of the consumer's system.
    pub endpoint: String,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SubscriptionView {
    pub id: i64,
    pub grant_id: i64,
    pub resource_code: String,
    pub endpoint: String,
    pub state: String,
    pub stop_reason: String,
    pub created_by: String,
    pub created_at: String,
    /// The newest version queued for delivery.
    pub queued_version: Option<i64>,
    /// The signing secret: shown once, when the subscription is made. Each push carries
    /// `x-shuyuan-signature: hmac-sm3=<hex of HMAC-SM3(secret, body)>`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct PushView {
    pub id: i64,
    pub version: i64,
    /// The version the changes are from; none for the whole version.
    pub base_version: Option<i64>,
    pub state: String,
    pub attempts: i64,
    pub next_attempt_at: String,
    pub last_error: String,
    pub upserts: Option<i64>,
    pub deletes: Option<i64>,
    /// SM3 of the body delivered.
    pub sm3: Option<String>,
    pub delivered_at: Option<String>,
}

fn sub_not_found(id: i64) -> Error {
    Error::not_found(format!("订阅{id}不存在"), format!("Subscription {id} does not exist"))
}

/// An endpoint a consumer's system listens on: http(s), a host, no credentials in the address, at most 500 bytes.
fn check_endpoint(endpoint: &str) -> Result<reqwest::Url> {
    let bad = || Error::invalid("invalid_endpoint", "推送地址须为 http:// 或 https:// 开头的完整地址（不含用户名密码，不超过500字符）", "The endpoint is a full http:// or https:// address without credentials, at most 500 characters");
    if endpoint.len() > 500 {
        return Err(bad());
    }
    let url = reqwest::Url::parse(endpoint.trim()).map_err(|_| bad())?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) || !url.username().is_empty() || url.password().is_some() {
        return Err(bad());
    }
    Ok(url)
}

/// The consumer's data officer subscribes an endpoint under a push grant in force (CS-21c).
pub async fn subscribe(p: &Platform, actor: &Actor, input: NewSubscription) -> Result<SubscriptionView> {
    let url = check_endpoint(&input.endpoint)?;
    let mut conn = p.store.read().await?;
    let grant = store::sharing::grant_by_id(&mut conn, input.grant_id)
        .await?
        .filter(|g| actor.oversees() || actor.department_id == Some(g.consumer_department_id))
        .ok_or_else(|| super::grant_not_found(input.grant_id))?;
    drop(conn);
    if !(actor.has(Role::DeptDataOfficer) && actor.department_id == Some(grant.consumer_department_id)) {
        return Err(Error::forbidden("由授权的需求部门的数据专员订阅推送", "The consumer's data officer subscribes to a push"));
    }
    if DeliveryMode::parse(&grant.mode) != Some(DeliveryMode::Push) {
        return Err(Error::invalid("grant_not_push", "该授权不是数据推送方式：请以“数据推送”方式申请", "The grant is not for data push: apply with mode push"));
    }
    let now = p.now_us();
    let in_force = matches!(GrantState::parse(&grant.state), Some(GrantState::Active | GrantState::Rectification)) && now < grant.expires_at_us;
    if !in_force {
        return Err(Error::invalid("grant_not_in_force", "授权已暂停、终止或过期", "The grant is suspended, ended or expired"));
    }
    let mut secret = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut secret);
    let secret = hex::encode(secret);
    let row = SubscriptionRow {
        grant_id: grant.id,
        endpoint: url.to_string(),
        secret_sealed: crate::secrets::sealer(p)?.seal(&secret),
        state: "active".into(),
        created_by: actor.name.clone(),
        created_at_us: now,
        ..Default::default()
    };
    let mut tx = p.store.begin().await?;
    let id = store::pushes::insert_subscription(&mut tx, &row).await?;
    let mut event = actor.event("share.subscribe", "grant", grant.id.to_string());
    event.purpose = grant.scenario.clone();
    event.detail = format!("subscription {id} → {}", row.endpoint);
    store::audit::append(&mut tx, &event, now).await?;
    tx.commit().await?;
    p.wake_worker();
    let mut view = subscription(p, actor, id).await?;
    view.secret = Some(secret);
    Ok(view)
}

/// The consumer stops a subscription; pushes not yet delivered are cancelled.
pub async fn unsubscribe(p: &Platform, actor: &Actor, id: i64) -> Result<SubscriptionView> {
    let (row, grant) = owned(p, actor, id).await?;
    if !(actor.has(Role::DeptDataOfficer) && actor.department_id == Some(grant.consumer_department_id)) && !actor.has(Role::AuthorityAdmin) {
        return Err(Error::forbidden("由需求部门的数据专员或数据主管部门取消订阅", "The consumer's data officer or the authority stops a subscription"));
    }
    let now = p.now_us();
    let mut tx = p.store.begin().await?;
    if store::pushes::stop_subscription(&mut tx, row.id, &format!("stopped by {}", actor.name)).await? {
        store::pushes::cancel_pending(&mut tx, row.id).await?;
        let mut event = actor.event("share.unsubscribe", "grant", grant.id.to_string());
        event.detail = format!("subscription {id}");
        store::audit::append(&mut tx, &event, now).await?;
    }
    tx.commit().await?;
    subscription(p, actor, id).await
}

/// The subscription and its grant, for whoever may see the grant (its consumer, its provider, those who oversee);
/// anyone else is told it does not exist.
async fn owned(p: &Platform, actor: &Actor, id: i64) -> Result<(SubscriptionRow, store::sharing::GrantRow)> {
    let mut conn = p.store.read().await?;
    let row = store::pushes::subscription_by_id(&mut conn, id).await?.ok_or_else(|| sub_not_found(id))?;
    match super::usage::visible_grant(&mut conn, actor, row.grant_id).await {
        Ok((grant, _)) => Ok((row, grant)),
        Err(Error::NotFound { .. }) => Err(sub_not_found(id)),
        Err(e) => Err(e),
    }
}

pub async fn subscription(p: &Platform, actor: &Actor, id: i64) -> Result<SubscriptionView> {
    let (row, grant) = owned(p, actor, id).await?;
    let mut conn = p.store.read().await?;
    view(&mut conn, row, grant.resource_id).await
}

async fn view(conn: &mut store::Conn, row: SubscriptionRow, resource_id: i64) -> Result<SubscriptionView> {
    let resource_code = store::catalog::by_id(conn, resource_id).await?.map(|r| r.code).unwrap_or_default();
    Ok(SubscriptionView {
        id: row.id,
        grant_id: row.grant_id,
        resource_code,
        endpoint: row.endpoint,
        state: row.state,
        stop_reason: row.stop_reason,
        created_by: row.created_by,
        created_at: format_rfc3339_local(from_micros(row.created_at_us)),
        queued_version: row.queued_version,
        secret: None,
    })
}

/// Subscriptions under grants a department holds or gives; every one for those who oversee.
pub async fn subscriptions(p: &Platform, actor: &Actor) -> Result<Vec<SubscriptionView>> {
    let scope = if actor.oversees() { None } else { Some(actor.department_id.ok_or_else(|| Error::forbidden("没有所属部门", "No department"))?) };
    let mut conn = p.store.read().await?;
    let rows = store::pushes::subscriptions(&mut conn, scope).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let resource_id = store::sharing::grant_by_id(&mut conn, row.grant_id).await?.map(|g| g.resource_id).unwrap_or_default();
        out.push(view(&mut conn, row, resource_id).await?);
    }
    Ok(out)
}

/// A subscription's pushes, newest first.
pub async fn pushes(p: &Platform, actor: &Actor, id: i64) -> Result<Vec<PushView>> {
    owned(p, actor, id).await?;
    let mut conn = p.store.read().await?;
    let at = |t: Option<i64>| t.map(|t| format_rfc3339_local(from_micros(t)));
    Ok(store::pushes::pushes(&mut conn, id)
        .await?
        .into_iter()
        .map(|r| PushView {
            id: r.id,
            version: r.version,
            base_version: r.base_version,
            state: r.state,
            attempts: r.attempts,
            next_attempt_at: format_rfc3339_local(from_micros(r.next_attempt_at_us)),
            last_error: r.last_error,
            upserts: r.upserts,
            deletes: r.deletes,
            sm3: r.sm3,
            delivered_at: at(r.delivered_at_us),
        })
        .collect())
}

/// The worker's step: queues the versions committed since each active subscription's last, then delivers what is
/// due, up to [`PER_ROUND`]. Answers how many deliveries were attempted.
pub async fn run_pushes(p: &Platform) -> Result<usize> {
    let now = p.now_us();
    let mut conn = p.store.read().await?;
    let due = store::pushes::active_with_newest(&mut conn).await?;
    drop(conn);
    for (sub, newest) in due {
        if sub.queued_version.is_none_or(|q| q < newest) {
            let mut tx = p.store.begin().await?;
            store::pushes::queue(&mut tx, sub.id, sub.queued_version, newest, now).await?;
            tx.commit().await?;
        }
    }
    let client = reqwest::Client::builder()
        .timeout(DELIVERY_TIMEOUT)
        .user_agent(concat!("shuyuan-push/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| Error::Internal(store::Error::Corrupt(format!("http client: {e}"))))?;
    let mut attempted = 0;
    while attempted < PER_ROUND {
        let now = p.now_us();
        let mut tx = p.store.begin().await?;
        let claimed = store::pushes::claim_due(&mut tx, now, now + CLAIM_US).await?;
        tx.commit().await?;
        let Some(push) = claimed else { break };
        attempted += 1;
        deliver(p, &client, push).await?;
    }
    Ok(attempted)
}

/// The wait before attempt `n + 1`: 1, 2, 4 … minutes, at most six hours.
fn backoff_us(attempts: i64) -> i64 {
    let minutes = 1i64 << attempts.clamp(0, 9);
    minutes.min(360) * 60_000_000
}

/// One attempt at a claimed push: its body built from the versions, posted, and the outcome recorded with its audit
/// event.
async fn deliver(p: &Platform, client: &reqwest::Client, mut push: PushRow) -> Result<()> {
    let mut conn = p.store.read().await?;
    let sub = store::pushes::subscription_by_id(&mut conn, push.subscription_id).await?.ok_or_else(|| sub_not_found(push.subscription_id))?;
    let grant = store::sharing::grant_by_id(&mut conn, sub.grant_id).await?.ok_or_else(|| super::grant_not_found(sub.grant_id))?;
    let resource = store::catalog::by_id(&mut conn, grant.resource_id).await?.ok_or_else(|| super::grant_not_found(grant.id))?;
    let entry = crate::catalog::entry_of(p, &mut conn, resource).await?;
    let content = crate::aggregation::published_content(&mut conn, &entry).await?;
    let versions = store::lake::versions(&mut conn, grant.resource_id).await?;
    drop(conn);
    let actor = Actor::platform("share-push");
    let now = p.now_us();
    let state = GrantState::parse(&grant.state).unwrap_or(GrantState::Terminated);
    // A grant that has ended ends its subscription; a suspended one waits without using up attempts.
    if state == GrantState::Terminated || now >= grant.expires_at_us || sub.state != "active" {
        let mut tx = p.store.begin().await?;
        store::pushes::stop_subscription(&mut tx, sub.id, "grant ended").await?;
        store::pushes::cancel_pending(&mut tx, sub.id).await?;
        tx.commit().await?;
        return Ok(());
    }
    if state == GrantState::Suspended || now < grant.starts_at_us {
        push.next_attempt_at_us = now + backoff_us(4);
        let mut tx = p.store.begin().await?;
        store::pushes::finish(&mut tx, &push).await?;
        tx.commit().await?;
        return Ok(());
    }
    let items: Vec<String> = parse_list(&grant.items);
    let ops = parse_list(&grant.ops);
    let key = content.items.iter().find(|i| i.is_key).map(|i| i.name.clone());
    let new = versions.iter().find(|v| v.version == push.version);
    // A base removed by retention: the consumer gets the whole version instead.
    let base = push.base_version.and_then(|b| versions.iter().find(|v| v.version == b));
    let outcome = match (key, new) {
        (Some(key), Some(new)) => {
            let mut rels = vec![new.path.clone()];
            rels.extend(base.map(|b| b.path.clone()));
            let files = crate::aggregation::local_files(p, rels).await?;
            let secret = crate::secrets::sealer(p)?.open(&sub.secret_sealed)?;
            let header = serde_json::json!({
                "kind": if base.is_some() { "changes" } else { "snapshot" },
                "resource_code": entry.row.code, "version": push.version, "base_version": base.map(|b| b.version),
                "grant_id": grant.id, "scenario": grant.scenario, "delivery": push.id,
            });
            let spool = tempfile::NamedTempFile::new_in(crate::aggregation::tmp_dir(p)?).map_err(|e| Error::Internal(store::Error::Corrupt(format!("push spool: {e}"))))?;
            let path = spool.path().to_path_buf();
            let masks: Vec<Option<domain::catalog::entry::Item>> = items.iter().map(|n| content.items.iter().find(|i| &i.name == n).cloned()).collect();
            let body = tokio::task::spawn_blocking(move || build_body(&files, &key, &items, &masks, &ops, header, &path, secret.as_bytes()))
                .await
                .map_err(|e| Error::Internal(store::Error::Corrupt(format!("push task: {e}"))))?;
            match body {
                Ok((upserts, deletes, sm3, signature)) => {
                    let sent = post(client, &sub.endpoint, spool.path(), push.id, push.version, &signature).await;
                    push.upserts = Some(upserts as i64);
                    push.deletes = Some(deletes as i64);
                    push.sm3 = Some(sm3);
                    sent
                }
                Err(e) => Err(format!("building the changes: {e}")),
            }
        }
        (None, _) => Err("the resource has no key item".into()),
        (_, None) => Err(format!("version {} is no longer kept", push.version)),
    };
    push.attempts += 1;
    let mut event = actor.event("share.push", "grant", grant.id.to_string());
    event.purpose = grant.scenario.clone();
    let mut tx = p.store.begin().await?;
    match &outcome {
        Ok(status) => {
            push.state = "delivered".into();
            push.delivered_at_us = Some(now);
            push.last_error.clear();
            event.detail = format!(
                "subscription {}, version {} from {:?}: {} upserts, {} deletes, HTTP {status}",
                sub.id,
                push.version,
                push.base_version,
                push.upserts.unwrap_or(0),
                push.deletes.unwrap_or(0)
            );
        }
        Err(error) => {
            push.last_error = error.chars().take(500).collect();
            event.result = "failed".into();
            event.detail = format!("subscription {}, version {}, attempt {}: {}", sub.id, push.version, push.attempts, push.last_error);
            if push.attempts >= MAX_ATTEMPTS {
                push.state = "failed".into();
                // Later versions would arrive with a gap before them: the consumer subscribes again for the whole.
                store::pushes::stop_subscription(&mut tx, sub.id, "delivery failed").await?;
                store::pushes::cancel_pending(&mut tx, sub.id).await?;
                let alert = store::alerts::AlertRow {
                    id: 0,
                    kind: "share_push_failed".into(),
                    object_kind: "subscription".into(),
                    object_id: sub.id.to_string(),
                    department_id: grant.consumer_department_id,
                    to_authority: false,
                    due_at_us: now,
                    message: format!("数据推送连续{MAX_ATTEMPTS}次失败，订阅已停止：{}；请检查接收地址后重新订阅", push.last_error),
                    message_en: format!("Data push failed {MAX_ATTEMPTS} times and the subscription stopped: {}; check the endpoint and subscribe again", push.last_error),
                    raised_at_us: now,
                    resolved_at_us: None,
                };
                store::alerts::raise(&mut tx, &alert).await?;
            } else {
                push.next_attempt_at_us = now + backoff_us(push.attempts - 1);
            }
        }
    }
    store::pushes::finish(&mut tx, &push).await?;
    store::audit::append(&mut tx, &event, now).await?;
    tx.commit().await?;
    Ok(())
}

/// Writes the push body to `out` — a header line, then one line per change — and answers the counts, the body's
/// SM3 and its signature.
#[allow(clippy::too_many_arguments)]
fn build_body(
    files: &[std::path::PathBuf],
    key: &str,
    items: &[String],
    masks: &[Option<domain::catalog::entry::Item>],
    ops: &[domain::catalog::attrs::ShareOp],
    header: serde_json::Value,
    out: &std::path::Path,
    secret: &[u8],
) -> lake::Result<(u64, u64, String, String)> {
    use sm3::Digest;
    let mut file = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(out)?);
    let mut digest = sm3::Sm3::new();
    let mut mac = HmacSm3::new_from_slice(secret).expect("HMAC takes any key length");
    let mut line = |value: serde_json::Value| -> std::io::Result<()> {
        let mut bytes = serde_json::to_vec(&value).map_err(std::io::Error::other)?;
        bytes.push(b'\n');
        digest.update(&bytes);
        mac.update(&bytes);
        file.write_all(&bytes)
    };
    line(header)?;
    let (base, new) = match files {
        [new, base] => (Some(base.as_path()), new.as_path()),
        [new] => (None, new.as_path()),
        _ => return Err(lake::Error::Io(std::io::Error::other("no version file"))),
    };
    let (upserts, deletes) = lake::changes::changes(base, new, key, items, |change| {
        let value = match change {
            lake::changes::Change::Upsert { key, values } => {
                let values: serde_json::Map<String, serde_json::Value> = items
                    .iter()
                    .zip(masks)
                    .zip(values)
                    .map(|((name, item), v)| {
                        let shown = match (item, v) {
                            (Some(item), Some(v)) => serde_json::Value::String(rules::masked(item, &v, ops).into_owned()),
                            (_, Some(v)) => serde_json::Value::String(v),
                            (_, None) => serde_json::Value::Null,
                        };
                        (name.clone(), shown)
                    })
                    .collect();
                serde_json::json!({"op": "upsert", "key": key, "values": values})
            }
            lake::changes::Change::Delete { key } => serde_json::json!({"op": "delete", "key": key}),
        };
        line(value).map_err(lake::Error::Io)
    })?;
    file.flush()?;
    file.into_inner().map_err(|e| lake::Error::Io(e.into_error()))?.sync_all()?;
    Ok((upserts, deletes, hex::encode(digest.finalize()), hex::encode(mac.finalize().into_bytes())))
}

/// Posts the body; answers the HTTP status when the endpoint took it (2xx), else why not.
async fn post(client: &reqwest::Client, endpoint: &str, body: &std::path::Path, delivery: i64, version: i64, signature: &str) -> std::result::Result<u16, String> {
    let file = tokio::fs::File::open(body).await.map_err(|e| format!("reading the body: {e}"))?;
    let response = client
        .post(endpoint)
        .header(reqwest::header::CONTENT_TYPE, "application/x-ndjson")
        .header("x-shuyuan-delivery", delivery.to_string())
        .header("x-shuyuan-version", version.to_string())
        .header("x-shuyuan-signature", format!("hmac-sm3={signature}"))
        .body(reqwest::Body::from(file))
        .send()
        .await
        .map_err(|e| format!("{e}"))?;
    let status = response.status();
    if status.is_success() {
        Ok(status.as_u16())
    } else {
        Err(format!("HTTP {}", status.as_u16()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_are_full_http_addresses_without_credentials() {
        assert!(check_endpoint("https://dibao.example.gov.cn/push").is_ok());
        assert!(check_endpoint("http://10.1.2.3:8080/shuyuan").is_ok());
        for bad in ["ftp://x/y", "https://user:pw@x/y", "not a url", "http://", "javascript:alert(1)", &format!("https://x/{}", "a".repeat(600))] {
            assert!(check_endpoint(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn retries_wait_longer_each_time_up_to_six_hours() {
        assert_eq!(backoff_us(0), 60_000_000);
        assert_eq!(backoff_us(3), 8 * 60_000_000);
        assert_eq!(backoff_us(20), 360 * 60_000_000);
    }
}
