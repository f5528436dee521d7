//! Exchange channels outside the platform through the HTTP API (LS-17a, CS-22e, FS-25b): registered by their
//! department, kept only as an exception the authority approves (in 佛山 on the city government's approval), and
//! reported department by department.

use reqwest::Method;
use serde_json::{json, Value};

use crate::common::TestApp;

async fn register(app: &TestApp, token: &str, body: Value) -> (u16, Value) {
    app.json(Method::POST, "/api/v1/exchange-channels", Some(token), Some(body)).await
}

async fn step(app: &TestApp, token: &str, id: i64, what: &str, body: Value) -> (u16, Value) {
    app.json(Method::POST, &format!("/api/v1/exchange-channels/{id}/{what}"), Some(token), Some(body)).await
}

/// The report's row for the department named `name_part`.
async fn reported(app: &TestApp, name_part: &str) -> Value {
    let (status, report) = app.json(Method::GET, "/api/v1/exchange-channels/report", Some(&app.login("admin").await), None).await;
    assert_eq!(status, 200, "{report}");
    report["items"].as_array().unwrap().iter().find(|d| d["department"].as_str().unwrap().contains(name_part)).cloned().unwrap_or(Value::Null)
}

/// LS-17a: in 丽水 a department may not build a new exchange channel in principle: one it registers as new awaits
/// the authority's exception and is not compliant until then; one already built is to be integrated; the authority
/// approves (the department cannot), and integration is recorded. Bad input is refused and stores nothing.
pub async fn ls_17a_a_new_channel_waits_for_the_authoritys_exception(app: TestApp) {
    let app = app.sibling("lishui-2020").await;
    let officer = app.login("officer").await;
    for (body, code) in [
        (json!({"kind": "channel", "name": " "}), "channel_name"),
        (json!({"kind": "channel", "name": "公安—民政前置机", "new_build": true}), "channel_exception_reason"),
    ] {
        let (status, refused) = register(&app, &officer, body).await;
        assert_eq!((status, refused["error"]["code"].as_str()), (400, Some(code)), "{refused}");
    }
    let (status, refused) = register(&app, &officer, json!({"kind": "pipe", "name": "x"})).await;
    assert_eq!((status, refused["error"]["code"].as_str()), (422, Some("invalid_body")), "{refused}");
    let (_, listed) = app.json(Method::GET, "/api/v1/exchange-channels", Some(&officer), None).await;
    assert_eq!(listed["total"], 0, "nothing stored: {listed}");

    let new = json!({"kind": "channel", "name": "公安—民政前置机", "counterparts": "市民政局", "new_build": true, "exception_reason": "涉密网络，平台尚未覆盖"});
    let (status, channel) = register(&app, &officer, new).await;
    assert_eq!(status, 201, "{channel}");
    assert_eq!((channel["state"].as_str(), channel["compliant"].as_bool()), (Some("exception_requested"), Some(false)), "{channel}");
    let (status, old) = register(&app, &officer, json!({"kind": "channel", "name": "人口库点对点接口", "counterparts": "市人社局"})).await;
    assert_eq!((status, old["state"].as_str(), old["state_label"].as_str()), (201, Some("in_use"), Some("在用，待整合")), "{old}");
    let row = reported(&app, "公安局").await;
    assert_eq!((row["total"].as_i64(), row["outstanding"].as_array().map(Vec::len), row["progress_percent"].as_f64()), (Some(2), Some(2), Some(0.0)), "{row}");

    let id = channel["id"].as_i64().unwrap();
    let (status, _) = step(&app, &officer, id, "decision", json!({"approve": true})).await;
    assert_eq!(status, 403, "a department does not approve its own exception");
    let admin = app.login("admin").await;
    let (status, approved) = step(&app, &admin, id, "decision", json!({"approve": true, "reason": "涉密网络，暂予保留"})).await;
    assert_eq!((status, approved["state"].as_str(), approved["compliant"].as_bool()), (200, Some("exception_approved"), Some(true)), "{approved}");
    let (status, again) = step(&app, &admin, id, "decision", json!({"approve": true})).await;
    assert_eq!((status, again["error"]["code"].as_str()), (400, Some("channel_state")), "decided once: {again}");
    let (status, retired) = step(&app, &officer, old["id"].as_i64().unwrap(), "retirement", json!({"note": "已改由平台接口调用，2026-03-01停用"})).await;
    assert_eq!((status, retired["state_label"].as_str()), (200, Some("已整合")), "{retired}");
    let row = reported(&app, "公安局").await;
    assert_eq!((row["outstanding"].as_array().map(Vec::len), row["progress_percent"].as_f64()), (Some(0), Some(100.0)), "{row}");
    let (status, _) = app.json(Method::GET, &format!("/api/v1/exchange-channels/{id}"), Some(&app.login("officer-mz").await), None).await;
    assert_eq!(status, 404, "another department does not see it");
    let auditor = app.login("auditor").await;
    let (_, events) = app.json(Method::GET, "/api/v1/audit/events?object_kind=exchange_channel&limit=50", Some(&auditor), None).await;
    let actions: Vec<&str> = events["items"].as_array().unwrap().iter().filter_map(|e| e["action"].as_str()).collect();
    for action in ["channel.register", "channel.decide", "channel.retire"] {
        assert!(actions.contains(&action), "{action} is logged: {actions:?}");
    }
}

