//! Sharing through the HTTP API: applications routed by share attribute and profile, answers within the regime's
//! working days, grants, and the sharing API refusing (and logging) every call outside its grant.

use reqwest::Method;
use serde_json::{json, Value};

use crate::aggregation::{id as citizen, people};
use crate::catalog::{complete, create, publish};
use crate::common::TestApp;

/// A published population resource of the police bureau with `sharing`, holding 50 delivered people.
pub(crate) async fn shared_population(app: &TestApp, profile: &str, sharing: Value) -> String {
    let officer = app.login("officer").await;
    let mut content = complete(profile, "户籍人口基本信息");
    content["items"] = json!([
        {"name": "zjhm", "label": "公民身份号码", "data_type": "string", "is_key": true, "identifier": "citizen_id", "level": "l4"},
        {"name": "xm", "label": "姓名", "data_type": "string", "required": true},
        {"name": "csrq", "label": "出生日期", "data_type": "date"},
        {"name": "lxdh", "label": "联系电话", "data_type": "string", "identifier": "phone"}
    ]);
    content["sharing"] = sharing;
    let code = create(app, &officer, app.department_id("公安局").await, content).await;
    publish(app, &code, &officer).await;
    let r = app
        .client
        .post(format!("{}/api/v1/resources/{code}/batches", app.base))
        .bearer_auth(&officer)
        .header("content-type", "text/csv")
        .body(people(50, &[]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201, "{}", r.text().await.unwrap());
    if profile == "lishui-2020" {
        // 丽水 asks an application's scenario to be a core business item of the applying department (LS-19a): the
        // departments that apply in these tests have mapped the one they apply for.
        for officer in ["officer-mz", "officer-sj"] {
            business_item(app, &app.login(officer).await, "最低生活保障资格审核").await;
        }
    }
    code
}

/// Registers a core business item of the officer's department, if it is not registered yet.
pub(crate) async fn business_item(app: &TestApp, token: &str, name: &str) {
    let (status, body) = app.json(Method::POST, "/api/v1/business-items", Some(token), Some(json!({"name": name, "description": "依职责开展的业务"}))).await;
    assert!(status == 201 || (status == 409 && body["error"]["message"].as_str().unwrap_or("").contains("已登记")), "{status} {body}");
}

/// A conditional entry shared with the civil affairs bureau only (SYS-25b: conditions and a basis).
pub(crate) async fn conditional(app: &TestApp) -> Value {
    let civil = app.department_id("民政局").await;
    json!({"attr": "conditional", "ops": ["view", "compare", "obtain"],
           "conditions": [{"kind": "specific_departments", "department_ids": [civil], "use_purpose": "社会救助"}],
           "basis": [{"instrument": "administrative_regulation", "name": "《社会救助暂行办法》"}]})
}

/// An API token of the department named `name_part`.
pub(crate) async fn token_of(app: &TestApp, name_part: &str) -> (String, i64) {
    let admin = app.login("admin").await;
    let department_id = app.department_id(name_part).await;
    let (status, body) = app.json(Method::POST, "/api/v1/tokens", Some(&admin), Some(json!({"name": "低保审核系统", "department_id": department_id}))).await;
    assert_eq!(status, 201, "{body}");
    (body["secret"].as_str().unwrap().to_string(), body["token"]["id"].as_i64().unwrap())
}

pub(crate) fn application(code: &str, items: &[&str], ops: &[&str]) -> Value {
    json!({"resource_code": code, "scenario": "最低生活保障资格审核", "basis": "《社会救助暂行办法》第十一条", "purpose": "核对申请人户籍信息",
           "use_logic": "以申请人公民身份号码比对户籍状态", "undertaking": true, "items": items, "ops": ops, "expires_on": "2027-12-31"})
}

pub(crate) async fn apply(app: &TestApp, token: &str, body: Value) -> (u16, Value) {
    app.json(Method::POST, "/api/v1/share/applications", Some(token), Some(body)).await
}

pub(crate) async fn answer(app: &TestApp, token: &str, id: i64, body: Value) -> (u16, Value) {
    app.json(Method::POST, &format!("/api/v1/share/applications/{id}/answer"), Some(token), Some(body)).await
}

pub(crate) async fn audit_count(app: &TestApp, action: &str) -> i64 {
    let auditor = app.login("auditor").await;
    let (status, events) = app.json(Method::GET, &format!("/api/v1/audit/events?action={action}&limit=1"), Some(&auditor), None).await;
    assert_eq!(status, 200, "{events}");
    events["total"].as_i64().unwrap()
}

/// SYS-27c, SYS-27a, FS-14b: a conditional application names its scenario and basis, goes to the provider, is due
/// one working day after receipt (received Tue 2026-03-17, overdue on 03-19), a refusal states its reasons, and an
/// approval becomes a grant whose token reads only the granted items, masked (LS-17b, CS-21b).
pub async fn sys_27c_conditional_share_answered_within_one_working_day(app: TestApp) {
    app.clock.set_day("2026-03-17");
    let code = shared_population(&app, "shuangyashan-2026", conditional(&app).await).await;
    let civil = app.login("officer-mz").await;

    let mut missing = application(&code, &["zjhm", "nope"], &["view"]);
    missing["basis"] = json!("");
    let (status, body) = apply(&app, &civil, missing).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("invalid_application")), "{body}");
    let fields: Vec<&str> = body["error"]["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["basis", "items[1]"], "{body}");
    // Shared with named departments only: the market regulator is refused (FS-14b).
    let (status, body) = apply(&app, &app.login("officer-sj").await, application(&code, &["zjhm", "xm"], &["view"])).await;
    assert_eq!((status, body["error"]["fields"][0]["field"].as_str()), (400, Some("consumer")), "{body}");

    let (status, filed) = apply(&app, &civil, application(&code, &["zjhm", "xm", "csrq"], &["view"])).await;
    assert_eq!(status, 201, "{filed}");
    assert_eq!((filed["state"].as_str(), filed["due_on"].as_str(), filed["overdue"].as_bool()), (Some("provider_review"), Some("2026-03-18"), Some(false)), "{filed}");
    let id = filed["id"].as_i64().unwrap();
    // Two days on (sessions of before have lapsed): overdue in the provider's queue and the authority's.
    app.clock.set_day("2026-03-19");
    let (civil, provider) = (app.login("officer-mz").await, app.login("officer").await);
    let (_, listed) = app.json(Method::GET, "/api/v1/share/applications", Some(&provider), None).await;
    let mine = listed["items"].as_array().unwrap().iter().find(|a| a["id"] == id).cloned().unwrap_or_else(|| panic!("{listed}"));
    assert_eq!(mine["overdue"].as_bool(), Some(true), "{mine}");
    let (_, admin_list) = app.json(Method::GET, "/api/v1/share/applications", Some(&app.login("admin").await), None).await;
    assert!(admin_list["items"].as_array().unwrap().iter().any(|a| a["id"] == id && a["overdue"] == true), "the authority sees it overdue");

    // Only the provider answers; a refusal needs its reasons.
    let (status, _) = answer(&app, &app.login("officer-sj").await, id, json!({"approve": true})).await;
    assert_eq!(status, 403);
    let (status, _) = answer(&app, &civil, id, json!({"approve": true})).await;
    assert_eq!(status, 403, "the applicant cannot approve its own application");
    let (status, body) = answer(&app, &provider, id, json!({"approve": false})).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("refusal_reason")), "{body}");
    let (status, approved) = answer(&app, &provider, id, json!({"approve": true})).await;
    assert_eq!((status, approved["state"].as_str()), (200, Some("approved")), "{approved}");
    let grant = approved["grant_id"].as_i64().expect("a grant");
    let (status, again) = answer(&app, &provider, id, json!({"approve": true})).await;
    assert_eq!((status, again["error"]["code"].as_str()), (400, Some("application_answered")));

    // The consumer's system reads a record: only the granted items, the citizen ID masked (view, not obtain).
    let (token, _) = token_of(&app, "民政局").await;
    let (status, record) = app.json(Method::GET, &format!("/api/v1/share/{code}/records/{}", citizen(3)), Some(&token), None).await;
    assert_eq!(status, 200, "{record}");
    assert_eq!(record["grant_id"].as_i64(), Some(grant));
    let values = record["values"].as_object().unwrap();
    assert_eq!(values.keys().collect::<Vec<_>>(), ["csrq", "xm", "zjhm"], "only granted items: {record}");
    assert_eq!(values["xm"], "居民3");
    let shown = values["zjhm"].as_str().unwrap();
    assert!(shown.starts_with(&citizen(3)[..6]) && shown.contains("********") && shown.ends_with(&citizen(3)[14..]), "{shown}");
    assert!(!record.to_string().contains(&citizen(3)), "the full ID never leaves: {record}");
    let (status, _) = app.json(Method::GET, &format!("/api/v1/share/{code}/records/{}", citizen(999)), Some(&token), None).await;
    assert_eq!(status, 404);
    assert_eq!(audit_count(&app, "share.record").await, 2, "every call is an audit event");
    assert_eq!(audit_count(&app, "share.grant").await, 1);
}

/// SYS-27b: unconditional data is used once the authority has checked the application; the provider takes no step.
pub async fn sys_27b_unconditional_data_is_granted_after_the_authority_checks(app: TestApp) {
    let code = shared_population(&app, "shuangyashan-2026", json!({"attr": "unconditional", "ops": ["view", "compare"]})).await;
    let (status, filed) = apply(&app, &app.login("officer-mz").await, application(&code, &["zjhm", "xm"], &["view"])).await;
    assert_eq!((status, filed["state"].as_str(), filed["due_on"].as_str()), (201, Some("authority_review"), None), "{filed}");
    let id = filed["id"].as_i64().unwrap();
    let (status, _) = answer(&app, &app.login("officer").await, id, json!({"approve": true})).await;
    assert_eq!(status, 403, "the provider takes no step");
    let (status, body) = answer(&app, &app.login("admin").await, id, json!({"approve": true})).await;
    assert_eq!((status, body["state"].as_str()), (200, Some("approved")), "{body}");
    assert!(body["grant_id"].as_i64().is_some());
    // An operation the entry does not offer cannot be applied for.
    let (status, body) = apply(&app, &app.login("officer-mz").await, application(&code, &["zjhm"], &["obtain"])).await;
    assert_eq!((status, body["error"]["fields"][0]["field"].as_str()), (400, Some("ops[0]")), "{body}");
}

/// FS-26a, FS-26b: in 佛山 unconditional data is granted on application at once, and the source department
/// answers a conditional application within 5 working days (Mon 2024-03-04 → 03-11; Fri 2024-09-27 → 10-10 over
/// the National Day holiday).
pub async fn fs_26a_fs_26b_unconditional_at_once_conditional_within_five_working_days(app: TestApp) {
    let app = app.sibling("foshan-2020").await;
    app.clock.set_day("2024-03-04");
    let open = shared_population(&app, "foshan-2020", json!({"attr": "unconditional", "ops": ["view", "compare", "obtain"]})).await;
    let civil = app.login("officer-mz").await;
    let (status, filed) = apply(&app, &civil, application(&open, &["zjhm", "xm"], &["view"])).await;
    assert_eq!((status, filed["state"].as_str()), (201, Some("approved")), "{filed}");
    assert!(filed["grant_id"].as_i64().is_some(), "granted at once, no provider task");
    let restricted = shared_population(&app, "foshan-2020", conditional(&app).await).await;
    let (status, filed) = apply(&app, &civil, application(&restricted, &["zjhm", "xm"], &["view"])).await;
    assert_eq!((status, filed["due_on"].as_str()), (201, Some("2024-03-11")), "{filed}");
    app.clock.set_day("2024-09-27");
    let civil = app.login("officer-mz").await;
    let (status, filed) = apply(&app, &civil, application(&restricted, &["zjhm"], &["view"])).await;
    assert_eq!((status, filed["due_on"].as_str()), (201, Some("2024-10-10")), "{filed}");
    // A refusal rests on a statutory basis (FS-08a).
    let (status, body) = answer(&app, &app.login("officer").await, filed["id"].as_i64().unwrap(), json!({"approve": false, "reason": "涉及个人隐私"})).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("refusal_basis")), "{body}");
}

