//! Bad input gets a clear error in Chinese and English, a 4xx, and changes nothing.

use std::sync::Arc;

use domain::clock::SystemClock;
use reqwest::Method;
use serde_json::json;
use service::Platform;

use crate::common::{error_code, TestApp};

pub async fn malformed_bodies_queries_and_paths_are_4xx_with_the_error_body(app: TestApp) {
    let admin = app.login("admin").await;
    let before = app.department_count().await;
    let url = format!("{}/api/v1/departments", app.base);

    let r = app.client.post(&url).bearer_auth(&admin).header("content-type", "application/json").body("{\"name\": ").send().await.unwrap();
    assert_eq!(error_code(r).await, (400, "malformed_json".into()));

    let r = app.call(Method::POST, "/api/v1/departments", Some(&admin), Some(json!({"name": "x", "kind": "department", "region_code": "230500", "uscc": "91350100M000100Y43", "surprise": 1}))).await;
    assert_eq!(error_code(r).await, (422, "invalid_body".into()), "unknown fields are refused");

    let r = app.call(Method::POST, "/api/v1/departments", Some(&admin), Some(json!({"name": 5, "kind": "department", "region_code": "230500", "uscc": "x"}))).await;
    assert_eq!(error_code(r).await, (422, "invalid_body".into()), "wrong types are refused");

    let r = app.client.post(&url).bearer_auth(&admin).body("{}").send().await.unwrap();
    assert_eq!(error_code(r).await, (415, "unsupported_media_type".into()));

    let huge = format!("{{\"name\": \"{}\"}}", "数".repeat(800_000));
    let r = app.client.post(&url).bearer_auth(&admin).header("content-type", "application/json").body(huge).send().await.unwrap();
    assert_eq!(error_code(r).await, (413, "payload_too_large".into()));

    let r = app.call(Method::GET, "/api/v1/calendar/deadline?from=2026-13-01&working_days=1", None, None).await;
    assert_eq!(error_code(r).await, (400, "invalid_query".into()));
    let r = app.call(Method::GET, "/api/v1/calendar/deadline?from=2026-01-01&working_days=-1", None, None).await;
    assert_eq!(error_code(r).await, (400, "invalid_query".into()));
    let r = app.call(Method::GET, "/api/v1/calendar/deadline?from=2026-01-01&working_days=99999", None, None).await;
    assert_eq!(error_code(r).await, (400, "invalid_working_days".into()));
    let r = app.call(Method::GET, "/api/v1/departments?limit=abc", Some(&admin), None).await;
    assert_eq!(error_code(r).await, (400, "invalid_query".into()));
    let r = app.call(Method::GET, "/api/v1/departments/abc", Some(&admin), None).await;
    assert_eq!(error_code(r).await, (400, "invalid_path".into()));
    let r = app.call(Method::GET, "/api/v1/departments/999999", Some(&admin), None).await;
    assert_eq!(error_code(r).await, (404, "not_found".into()));
    let r = app.call(Method::GET, "/api/v1/no-such-thing", Some(&admin), None).await;
    assert_eq!(error_code(r).await, (404, "not_found".into()));
    let r = app.call(Method::DELETE, "/api/v1/users/1/roles/root", Some(&admin), None).await;
    assert_eq!(error_code(r).await, (400, "unknown_role".into()));

    assert_eq!(app.department_count().await, before, "nothing was stored");
}

pub async fn sys_16c_bad_credit_codes_are_refused_and_good_ones_registered(app: TestApp) {
    let admin = app.login("admin").await;
    let before = app.department_count().await;
    for bad in ["91350100M000100Y44", "91350100M000100Y4", "91350100I000100Y43", ""] {
        let r = app.call(Method::POST, "/api/v1/departments", Some(&admin), Some(json!({"name": "市档案馆", "kind": "department", "region_code": "230500", "uscc": bad}))).await;
        assert_eq!(error_code(r).await, (400, "invalid_uscc".into()), "{bad}");
    }
    assert_eq!(app.department_count().await, before);
    let r = app.call(Method::POST, "/api/v1/departments", Some(&admin), Some(json!({"name": "市档案馆", "kind": "department", "region_code": "230500", "uscc": "91350100m000100y43"}))).await;
    assert_eq!(r.status(), 201);
    let d: serde_json::Value = r.json().await.unwrap();
    assert_eq!(d["uscc"], "91350100M000100Y43", "normalized to upper case");
    let again = app.call(Method::POST, "/api/v1/departments", Some(&admin), Some(json!({"name": "重复", "kind": "department", "region_code": "230500", "uscc": "91350100M000100Y43"}))).await;
    assert_eq!(error_code(again).await, (409, "conflict".into()));
    assert_eq!(app.department_count().await, before + 1);
}

