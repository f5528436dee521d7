//! Data push (数据推送) through the HTTP API to a real receiver on 127.0.0.1: the whole version first, then each
//! new version's changes, signed, retried after failures, held while the grant is suspended, ended with it.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use hmac::Mac;
use reqwest::Method;
use serde_json::{json, Value};

use crate::aggregation::{id as citizen, people};
use crate::common::TestApp;
use crate::sharing::{answer, application, apply, audit_count, conditional, shared_population};

/// What the consumer's endpoint received: each body's headers of interest and lines.
#[derive(Clone, Default)]
struct Receiver {
    bodies: Arc<Mutex<Vec<(String, Vec<u8>)>>>,
    /// How many requests to answer 503 before accepting.
    fail_next: Arc<AtomicUsize>,
}

async fn receiver() -> (String, Receiver) {
    let r = Receiver::default();
    let state = r.clone();
    let app = axum::Router::new().route(
        "/push",
        axum::routing::post(move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
            let state = state.clone();
            async move {
                if state.fail_next.load(Ordering::SeqCst) > 0 {
                    state.fail_next.fetch_sub(1, Ordering::SeqCst);
                    return axum::http::StatusCode::SERVICE_UNAVAILABLE;
                }
                let signature = headers.get("x-shuyuan-signature").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
                state.bodies.lock().unwrap().push((signature, body.to_vec()));
                axum::http::StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/push", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, r)
}

fn lines(body: &[u8]) -> Vec<Value> {
    std::str::from_utf8(body).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

async fn run(app: &TestApp) -> usize {
    service::sharing::run_pushes(&app.platform).await.unwrap()
}

async fn deliver(app: &TestApp, officer: &str, code: &str, csv: String, merge: bool) {
    let r = app
        .client
        .post(format!("{}/api/v1/resources/{code}/batches{}", app.base, if merge { "?mode=merge" } else { "" }))
        .bearer_auth(officer)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201, "{}", r.text().await.unwrap());
}

/// CS-21c (数据推送), LS-17b: under a push grant the consumer subscribes its endpoint and receives the whole version,
/// then only what each new version changed, in the granted items only, signed with its secret (HMAC-SM3); a failing
/// endpoint is retried with growing waits; a suspended grant holds pushes back and an ended one stops them. Every
/// attempt is an audit event.
pub async fn cs_21c_data_push_sends_each_new_versions_changes_signed_and_retried(app: TestApp) {
    let code = shared_population(&app, "shuangyashan-2026", conditional(&app).await).await;
    let civil = app.login("officer-mz").await;
    let mut no_key = application(&code, &["xm"], &["obtain"]);
    no_key["mode"] = json!("push");
    let (status, body) = apply(&app, &civil, no_key).await;
    assert_eq!((status, body["error"]["fields"][0]["field"].as_str()), (400, Some("items")), "pushed rows carry their key: {body}");
    let mut body = application(&code, &["zjhm", "xm", "csrq"], &["obtain"]);
    body["mode"] = json!("push");
    let (status, filed) = apply(&app, &civil, body).await;
    assert_eq!(status, 201, "{filed}");
    let provider = app.login("officer").await;
    let (_, approved) = answer(&app, &provider, filed["id"].as_i64().unwrap(), json!({"approve": true})).await;
    let grant = approved["grant_id"].as_i64().expect("granted");

    let (endpoint, received) = receiver().await;
    received.fail_next.store(2, Ordering::SeqCst);
    let subscribe = |body: Value| app.json(Method::POST, "/api/v1/share/subscriptions", Some(&civil), Some(body));
    let (status, e) = subscribe(json!({"grant_id": grant, "endpoint": "ftp://10.0.0.1/x"})).await;
    assert_eq!((status, e["error"]["code"].as_str()), (400, Some("invalid_endpoint")), "{e}");
    let (status, _) = app.json(Method::POST, "/api/v1/share/subscriptions", Some(&app.login("officer-sj").await), Some(json!({"grant_id": grant, "endpoint": endpoint}))).await;
    assert_eq!(status, 404, "another department's grant");
    let (status, sub) = subscribe(json!({"grant_id": grant, "endpoint": endpoint})).await;
    assert_eq!(status, 201, "{sub}");
    let secret = sub["secret"].as_str().expect("the secret, once").to_string();
    let id = sub["id"].as_i64().unwrap();
    let (_, listed) = app.json(Method::GET, "/api/v1/share/subscriptions", Some(&civil), None).await;
    assert!(listed["items"][0]["secret"].is_null(), "the secret is not shown again: {listed}");
    let history_path = format!("/api/v1/share/subscriptions/{id}/pushes");
    let history = || app.json(Method::GET, &history_path, Some(&civil), None);

    // Two failures, each retried after a longer wait; nothing is sent before its time.
    assert_eq!(run(&app).await, 1);
    let (_, h) = history().await;
    assert_eq!((h["items"][0]["state"].as_str(), h["items"][0]["attempts"].as_i64(), h["items"][0]["last_error"].as_str()), (Some("pending"), Some(1), Some("HTTP 503")), "{h}");
    assert_eq!(run(&app).await, 0, "not due yet");
    app.clock.advance_minutes(1);
    assert_eq!(run(&app).await, 1);
    app.clock.advance_minutes(1);
    assert_eq!(run(&app).await, 0, "the second wait is longer");
    app.clock.advance_minutes(1);
    assert_eq!(run(&app).await, 1);
    let (_, h) = history().await;
    assert_eq!((h["items"][0]["state"].as_str(), h["items"][0]["upserts"].as_i64()), (Some("delivered"), Some(50)), "{h}");

    // The whole version first: the granted items only, signed.
    let (signature, body) = received.bodies.lock().unwrap()[0].clone();
    let mut mac = hmac::Hmac::<sm3::Sm3>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(&body);
    assert_eq!(signature, format!("hmac-sm3={}", hex::encode(mac.finalize().into_bytes())), "signed with the subscription's secret");
    {
        use sm3::Digest;
        assert_eq!(h["items"][0]["sm3"].as_str(), Some(hex::encode(sm3::Sm3::digest(&body)).as_str()), "the body's SM3 is recorded");
    }
    let first = lines(&body);
    assert_eq!((first[0]["kind"].as_str(), first[0]["version"].as_i64(), first[0]["grant_id"].as_i64()), (Some("snapshot"), Some(1), Some(grant)), "{}", first[0]);
    assert_eq!(first.len(), 51);
    let three = first.iter().find(|l| l["key"] == citizen(3)).unwrap();
    assert_eq!(three["values"], json!({"zjhm": citizen(3), "xm": "居民3", "csrq": "1980-01-04"}), "obtain: unmasked, and no phone: {three}");

    // A merged delivery: one changed, one added — only those two are pushed.
    let changed = format!("公民身份号码,姓名,出生日期,联系电话\n{},王三,1980-01-04,13800000003\n{},居民51,1980-01-24,13800000051\n", citizen(3), citizen(51));
    deliver(&app, &provider, &code, changed, true).await;
    assert_eq!(run(&app).await, 1);
    let second = lines(&received.bodies.lock().unwrap()[1].1);
    assert_eq!((second[0]["kind"].as_str(), second[0]["base_version"].as_i64(), second[0]["version"].as_i64()), (Some("changes"), Some(1), Some(2)), "{}", second[0]);
    let keys: Vec<&str> = second[1..].iter().map(|l| l["key"].as_str().unwrap()).collect();
    assert_eq!(keys, [citizen(3), citizen(51)], "{second:?}");
    // A replacing delivery of the first 49: two keys gone, one name back.
    deliver(&app, &provider, &code, people(49, &[]), false).await;
    assert_eq!(run(&app).await, 1);
    let third = lines(&received.bodies.lock().unwrap()[2].1);
    let ops: Vec<(String, String)> = third[1..].iter().map(|l| (l["op"].as_str().unwrap().to_string(), l["key"].as_str().unwrap().to_string())).collect();
    let mut gone = vec![citizen(49), citizen(51)];
    gone.sort();
    let expected: Vec<(String, String)> = std::iter::once(("upsert".to_string(), citizen(3))).chain(gone.into_iter().map(|k| ("delete".to_string(), k))).collect();
    assert_eq!(ops, expected);

    // Suspended: held back without using up attempts; restored: delivered; ended: the subscription stops.
    let admin = app.login("admin").await;
    let state_path = format!("/api/v1/share/grants/{grant}/state");
    let state = |s: &'static str| app.json(Method::PUT, &state_path, Some(&admin), Some(json!({"state": s, "reason": "核查"})));
    assert_eq!(state("suspended").await.0, 200);
    deliver(&app, &provider, &code, people(48, &[]), false).await;
    run(&app).await;
    let (_, h) = history().await;
    assert_eq!((h["items"][0]["state"].as_str(), h["items"][0]["attempts"].as_i64()), (Some("pending"), Some(0)), "held back: {h}");
    assert_eq!(state("active").await.0, 200);
    app.clock.advance_minutes(20);
    assert_eq!(run(&app).await, 1);
    assert_eq!(received.bodies.lock().unwrap().len(), 4);
    assert_eq!(state("terminated").await.0, 200);
    deliver(&app, &provider, &code, people(47, &[]), false).await;
    run(&app).await;
    let (_, s) = app.json(Method::GET, "/api/v1/share/subscriptions", Some(&civil), None).await;
    assert_eq!((s["items"][0]["state"].as_str(), s["items"][0]["stop_reason"].as_str()), (Some("stopped"), Some("grant ended")), "{s}");
    assert_eq!(received.bodies.lock().unwrap().len(), 4, "nothing after the end");
    assert_eq!(audit_count(&app, "share.push").await, 6, "two failed attempts and four deliveries");
}

/// CS-21c: an endpoint that keeps failing stops its subscription after the last attempt and tells the consumer, so
/// no later version arrives with a gap before it.
pub async fn cs_21c_a_push_that_keeps_failing_stops_the_subscription_and_alerts(app: TestApp) {
    let code = shared_population(&app, "shuangyashan-2026", conditional(&app).await).await;
    let civil = app.login("officer-mz").await;
    let mut body = application(&code, &["zjhm", "xm"], &["obtain"]);
    body["mode"] = json!("push");
    let (_, filed) = apply(&app, &civil, body).await;
    let (_, approved) = answer(&app, &app.login("officer").await, filed["id"].as_i64().unwrap(), json!({"approve": true})).await;
    let (endpoint, received) = receiver().await;
    received.fail_next.store(usize::MAX, Ordering::SeqCst);
    let (status, sub) = app.json(Method::POST, "/api/v1/share/subscriptions", Some(&civil), Some(json!({"grant_id": approved["grant_id"], "endpoint": endpoint}))).await;
    assert_eq!(status, 201, "{sub}");
    for _ in 0..service::sharing::MAX_ATTEMPTS {
        assert_eq!(run(&app).await, 1);
        app.clock.advance_minutes(400);
    }
    assert_eq!(run(&app).await, 0);
    let civil = app.login("officer-mz").await;
    let (_, s) = app.json(Method::GET, "/api/v1/share/subscriptions", Some(&civil), None).await;
    assert_eq!((s["items"][0]["state"].as_str(), s["items"][0]["stop_reason"].as_str()), (Some("stopped"), Some("delivery failed")), "{s}");
    let (_, alerts) = app.json(Method::GET, "/api/v1/alerts?open=true", Some(&civil), None).await;
    assert!(alerts["items"].as_array().unwrap().iter().any(|a| a["kind"] == "share_push_failed"), "{alerts}");
}