/// CS-22c: in 长沙 the provider answers a conditional application within 10 working days (Mon 2024-03-04 → 03-18),
/// and a refusal gives both its reasons and its basis.
pub async fn cs_22c_a_conditional_application_is_answered_in_ten_working_days_with_reasons_and_basis(app: TestApp) {
    let app = app.sibling("changsha-2021").await;
    app.clock.set_day("2024-03-04");
    let code = shared_population(&app, "changsha-2021", conditional(&app).await).await;
    let (status, filed) = apply(&app, &app.login("officer-mz").await, application(&code, &["zjhm", "xm"], &["view"])).await;
    assert_eq!((status, filed["due_on"].as_str()), (201, Some("2024-03-18")), "{filed}");
    let id = filed["id"].as_i64().unwrap();
    let provider = app.login("officer").await;
    let (status, body) = answer(&app, &provider, id, json!({"approve": false, "reason": "涉及个人隐私", "basis": " "})).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("refusal_basis")), "{body}");
    let (status, refused) = answer(&app, &provider, id, json!({"approve": false, "reason": "涉及个人隐私", "basis": "《个人信息保护法》第三十四条"})).await;
    assert_eq!((status, refused["state"].as_str(), refused["refusal_basis"].as_str()), (200, Some("refused"), Some("《个人信息保护法》第三十四条")), "{refused}");
    assert!(refused["grant_id"].is_null());
}

/// LS-18d, CS-22d, FS-13d, SYS-27d: data not shared is visible as existing but cannot be applied for (the applicant
/// is pointed to a data demand); the attempt is logged.
pub async fn ls_18d_cs_22d_fs_13d_sys_27d_data_not_shared_cannot_be_applied_for(app: TestApp) {
    let sharing = json!({"attr": "none", "basis": [{"instrument": "law", "name": "《中华人民共和国保守国家秘密法》", "article": "第九条"}]});
    let code = shared_population(&app, "shuangyashan-2026", sharing).await;
    let civil = app.login("officer-mz").await;
    let (status, entry) = app.json(Method::GET, &format!("/api/v1/resources/{code}"), Some(&civil), None).await;
    assert_eq!(status, 200, "the entry is visible: {entry}");
    let (status, body) = apply(&app, &civil, application(&code, &["zjhm"], &["view"])).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("non_share_entry")), "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("数据需求"), "says what to do next: {body}");
    let auditor = app.login("auditor").await;
    let (_, events) = app.json(Method::GET, "/api/v1/audit/events?action=share.apply", Some(&auditor), None).await;
    assert_eq!(events["items"][0]["result"], "refused", "{events}");
}

/// SYS-31a, LS-16e, FS-08c, FS-13c, FS-29b: every call outside a grant — other items, another operation, another scenario,
/// after expiry, while suspended, with another department's token, without a system token — is refused with why,
/// and each refusal is logged.
pub async fn sys_31a_ls_16e_fs_08c_fs_13c_fs_29b_every_call_outside_a_grant_is_refused_and_logged(app: TestApp) {
    app.clock.set_day("2026-11-02");
    let code = shared_population(&app, "shuangyashan-2026", conditional(&app).await).await;
    let civil = app.login("officer-mz").await;
    let (token, token_id) = token_of(&app, "民政局").await;
    let (other_token, _) = token_of(&app, "民政局").await;
    let mut body = application(&code, &["zjhm", "xm"], &["view"]);
    body["token_ids"] = json!([token_id]);
    body["expires_on"] = json!("2026-11-30");
    let (status, filed) = apply(&app, &civil, body).await;
    assert_eq!(status, 201, "{filed}");
    let id = filed["id"].as_i64().unwrap();
    let (status, approved) = answer(&app, &app.login("officer").await, id, json!({"approve": true})).await;
    assert_eq!(status, 200, "{approved}");
    let grant = approved["grant_id"].as_i64().unwrap();
    let record = format!("/api/v1/share/{code}/records/{}", citizen(1));
    let (status, ok) = app.json(Method::GET, &record, Some(&token), None).await;
    assert_eq!(status, 200, "{ok}");

    let verify = |values: Value| json!({"key": citizen(1), "values": values});
    let (police_token, _) = token_of(&app, "公安局").await;
    let cases: Vec<(&str, Method, String, String, Option<Value>, &str)> = vec![
        ("another operation", Method::POST, format!("/api/v1/share/{code}/verify"), token.clone(), Some(verify(json!({"xm": "居民1"}))), "share_over_scope"),
        ("another scenario", Method::GET, format!("{record}?scenario=招商引资"), token.clone(), None, "share_over_purpose"),
        ("another grant", Method::GET, format!("{record}?grant={}", grant + 100), token.clone(), None, "share_no_grant"),
        ("a token the grant does not bind", Method::GET, record.clone(), other_token.clone(), None, "share_no_grant"),
        ("another department's token", Method::GET, record.clone(), police_token.clone(), None, "share_no_grant"),
    ];
    let before = audit_count(&app, "share.denied").await;
    for (what, method, path, caller, body, code_expected) in &cases {
        let (status, body) = app.json(method.clone(), path, Some(caller), body.clone()).await;
        assert_eq!((status, body["error"]["code"].as_str()), (403, Some(*code_expected)), "{what}: {body}");
        assert!(body["error"]["message"].as_str().unwrap().contains("先提出共享申请"), "pointed to the application form (FS-13c): {body}");
    }
    // A user's session is not a system: the sharing API is for systems holding grants.
    let (status, _) = app.json(Method::GET, &record, Some(&civil), None).await;
    assert_eq!(status, 403);
    let (status, _) = app.json(Method::GET, &record, Some("sy_k_not-a-token"), None).await;
    assert_eq!(status, 401);

    // Suspended by the authority, then in force again, then past its last day.
    let admin = app.login("admin").await;
    let state = |s: &str| json!({"state": s, "reason": "整改：超范围调用"});
    let (status, g) = app.json(Method::PUT, &format!("/api/v1/share/grants/{grant}/state"), Some(&admin), Some(state("suspended"))).await;
    assert_eq!((status, g["state"].as_str()), (200, Some("suspended")), "{g}");
    let (status, body) = app.json(Method::GET, &record, Some(&token), None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (403, Some("share_suspended")), "{body}");
    let (status, _) = app.json(Method::PUT, &format!("/api/v1/share/grants/{grant}/state"), Some(&app.login("officer").await), Some(state("active"))).await;
    assert_eq!(status, 403, "only the authority decides");
    let (status, _) = app.json(Method::PUT, &format!("/api/v1/share/grants/{grant}/state"), Some(&admin), Some(state("active"))).await;
    assert_eq!(status, 200);
    assert_eq!(app.json(Method::GET, &record, Some(&token), None).await.0, 200);
    app.clock.set_day("2026-12-01");
    let (status, body) = app.json(Method::GET, &record, Some(&token), None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (403, Some("share_expired")), "{body}");
    assert_eq!(audit_count(&app, "share.denied").await - before, cases.len() as i64 + 2, "every refusal is logged");
    assert_eq!(audit_count(&app, "share.grant.state").await, 2);
}

/// CS-21c, FS-14d: result verification answers match or no match per item, never a value.
pub async fn cs_21c_fs_14d_verification_never_returns_a_value(app: TestApp) {
    let code = shared_population(&app, "shuangyashan-2026", conditional(&app).await).await;
    let (status, filed) = apply(&app, &app.login("officer-mz").await, application(&code, &["zjhm", "xm", "lxdh"], &["compare"])).await;
    assert_eq!(status, 201, "{filed}");
    let (status, _) = answer(&app, &app.login("officer").await, filed["id"].as_i64().unwrap(), json!({"approve": true})).await;
    assert_eq!(status, 200);
    let (token, _) = token_of(&app, "民政局").await;
    let path = format!("/api/v1/share/{code}/verify");
    let (status, v) = app.json(Method::POST, &path, Some(&token), Some(json!({"key": citizen(7), "values": {"xm": "居民7", "lxdh": "13900000000"}}))).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!((v["found"].as_bool(), v["items"]["xm"].as_str(), v["items"]["lxdh"].as_str()), (Some(true), Some("match"), Some("no_match")), "{v}");
    let text = v.to_string();
    assert!(!text.contains("13800000007") && !text.contains("居民7"), "no stored or claimed value comes back: {text}");
    let (status, v) = app.json(Method::POST, &path, Some(&token), Some(json!({"key": citizen(999), "values": {"xm": "居民999"}}))).await;
    assert_eq!((status, v["found"].as_bool(), v["items"]["xm"].as_str()), (200, Some(false), Some("no_match")), "{v}");
    // Guessing a masked value a digit at a time is cut off: ten verifications of one key a day.
    for n in 0..9 {
        let (status, _) = app.json(Method::POST, &path, Some(&token), Some(json!({"key": citizen(7), "values": {"lxdh": format!("1380000000{n}")}}))).await;
        assert_eq!(status, 200);
    }
    let (status, body) = app.json(Method::POST, &path, Some(&token), Some(json!({"key": citizen(7), "values": {"lxdh": "13800000009"}}))).await;
    assert_eq!((status, body["error"]["code"].as_str()), (403, Some("share_verify_limit")), "{body}");
    let (status, _) = app.json(Method::POST, &path, Some(&token), Some(json!({"key": citizen(8), "values": {"xm": "居民8"}}))).await;
    assert_eq!(status, 200, "another key is not limited");
    // A record read is another operation, refused under a compare-only grant.
    let (status, body) = app.json(Method::GET, &format!("/api/v1/share/{code}/records/{}", citizen(7)), Some(&token), None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (403, Some("share_over_scope")), "{body}");
    for bad in [json!({"key": "", "values": {"xm": "x"}}), json!({"key": citizen(7), "values": {}}), json!({"key": citizen(7), "values": {"xm": 3}})] {
        let (status, body) = app.json(Method::POST, &path, Some(&token), Some(bad)).await;
        assert!(status == 400 || status == 422, "{status} {body}");
        assert!(body["error"]["message"].is_string() && body["error"]["message_en"].is_string(), "{body}");
    }
}