pub async fn bad_tokens_are_401_and_revoked_tokens_stop_working(app: TestApp) {
    for bad in ["nonsense", "sy_s_0000", "sy_k_forged", "Bearer", "sy_s_' OR 1=1 --"] {
        let r = app.call(Method::GET, "/api/v1/me", Some(bad), None).await;
        assert_eq!(error_code(r).await, (401, "unauthenticated".into()), "{bad}");
    }
    let r = app.client.get(format!("{}/api/v1/me", app.base)).header("authorization", "Basic YWRtaW46eA==").send().await.unwrap();
    assert_eq!(error_code(r).await.0, 401);

    let admin = app.login("admin").await;
    let created: serde_json::Value = app
        .call(Method::POST, "/api/v1/tokens", Some(&admin), Some(json!({"name": "交换系统", "department_id": 3})))
        .await
        .json()
        .await
        .unwrap();
    let secret = created["secret"].as_str().unwrap();
    let me: serde_json::Value = app.call(Method::GET, "/api/v1/me", Some(secret), None).await.json().await.unwrap();
    assert_eq!(me["kind"], "system");
    assert_eq!(me["department_id"], 3, "a token acts for its department");
    let id = created["token"]["id"].as_i64().unwrap();
    assert_eq!(app.call(Method::DELETE, &format!("/api/v1/tokens/{id}"), Some(&admin), None).await.status(), 200);
    let r = app.call(Method::GET, "/api/v1/me", Some(secret), None).await;
    assert_eq!(error_code(r).await.0, 401, "a revoked token is refused");

    // A data officer manages only their own department's tokens.
    let officer = app.login("officer").await;
    let r = app.call(Method::POST, "/api/v1/tokens", Some(&officer), Some(json!({"name": "x", "department_id": 4}))).await;
    assert_eq!(error_code(r).await, (403, "forbidden".into()));
}

pub async fn fs_42b_role_assignment_joining_two_duties_is_refused(app: TestApp) {
    let admin = app.login("admin").await;
    let users: serde_json::Value = app.call(Method::GET, "/api/v1/users?limit=100", Some(&admin), None).await.json().await.unwrap();
    let officer = users["items"].as_array().unwrap().iter().find(|u| u["username"] == "officer").unwrap()["id"].as_i64().unwrap();
    for role in ["auditor", "dept_security_officer"] {
        let r = app.call(Method::POST, &format!("/api/v1/users/{officer}/roles"), Some(&admin), Some(json!({"role": role}))).await;
        let (status, code) = error_code(r).await;
        assert_eq!((status, code.as_str()), (400, "separation_of_duties"), "{role}");
    }
    // Creating a user with two duties at once is refused too, and creates nothing.
    let r = app
        .call(
            Method::POST,
            "/api/v1/users",
            Some(&admin),
            Some(json!({"username": "both", "display_name": "两职", "password": "long-enough-pw", "roles": ["dept_data_officer", "auditor"]})),
        )
        .await;
    assert_eq!(error_code(r).await, (400, "separation_of_duties".into()));
    let r = app.call(Method::POST, "/api/v1/auth/login", None, Some(json!({"username": "both", "password": "long-enough-pw"}))).await;
    assert_eq!(r.status(), 401, "the refused user was not created");
    // A role of the same duty is fine.
    let r = app.call(Method::POST, &format!("/api/v1/users/{officer}/roles"), Some(&admin), Some(json!({"role": "service_operator"}))).await;
    assert_eq!(r.status(), 200);
}

pub async fn login_is_rate_limited_after_repeated_failures(app: TestApp) {
    for _ in 0..5 {
        let r = app.call(Method::POST, "/api/v1/auth/login", None, Some(json!({"username": "security", "password": "wrong-password!"}))).await;
        assert_eq!(error_code(r).await, (401, "unauthenticated".into()));
    }
    let r = app.call(Method::POST, "/api/v1/auth/login", None, Some(json!({"username": "security", "password": service::demo::DEMO_PASSWORD}))).await;
    assert_eq!(r.headers().get("retry-after").and_then(|v| v.to_str().ok()), Some("900"));
    assert_eq!(error_code(r).await, (429, "rate_limited".into()), "even the right password waits out the lock");
    // Other accounts are unaffected.
    app.login("officer").await;
}

