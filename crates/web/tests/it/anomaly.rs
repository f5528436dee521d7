//! Anomalies in a system's use of the sharing API (SYS-31a 安全风险异常, YZ-27d 监测预警): enumeration of keys and
//! a run of refused calls raise an alert to the department and the authority and suspend the token, which is
//! refused until the authority resumes it with what its review found.

use reqwest::Method;
use serde_json::{json, Value};

use crate::aggregation::id as citizen;
use crate::common::TestApp;
use crate::sharing::{answer, application, apply, audit_count, conditional, shared_population};

async fn alerts(app: &TestApp, token: &str) -> Vec<Value> {
    let (status, body) = app.json(Method::GET, "/api/v1/alerts?open=true", Some(token), None).await;
    assert_eq!(status, 200, "{body}");
    body["items"].as_array().unwrap().iter().filter(|a| a["kind"].as_str().unwrap_or("").starts_with("share_anomaly")).cloned().collect()
}

/// SYS-31a, YZ-27d: a token that looks up more distinct keys in an hour than it declared is suspended at the call
/// that crosses the line, with an alert to its department and the authority; a department cannot declare its own
/// volume or resume its token; the authority resumes it with a reason. More than twenty refused calls in ten
/// minutes suspend a token the same way.
pub async fn sys_31a_yz_27d_anomalous_use_raises_an_alert_and_suspends_the_token(app: TestApp) {
    let code = shared_population(&app, "shuangyashan-2026", conditional(&app).await).await;
    let civil = app.login("officer-mz").await;
    let (status, filed) = apply(&app, &civil, application(&code, &["zjhm", "xm"], &["view"])).await;
    assert_eq!(status, 201, "{filed}");
    let (status, _) = answer(&app, &app.login("officer").await, filed["id"].as_i64().unwrap(), json!({"approve": true})).await;
    assert_eq!(status, 200);
    let admin = app.login("admin").await;
    let department_id = app.department_id("民政局").await;
    let issue = |by: String, keys: i64| {
        let app = &app;
        async move { app.json(Method::POST, "/api/v1/tokens", Some(&by), Some(json!({"name": "低保审核系统", "department_id": department_id, "keys_per_hour": keys}))).await }
    };
    let (status, body) = issue(civil.clone(), 1_000_000).await;
    assert_eq!((status, body["error"]["code"].as_str()), (403, Some("forbidden")), "a department cannot raise its own threshold: {body}");
    let (status, body) = issue(admin.clone(), 0).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("invalid_keys_per_hour")), "{body}");
    let (status, body) = issue(admin.clone(), 30).await;
    assert_eq!(status, 201, "{body}");
    let (token, token_id) = (body["secret"].as_str().unwrap().to_string(), body["token"]["id"].as_i64().unwrap());
    assert_eq!(body["token"]["keys_per_hour"], 30);

    // Thirty distinct keys, each looked up twice: within what the token declared.
    for n in 1..=30 {
        for _ in 0..2 {
            let (status, body) = app.json(Method::GET, &format!("/api/v1/share/{code}/records/{}", citizen(n)), Some(&token), None).await;
            assert!(status == 200 || status == 404, "key {n}: {status} {body}");
        }
    }
    assert!(alerts(&app, &admin).await.is_empty(), "nothing anomalous yet");
    // The thirty-first distinct key is enumeration: that call is refused and the token suspended.
    let (status, body) = app.json(Method::GET, &format!("/api/v1/share/{code}/records/{}", citizen(31)), Some(&token), None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (403, Some("token_suspended")), "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("遍历") && message.contains("数据主管部门"), "says why and what to do: {message}");
    let (status, body) = app.json(Method::GET, &format!("/api/v1/share/{code}/records/{}", citizen(1)), Some(&token), None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (403, Some("token_suspended")), "a key seen before is refused too: {body}");
    let raised = alerts(&app, &admin).await;
    assert_eq!(raised.len(), 1, "{raised:?}");
    assert_eq!((raised[0]["kind"].as_str(), raised[0]["object_id"].as_str()), (Some("share_anomaly_enumeration"), Some(token_id.to_string().as_str())));
    assert_eq!(alerts(&app, &civil).await.len(), 1, "the token's department sees it");
    assert_eq!(audit_count(&app, "token.suspend").await, 1);
    let (_, tokens) = app.json(Method::GET, "/api/v1/tokens?limit=100", Some(&admin), None).await;
    let listed = tokens["items"].as_array().unwrap().iter().find(|t| t["id"] == token_id).unwrap().clone();
    assert!(listed["suspended_at"].is_string() && listed["suspended_reason"].as_str().unwrap().contains("遍历"), "{listed}");

    // Only the authority resumes it, and says what its review found.
    let resume = format!("/api/v1/tokens/{token_id}/resume");
    let (status, _) = app.json(Method::POST, &resume, Some(&civil), Some(json!({"reason": "已核查"}))).await;
    assert_eq!(status, 403);
    let (status, body) = app.json(Method::POST, &resume, Some(&admin), Some(json!({"reason": "  "}))).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("resume_reason")), "{body}");
    let (status, body) = app.json(Method::POST, &resume, Some(&admin), Some(json!({"reason": "经核查为批量复核低保对象，属正常业务"}))).await;
    assert_eq!((status, body["suspended_at"].is_null()), (200, true), "{body}");
    let (status, body) = app.json(Method::POST, &resume, Some(&admin), Some(json!({"reason": "再次恢复"}))).await;
    assert_eq!(status, 409, "not suspended now: {body}");
    assert!(alerts(&app, &admin).await.is_empty(), "resuming resolves the alert");
    let (status, body) = app.json(Method::GET, &format!("/api/v1/share/{code}/records/{}", citizen(1)), Some(&token), None).await;
    assert_eq!(status, 200, "{body}");

    // YZ-27d: more than twenty refused calls in ten minutes (here: another scenario than the grant's).
    let (status, body) = app.json(Method::POST, "/api/v1/tokens", Some(&admin), Some(json!({"name": "另一系统", "department_id": department_id}))).await;
    assert_eq!(status, 201, "{body}");
    let other = body["secret"].as_str().unwrap().to_string();
    let over_purpose = format!("/api/v1/share/{code}/records/{}?scenario=招商引资", citizen(2));
    for n in 1..=21 {
        let (status, body) = app.json(Method::GET, &over_purpose, Some(&other), None).await;
        assert_eq!((status, body["error"]["code"].as_str()), (403, Some("share_over_purpose")), "refusal {n}: {body}");
        app.clock.advance_minutes(if n % 5 == 0 { 1 } else { 0 });
    }
    let (status, body) = app.json(Method::GET, &format!("/api/v1/share/{code}/records/{}", citizen(2)), Some(&other), None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (403, Some("token_suspended")), "{body}");
    let raised = alerts(&app, &admin).await;
    assert_eq!(raised.iter().map(|a| a["kind"].as_str().unwrap()).collect::<Vec<_>>(), vec!["share_anomaly_denials"], "{raised:?}");
    assert_eq!(audit_count(&app, "token.suspend").await, 2);
    assert_eq!(audit_count(&app, "token.resume").await, 1);
}