/// FS-14e, SYS-27: statistics only — no group describes fewer than k (10) people, including through differencing
/// queries built to isolate one person: the only Hui woman in street A.
pub async fn fs_14e_statistics_never_describe_fewer_than_k_people_even_by_differencing(app: TestApp) {
    let officer = app.login("officer").await;
    let mut content = complete("shuangyashan-2026", "人口民族构成");
    content["items"] = json!([
        {"name": "zjhm", "label": "公民身份号码", "data_type": "string", "is_key": true, "identifier": "citizen_id", "level": "l4"},
        {"name": "xb", "label": "性别", "data_type": "string", "values": ["男", "女"]},
        {"name": "mz", "label": "民族", "data_type": "string", "values": ["汉族", "回族", "满族"]},
        {"name": "jd", "label": "街道", "data_type": "string", "values": ["A", "B"]},
        {"name": "sr", "label": "年收入", "data_type": "integer"}
    ]);
    content["sharing"] = json!({"attr": "conditional", "ops": ["stats"],
        "conditions": [{"kind": "statistics_only", "data_status_description": "按性别、民族、街道汇总", "use_purpose": "民族工作统计"}],
        "basis": [{"instrument": "administrative_regulation", "name": "《全国人口普查条例》"}]});
    let code = create(&app, &officer, app.department_id("公安局").await, content).await;
    publish(&app, &code, &officer).await;
    let mut csv = String::from("公民身份号码,性别,民族,街道,年收入\n");
    for n in 0..60usize {
        let (sex, nation, street) = match n {
            0 => ("女", "回族", "A"),
            1..=20 => ("女", "汉族", "A"),
            21..=35 => ("男", "汉族", "A"),
            36..=47 => ("男", "汉族", "B"),
            _ => ("女", "汉族", "B"),
        };
        csv.push_str(&format!("{},{sex},{nation},{street},{}\n", citizen(n), 30_000 + n * 1000));
    }
    let r = app.client.post(format!("{}/api/v1/resources/{code}/batches", app.base)).bearer_auth(&officer).header("content-type", "text/csv").body(csv).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 201, "{}", r.text().await.unwrap());
    let (status, filed) = apply(&app, &app.login("officer-mz").await, application(&code, &["xb", "mz", "jd", "sr", "zjhm"], &["stats"])).await;
    assert_eq!(status, 201, "{filed}");
    let (status, _) = answer(&app, &officer, filed["id"].as_i64().unwrap(), json!({"approve": true})).await;
    assert_eq!(status, 200);
    let (token, _) = token_of(&app, "民政局").await;
    let path = format!("/api/v1/share/{code}/stats");
    let stats = |body: Value| {
        let (app, token, path) = (&app, token.clone(), path.clone());
        async move {
            let (status, s) = app.json(Method::POST, &path, Some(&token), Some(body)).await;
            assert_eq!(status, 200, "{s}");
            s
        }
    };
    let count = |s: &Value, key: &str, value: &str| -> i64 {
        s["groups"].as_array().unwrap().iter().filter(|g| g["values"][key] == value).map(|g| g["count"].as_i64().unwrap()).sum()
    };
    let total = stats(json!({})).await;
    let by_sex = stats(json!({"group_by": ["xb"]})).await;
    let by_sex_nation = stats(json!({"group_by": ["xb", "mz"]})).await;
    let hui = stats(json!({"group_by": ["xb"], "filters": {"mz": "回族"}})).await;
    let street_a_women = stats(json!({"group_by": ["mz"], "filters": {"xb": "女", "jd": "A"}, "sums": ["sr"]})).await;
    for s in [&total, &by_sex, &by_sex_nation, &hui, &street_a_women] {
        assert_eq!(s["k"].as_i64(), Some(10));
        assert!(s["groups"].as_array().unwrap().iter().all(|g| g["count"].as_i64().unwrap() >= 10), "every group has 10 or more: {s}");
    }
    assert!(hui["groups"].as_array().unwrap().is_empty(), "the filter isolating her finds no group: {hui}");
    assert!(!by_sex_nation.to_string().contains("回族"), "{by_sex_nation}");
    // Differencing: each coarser answer is exactly the sum of the finer one, so the difference is nobody.
    for sex in ["男", "女"] {
        assert_eq!(count(&by_sex, "xb", sex), count(&by_sex_nation, "xb", sex), "{by_sex} {by_sex_nation}");
    }
    let all = total["groups"][0]["count"].as_i64().unwrap();
    assert_eq!(all, count(&by_sex, "xb", "男") + count(&by_sex, "xb", "女"));
    assert_eq!((all, total["withheld_cells"].as_i64()), (59, Some(1)), "her cell of one is withheld from every answer: {total}");
    assert_eq!(street_a_women["groups"][0]["sums"]["sr"].as_f64(), Some((1..=20).map(|n| 30_000.0 + n as f64 * 1000.0).sum()));
    // Keys and identifiers are not dimensions; the answer never lists a record.
    let (status, body) = app.json(Method::POST, &path, Some(&token), Some(json!({"group_by": ["zjhm"]}))).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("stats_dimension")), "{body}");
    let (status, body) = app.json(Method::GET, &format!("/api/v1/share/{code}/records/{}", citizen(0)), Some(&token), None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (403, Some("share_over_scope")), "{body}");
    assert_eq!(audit_count(&app, "share.stats").await, 5);
}

/// LS-17c, LS-18b, FS-25a, SYS-33: in 丽水 copying data out (batch delivery) waits for the authority's consent,
/// while an interface application for unconditional data is granted with no step by anyone; each batch file goes
/// through the platform, carries only the granted items in a row order of its own, and so a leaked copy is traced to
/// its delivery and consumer.
pub async fn ls_17c_ls_18b_fs_25a_sys_33_batch_delivery_needs_consent_and_a_leaked_copy_is_traced(app: TestApp) {
    let app = app.sibling("lishui-2020").await;
    let code = shared_population(&app, "lishui-2020", json!({"attr": "unconditional", "ops": ["view", "obtain"]})).await;
    let civil = app.login("officer-mz").await;
    let mut body = application(&code, &["zjhm", "xm"], &["view", "obtain"]);
    body["mode"] = json!("batch");
    let (status, filed) = apply(&app, &civil, body).await;
    assert_eq!((status, filed["state"].as_str(), filed["grant_id"].as_i64()), (201, Some("consent"), None), "{filed}");
    let (status, _) = answer(&app, &app.login("officer").await, filed["id"].as_i64().unwrap(), json!({"approve": true})).await;
    assert_eq!(status, 403, "the authority consents, not the provider");
    let (status, approved) = answer(&app, &app.login("admin").await, filed["id"].as_i64().unwrap(), json!({"approve": true})).await;
    assert_eq!((status, approved["state"].as_str()), (200, Some("approved")), "{approved}");
    // An API grant of another department cannot take a batch.
    let (status, api) = apply(&app, &app.login("officer-sj").await, application(&code, &["zjhm", "xm"], &["view", "obtain"])).await;
    assert_eq!((status, api["state"].as_str()), (201, Some("approved")), "{api}");
    assert!(api["grant_id"].as_i64().is_some(), "in force at once (LS-18b): {api}");

    let (token, _) = token_of(&app, "民政局").await;
    // 丽水 names the grant on every call (LS-19b).
    let batch_grant = approved["grant_id"].as_i64().unwrap();
    let fetch = |token: String, query: String| {
        let (app, code) = (&app, code.clone());
        async move { app.client.get(format!("{}/api/v1/share/{code}/batch{query}", app.base)).bearer_auth(token).send().await.unwrap() }
    };
    let r = fetch(token.clone(), format!("?grant={batch_grant}")).await;
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.headers()["x-rows"], "50");
    let delivery: i64 = r.headers()["x-delivery-id"].to_str().unwrap().parse().unwrap();
    let text = r.text().await.unwrap();
    assert!(text.starts_with("\u{feff}zjhm,xm\n") && !text.contains("1380000"), "only the granted items: {}", &text[..80]);
    let keys: Vec<String> = text.lines().skip(1).map(|l| l.split(',').next().unwrap().to_string()).collect();
    assert_eq!(keys.len(), 50);
    let r = fetch(token.clone(), format!("?grant={batch_grant}&format=parquet")).await;
    assert_eq!((r.status().as_u16(), r.headers()["content-type"].to_str().unwrap()), (200, "application/vnd.apache.parquet"));
    let parquet = r.bytes().await.unwrap();
    assert_eq!(&parquet[..4], b"PAR1");
    let r = fetch(token.clone(), format!("?grant={batch_grant}&format=xlsx")).await;
    assert_eq!(r.status().as_u16(), 400);
    let (market, _) = token_of(&app, "市场监督管理局").await;
    let r = fetch(market, format!("?grant={}", api["grant_id"])).await;
    assert_eq!(r.status().as_u16(), 403, "an API grant takes no batch");

    // A copy of the first file, cut down and re-saved, is traced to that delivery and department only.
    let leaked: Vec<String> = keys.iter().step_by(2).cloned().collect();
    let (status, traced) = app.json(Method::POST, "/api/v1/share/trace", Some(&app.login("auditor").await), Some(json!({"resource_code": code, "keys": leaked}))).await;
    assert_eq!(status, 200, "{traced}");
    assert_eq!(traced["total"].as_i64(), Some(1), "{traced}");
    assert_eq!((traced["items"][0]["delivery_id"].as_i64(), traced["items"][0]["consumer"]["name"].as_str().map(|n| n.contains("民政局"))), (Some(delivery), Some(true)), "{traced}");
    assert_eq!(audit_count(&app, "share.batch").await, 2);
}

/// SYS-31a, SYS-31b, SYS-31c: a grant not called for three months (last call 2026-01-10) is flagged on 2026-04-10
/// to the consumer and the authority; the authority orders rectification (the grant still serves), a call clears
/// the flag, and a grant the authority ends serves nothing and stays ended.
pub async fn sys_31a_sys_31b_sys_31c_a_grant_idle_for_three_months_is_flagged_rectified_and_ended(app: TestApp) {
    app.clock.set_day("2026-01-10");
    let code = shared_population(&app, "shuangyashan-2026", conditional(&app).await).await;
    let (status, filed) = apply(&app, &app.login("officer-mz").await, application(&code, &["zjhm", "xm"], &["view"])).await;
    assert_eq!(status, 201, "{filed}");
    let (_, approved) = answer(&app, &app.login("officer").await, filed["id"].as_i64().unwrap(), json!({"approve": true})).await;
    let grant = approved["grant_id"].as_i64().unwrap();
    let (token, _) = token_of(&app, "民政局").await;
    let record = format!("/api/v1/share/{code}/records/{}", citizen(2));
    assert_eq!(app.json(Method::GET, &record, Some(&token), None).await.0, 200);
    let platform = app.platform.clone();
    let idle_alerts = |_: &TestApp| {
        let platform = platform.clone();
        async move {
            let alerts = service::alerts::list(&platform, &service::Actor::cli(), true).await.unwrap();
            alerts.into_iter().filter(|a| a.kind == "grant_idle").collect::<Vec<_>>()
        }
    };
    app.clock.set_day("2026-04-09");
    service::alerts::scan(&app.platform).await.unwrap();
    assert!(idle_alerts(&app).await.is_empty(), "not yet three months");
    app.clock.set_day("2026-04-10");
    service::alerts::scan(&app.platform).await.unwrap();
    service::alerts::scan(&app.platform).await.unwrap();
    let flagged = idle_alerts(&app).await;
    assert_eq!(flagged.len(), 1, "raised once: {flagged:?}");
    assert!(flagged[0].to_authority && flagged[0].object_id == grant.to_string() && flagged[0].message.contains("3个月未调用"), "{flagged:?}");
    let (_, mine) = app.json(Method::GET, "/api/v1/alerts?open=true", Some(&app.login("officer-mz").await), None).await;
    assert!(mine["items"].as_array().unwrap().iter().any(|a| a["kind"] == "grant_idle"), "the consumer sees it: {mine}");

    let admin = app.login("admin").await;
    let decide = |state: &str| json!({"state": state, "reason": "三个月未调用，督促整改"});
    let (status, g) = app.json(Method::PUT, &format!("/api/v1/share/grants/{grant}/state"), Some(&admin), Some(decide("rectification"))).await;
    assert_eq!((status, g["state"].as_str()), (200, Some("rectification")), "{g}");
    assert_eq!(app.json(Method::GET, &record, Some(&token), None).await.0, 200, "a grant under rectification still serves");
    assert!(idle_alerts(&app).await.is_empty(), "the call clears the flag");
    let (status, g) = app.json(Method::PUT, &format!("/api/v1/share/grants/{grant}/state"), Some(&admin), Some(decide("terminated"))).await;
    assert_eq!((status, g["state"].as_str()), (200, Some("terminated")), "{g}");
    let (status, body) = app.json(Method::GET, &record, Some(&token), None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (403, Some("share_suspended")), "{body}");
    let (status, body) = app.json(Method::PUT, &format!("/api/v1/share/grants/{grant}/state"), Some(&admin), Some(decide("active"))).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("grant_terminated")), "an ended grant stays ended: {body}");
}