pub async fn audit_export_and_verify_for_the_auditor(app: TestApp) {
    let auditor = app.login("auditor").await;
    let r = app.call(Method::GET, "/api/v1/audit/export?format=csv", Some(&auditor), None).await;
    assert_eq!(r.status(), 200);
    let csv = r.text().await.unwrap();
    assert!(csv.starts_with("seq,occurred_at"), "{}", &csv[..80.min(csv.len())]);
    assert!(csv.contains("\"department.create\""));
    let r = app.call(Method::GET, "/api/v1/audit/export", Some(&auditor), None).await;
    let lines = r.text().await.unwrap();
    let first: serde_json::Value = serde_json::from_str(lines.lines().next().unwrap()).unwrap();
    assert_eq!(first["seq"], 1);
    let r = app.call(Method::GET, "/api/v1/audit/export?format=xml", Some(&auditor), None).await;
    assert_eq!(error_code(r).await, (400, "invalid_format".into()));
    let report: serde_json::Value = app.call(Method::GET, "/api/v1/audit/verify", Some(&auditor), None).await.json().await.unwrap();
    assert!(report["broken"].is_null() && report["checked"].as_i64().unwrap() > 20, "{report}");
    // There is no route that edits or deletes an event.
    for m in [Method::PUT, Method::PATCH, Method::DELETE] {
        let r = app.call(m, "/api/v1/audit/events", Some(&auditor), None).await;
        assert!(r.status() == 405 || r.status() == 404, "{}", r.status());
    }
}

pub async fn calendar_deadline_follows_the_profile_and_the_authority_loads_2027(app: TestApp) {
    let due: serde_json::Value = app.call(Method::GET, "/api/v1/calendar/deadline?from=2026-12-28&working_days=10", None, None).await.json().await.unwrap();
    assert_eq!(due["provisional"], true, "2027's notice is not loaded: {due}");
    let admin = app.login("admin").await;
    let body = json!({"papers": ["国办发明电〔2026〕"], "days": [{"date": "2027-01-01", "name": "元旦", "off": true}]});
    assert_eq!(app.call(Method::PUT, "/api/v1/calendar/years/2027", Some(&admin), Some(body)).await.status(), 200);
    let due: serde_json::Value = app.call(Method::GET, "/api/v1/calendar/deadline?from=2026-12-28&working_days=10", None, None).await.json().await.unwrap();
    assert_eq!(due, json!({"due": "2027-01-12", "provisional": false}));
    let bad = json!({"days": [{"date": "2030-01-01", "name": "x", "off": true}]});
    let r = app.call(Method::PUT, "/api/v1/calendar/years/2027", Some(&admin), Some(bad)).await;
    assert_eq!(error_code(r).await, (400, "invalid_calendar".into()));
}

/// Two nodes on one deployment: a year loaded through one is used by the other once it refreshes (every
/// `CALENDAR_REFRESH`; called directly here), without a restart.
pub async fn calendar_loaded_on_one_node_reaches_the_others(app: TestApp) {
    let other = Platform::open(store::Store::open(&app.database_url).await.unwrap(), Arc::new(SystemClock)).await.unwrap();
    let from = chrono::NaiveDate::from_ymd_opt(2026, 12, 28).unwrap();
    assert!(service::calendar::deadline(&other, from, 10).unwrap().provisional);
    assert!(!other.refresh_calendar().await.unwrap(), "nothing changed yet");
    let admin = app.login("admin").await;
    let body = json!({"papers": ["国办发明电〔2026〕"], "days": [{"date": "2027-01-01", "name": "元旦", "off": true}]});
    assert_eq!(app.call(Method::PUT, "/api/v1/calendar/years/2027", Some(&admin), Some(body)).await.status(), 200);
    assert!(other.refresh_calendar().await.unwrap(), "the other node sees the new version");
    let due = service::calendar::deadline(&other, from, 10).unwrap();
    assert!(!due.provisional && due.due.to_string() == "2027-01-12", "{due:?}");
}