/// CS-22e: in 长沙 a channel already built is shut down step by step: registered, it shows as in use pending closure
/// in the report; the department may ask to keep it, only the bureau approves, and a refusal gives its reason.
pub async fn cs_22e_existing_channels_are_shut_down_and_only_the_bureau_approves_an_exception(app: TestApp) {
    let app = app.sibling("changsha-2021").await;
    let officer = app.login("officer").await;
    let (status, channel) = register(&app, &officer, json!({"kind": "channel", "name": "公安—税务数据交换前置", "counterparts": "市税务局"})).await;
    assert_eq!((status, channel["state_label"].as_str()), (201, Some("在用，待关停")), "{channel}");
    let row = reported(&app, "公安局").await;
    assert_eq!((row["in_use"].as_i64(), row["outstanding"][0]["name"].as_str()), (Some(1), Some("公安—税务数据交换前置")), "{row}");
    let (status, page) = app.page("/catalog/governance".into(), Some(app.login("admin").await), "zh").await;
    assert_eq!(status, 200);
    let table = page.split("id=\"channels\"").nth(1).unwrap_or_else(|| panic!("the console shows the report: {page}"));
    assert!(table.contains("公安—税务数据交换前置 · 在用，待关停"), "the channel outstanding, as the regime names it");
    let id = channel["id"].as_i64().unwrap();
    let (status, body) = step(&app, &officer, id, "exception", json!({"reason": " "})).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("channel_exception_reason")), "{body}");
    let (status, _) = step(&app, &app.login("officer-mz").await, id, "exception", json!({"reason": "我部门需要"})).await;
    assert_eq!(status, 404, "not another department's");
    let (status, asked) = step(&app, &officer, id, "exception", json!({"reason": "税务专网暂不能接入平台"})).await;
    assert_eq!((status, asked["state"].as_str()), (200, Some("exception_requested")), "{asked}");
    let (status, _) = step(&app, &officer, id, "decision", json!({"approve": true})).await;
    assert_eq!(status, 403, "an approval by the department itself is denied");
    let admin = app.login("admin").await;
    let (status, body) = step(&app, &admin, id, "decision", json!({"approve": false})).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("refusal_reason")), "{body}");
    let (status, refused) = step(&app, &admin, id, "decision", json!({"approve": false, "reason": "平台已提供税务数据接口，请于三个月内关停"})).await;
    assert_eq!((status, refused["state"].as_str(), refused["compliant"].as_bool()), (200, Some("in_use"), Some(false)), "{refused}");
    assert_eq!(refused["decision_reason"], "平台已提供税务数据接口，请于三个月内关停");
}

/// FS-25b: in 佛山 a department's own data platform is to be integrated; an exception is approved only with the city
/// government's approval document, which the authority records. In 双鸭山 no exception is possible at all.
pub async fn fs_25b_an_exception_needs_the_city_governments_approval(app: TestApp) {
    let foshan = app.sibling("foshan-2020").await;
    let officer = foshan.login("officer").await;
    let (status, platform) = register(&foshan, &officer, json!({"kind": "platform", "name": "公安大数据平台"})).await;
    assert_eq!((status, platform["state"].as_str(), platform["kind"].as_str()), (201, Some("in_use"), Some("platform")), "{platform}");
    let row = reported(&foshan, "公安局").await;
    assert_eq!(row["outstanding"][0]["name"], "公安大数据平台", "listed as not integrated: {row}");
    let id = platform["id"].as_i64().unwrap();
    let (status, _) = step(&foshan, &officer, id, "exception", json!({"reason": "承载公安部专网业务"})).await;
    assert_eq!(status, 200);
    let admin = foshan.login("admin").await;
    let (status, body) = step(&foshan, &admin, id, "decision", json!({"approve": true, "reason": "同意"})).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("channel_approval_document")), "{body}");
    let (_, still) = foshan.json(Method::GET, &format!("/api/v1/exchange-channels/{id}"), Some(&admin), None).await;
    assert_eq!(still["state"], "exception_requested", "unchanged: {still}");
    let (status, approved) = step(&foshan, &admin, id, "decision", json!({"approve": true, "approval_document": "佛府函〔2024〕15号"})).await;
    assert_eq!((status, approved["state"].as_str(), approved["approval_document"].as_str()), (200, Some("exception_approved"), Some("佛府函〔2024〕15号")), "{approved}");

    // 双鸭山 allows none: a new channel cannot be registered as an exception, an old one cannot be kept.
    let officer = app.login("officer").await;
    let (status, body) = register(&app, &officer, json!({"kind": "channel", "name": "新建通道", "new_build": true, "exception_reason": "业务需要"})).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("no_channel_exception")), "{body}");
    let (_, old) = register(&app, &officer, json!({"kind": "channel", "name": "旧通道"})).await;
    let (status, body) = step(&app, &officer, old["id"].as_i64().unwrap(), "exception", json!({"reason": "业务需要"})).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("no_channel_exception")), "{body}");
}