/// SYS-32a, SYS-32b, SYS-32c: a demand names provider, items, scenario and basis; the provider reviews within 3
/// working days (received Mon 2026-03-16, overdue on 03-20), a rejection states its reasons, and reasonable data
/// not yet cataloged is published and mounted within 10 working days of receipt (by 03-30).
pub async fn sys_32a_sys_32b_sys_32c_a_data_demand_is_reviewed_then_cataloged_and_mounted(app: TestApp) {
    app.clock.set_day("2026-03-16");
    let civil = app.login("officer-mz").await;
    let police = app.department_id("公安局").await;
    let demand = json!({"items": ["户籍迁移记录"], "scenario": "困难群众救助", "basis": "《社会救助暂行办法》第十一条"});
    let (status, body) = app.json(Method::POST, "/api/v1/share/demands", Some(&civil), Some(demand.clone())).await;
    assert_eq!((status, body["error"]["fields"][0]["field"].as_str()), (400, Some("provider_department_id")), "{body}");
    let mut demand = demand;
    demand["provider_department_id"] = json!(police);
    let (status, first) = app.json(Method::POST, "/api/v1/share/demands", Some(&civil), Some(demand.clone())).await;
    assert_eq!((status, first["state"].as_str(), first["due_on"].as_str()), (201, Some("provider_review"), Some("2026-03-19")), "{first}");
    let (_, second) = app.json(Method::POST, "/api/v1/share/demands", Some(&civil), Some(demand)).await;
    let (first, second) = (first["id"].as_i64().unwrap(), second["id"].as_i64().unwrap());

    app.clock.set_day("2026-03-20");
    let provider = app.login("officer").await;
    let (_, list) = app.json(Method::GET, "/api/v1/share/demands", Some(&provider), None).await;
    assert!(list["items"].as_array().unwrap().iter().all(|d| d["overdue"] == true), "both overdue on 03-20: {list}");
    let answer = |id: i64, body: Value| {
        let (app, provider) = (&app, provider.clone());
        async move { app.json(Method::POST, &format!("/api/v1/share/demands/{id}/answer"), Some(&provider), Some(body)).await }
    };
    let (status, body) = answer(first, json!({"decision": "reject"})).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("demand_reason")), "{body}");
    let (status, body) = app.json(Method::POST, &format!("/api/v1/share/demands/{first}/answer"), Some(&app.login("officer-sj").await), Some(json!({"decision": "accept"}))).await;
    assert_eq!(status, 403, "only the provider reviews: {body}");
    let (status, rejected) = answer(second, json!({"decision": "reject", "reason": "与第一项需求重复"})).await;
    assert_eq!((status, rejected["state"].as_str()), (200, Some("rejected")), "{rejected}");
    let (status, accepted) = answer(first, json!({"decision": "catalog"})).await;
    assert_eq!((status, accepted["state"].as_str(), accepted["catalog_due_on"].as_str()), (200, Some("cataloging"), Some("2026-03-30")), "{accepted}");

    // Mounting needs a published entry of the provider's with data delivered.
    let mount = |code: &str| json!({"resource_code": code});
    let officer = app.login("officer").await;
    let draft = create(&app, &officer, police, complete("shuangyashan-2026", "户籍迁移记录")).await;
    let (status, body) = app.json(Method::POST, &format!("/api/v1/share/demands/{first}/mount"), Some(&officer), Some(mount(&draft))).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("demand_not_mounted")), "{body}");
    app.clock.set_day("2026-03-31");
    let officer = app.login("officer").await;
    let (_, list) = app.json(Method::GET, "/api/v1/share/demands", Some(&officer), None).await;
    let late = list["items"].as_array().unwrap().iter().find(|d| d["id"] == first).cloned().unwrap();
    assert_eq!(late["catalog_overdue"].as_bool(), Some(true), "not mounted by 03-30: {late}");
    let code = shared_population(&app, "shuangyashan-2026", json!({"attr": "unconditional", "ops": ["view"]})).await;
    let (status, done) = app.json(Method::POST, &format!("/api/v1/share/demands/{first}/mount"), Some(&officer), Some(mount(&code))).await;
    assert_eq!((status, done["state"].as_str(), done["resource_code"].as_str(), done["catalog_overdue"].as_bool()), (200, Some("fulfilled"), Some(code.as_str()), Some(false)), "{done}");
    assert_eq!(audit_count(&app, "share.demand").await, 5, "two filed, two answered, one mounted: each an audit event");
}

/// YZ-15c: in 鄞州 the demand list goes to the district authority, which coordinates with the departments.
pub async fn yz_15c_the_demand_list_goes_to_the_authority(app: TestApp) {
    let app = app.sibling("yinzhou-2023").await;
    let police = app.department_id("公安局").await;
    let body = json!({"provider_department_id": police, "items": ["居住证信息"], "scenario": "入学资格审核", "basis": "履职需要"});
    let (status, d) = app.json(Method::POST, "/api/v1/share/demands", Some(&app.login("officer-mz").await), Some(body)).await;
    assert_eq!((status, d["due_on"].as_str()), (201, None), "the text sets no review deadline: {d}");
    let id = d["id"].as_i64().unwrap();
    let path = format!("/api/v1/share/demands/{id}/answer");
    let (status, _) = app.json(Method::POST, &path, Some(&app.login("officer").await), Some(json!({"decision": "accept"}))).await;
    assert_eq!(status, 403, "the provider does not decide here");
    let (status, d) = app.json(Method::POST, &path, Some(&app.login("admin").await), Some(json!({"decision": "accept"}))).await;
    assert_eq!((status, d["state"].as_str()), (200, Some("accepted")), "{d}");
}

/// Bad input on the sharing routes: malformed bodies, unknown fields, hostile keys and query strings, unknown
/// resources and applications — each a 4xx with messages in Chinese and English, and nothing stored.
pub async fn sharing_bad_input_is_refused_with_messages_and_stores_nothing(app: TestApp) {
    let code = shared_population(&app, "shuangyashan-2026", conditional(&app).await).await;
    let civil = app.login("officer-mz").await;
    let (status, filed) = apply(&app, &civil, application(&code, &["zjhm", "xm"], &["view", "compare"])).await;
    assert_eq!(status, 201);
    let (status, _) = answer(&app, &app.login("officer").await, filed["id"].as_i64().unwrap(), json!({"approve": true})).await;
    assert_eq!(status, 200);
    let (token, _) = token_of(&app, "民政局").await;
    let before = service::sharing::applications(&app.platform, &service::Actor::cli()).await.unwrap().len();

    let mut bodies = vec![
        ("/api/v1/share/applications".to_string(), civil.clone(), json!({"resource_code": code, "surprise": 1})),
        ("/api/v1/share/applications".to_string(), civil.clone(), {
            let mut b = application(&code, &["zjhm"], &["view"]);
            b["expires_on"] = json!("2027-02-30");
            b
        }),
        ("/api/v1/share/applications".to_string(), civil.clone(), application("no-such-code", &["zjhm"], &["view"])),
        ("/api/v1/share/applications".to_string(), civil.clone(), application(&code, &["zjhm"], &["delete"])),
        ("/api/v1/share/applications".to_string(), civil.clone(), {
            let mut b = application(&code, &["zjhm"], &["view"]);
            b["scenario"] = json!("场".repeat(600));
            b
        }),
        ("/api/v1/share/applications".to_string(), civil.clone(), {
            let mut b = application(&code, &["zjhm"], &["view"]);
            b["token_ids"] = json!([999_999]);
            b
        }),
        ("/api/v1/share/applications/999999/answer".to_string(), app.login("officer").await, json!({"approve": true})),
        ("/api/v1/share/applications/abc/answer".to_string(), app.login("officer").await, json!({"approve": true})),
        (format!("/api/v1/share/{code}/verify"), token.clone(), json!({"key": "x".repeat(300), "values": {"xm": "a"}})),
        (format!("/api/v1/share/{code}/stats"), token.clone(), json!({"group_by": ["xm"], "unknown": true})),
        ("/api/v1/share/demands".to_string(), civil.clone(), json!({"provider_department_id": "公安局"})),
        ("/api/v1/share/trace".to_string(), app.login("auditor").await, json!({"resource_code": code, "keys": ["a", "b"]})),
    ];
    bodies.push(("/api/v1/share/grants/1/state".to_string(), app.login("admin").await, json!({"state": "gone", "reason": "x"})));
    for (path, caller, body) in bodies {
        let method = if path.ends_with("/state") { Method::PUT } else { Method::POST };
        let (status, answer) = app.json(method, &path, Some(&caller), Some(body.clone())).await;
        assert!((400..500).contains(&status), "{path} {body}: {status} {answer}");
        assert!(answer["error"]["message"].is_string() && answer["error"]["message_en"].is_string(), "{path}: {answer}");
    }
    // Hostile keys and query strings on the record route: refused or not found, never a 5xx.
    for key in ["%27%20OR%201%3D1%20--", "%22%3B%20DROP%20TABLE%20t%3B", "%E6%95%B0", &"9".repeat(201)] {
        let (status, answer) = app.json(Method::GET, &format!("/api/v1/share/{code}/records/{key}"), Some(&token), None).await;
        assert!(status == 404 || status == 400, "{key}: {status} {answer}");
    }
    for query in ["?grant=abc", "?grant=1&grant=2", "?unknown=1"] {
        let (status, answer) = app.json(Method::GET, &format!("/api/v1/share/{code}/records/{}{query}", citizen(1)), Some(&token), None).await;
        assert_eq!(status, 400, "{query}: {answer}");
    }
    let r = app.client.post(format!("{}/api/v1/share/{code}/verify", app.base)).bearer_auth(&token).header("content-type", "application/json").body("{\"key\": ").send().await.unwrap();
    assert_eq!(r.status().as_u16(), 400);
    assert_eq!(service::sharing::applications(&app.platform, &service::Actor::cli()).await.unwrap().len(), before, "nothing stored");
    let (status, record) = app.json(Method::GET, &format!("/api/v1/share/{code}/records/{}", citizen(1)), Some(&token), None).await;
    assert_eq!(status, 200, "the grant still works: {record}");
}

/// SYS-20b, FS-08d: the consumer records a grant's use, effect and storage; once the grant has ended (here by its
/// last day), it is asked to confirm the copies obtained are destroyed, and recording it resolves the request.
pub async fn sys_20b_fs_08d_use_is_recorded_and_an_ended_grant_asks_for_destruction(app: TestApp) {
    app.clock.set_day("2026-11-02");
    let code = shared_population(&app, "shuangyashan-2026", json!({"attr": "unconditional", "ops": ["view", "obtain"]})).await;
    let civil = app.login("officer-mz").await;
    let mut body = application(&code, &["zjhm", "xm"], &["view", "obtain"]);
    body["expires_on"] = json!("2026-11-30");
    let (_, filed) = apply(&app, &civil, body).await;
    let (status, approved) = answer(&app, &app.login("admin").await, filed["id"].as_i64().unwrap(), json!({"approve": true})).await;
    assert_eq!(status, 200, "{approved}");
    let grant = approved["grant_id"].as_i64().unwrap();
    let path = format!("/api/v1/share/grants/{grant}/usage");
    let (status, body) = app.json(Method::POST, &path, Some(&civil), Some(json!({"kind": "usage", "effect": ""}))).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("usage_fields")), "{body}");
    let (status, _) = app.json(Method::POST, &path, Some(&app.login("officer-sj").await), Some(json!({"kind": "usage", "effect": "x", "storage": "y"}))).await;
    assert_eq!(status, 403, "only the consumer records it");
    let (status, u) = app.json(Method::POST, &path, Some(&civil), Some(json!({"kind": "usage", "effect": "审核低保申请312件", "process": "逐件核对", "storage": "本局业务系统加密存储"}))).await;
    assert_eq!(status, 201, "{u}");
    let platform = app.platform.clone();
    let due = || {
        let platform = platform.clone();
        async move { service::alerts::list(&platform, &service::Actor::cli(), true).await.unwrap().into_iter().filter(|a| a.kind == "grant_destruction_due").count() }
    };
    service::alerts::scan(&app.platform).await.unwrap();
    assert_eq!(due().await, 0, "the grant runs");
    app.clock.set_day("2026-12-01");
    service::alerts::scan(&app.platform).await.unwrap();
    service::alerts::scan(&app.platform).await.unwrap();
    assert_eq!(due().await, 1, "ended: destruction asked for, once");
    let civil = app.login("officer-mz").await;
    let (status, body) = app.json(Method::POST, &path, Some(&civil), Some(json!({"kind": "destruction", "destroyed_on": "2026-12-02"}))).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("usage_fields")), "not in the future: {body}");
    let (status, _) = app.json(Method::POST, &path, Some(&civil), Some(json!({"kind": "destruction", "destroyed_on": "2026-12-01", "storage": "已从业务系统删除"}))).await;
    assert_eq!(status, 201);
    assert_eq!(due().await, 0, "recorded: resolved");
    service::alerts::scan(&app.platform).await.unwrap();
    assert_eq!(due().await, 0, "and not asked again");
    let (status, list) = app.json(Method::GET, &path, Some(&app.login("officer").await), None).await;
    assert_eq!((status, list["total"].as_i64()), (200, Some(2)), "the provider sees the records: {list}");
}