/// Disabling an account ends its sessions at once and refuses sign-in until it is enabled again; nobody can
/// disable their own account, and a malformed body changes nothing.
pub async fn a_disabled_account_is_signed_out_and_cannot_sign_in(app: TestApp) {
    let admin = app.login("admin").await;
    let officer = app.login("officer-rs").await;
    let me: serde_json::Value = app.call(Method::GET, "/api/v1/me", Some(&officer), None).await.json().await.unwrap();
    let id = me["user_id"].as_i64().or_else(|| me["id"].as_i64()).unwrap_or_else(|| panic!("{me}"));
    let path = format!("/api/v1/users/{id}/active");

    let r = app.call(Method::PUT, &path, Some(&admin), Some(json!({"active": "no"}))).await;
    assert_eq!(error_code(r).await.0, 422, "a wrong type is unprocessable");
    assert_eq!(app.call(Method::GET, "/api/v1/me", Some(&officer), None).await.status(), 200, "a bad body changed nothing");

    let r = app.call(Method::PUT, &path, Some(&admin), Some(json!({"active": false}))).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<serde_json::Value>().await.unwrap()["active"], false);
    assert_eq!(app.call(Method::GET, "/api/v1/me", Some(&officer), None).await.status(), 401, "the session ended");
    let login = json!({"username": "officer-rs", "password": service::demo::DEMO_PASSWORD});
    assert_eq!(app.call(Method::POST, "/api/v1/auth/login", None, Some(login.clone())).await.status(), 401);

    assert_eq!(app.call(Method::PUT, &path, Some(&admin), Some(json!({"active": true}))).await.status(), 200);
    assert_eq!(app.call(Method::POST, "/api/v1/auth/login", None, Some(login)).await.status(), 200);

    let admin_me: serde_json::Value = app.call(Method::GET, "/api/v1/me", Some(&admin), None).await.json().await.unwrap();
    let admin_id = admin_me["user_id"].as_i64().or_else(|| admin_me["id"].as_i64()).unwrap();
    let r = app.call(Method::PUT, &format!("/api/v1/users/{admin_id}/active"), Some(&admin), Some(json!({"active": false}))).await;
    assert_eq!(error_code(r).await, (403, "forbidden".into()));
}

/// The console's deadline calculator: a start date or a number of working days it cannot read is answered 400 with
/// what to write instead, in Chinese or English, rather than with no answer as if nothing had been asked.
pub async fn the_calendar_page_says_what_to_fix_in_a_bad_date_or_day_count(app: TestApp) {
    let page = |query: &'static str, lang: &'static str| app.page(format!("/calendar?{query}"), None, lang);
    let (status, html) = page("from=2026-12-28&working_days=10", "zh").await;
    assert!(status == 200 && html.contains("id=\"due\"") && !html.contains("id=\"error\""), "a good question is answered: {status}");
    let (status, html) = page("", "zh").await;
    assert!(status == 200 && !html.contains("id=\"due\"") && !html.contains("id=\"error\""), "nothing asked, nothing refused");
    for (query, zh, en) in [
        ("from=2026-13-01&working_days=1", "起始日期“2026-13-01”无法识别：请按 YYYY-MM-DD 填写", "The start date \"2026-13-01\" is not a date: write it as YYYY-MM-DD"),
        ("from=2026-12-01&working_days=abc", "工作日数“abc”无法识别：请填写0至3650的整数", "The number of working days \"abc\" is not a whole number from 0 to 3650"),
        ("from=2026-12-01&working_days=-3", "工作日数“-3”无法识别", "The number of working days \"-3\" is not a whole number"),
        ("from=2026-12-01&working_days=99999", "工作日数不能超过3650", "working_days must be at most 3650"),
    ] {
        let (status, html) = page(query, "zh").await;
        assert_eq!(status, 400, "{query}");
        assert!(html.contains("id=\"error\"") && html.contains(zh) && !html.contains("id=\"due\""), "{query}: {zh}");
        let (status, html) = page(query, "en").await;
        let en_html = en.replace('"', "&quot;");
        assert!(status == 400 && (html.contains(en) || html.contains(&en_html)), "{query}: {en}");
    }
}

/// The auditor's search page: a date filter it cannot read is refused with what to write (400), rather than
/// dropped, which would show the whole log as if it were the filtered one.
pub async fn the_audit_page_refuses_a_date_filter_it_cannot_read(app: TestApp) {
    let auditor = app.login("auditor").await;
    let page = |query: &'static str, lang: &'static str| app.page(format!("/audit?{query}"), Some(auditor.clone()), lang);
    let (status, html) = page("from=2026-01-01&action=department.create", "zh").await;
    assert!(status == 200 && html.contains("department.create") && !html.contains("id=\"error\""), "a good filter is applied: {status}");
    let (status, html) = page("from=2026-01-01&to=2026-02-30", "zh").await;
    assert_eq!(status, 400);
    assert!(html.contains("id=\"error\"") && html.contains("截止日期“2026-02-30”无法识别：请按 YYYY-MM-DD 填写"), "the field and what to write");
    assert!(!html.contains("department.create"), "no unfiltered log is shown");
    let (status, html) = page("from=yesterday", "en").await;
    assert!(status == 400 && html.contains("The start date &quot;yesterday&quot; is not a date: write it as YYYY-MM-DD"), "and in English");
}