/// LS-19c, FS-28a, FS-28b: in 佛山 the authority publishes a scenario; an application within it is granted at once,
/// one with an extra item goes to the provider's review; only the authority publishes scenarios, and a regime
/// without them (双鸭山) refuses them.
pub async fn ls_19c_fs_28a_fs_28b_an_application_within_a_pre_approved_scenario_is_granted_at_once(app: TestApp) {
    let sys = app.json(Method::POST, "/api/v1/share/scenarios", Some(&app.login("admin").await), Some(json!({"name": "x", "resource_code": "x", "department_ids": [1], "items": [], "ops": [], "basis": "x"}))).await;
    assert_eq!((sys.0, sys.1["error"]["code"].as_str()), (400, Some("no_scenarios")), "{}", sys.1);
    let app = app.sibling("foshan-2020").await;
    let code = shared_population(&app, "foshan-2020", conditional(&app).await).await;
    let civil = app.department_id("民政局").await;
    let scenario = json!({"name": "最低生活保障资格审核", "resource_code": code, "department_ids": [civil], "items": ["zjhm", "xm"], "ops": ["view"], "basis": "《社会救助暂行办法》"});
    let (status, _) = app.json(Method::POST, "/api/v1/share/scenarios", Some(&app.login("officer").await), Some(scenario.clone())).await;
    assert_eq!(status, 403, "only the authority publishes scenarios");
    let admin = app.login("admin").await;
    let (status, body) = app.json(Method::POST, "/api/v1/share/scenarios", Some(&admin), Some(scenario.clone())).await;
    assert_eq!(status, 201, "{body}");
    let (status, _) = app.json(Method::POST, "/api/v1/share/scenarios", Some(&admin), Some(scenario)).await;
    assert_eq!(status, 409, "one scenario of a name per resource");
    let officer = app.login("officer-mz").await;
    let (status, within) = apply(&app, &officer, application(&code, &["zjhm"], &["view"])).await;
    assert_eq!((status, within["state"].as_str()), (201, Some("approved")), "{within}");
    assert!(within["grant_id"].as_i64().is_some());
    let (status, extra) = apply(&app, &officer, application(&code, &["zjhm", "csrq"], &["view"])).await;
    assert_eq!((status, extra["state"].as_str()), (201, Some("provider_review")), "an extra item goes to review: {extra}");
    let (_, list) = app.json(Method::GET, "/api/v1/share/scenarios", Some(&officer), None).await;
    assert_eq!(list["total"].as_i64(), Some(1));
}

/// The sharing console when one of its lists cannot be read (here the demands table is away): the page still shows
/// the rest, and a banner names the list that failed and says what to do, in Chinese or English, instead of showing
/// an empty list as if there were no demands. Lists a role may not see stay quietly empty.
pub async fn a_list_that_fails_to_load_is_named_on_the_sharing_page(app: TestApp) {
    let page = |token: String, lang: &'static str| app.page("/share".into(), Some(token), lang);
    let (admin, consumer) = (app.login("admin").await, app.login("officer-mz").await);
    for (who, token) in [("admin", &admin), ("consumer", &consumer)] {
        let (status, html) = page(token.clone(), "zh").await;
        assert_eq!(status, 200, "{who}");
        assert!(html.contains("<h1>数据共享</h1>") && !html.contains("id=\"unloaded\""), "{who}: nothing failed, no banner");
    }
    store::testing::execute(&app.database_url, &["ALTER TABLE data_demands RENAME TO data_demands_away"]).await.unwrap();
    let (status, html) = page(admin.clone(), "zh").await;
    assert_eq!(status, 200, "the rest of the page still shows");
    assert!(html.contains("<h1>数据共享</h1>") && html.contains("id=\"unloaded\""), "{html}");
    assert!(html.contains("以下内容未能加载：数据需求。请稍后刷新页面"), "the banner names the list and what to do");
    let (_, html) = page(admin.clone(), "en").await;
    assert!(html.contains("Could not load: data demands. Reload the page later"), "and in English");
    store::testing::execute(&app.database_url, &["ALTER TABLE data_demands_away RENAME TO data_demands"]).await.unwrap();
    let (status, html) = page(admin, "zh").await;
    assert!(status == 200 && !html.contains("id=\"unloaded\""), "the banner goes when the list loads again");
}

/// LS-16b, LS-17b: in 丽水 sharing is free: no application or answer carries a fee, one that does is refused and
/// nothing is stored, and a grant never waits on payment; a grant whose mode is not named is request-response, and
/// a call answers only the granted items for the key.
pub async fn ls_16b_ls_17b_sharing_is_free_a_fee_is_refused_and_calls_are_request_response(app: TestApp) {
    let app = app.sibling("lishui-2020").await;
    let open = shared_population(&app, "lishui-2020", json!({"attr": "unconditional", "ops": ["view"]})).await;
    let civil = app.login("officer-mz").await;
    let mut priced = application(&open, &["zjhm", "xm"], &["view"]);
    priced["fee"] = json!(0);
    let (status, body) = apply(&app, &civil, priced).await;
    assert_eq!((status, body["error"]["code"].as_str()), (422, Some("fee_not_allowed")), "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("不得另行收取费用"), "{body}");
    let (_, listed) = app.json(Method::GET, "/api/v1/share/applications", Some(&civil), None).await;
    assert_eq!(listed["total"], 0, "nothing stored: {listed}");
    let (status, filed) = apply(&app, &civil, application(&open, &["zjhm", "xm"], &["view"])).await;
    assert_eq!((status, filed["state"].as_str()), (201, Some("approved")), "{filed}");
    assert!(filed["grant_id"].as_i64().is_some(), "in force without a payment step: {filed}");
    let priced_keys = ["fee", "fees", "price", "charge", "amount_due"];
    assert!(filed.as_object().unwrap().keys().all(|k| !priced_keys.contains(&k.as_str())), "no price on an application: {filed}");
    assert_eq!(filed["mode"], "api", "request-response unless named: {filed}");
    let (token, _) = token_of(&app, "民政局").await;
    let (status, record) = app.json(Method::GET, &format!("/api/v1/share/{open}/records/{}?grant={}", citizen(4), filed["grant_id"]), Some(&token), None).await;
    assert_eq!(status, 200, "{record}");
    assert_eq!(record["values"].as_object().unwrap().keys().collect::<Vec<_>>(), ["xm", "zjhm"], "only the granted items: {record}");

    // The provider's answer cannot put a price on it either.
    let restricted = shared_population(&app, "lishui-2020", conditional(&app).await).await;
    let (status, filed) = apply(&app, &civil, application(&restricted, &["zjhm", "xm"], &["view"])).await;
    assert_eq!((status, filed["state"].as_str()), (201, Some("provider_review")), "{filed}");
    let id = filed["id"].as_i64().unwrap();
    let provider = app.login("officer").await;
    let (status, body) = answer(&app, &provider, id, json!({"approve": true, "price": 100})).await;
    assert_eq!((status, body["error"]["code"].as_str()), (422, Some("fee_not_allowed")), "{body}");
    let (_, still) = app.json(Method::GET, &format!("/api/v1/share/applications/{id}"), Some(&civil), None).await;
    assert_eq!(still["state"], "provider_review", "the refused answer changed nothing: {still}");
    let (status, approved) = answer(&app, &provider, id, json!({"approve": true})).await;
    assert_eq!((status, approved["state"].as_str()), (200, Some("approved")), "{approved}");
}

/// CS-21b, CS-21d, CS-22b: in 长沙 an application states its scenario (a blank one is refused at validation and
/// nothing is stored); unconditional data is granted on application with no step by the provider, the grant is in
/// the audit log and carries the scenario, and a call answers only the items applied for.
pub async fn cs_21b_cs_21d_cs_22b_an_application_states_its_scenario_and_unconditional_data_is_granted_at_once(app: TestApp) {
    let app = app.sibling("changsha-2021").await;
    let code = shared_population(&app, "changsha-2021", json!({"attr": "unconditional", "ops": ["view", "compare"]})).await;
    let civil = app.login("officer-mz").await;
    let mut blank = application(&code, &["zjhm", "xm"], &["view"]);
    blank["scenario"] = json!("  ");
    let (status, body) = apply(&app, &civil, blank).await;
    assert_eq!((status, body["error"]["code"].as_str(), body["error"]["fields"][0]["field"].as_str()), (400, Some("invalid_application"), Some("scenario")), "{body}");
    let (_, listed) = app.json(Method::GET, "/api/v1/share/applications", Some(&civil), None).await;
    assert_eq!(listed["total"], 0, "nothing stored: {listed}");

    let (status, filed) = apply(&app, &civil, application(&code, &["zjhm", "xm"], &["view"])).await;
    assert_eq!((status, filed["state"].as_str()), (201, Some("approved")), "{filed}");
    let grant = filed["grant_id"].as_i64().expect("granted on application");
    assert_eq!(audit_count(&app, "share.grant").await, 1, "the grant is in the audit log");
    let (_, grants) = app.json(Method::GET, "/api/v1/share/grants", Some(&civil), None).await;
    let held = grants["items"].as_array().unwrap().iter().find(|g| g["id"] == grant).cloned().unwrap_or_else(|| panic!("{grants}"));
    assert_eq!((held["scenario"].as_str(), held["state"].as_str()), (Some("最低生活保障资格审核"), Some("active")), "{held}");
    let (token, _) = token_of(&app, "民政局").await;
    let (status, record) = app.json(Method::GET, &format!("/api/v1/share/{code}/records/{}", citizen(2)), Some(&token), None).await;
    assert_eq!((status, record["grant_id"].as_i64()), (200, Some(grant)), "{record}");
    assert_eq!(record["values"].as_object().unwrap().keys().collect::<Vec<_>>(), ["xm", "zjhm"], "the minimum applied for, not csrq or lxdh: {record}");
}

/// FS-13b: in 佛山 a department granted unconditional data views, compares and obtains it, as the entry offers,
/// and each call is logged.
pub async fn fs_13b_unconditional_data_is_viewed_compared_and_obtained(app: TestApp) {
    let app = app.sibling("foshan-2020").await;
    let code = shared_population(&app, "foshan-2020", json!({"attr": "unconditional", "ops": ["view", "compare", "obtain"]})).await;
    let (status, filed) = apply(&app, &app.login("officer-mz").await, application(&code, &["zjhm", "xm"], &["view", "compare", "obtain"])).await;
    assert_eq!((status, filed["state"].as_str()), (201, Some("approved")), "{filed}");
    let (token, _) = token_of(&app, "民政局").await;
    let (status, record) = app.json(Method::GET, &format!("/api/v1/share/{code}/records/{}", citizen(3)), Some(&token), None).await;
    assert_eq!(status, 200, "{record}");
    assert_eq!((record["values"]["zjhm"].as_str(), record["masked"].as_array().map(Vec::len)), (Some(citizen(3).as_str()), Some(0)), "obtained in full: {record}");
    let body = json!({"key": citizen(3), "values": {"xm": "居民3"}});
    let (status, checked) = app.json(Method::POST, &format!("/api/v1/share/{code}/verify"), Some(&token), Some(body)).await;
    assert_eq!((status, checked["items"]["xm"].as_str()), (200, Some("match")), "{checked}");
    assert_eq!((audit_count(&app, "share.record").await, audit_count(&app, "share.verify").await), (1, 1), "each call logged");
}

/// YZ-15a, YZ-15b, YZ-16: in 鄞州 an application names its scenario, carries the applicant's undertaking, and goes
/// to the district authority, which answers it (the provider cannot); every call names its grant, and a grant serves
/// only its own mode — records under an interface grant, files under a batch grant, each refused the other way and
/// logged; the authority reviews a grant's calls one by one with the scenario each was logged under.
pub async fn yz_15a_yz_15b_yz_16_the_authority_answers_and_a_grant_serves_only_its_mode_and_scenario(app: TestApp) {
    let app = app.sibling("yinzhou-2023").await;
    app.clock.set_day("2026-03-02");
    let code = shared_population(&app, "yinzhou-2023", json!({"attr": "unconditional", "ops": ["view", "obtain"], "period_months": 60})).await;
    let civil = app.login("officer-mz").await;
    let mut blank = application(&code, &["zjhm", "xm"], &["view"]);
    blank["scenario"] = json!("");
    blank["undertaking"] = json!(false);
    let (status, body) = apply(&app, &civil, blank).await;
    let fields: Vec<&str> = body["error"]["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    assert_eq!((status, fields), (400, vec!["scenario", "undertaking"]), "{body}");
    let (status, filed) = apply(&app, &civil, application(&code, &["zjhm", "xm"], &["view"])).await;
    assert_eq!((status, filed["state"].as_str(), filed["undertaking"].as_bool()), (201, Some("authority_review"), Some(true)), "{filed}");
    let id = filed["id"].as_i64().unwrap();
    let admin = app.login("admin").await;
    let (_, queue) = app.json(Method::GET, "/api/v1/share/applications", Some(&admin), None).await;
    assert!(queue["items"].as_array().unwrap().iter().any(|a| a["id"] == id && a["state"] == "authority_review"), "in the authority's queue: {queue}");
    let (status, _) = answer(&app, &app.login("officer").await, id, json!({"approve": true})).await;
    assert_eq!(status, 403, "the provider does not answer it");
    let (status, approved) = answer(&app, &admin, id, json!({"approve": true})).await;
    assert_eq!((status, approved["state"].as_str()), (200, Some("approved")), "{approved}");
    let interface_grant = approved["grant_id"].as_i64().unwrap();

    let mut batch = application(&code, &["zjhm", "xm"], &["view", "obtain"]);
    batch["mode"] = json!("batch");
    let (status, filed) = apply(&app, &app.login("officer-sj").await, batch).await;
    assert_eq!((status, filed["state"].as_str()), (201, Some("authority_review")), "{filed}");
    let (status, approved) = answer(&app, &admin, filed["id"].as_i64().unwrap(), json!({"approve": true})).await;
    assert_eq!((status, approved["state"].as_str()), (200, Some("approved")), "no further consent in 鄞州: {approved}");
    let batch_grant = approved["grant_id"].as_i64().unwrap();

    let (interface, _) = token_of(&app, "民政局").await;
    let (files, _) = token_of(&app, "市场监督管理局").await;
    let record = format!("/api/v1/share/{code}/records/{}", citizen(1));
    let (status, body) = app.json(Method::GET, &record, Some(&interface), None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("share_grant_required")), "a call names its grant: {body}");
    assert_eq!(app.json(Method::GET, &format!("{record}?grant={interface_grant}"), Some(&interface), None).await.0, 200);
    let (status, body) = app.json(Method::GET, &format!("{record}?grant={batch_grant}"), Some(&files), None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (403, Some("share_mode_not_granted")), "an interface call under a batch grant: {body}");
    let r = app.client.get(format!("{}/api/v1/share/{code}/batch?grant={batch_grant}", app.base)).bearer_auth(&files).send().await.unwrap();
    assert_eq!((r.status().as_u16(), r.headers()["x-rows"].to_str().unwrap().to_string()), (200, "50".to_string()));
    let (status, body) = app.json(Method::GET, &format!("/api/v1/share/{code}/batch?grant={interface_grant}"), Some(&interface), None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (403, Some("share_mode_not_granted")), "a batch under an interface grant: {body}");
    assert_eq!((audit_count(&app, "share.denied").await, audit_count(&app, "share.batch").await), (3, 1), "each refusal (the unnamed grant too) and the batch are logged");

    // The authority reviews the interface grant's use: each call, with the scenario it served.
    let (status, events) = app.json(Method::GET, &format!("/api/v1/share/grants/{interface_grant}/events"), Some(&admin), None).await;
    assert_eq!(status, 200, "{events}");
    let calls: Vec<(&str, &str)> = events["items"].as_array().unwrap().iter().map(|e| (e["action"].as_str().unwrap(), e["purpose"].as_str().unwrap())).collect();
    assert_eq!(calls, [("share.denied", ""), ("share.record", "最低生活保障资格审核")], "the call with its scenario, and the batch refused under the grant: {events}");
    let (status, _) = app.json(Method::GET, &format!("/api/v1/share/grants/{interface_grant}/events"), Some(&app.login("officer-rs").await), None).await;
    assert_eq!(status, 404, "a department neither party to the grant does not see it");
}

/// SYS-22, LS-16d: the applicant is told of each step of its application and can read who answered and when; the
/// provider is told an answer is awaited, and an answer past its due day (received Tue 2026-03-17, due 03-18) is
/// raised to the provider and the authority, once, until the answer resolves it.
pub async fn sys_22_ls_16d_the_applicant_is_told_each_step_and_a_late_answer_is_raised(app: TestApp) {
    app.clock.set_day("2026-03-17");
    let code = shared_population(&app, "shuangyashan-2026", conditional(&app).await).await;
    let (status, filed) = apply(&app, &app.login("officer-mz").await, application(&code, &["zjhm", "xm"], &["view"])).await;
    assert_eq!((status, filed["due_on"].as_str()), (201, Some("2026-03-18")), "{filed}");
    let id = filed["id"].as_i64().unwrap();
    let about = |alerts: &Value, kind: &str| -> Vec<Value> {
        alerts["items"].as_array().unwrap().iter().filter(|a| a["kind"] == kind && a["object_id"] == id.to_string()).cloned().collect()
    };
    let open = |token: String| {
        let app = &app;
        async move { app.json(Method::GET, "/api/v1/alerts?open=true", Some(&token), None).await.1 }
    };
    let provider_alerts = open(app.login("officer").await).await;
    let due = about(&provider_alerts, "share_review_due");
    assert_eq!(due.len(), 1, "the provider is told: {provider_alerts}");
    assert!(due[0]["message"].as_str().unwrap().contains("2026-03-18"), "{due:?}");
    let applicant_alerts = open(app.login("officer-mz").await).await;
    let step = about(&applicant_alerts, "share_application_provider_review");
    assert!(step.len() == 1 && step[0]["message"].as_str().unwrap().contains("待提供部门审核"), "{applicant_alerts}");
    assert!(about(&open(app.login("officer-sj").await).await, "share_review_due").is_empty(), "no one else is told");

    service::alerts::scan(&app.platform).await.unwrap();
    assert!(about(&open(app.login("admin").await).await, "share_review_overdue").is_empty(), "not late on receipt");
    app.clock.set_day("2026-03-19");
    service::alerts::scan(&app.platform).await.unwrap();
    service::alerts::scan(&app.platform).await.unwrap();
    let authority = open(app.login("admin").await).await;
    let late = about(&authority, "share_review_overdue");
    assert_eq!(late.len(), 1, "raised once: {authority}");
    assert_eq!(late[0]["to_authority"], true, "{late:?}");
    assert_eq!(about(&open(app.login("officer").await).await, "share_review_overdue").len(), 1, "the provider sees it too");

    let (status, approved) = answer(&app, &app.login("officer").await, id, json!({"approve": true})).await;
    assert_eq!((status, approved["state"].as_str()), (200, Some("approved")), "{approved}");
    let provider_alerts = open(app.login("officer").await).await;
    assert!(about(&provider_alerts, "share_review_due").is_empty() && about(&provider_alerts, "share_review_overdue").is_empty(), "the answer resolves them: {provider_alerts}");
    let applicant_alerts = open(app.login("officer-mz").await).await;
    let step = about(&applicant_alerts, "share_application_approved");
    assert!(step.len() == 1 && step[0]["message"].as_str().unwrap().contains("已授权"), "{applicant_alerts}");
    assert!(about(&applicant_alerts, "share_application_provider_review").is_empty(), "the newest step only: {applicant_alerts}");
    let (status, status_now) = app.json(Method::GET, &format!("/api/v1/share/applications/{id}"), Some(&app.login("officer-mz").await), None).await;
    assert_eq!(status, 200, "{status_now}");
    assert_eq!(status_now["state"], "approved");
    assert!(status_now["answered_by"] == "officer" && status_now["answered_at"].as_str().unwrap().starts_with("2026-03-19"), "who answered and when: {status_now}");
    service::alerts::scan(&app.platform).await.unwrap();
    assert!(about(&open(app.login("admin").await).await, "share_review_overdue").is_empty(), "answered: not raised again");
}

/// FS-08a: in 佛山 a department refuses shared data only on statutory grounds: a refusal resting on its internal rule
/// is answered with why it cannot, one that does not name its kind of instrument is refused, and neither changes
/// the application; a refusal under a rule is recorded with its kind.
pub async fn fs_08a_a_refusal_rests_on_a_statutory_ground_never_an_internal_rule(app: TestApp) {
    let app = app.sibling("foshan-2020").await;
    let code = shared_population(&app, "foshan-2020", conditional(&app).await).await;
    let civil = app.login("officer-mz").await;
    let (status, filed) = apply(&app, &civil, application(&code, &["zjhm", "xm"], &["view"])).await;
    assert_eq!(status, 201, "{filed}");
    let id = filed["id"].as_i64().unwrap();
    let provider = app.login("officer").await;
    let refuse = |ground: Option<&str>| {
        let mut body = json!({"approve": false, "reason": "涉及个人隐私", "basis": "《佛山市公安局数据管理办法》第五条"});
        if let Some(g) = ground {
            body["ground"] = json!(g);
        }
        body
    };
    let (status, body) = answer(&app, &provider, id, refuse(Some("internal_rule"))).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("refusal_basis_internal")), "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("部门内部管理办法不能作为不予共享的依据"), "{body}");
    let (status, body) = answer(&app, &provider, id, refuse(None)).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("refusal_ground")), "{body}");
    let (_, still) = app.json(Method::GET, &format!("/api/v1/share/applications/{id}"), Some(&civil), None).await;
    assert_eq!(still["state"], "provider_review", "unchanged: {still}");
    let mut lawful = refuse(Some("rule"));
    lawful["basis"] = json!("《广东省公共数据管理办法》第二十条");
    let (status, refused) = answer(&app, &provider, id, lawful).await;
    assert_eq!((status, refused["state"].as_str(), refused["refusal_basis"].as_str()), (200, Some("refused"), Some("【规章】《广东省公共数据管理办法》第二十条")), "{refused}");
}

/// LS-19b: in 丽水 data obtained is used only as stated and passed to no third party: an application without the
/// applicant's undertaking is refused and nothing is stored; every call names its grant (one that does not is
/// refused, and serves nothing), and each call is logged under the grant's scenario; the console asks for the
/// undertaking and says the data is not to be passed on.
pub async fn ls_19b_an_application_carries_the_undertaking_and_each_call_names_its_grant(root: TestApp) {
    let app = root.sibling("lishui-2020").await;
    let code = shared_population(&app, "lishui-2020", json!({"attr": "unconditional", "ops": ["view"]})).await;
    let civil = app.login("officer-mz").await;
    let mut unpledged = application(&code, &["zjhm", "xm"], &["view"]);
    unpledged.as_object_mut().unwrap().remove("undertaking");
    let (status, body) = apply(&app, &civil, unpledged).await;
    assert_eq!((status, body["error"]["fields"][0]["field"].as_str()), (400, Some("undertaking")), "{body}");
    assert!(body["error"]["fields"][0]["message"].as_str().unwrap().contains("不直接或以改变数据形式等方式提供给第三方"), "{body}");
    let (_, listed) = app.json(Method::GET, "/api/v1/share/applications", Some(&civil), None).await;
    assert_eq!(listed["total"], 0, "nothing stored: {listed}");
    let (status, filed) = apply(&app, &civil, application(&code, &["zjhm", "xm"], &["view"])).await;
    assert_eq!((status, filed["state"].as_str(), filed["undertaking"].as_bool()), (201, Some("approved"), Some(true)), "{filed}");
    let grant = filed["grant_id"].as_i64().unwrap();

    let (token, _) = token_of(&app, "民政局").await;
    let record = format!("/api/v1/share/{code}/records/{}", citizen(6));
    let (status, body) = app.json(Method::GET, &record, Some(&token), None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("share_grant_required")), "{body}");
    assert!(body.get("values").is_none(), "nothing served: {body}");
    assert_eq!(audit_count(&app, "share.denied").await, 1, "and the refusal is logged");
    let (status, served) = app.json(Method::GET, &format!("{record}?grant={grant}"), Some(&token), None).await;
    assert_eq!((status, served["grant_id"].as_i64()), (200, Some(grant)), "{served}");
    let (_, events) = app.json(Method::GET, &format!("/api/v1/share/grants/{grant}/events"), Some(&civil), None).await;
    let logged: Vec<(&str, &str)> = events["items"].as_array().unwrap().iter().map(|e| (e["action"].as_str().unwrap(), e["purpose"].as_str().unwrap())).collect();
    assert_eq!(logged, [("share.record", "最低生活保障资格审核")], "one call, under the grant's scenario: {events}");

    let (status, page) = app.page("/share".into(), Some(civil), "zh").await;
    assert_eq!(status, 200);
    assert!(page.contains("id=\"undertaking\" value=\"1\" required>") && page.contains("不直接或以改变数据形式等方式提供给第三方"), "the console requires the undertaking");
    assert!(page.contains("id=\"no-onward\""), "and says the data is not passed on");
    let (_, elsewhere) = root.page("/share".into(), Some(root.login("officer-mz").await), "zh").await;
    assert!(elsewhere.contains("id=\"undertaking\" value=\"1\">"), "offered, not required, where the regime does not ask it");
}

/// FS-08b: in 佛山 an application states the data it needs, its purpose, its scenario and its use logic: one with an
/// empty scenario or no use logic is refused at validation, naming each, and nothing is stored.
pub async fn fs_08b_an_application_states_its_scenario_and_use_logic(app: TestApp) {
    let app = app.sibling("foshan-2020").await;
    let code = shared_population(&app, "foshan-2020", conditional(&app).await).await;
    let civil = app.login("officer-mz").await;
    let mut vague = application(&code, &["zjhm", "xm"], &["view"]);
    vague["scenario"] = json!("");
    vague["use_logic"] = json!(" ");
    let (status, body) = apply(&app, &civil, vague).await;
    let fields: Vec<&str> = body["error"]["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    assert_eq!((status, fields), (400, vec!["scenario", "use_logic"]), "{body}");
    let (_, listed) = app.json(Method::GET, "/api/v1/share/applications", Some(&civil), None).await;
    assert_eq!(listed["total"], 0, "nothing stored: {listed}");
    let (status, filed) = apply(&app, &civil, application(&code, &["zjhm", "xm"], &["view"])).await;
    assert_eq!((status, filed["use_logic"].as_str()), (201, Some("以申请人公民身份号码比对户籍状态")), "{filed}");
    let (_, seen) = app.json(Method::GET, &format!("/api/v1/share/applications/{}", filed["id"]), Some(&app.login("officer").await), None).await;
    assert_eq!(seen["use_logic"], "以申请人公民身份号码比对户籍状态", "the provider reviews it with the use logic: {seen}");
}

/// FS-29a: in 佛山 the provider fixes the grant's elements — business, users, data, mode, deadline — on the least
/// authorization: within what was applied for (more items or a later deadline is refused and changes nothing), and
/// the grant then gives exactly what was fixed: the items, the operation, the named calling system, the last day.
pub async fn fs_29a_the_provider_fixes_the_grant_within_the_application(app: TestApp) {
    let app = app.sibling("foshan-2020").await;
    app.clock.set_day("2026-03-02");
    let code = shared_population(&app, "foshan-2020", conditional(&app).await).await;
    let civil = app.login("officer-mz").await;
    let mut undated = application(&code, &["zjhm", "xm", "csrq"], &["view", "compare"]);
    undated.as_object_mut().unwrap().remove("expires_on");
    let (status, body) = apply(&app, &civil, undated).await;
    assert_eq!((status, body["error"]["code"].as_str()), (422, Some("invalid_body")), "no deadline, no application: {body}");
    let (status, filed) = apply(&app, &civil, application(&code, &["zjhm", "xm", "csrq"], &["view", "compare"])).await;
    assert_eq!(status, 201, "{filed}");
    let id = filed["id"].as_i64().unwrap();
    let (token, token_id) = token_of(&app, "民政局").await;
    let (other_token, _) = token_of(&app, "民政局").await;

    let provider = app.login("officer").await;
    let (status, body) = answer(&app, &provider, id, json!({"approve": true, "items": ["zjhm", "lxdh"], "expires_on": "2028-01-01"})).await;
    let fields: Vec<&str> = body["error"]["fields"].as_array().map(|f| f.iter().map(|f| f["field"].as_str().unwrap()).collect()).unwrap_or_default();
    assert_eq!((status, body["error"]["code"].as_str(), fields), (400, Some("invalid_approval"), vec!["items[1]", "expires_on"]), "{body}");
    let (_, still) = app.json(Method::GET, &format!("/api/v1/share/applications/{id}"), Some(&civil), None).await;
    assert_eq!(still["state"], "provider_review", "nothing changed: {still}");

    let fix = json!({"approve": true, "items": ["zjhm", "xm"], "ops": ["view"], "token_ids": [token_id], "expires_on": "2027-06-30"});
    let (status, approved) = answer(&app, &provider, id, fix).await;
    assert_eq!((status, approved["state"].as_str()), (200, Some("approved")), "{approved}");
    let grant = approved["grant_id"].as_i64().unwrap();
    let (_, grants) = app.json(Method::GET, "/api/v1/share/grants", Some(&civil), None).await;
    let g = grants["items"].as_array().unwrap().iter().find(|g| g["id"] == grant).cloned().unwrap_or_else(|| panic!("{grants}"));
    assert_eq!((g["items"].clone(), g["ops"].clone(), g["token_ids"].clone()), (json!(["zjhm", "xm"]), json!(["view"]), json!([token_id])), "{g}");
    assert!(g["expires_at"].as_str().unwrap().starts_with("2027-07-01T00:00:00"), "in force through 2027-06-30: {g}");
    let record = format!("/api/v1/share/{code}/records/{}", citizen(2));
    let (status, served) = app.json(Method::GET, &record, Some(&token), None).await;
    assert_eq!(status, 200, "{served}");
    assert_eq!(served["values"].as_object().unwrap().keys().collect::<Vec<_>>(), ["xm", "zjhm"], "the items fixed, not csrq: {served}");
    let (status, body) = app.json(Method::GET, &record, Some(&other_token), None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (403, Some("share_no_grant")), "another system of the department is not a user fixed: {body}");
    let verify = json!({"key": citizen(2), "values": {"xm": "居民2"}});
    let (status, body) = app.json(Method::POST, &format!("/api/v1/share/{code}/verify"), Some(&token), Some(verify)).await;
    assert_eq!((status, body["error"]["code"].as_str()), (403, Some("share_over_scope")), "compare was applied for, not fixed: {body}");
    let (_, events) = app.json(Method::GET, &format!("/api/v1/audit/events?action=share.answer&object_id={id}"), Some(&app.login("auditor").await), None).await;
    assert!(events["items"][0]["detail"].as_str().unwrap().contains("fixed: items [\"zjhm\",\"xm\"]"), "what was fixed is logged: {events}");
}

/// An entry of the civil affairs bureau's whose data comes from `source` (shared by the police), offered on as
/// `sharing` says; answers its code.
async fn derived_entry(app: &TestApp, profile: &str, source: &str, sharing: Value) -> String {
    let mut content = complete(profile, "低保对象户籍核对结果");
    content["derived_from"] = json!([source]);
    content["sharing"] = sharing;
    create(app, &app.login("officer-mz").await, app.department_id("民政局").await, content).await
}

async fn submit(app: &TestApp, code: &str) -> (u16, Value) {
    crate::catalog::act(app, &app.login("officer-mz").await, code, "submit", json!({})).await
}

/// SYS-33a, SYS-33b: data the civil affairs bureau obtained from the police is not offered on in an entry of its own
/// that is shared — the submission is refused, saying it needs the provider's consent — until it asks and the
/// police consent (the authority and the bureau itself cannot); then it is. Each step is logged.
pub async fn sys_33a_sys_33b_shared_data_is_offered_on_only_with_the_providers_consent(app: TestApp) {
    let code = shared_population(&app, "shuangyashan-2026", conditional(&app).await).await;
    let civil = app.login("officer-mz").await;
    let (_, filed) = apply(&app, &civil, application(&code, &["zjhm", "xm"], &["view"])).await;
    assert_eq!(answer(&app, &app.login("officer").await, filed["id"].as_i64().unwrap(), json!({"approve": true})).await.0, 200);
    let own = derived_entry(&app, "shuangyashan-2026", &code, json!({"attr": "unconditional", "ops": ["view"]})).await;
    let (status, body) = submit(&app, &own).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("shared_in_data")), "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("未经数据提供部门同意"), "{body}");

    let ask = json!({"resource_code": code, "derived_code": own, "reason": "向街道办提供低保对象核对结果"});
    let (status, body) = app.json(Method::POST, "/api/v1/share/onward", Some(&civil), Some(json!({"resource_code": code, "derived_code": own, "reason": " "}))).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("onward_reason")), "{body}");
    let (status, asked) = app.json(Method::POST, "/api/v1/share/onward", Some(&civil), Some(ask)).await;
    assert_eq!((status, asked["state"].as_str()), (201, Some("requested")), "{asked}");
    let id = asked["id"].as_i64().unwrap();
    let path = format!("/api/v1/share/onward/{id}/answer");
    for (who, token) in [("the bureau itself", civil.clone()), ("the authority", app.login("admin").await)] {
        let (status, _) = app.json(Method::POST, &path, Some(&token), Some(json!({"approve": true}))).await;
        assert_eq!(status, 403, "{who} does not consent for the provider");
    }
    assert_eq!(submit(&app, &own).await.0, 400, "still refused while it waits");
    let (status, consented) = app.json(Method::POST, &path, Some(&app.login("officer").await), Some(json!({"approve": true, "reason": "限于核对结果，不含原始数据"}))).await;
    assert_eq!((status, consented["state"].as_str()), (200, Some("approved")), "{consented}");
    let (status, body) = submit(&app, &own).await;
    assert_eq!(status, 200, "with the provider's consent: {body}");
    assert_eq!((audit_count(&app, "share.onward.request").await, audit_count(&app, "share.onward.answer").await), (1, 1));
}

/// CS-22f, FS-32: in 长沙 data obtained through sharing is offered on only with the authority's approval (the provider
/// cannot approve it), while an entry keeping it for the department's own use needs none; in 佛山 it is never offered
/// on: the submission is refused and there is no request to make.
pub async fn cs_22f_fs_32_shared_in_data_is_offered_on_only_as_the_regime_allows(root: TestApp) {
    let app = root.sibling("changsha-2021").await;
    let code = shared_population(&app, "changsha-2021", json!({"attr": "unconditional", "ops": ["view"]})).await;
    let kept = derived_entry(&app, "changsha-2021", &code, json!({"attr": "none", "basis": [{"instrument": "law", "name": "《中华人民共和国个人信息保护法》", "article": "第三十四条"}]})).await;
    let civil = app.login("officer-mz").await;
    publish(&app, &kept, &civil).await;
    // Raising the kept entry's attributes (published at once as an upgrade) does not get round the rule.
    let upgrade = json!({"sharing": {"attr": "unconditional", "ops": ["view"]}, "opening": {"attr": "none", "not_open_reason": "personal_privacy"},
                         "evidence": "已脱敏", "note": ""});
    let (status, body) = crate::catalog::act(&app, &civil, &kept, "attributes", upgrade).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("shared_in_data")), "{body}");
    let (_, entry) = app.json(Method::GET, &format!("/api/v1/resources/{kept}"), Some(&civil), None).await;
    assert_eq!(entry["published"]["content"]["sharing"]["attr"], "none", "unchanged: {entry}");
    let offered = derived_entry(&app, "changsha-2021", &code, json!({"attr": "unconditional", "ops": ["view"]})).await;
    let (status, body) = submit(&app, &offered).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("shared_in_data")), "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("未经数据主管部门批准"), "{body}");
    let (status, asked) = app.json(Method::POST, "/api/v1/share/onward", Some(&app.login("officer-mz").await), Some(json!({"resource_code": code, "derived_code": offered, "reason": "向社区提供核对结果"}))).await;
    assert_eq!(status, 201, "{asked}");
    let path = format!("/api/v1/share/onward/{}/answer", asked["id"]);
    assert_eq!(app.json(Method::POST, &path, Some(&app.login("officer").await), Some(json!({"approve": true}))).await.0, 403, "the bureau approves, not the provider");
    let (status, approved) = app.json(Method::POST, &path, Some(&app.login("admin").await), Some(json!({"approve": true}))).await;
    assert_eq!((status, approved["state"].as_str()), (200, Some("approved")), "{approved}");
    assert_eq!(submit(&app, &offered).await.0, 200, "approved by the bureau");

    let fs = root.sibling("foshan-2020").await;
    let code = shared_population(&fs, "foshan-2020", json!({"attr": "unconditional", "ops": ["view"]})).await;
    let offered = derived_entry(&fs, "foshan-2020", &code, json!({"attr": "unconditional", "ops": ["view"]})).await;
    let (status, body) = submit(&fs, &offered).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("shared_in_data")), "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("不得以任何形式提供给第三方"), "{body}");
    let (status, body) = fs.json(Method::POST, "/api/v1/share/onward", Some(&fs.login("officer-mz").await), Some(json!({"resource_code": code, "derived_code": offered, "reason": "向社区提供"}))).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("onward_not_allowed")), "{body}");
}

/// FS-30a: in 佛山 a consumer checks data as it uses it: a record served names each granted item whose value fails the
/// entry's rules as published now (a phone delivered before the item was declared a phone number), and a record
/// that passes carries no flags.
pub async fn fs_30a_a_record_carries_the_items_that_fail_the_rules_in_force(app: TestApp) {
    let app = app.sibling("foshan-2020").await;
    let officer = app.login("officer").await;
    let mut content = complete("foshan-2020", "户籍人口基本信息");
    let mut items = json!([
        {"name": "zjhm", "label": "公民身份号码", "data_type": "string", "is_key": true, "identifier": "citizen_id", "level": "l4"},
        {"name": "xm", "label": "姓名", "data_type": "string", "required": true},
        {"name": "csrq", "label": "出生日期", "data_type": "date"},
        {"name": "lxdh", "label": "联系电话", "data_type": "string"}
    ]);
    content["items"] = items.clone();
    content["sharing"] = json!({"attr": "unconditional", "ops": ["view", "obtain"]});
    let code = create(&app, &officer, app.department_id("公安局").await, content.clone()).await;
    publish(&app, &code, &officer).await;
    let wrong_phone = format!("{},居民600,1980-01-06,12345", citizen(600));
    let r = app
        .client
        .post(format!("{}/api/v1/resources/{code}/batches", app.base))
        .bearer_auth(&officer)
        .header("content-type", "text/csv")
        .body(crate::aggregation::people(50, &[wrong_phone.as_str()]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201, "accepted: no rule for the phone yet");
    // The provider then declares the item a phone number; the data delivered stays as it was.
    items[3]["identifier"] = json!("phone");
    content["items"] = items;
    let (status, body) = app.json(Method::PUT, &format!("/api/v1/resources/{code}"), Some(&officer), Some(json!({"content": content}))).await;
    assert_eq!(status, 200, "{body}");
    publish(&app, &code, &officer).await;

    let (status, filed) = apply(&app, &app.login("officer-mz").await, application(&code, &["zjhm", "xm", "lxdh"], &["view", "obtain"])).await;
    assert_eq!((status, filed["state"].as_str()), (201, Some("approved")), "{filed}");
    let (token, _) = token_of(&app, "民政局").await;
    let (status, flagged) = app.json(Method::GET, &format!("/api/v1/share/{code}/records/{}", citizen(600)), Some(&token), None).await;
    assert_eq!(status, 200, "served, not refused: {flagged}");
    assert_eq!(flagged["validation"], json!({"lxdh": "invalid_phone"}), "{flagged}");
    assert_eq!(flagged["values"]["lxdh"], "12345", "the value as delivered");
    let (_, clean) = app.json(Method::GET, &format!("/api/v1/share/{code}/records/{}", citizen(1)), Some(&token), None).await;
    assert!(clean.get("validation").is_none(), "a record that passes carries no flags: {clean}");
}

/// LS-18c: in 丽水 restricted data is for the departments it names, or partly for others: an application from a
/// department outside them goes to the provider to decide (marked beyond its scope) instead of being refused, but
/// never beyond the items the entry shares; once approved, the grant serves only those items.
pub async fn ls_18c_an_application_beyond_a_restricted_scope_goes_to_the_provider(app: TestApp) {
    let app = app.sibling("lishui-2020").await;
    let civil = app.department_id("民政局").await;
    let sharing = json!({"attr": "conditional", "ops": ["view"],
        "conditions": [{"kind": "specific_departments", "department_ids": [civil], "use_purpose": "社会救助"},
                       {"kind": "partial_items", "items": ["zjhm", "xm"], "use_purpose": "身份核对"}],
        "basis": [{"instrument": "administrative_regulation", "name": "《社会救助暂行办法》"}]});
    let code = shared_population(&app, "lishui-2020", sharing).await;
    let market = app.login("officer-sj").await;
    let (status, body) = apply(&app, &market, application(&code, &["zjhm", "csrq"], &["view"])).await;
    let fields: Vec<&str> = body["error"]["fields"].as_array().map(|f| f.iter().map(|f| f["field"].as_str().unwrap()).collect()).unwrap_or_default();
    assert!(status == 400 && fields.contains(&"items"), "never beyond the items shared: {body}");
    let (status, filed) = apply(&app, &market, application(&code, &["zjhm", "xm"], &["view"])).await;
    assert_eq!((status, filed["state"].as_str(), filed["beyond_scope"].as_bool()), (201, Some("provider_review"), Some(true)), "{filed}");
    let (status, inside) = apply(&app, &app.login("officer-mz").await, application(&code, &["zjhm", "xm"], &["view"])).await;
    assert_eq!((status, inside["beyond_scope"].as_bool()), (201, Some(false)), "{inside}");
    let (_, page) = app.page("/share".into(), Some(app.login("officer").await), "zh").await;
    assert!(page.contains(&format!("id=\"beyond-scope-{}\"", filed["id"])) && !page.contains(&format!("id=\"beyond-scope-{}\"", inside["id"])), "the provider's console marks it");
    let (status, approved) = answer(&app, &app.login("officer").await, filed["id"].as_i64().unwrap(), json!({"approve": true})).await;
    assert_eq!((status, approved["state"].as_str()), (200, Some("approved")), "the provider decides: {approved}");
    let (token, _) = token_of(&app, "市场监督管理局").await;
    let (status, record) = app.json(Method::GET, &format!("/api/v1/share/{code}/records/{}?grant={}", citizen(2), approved["grant_id"]), Some(&token), None).await;
    assert_eq!(status, 200, "{record}");
    assert_eq!(record["values"].as_object().unwrap().keys().collect::<Vec<_>>(), ["xm", "zjhm"], "the grant serves: {record}");
}

/// LS-19a: in 丽水 a department maps its core business before using other departments' data: an application whose
/// scenario is neither one of its registered business items nor a published scenario is refused, saying so, and
/// nothing is stored; once it registers the business (once: a second registration is a conflict), the application
/// naming it is accepted.
pub async fn ls_19a_an_application_names_a_mapped_business_item(app: TestApp) {
    let app = app.sibling("lishui-2020").await;
    let code = shared_population(&app, "lishui-2020", json!({"attr": "unconditional", "ops": ["view"]})).await;
    let social = app.login("officer-rs").await;
    let mut body = application(&code, &["zjhm", "xm"], &["view"]);
    body["scenario"] = json!("社会保险待遇资格认证");
    let (status, refused) = apply(&app, &social, body.clone()).await;
    assert_eq!((status, refused["error"]["code"].as_str()), (400, Some("business_item_required")), "{refused}");
    assert!(refused["error"]["message"].as_str().unwrap().contains("请先登记核心业务"), "{refused}");
    let (_, listed) = app.json(Method::GET, "/api/v1/share/applications", Some(&social), None).await;
    assert_eq!(listed["total"], 0, "nothing stored: {listed}");
    let item = json!({"name": "社会保险待遇资格认证", "description": "养老保险待遇领取资格认证（《社会保险法》）"});
    let (status, registered) = app.json(Method::POST, "/api/v1/business-items", Some(&social), Some(item.clone())).await;
    assert_eq!(status, 201, "{registered}");
    let (status, _) = app.json(Method::POST, "/api/v1/business-items", Some(&social), Some(item)).await;
    assert_eq!(status, 409, "registered once");
    let (_, mine) = app.json(Method::GET, "/api/v1/business-items", Some(&social), None).await;
    let mine = mine["items"].as_array().unwrap();
    assert!(mine.iter().any(|b| b["name"] == "社会保险待遇资格认证") && mine.iter().all(|b| b["department_id"] == registered["department_id"]), "a department sees its own: {mine:?}");
    let (status, filed) = apply(&app, &social, body).await;
    assert_eq!((status, filed["state"].as_str()), (201, Some("approved")), "{filed}");
    assert_eq!(audit_count(&app, "business_item.register").await, 3, "the two mapped by the test setup and this one");
}

/// FS-31a: a subject decides whether its sensitive data serves a scenario: the provider approves an application as
/// consent-based, and the consumer's system then gets a subject's record only while that subject's consent to the
/// consumer's use in the grant's scenario is in force — refused (and logged) without it, served once the service
/// center records it, refused again after it is revoked; statistics are refused under such a grant.
pub async fn fs_31a_a_consent_based_grant_serves_only_subjects_who_consented(app: TestApp) {
    let app = app.sibling("foshan-2020").await;
    let code = shared_population(&app, "foshan-2020", conditional(&app).await).await;
    let mut batch = application(&code, &["zjhm", "xm"], &["view", "obtain"]);
    batch["mode"] = json!("batch");
    let (_, filed) = apply(&app, &app.login("officer-mz").await, batch).await;
    let (status, body) = answer(&app, &app.login("officer").await, filed["id"].as_i64().unwrap(), json!({"approve": true, "consent_required": true})).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("invalid_approval")), "consent is checked call by call, not by batch: {body}");
    let (_, filed) = apply(&app, &app.login("officer-mz").await, application(&code, &["zjhm", "xm"], &["view"])).await;
    let (status, approved) = answer(&app, &app.login("officer").await, filed["id"].as_i64().unwrap(), json!({"approve": true, "consent_required": true})).await;
    assert_eq!((status, approved["consent_required"].as_bool()), (200, Some(true)), "{approved}");
    let (token, _) = token_of(&app, "民政局").await;
    let record = |n: usize| format!("/api/v1/share/{code}/records/{}", citizen(n));
    let (status, body) = app.json(Method::GET, &record(3), Some(&token), None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (403, Some("share_no_consent")), "no consent yet: {body}");

    let counter = app.login("service").await;
    let consent = json!({"subject_id": citizen(3), "resource_code": code, "department_id": app.department_id("民政局").await, "scenario": "最低生活保障资格审核"});
    let (status, _) = app.json(Method::POST, "/api/v1/consents", Some(&app.login("officer-mz").await), Some(consent.clone())).await;
    assert_eq!(status, 403, "the consumer does not record consent for the subject");
    let (status, bad) = app.json(Method::POST, "/api/v1/consents", Some(&counter), Some(json!({"subject_id": "123", "resource_code": code, "department_id": 1, "scenario": "x"}))).await;
    assert_eq!((status, bad["error"]["code"].as_str()), (400, Some("invalid_subject_id")), "{bad}");
    let (status, given) = app.json(Method::POST, "/api/v1/consents", Some(&counter), Some(consent)).await;
    assert_eq!(status, 201, "{given}");
    let (status, served) = app.json(Method::GET, &record(3), Some(&token), None).await;
    assert_eq!((status, served["values"]["xm"].as_str()), (200, Some("居民3")), "with consent: {served}");
    let (status, _) = app.json(Method::GET, &record(4), Some(&token), None).await;
    assert_eq!(status, 403, "another subject has not consented");
    let stats = json!({"group_by": [], "filters": {}});
    let (status, _) = app.json(Method::POST, &format!("/api/v1/share/{code}/stats"), Some(&token), Some(stats)).await;
    assert_eq!(status, 403, "consent is per subject: no statistics");

    let (status, revoked) = app.json(Method::POST, &format!("/api/v1/consents/{}/revoke", given["id"]), Some(&counter), None).await;
    assert!(status == 200 && revoked["revoked_at"].is_string(), "{revoked}");
    let (status, body) = app.json(Method::GET, &record(3), Some(&token), None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (403, Some("share_no_consent")), "revoked: {body}");
    let (_, listed) = app.json(Method::GET, &format!("/api/v1/consents?subject_id={}", citizen(3)), Some(&counter), None).await;
    assert_eq!(listed["total"], 1, "{listed}");
    assert!(audit_count(&app, "share.denied").await >= 4, "each refusal is logged");
}
