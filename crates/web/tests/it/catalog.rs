//! The catalog through the HTTP API, one test per regulation row it proves, on SQLite and PostgreSQL.

use reqwest::Method;
use serde_json::{json, Value};

use crate::common::TestApp;

/// Content that meets every profile's required fields, adjusted for what `profile` does not have.
pub fn complete(profile: &str, name: &str) -> Value {
    let mut c = json!({
        "name": name,
        "summary": format!("{name}，按日更新"),
        "business_name": "户籍管理",
        "system_name": "人口信息管理系统",
        "source": "人口信息管理系统",
        "format": "table",
        "industry": "公共管理",
        "classification": "人口",
        "coverage_start": "2000-01-01",
        "coverage_regions": ["230500"],
        "update_frequency": "daily",
        "provision_methods": ["api"],
        "sharing": {"attr": "unconditional", "ops": ["view", "compare", "obtain"], "period_months": 12},
        "opening": {"attr": "none", "not_open_reason": "personal_privacy"},
        "authorized_operation": {"status": "not_included"},
        "security_level": "l3",
        "security_requirements": "仅限履职使用",
        "reference_standards": ["GB 11643-1999"],
        "items": [
            {"name": "zjhm", "label": "公民身份号码", "data_type": "string", "format": "18位", "is_key": true, "identifier": "citizen_id", "level": "l4"},
            {"name": "xm", "label": "姓名", "data_type": "string"}
        ]
    });
    if profile != "shuangyashan-2026" {
        c.as_object_mut().unwrap().remove("authorized_operation");
    }
    if profile == "lishui-2020" {
        c["opening"] = json!({"to_public": false});
    }
    c
}

/// An opening with the security review opened data records (SYS-38b), its personal items desensitized (FS-15d).
pub fn opened(mut opening: Value) -> Value {
    opening["security_review"] = security_review();
    opening
}

pub fn security_review() -> Value {
    json!({"passed": true, "reviewer": "安全管理员", "reviewed_on": "2026-11-20", "desensitization": "公民身份号码保留前6位，其余以*替换"})
}

/// Creates an entry as `token` for `provider`; answers its code.
pub async fn create(app: &TestApp, token: &str, provider: i64, content: Value) -> String {
    let (status, body) = app.json(Method::POST, "/api/v1/resources", Some(token), Some(json!({"provider_department_id": provider, "content": content}))).await;
    assert_eq!(status, 201, "{body}");
    body["code"].as_str().unwrap().to_string()
}

pub async fn act(app: &TestApp, token: &str, code: &str, action: &str, body: Value) -> (u16, Value) {
    app.json(Method::POST, &format!("/api/v1/resources/{code}/{action}"), Some(token), Some(body)).await
}

/// A second data officer of `department`, who reviews what the first submits (FS-17b); made once.
pub async fn department_reviewer(app: &TestApp, department: i64) -> String {
    let admin = app.login("admin").await;
    let username = format!("reviewer-{department}");
    let body = json!({"username": username, "display_name": "部门审核员", "password": "reviewer-pass-1", "department_id": department, "roles": ["dept_data_officer"]});
    let (status, _) = app.json(Method::POST, "/api/v1/users", Some(&admin), Some(body)).await;
    assert!(status == 201 || status == 409, "{status}");
    app.login_with(&username, "reviewer-pass-1").await
}

/// Submits and passes every review step with whoever takes it, until published.
pub async fn publish(app: &TestApp, code: &str, submitter: &str) {
    let (status, body) = act(app, submitter, code, "submit", json!({})).await;
    assert_eq!(status, 200, "submit: {body}");
    let admin = app.login("admin").await;
    let service = app.login("service").await;
    for _ in 0..4 {
        let (_, entry) = app.json(Method::GET, &format!("/api/v1/resources/{code}"), Some(&admin), None).await;
        let Some(step) = entry["working"]["step"].as_str() else { break };
        let reviewer = if step == "department_review" { department_reviewer(app, entry["provider"]["id"].as_i64().unwrap()).await } else { String::new() };
        let token = match step {
            "service_check" => &service,
            "department_review" => &reviewer,
            _ => &admin,
        };
        let (mut status, mut body) = act(app, token, code, "pass", json!({})).await;
        if status == 403 && step == "authority_review" {
            // A district with an authority of its own reviews its entries: the demo's is the first district's.
            (status, body) = act(app, &app.login("admin-js").await, code, "pass", json!({})).await;
        }
        assert_eq!(status, 200, "pass {step}: {body}");
    }
    let (_, entry) = app.json(Method::GET, &format!("/api/v1/resources/{code}"), Some(&admin), None).await;
    assert_eq!(entry["state"], "published", "{entry}");
}

fn field_names(body: &Value) -> Vec<String> {
    body["error"]["fields"].as_array().map(|a| a.iter().map(|f| f["field"].as_str().unwrap().to_string()).collect()).unwrap_or_default()
}

/// SYS-12f: submission checks the eighteen items and names each one missing.
pub async fn sys_12a_sys_12f_submission_names_every_missing_field(app: TestApp) {
    let officer = app.login("officer").await;
    let police = app.department_id("公安局").await;
    let mut content = complete("shuangyashan-2026", "户籍人口基本信息");
    content.as_object_mut().unwrap().remove("coverage_regions");
    let code = create(&app, &officer, police, content).await;
    let (status, body) = act(&app, &officer, &code, "submit", json!({})).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("catalog_incomplete")), "{body}");
    assert_eq!(field_names(&body), ["coverage_regions"]);
    assert!(body["error"]["message"].as_str().unwrap().contains("数据覆盖地域"));
    // Nothing moved: the draft is still a draft.
    let (_, entry) = app.json(Method::GET, &format!("/api/v1/resources/{code}"), Some(&officer), None).await;
    assert_eq!(entry["working"]["state"], "draft");
}

/// SYS-12c: a district department's entry goes to its district's authority, not the city's.
pub async fn sys_12c_a_district_entry_is_reviewed_by_its_district_authority(app: TestApp) {
    let admin = app.login("admin").await;
    let district_police = app.department_id("尖山区公安分局").await;
    let mut content = complete("shuangyashan-2026", "尖山区治安管理信息");
    content["coverage_regions"] = json!(["230502"]);
    let code = create(&app, &admin, district_police, content).await;
    let (status, body) = act(&app, &admin, &code, "submit", json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["working"]["step"], "authority_review");
    let (status, body) = act(&app, &admin, &code, "pass", json!({})).await;
    assert_eq!((status, body["error"]["code"].as_str()), (403, Some("forbidden")), "the city authority is not the reviewer: {body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("尖山区"));
    // The demo's administrator of 尖山区数据局.
    let district_admin = app.login("admin-js").await;
    let (_, queue) = app.json(Method::GET, "/api/v1/catalog/queue", Some(&district_admin), None).await;
    assert!(queue["items"].as_array().unwrap().iter().any(|i| i["code"] == code.as_str()), "{queue}");
    let (_, city_queue) = app.json(Method::GET, "/api/v1/catalog/queue", Some(&admin), None).await;
    assert!(!city_queue["items"].as_array().unwrap().iter().any(|i| i["code"] == code.as_str()));
    let (status, body) = act(&app, &district_admin, &code, "pass", json!({"comment": "同意"})).await;
    assert_eq!(status, 200, "{body}");
    // SYS-12d: then the service center checks, then the city re-reviews.
    assert_eq!(body["working"]["step"], "service_check");
}

/// SYS-12d: the service center consolidates, the city authority publishes; the entry is then in the
/// published catalog as revision 1.
pub async fn sys_12d_the_service_center_checks_and_the_city_publishes(app: TestApp) {
    let officer = app.login("officer").await;
    let police = app.department_id("公安局").await;
    let code = create(&app, &officer, police, complete("shuangyashan-2026", "户籍人口基本信息")).await;
    let (_, body) = act(&app, &officer, &code, "submit", json!({})).await;
    assert_eq!(body["working"]["step"], "service_check", "a city entry is checked first: {body}");
    let admin = app.login("admin").await;
    let (status, _) = act(&app, &admin, &code, "pass", json!({})).await;
    assert_eq!(status, 403, "the authority cannot skip the service center's check");
    let (status, body) = act(&app, &app.login("service").await, &code, "pass", json!({"comment": "校核无误"})).await;
    assert_eq!((status, body["working"]["step"].as_str()), (200, Some("authority_review")));
    let (status, body) = act(&app, &admin, &code, "pass", json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!((body["state"].as_str(), body["published"]["rev"].as_i64()), (Some("published"), Some(1)));
    assert!(body["working"].is_null());
    let (_, found) = app.json(Method::GET, "/api/v1/resources?q=户籍人口", Some(&officer), None).await;
    assert_eq!(found["items"][0]["code"], code.as_str(), "{found}");
}

/// LS-9b: only the authority approves; returning needs a reason; approval puts the entry in the city catalog.
pub async fn ls_9b_only_the_authority_approves_and_a_return_needs_reasons(app: TestApp) {
    let app = app.sibling("lishui-2020").await;
    let officer = app.login("officer").await;
    let police = app.department_id("公安局").await;
    let code = create(&app, &officer, police, complete("lishui-2020", "户籍人口基本信息")).await;
    let (status, body) = act(&app, &officer, &code, "submit", json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["working"]["step"], "authority_review", "丽水 has no service-center check");
    assert_eq!(act(&app, &officer, &code, "pass", json!({})).await.0, 403, "a department cannot approve");
    let admin = app.login("admin").await;
    let (status, body) = act(&app, &admin, &code, "return", json!({"reason": "  "})).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("reason_required")));
    let (status, body) = act(&app, &admin, &code, "return", json!({"reason": "摘要过简，请补充"})).await;
    assert_eq!((status, body["working"]["state"].as_str()), (200, Some("returned")));
    let mut content = complete("lishui-2020", "户籍人口基本信息");
    content["summary"] = json!("全市户籍人口的基本信息，含身份号码、姓名，按日更新");
    let (status, _) = app.json(Method::PUT, &format!("/api/v1/resources/{code}"), Some(&officer), Some(json!({"content": content}))).await;
    assert_eq!(status, 200);
    publish(&app, &code, &officer).await;
    let (_, found) = app.json(Method::GET, &format!("/api/v1/resources?provider={police}"), Some(&officer), None).await;
    assert!(found["items"].as_array().unwrap().iter().any(|i| i["code"] == code.as_str()));
    let (_, history) = app.json(Method::GET, &format!("/api/v1/resources/{code}/history"), Some(&admin), None).await;
    let reviews = history["items"][0]["reviews"].as_array().unwrap();
    assert_eq!(reviews[0]["decision"], "return");
    assert_eq!(reviews[0]["reason"], "摘要过简，请补充");
}

/// LS-9c: editing a published entry makes a new revision; the published one stays visible until the new one is
/// approved, then it is in the history with a field-by-field diff.
pub async fn ls_9c_the_published_revision_stays_until_the_new_one_is_approved(app: TestApp) {
    let officer = app.login("officer").await;
    let police = app.department_id("公安局").await;
    let code = create(&app, &officer, police, complete("shuangyashan-2026", "户籍人口基本信息")).await;
    publish(&app, &code, &officer).await;
    let mut v2 = complete("shuangyashan-2026", "户籍人口基本信息");
    v2["summary"] = json!("全市户籍人口基本信息（新增曾用名）");
    v2["items"].as_array_mut().unwrap().push(json!({"name": "cym", "label": "曾用名", "data_type": "string"}));
    let (status, body) = app.json(Method::PUT, &format!("/api/v1/resources/{code}"), Some(&officer), Some(json!({"content": v2, "note": "增加曾用名"}))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!((body["working"]["rev"].as_i64(), body["published"]["rev"].as_i64()), (Some(2), Some(1)));
    let mz = app.login("officer-mz").await;
    let (_, seen) = app.json(Method::GET, &format!("/api/v1/resources/{code}"), Some(&mz), None).await;
    assert_eq!(seen["published"]["content"]["items"].as_array().unwrap().len(), 2, "others still see revision 1");
    assert!(seen["working"].is_null(), "and not the draft");
    publish(&app, &code, &officer).await;
    let (_, seen) = app.json(Method::GET, &format!("/api/v1/resources/{code}"), Some(&mz), None).await;
    assert_eq!(seen["published"]["rev"], 2);
    let (_, history) = app.json(Method::GET, &format!("/api/v1/resources/{code}/history"), Some(&mz), None).await;
    let revisions = history["items"].as_array().unwrap();
    assert_eq!(revisions.len(), 2);
    assert_eq!(revisions[0]["state"], "superseded");
    let changes: Vec<&str> = revisions[1]["changes"].as_array().unwrap().iter().map(|c| c["field"].as_str().unwrap()).collect();
    assert_eq!(changes, ["items[cym]", "summary"]);
}

/// SYS-25b, SYS-25c: the share attribute is stated at submission; conditional and not-shared data cite a legal
/// basis, and conditional data states its conditions.
pub async fn sys_25b_sys_25c_restrictive_attributes_cite_a_basis_and_conditions(app: TestApp) {
    let officer = app.login("officer").await;
    let police = app.department_id("公安局").await;
    let mut content = complete("shuangyashan-2026", "违法犯罪人员信息");
    content["sharing"] = json!({"attr": "conditional", "ops": ["compare"]});
    let code = create(&app, &officer, police, content.clone()).await;
    let (status, body) = act(&app, &officer, &code, "submit", json!({})).await;
    assert_eq!(status, 400);
    assert_eq!(field_names(&body), ["sharing.conditions", "sharing.basis"]);
    content["sharing"]["conditions"] = json!([{"kind": "compare_only", "compare_method": "按公民身份号码比对", "use_purpose": "政审"}]);
    content["sharing"]["basis"] = json!([{"instrument": "law", "name": "《中华人民共和国个人信息保护法》", "article": "第三十四条"}]);
    let (status, _) = app.json(Method::PUT, &format!("/api/v1/resources/{code}"), Some(&officer), Some(json!({"content": content}))).await;
    assert_eq!(status, 200);
    assert_eq!(act(&app, &officer, &code, "submit", json!({})).await.0, 200);

    let mut unstated = complete("shuangyashan-2026", "出入境证件信息");
    unstated["sharing"] = json!({});
    let code = create(&app, &officer, police, unstated).await;
    let (_, body) = act(&app, &officer, &code, "submit", json!({})).await;
    assert_eq!(field_names(&body), ["share_attr"], "SYS-25b: the attribute must be stated");
}

/// SYS-21, SYS-25c: sharing is the norm: an entry whose conditions are not stated is treated as unconditional.
pub async fn sys_21_sys_25c_unstated_conditions_are_treated_as_unconditional(app: TestApp) {
    let admin = app.login("admin").await;
    let police = app.department_id("公安局").await;
    let mut content = complete("shuangyashan-2026", "旧目录导入条目");
    content["sharing"] = json!({"attr": "conditional"});
    let code = create(&app, &admin, police, content).await;
    let (_, body) = app.json(Method::GET, &format!("/api/v1/resources/{code}"), Some(&admin), None).await;
    assert_eq!(body["working"]["content"]["sharing"]["attr"], "conditional");
    assert_eq!(body["working"]["effective_share_attr"], "unconditional");
}

/// SYS-26: a downgrade waits for the same-level authority; meanwhile the published attribute stays in force, and
/// a rejection keeps it.
pub async fn sys_26_a_share_downgrade_waits_for_the_authority(app: TestApp) {
    let officer = app.login("officer").await;
    let police = app.department_id("公安局").await;
    let code = create(&app, &officer, police, complete("shuangyashan-2026", "机动车登记信息")).await;
    publish(&app, &code, &officer).await;
    let restricted = json!({
        "sharing": {"attr": "conditional", "ops": ["view"],
                    "conditions": [{"kind": "view_only", "view_method": "平台内查阅", "use_purpose": "交通执法"}],
                    "basis": [{"instrument": "administrative_regulation", "name": "《中华人民共和国道路交通安全法实施条例》"}]},
        "opening": {"attr": "none", "not_open_reason": "personal_privacy"},
        "note": "涉及个人信息"
    });
    let (status, body) = act(&app, &officer, &code, "attributes", restricted.clone()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["published"]["content"]["sharing"]["attr"], "unconditional", "still unconditional until reviewed");
    assert_eq!((body["working"]["kind"].as_str(), body["working"]["downgrade"].as_bool()), (Some("attribute_change"), Some(true)));
    let (_, found) = app.json(Method::GET, "/api/v1/resources?share_attr=unconditional", Some(&officer), None).await;
    assert!(found["items"].as_array().unwrap().iter().any(|i| i["code"] == code.as_str()));
    let admin = app.login("admin").await;
    let (status, _) = act(&app, &admin, &code, "return", json!({"reason": "依据不足"})).await;
    assert_eq!(status, 200);
    let (_, body) = app.json(Method::GET, &format!("/api/v1/resources/{code}"), Some(&admin), None).await;
    assert_eq!(body["published"]["content"]["sharing"]["attr"], "unconditional", "a rejection keeps it unconditional");
    // Once the returned change is resubmitted and approved, it takes effect.
    assert_eq!(act(&app, &officer, &code, "submit", json!({})).await.0, 200);
    let (status, body) = act(&app, &admin, &code, "pass", json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["published"]["content"]["sharing"]["attr"], "conditional");
    let (_, found) = app.json(Method::GET, "/api/v1/resources?share_attr=conditional", Some(&officer), None).await;
    assert!(found["items"].as_array().unwrap().iter().any(|i| i["code"] == code.as_str()), "the index follows");
}

/// SYS-25d, SYS-25e: an upgrade applies at once, but raising data out of 不予共享 needs evidence.
pub async fn sys_25d_sys_25e_leaving_not_shared_needs_evidence_and_upgrades_apply_at_once(app: TestApp) {
    let officer = app.login("officer").await;
    let police = app.department_id("公安局").await;
    let mut content = complete("shuangyashan-2026", "刑事案件信息");
    content["sharing"] = json!({"attr": "none", "basis": [{"instrument": "law", "name": "《中华人民共和国刑事诉讼法》"}]});
    let code = create(&app, &officer, police, content).await;
    publish(&app, &code, &officer).await;
    let upgrade = json!({
        "sharing": {"attr": "conditional", "ops": ["stats"],
                    "conditions": [{"kind": "statistics_only", "data_status_description": "按区县、案件类别统计的案件数", "use_purpose": "社会治安分析"}],
                    "basis": [{"instrument": "law", "name": "《中华人民共和国刑事诉讼法》"}]},
        "opening": {"attr": "none", "not_open_reason": "public_security"}
    });
    let (status, body) = act(&app, &officer, &code, "attributes", upgrade.clone()).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("evidence_required")));
    let mut with_evidence = upgrade;
    with_evidence["evidence"] = json!("脱敏处理记录 TM-2026-031：仅保留统计口径字段");
    let (status, body) = act(&app, &officer, &code, "attributes", with_evidence).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["published"]["content"]["sharing"]["attr"], "conditional", "an upgrade is published at once");
    assert!(body["working"].is_null());
}

/// SYS-36d, SYS-37a: the open attribute is stated, and data not opened says why.
pub async fn sys_36d_sys_37a_the_open_attribute_is_stated_and_not_opened_says_why(app: TestApp) {
    let officer = app.login("officer").await;
    let police = app.department_id("公安局").await;
    let mut content = complete("shuangyashan-2026", "重点人员信息");
    content["opening"] = json!({});
    let code = create(&app, &officer, police, content.clone()).await;
    let (_, body) = act(&app, &officer, &code, "submit", json!({})).await;
    assert_eq!(field_names(&body), ["open_attr"], "SYS-36d: the open type is stated");
    content["opening"] = json!({"attr": "none"});
    app.json(Method::PUT, &format!("/api/v1/resources/{code}"), Some(&officer), Some(json!({"content": content}))).await;
    let (_, body) = act(&app, &officer, &code, "submit", json!({})).await;
    assert_eq!(field_names(&body), ["opening.not_open_reason"]);
}

/// SYS-37b: lowering an open attribute waits for review; the data stays open meanwhile.
pub async fn sys_37b_an_open_downgrade_waits_for_review(app: TestApp) {
    let officer = app.login("officer-sj").await;
    let market = app.department_id("市场监督管理局").await;
    let mut content = complete("shuangyashan-2026", "企业登记信息");
    content["opening"] = opened(json!({"attr": "unconditional", "ops": ["bulk_obtain"], "scope": "全市登记企业"}));
    let code = create(&app, &officer, market, content).await;
    publish(&app, &code, &officer).await;
    let (_, open) = app.json(Method::GET, "/api/v1/open/resources", None, None).await;
    assert!(open["items"].as_array().unwrap().iter().any(|i| i["code"] == code.as_str()), "{open}");
    let (status, body) = act(&app, &officer, &code, "attributes", json!({
        "sharing": {"attr": "unconditional", "ops": ["view", "compare", "obtain"], "period_months": 12},
        "opening": {"attr": "none", "not_open_reason": "trade_secret"}
    }))
    .await;
    assert_eq!((status, body["working"]["downgrade"].as_bool()), (200, Some(true)), "{body}");
    let (status, _) = app.json(Method::GET, &format!("/api/v1/open/resources/{code}"), None, None).await;
    assert_eq!(status, 200, "still open until the authority decides");
}

/// LS-9d, SYS-12b: a district's entries form its supplementary catalog, shown as such in the city catalog.
pub async fn ls_9d_sys_12b_district_entries_form_a_supplementary_catalog(app: TestApp) {
    let admin = app.login("admin").await;
    let district_civil = app.department_id("岭东区民政局").await;
    let mut content = complete("shuangyashan-2026", "岭东区低保对象信息");
    content["coverage_regions"] = json!(["230503"]);
    let code = create(&app, &admin, district_civil, content).await;
    publish(&app, &code, &admin).await;
    let (_, district) = app.json(Method::GET, "/api/v1/resources?region=230503", Some(&admin), None).await;
    assert_eq!(district["total"], 1, "{district}");
    assert_eq!((district["items"][0]["code"].as_str(), district["items"][0]["supplementary"].as_bool()), (Some(code.as_str()), Some(true)));
    assert_eq!(district["facets"]["region"][0]["label"], "岭东区");
}

/// LS-9e, SYS-36c: the open catalog is public; entries not opened are not in it.
pub async fn ls_9e_the_open_catalog_is_public(app: TestApp) {
    let officer = app.login("officer-sj").await;
    let market = app.department_id("市场监督管理局").await;
    let mut open = complete("shuangyashan-2026", "个体工商户登记信息");
    open["opening"] = opened(json!({"attr": "conditional", "ops": ["query"], "conditions": {"recipients": "注册用户", "purposes": "商业分析"}}));
    let open_code = create(&app, &officer, market, open).await;
    let closed_code = create(&app, &officer, market, complete("shuangyashan-2026", "企业年报信息")).await;
    publish(&app, &open_code, &officer).await;
    publish(&app, &closed_code, &officer).await;
    let (status, list) = app.json(Method::GET, "/api/v1/open/resources", None, None).await;
    assert_eq!(status, 200);
    let codes: Vec<&str> = list["items"].as_array().unwrap().iter().map(|i| i["code"].as_str().unwrap()).collect();
    assert!(codes.contains(&open_code.as_str()) && !codes.contains(&closed_code.as_str()), "{codes:?}");
    assert_eq!(app.json(Method::GET, &format!("/api/v1/open/resources/{closed_code}"), None, None).await.0, 404);
    assert_eq!(app.json(Method::GET, &format!("/api/v1/resources/{open_code}"), None, None).await.0, 401, "the full catalog needs sign-in");
}

/// LS-18a, YZ-14a: the share attribute is one of three; another regime's words are refused.
pub async fn ls_18a_yz_14a_cs_22a_the_share_attribute_is_one_of_three(app: TestApp) {
    let officer = app.login("officer").await;
    let police = app.department_id("公安局").await;
    let mut content = complete("shuangyashan-2026", "测试");
    content["sharing"]["attr"] = json!("有条件共享");
    let (status, body) = app.json(Method::POST, "/api/v1/resources", Some(&officer), Some(json!({"provider_department_id": police, "content": content}))).await;
    assert_eq!((status, body["error"]["code"].as_str()), (422, Some("invalid_body")), "{body}");
    assert_eq!(app.json(Method::GET, "/api/v1/resources?state=draft", Some(&officer), None).await.1["total"], 0, "nothing was stored");

    // 长沙 (CS-22a): an entry that states no share type is not submitted, let alone published.
    let app = app.sibling("changsha-2021").await;
    let officer = app.login("officer").await;
    let mut content = complete("changsha-2021", "测试");
    content["sharing"].as_object_mut().unwrap().remove("attr");
    let code = create(&app, &officer, app.department_id("公安局").await, content).await;
    let (status, body) = act(&app, &officer, &code, "submit", json!({})).await;
    assert_eq!((status, body["error"]["code"].as_str(), field_names(&body)), (400, Some("catalog_incomplete"), vec!["share_attr".to_string()]), "{body}");
}

/// CS-21a, YZ-13, LS-16a: sharing is the rule and not sharing the exception. In 丽水 an entry not shared states its
/// basis (one without is not submitted); the supervision report shows each department's published entries by share
/// attribute, the share not shared, and lists those entries — to the authority, on the API and the console, and not
/// to a department.
pub async fn cs_21a_yz_13_ls_16a_the_report_shows_each_departments_entries_not_shared(app: TestApp) {
    let app = app.sibling("lishui-2020").await;
    let (officer, admin) = (app.login("officer").await, app.login("admin").await);
    let police = app.department_id("公安局").await;
    let path = "/api/v1/catalog/reports/departments";
    let police_row = |report: Value| {
        let none = json!({"entries": 0, "unconditional_entries": 0, "conditional_entries": 0, "not_shared_entries": 0});
        report["items"].as_array().unwrap().iter().find(|d| d["department_id"] == police).cloned().unwrap_or(none)
    };
    let (status, before) = app.json(Method::GET, path, Some(&admin), None).await;
    assert_eq!(status, 200, "{before}");
    let before = police_row(before);

    let mut secret = complete("lishui-2020", "警务工作信息");
    secret["sharing"] = json!({"attr": "none"});
    let not_shared = create(&app, &officer, police, secret.clone()).await;
    let (status, body) = act(&app, &officer, &not_shared, "submit", json!({})).await;
    assert_eq!((status, body["error"]["code"].as_str(), field_names(&body)), (400, Some("catalog_incomplete"), vec!["sharing.basis".to_string()]), "{body}");
    secret["sharing"]["basis"] = json!([{"instrument": "law", "name": "《中华人民共和国保守国家秘密法》", "article": "第九条"}]);
    let (status, body) = app.json(Method::PUT, &format!("/api/v1/resources/{not_shared}"), Some(&officer), Some(json!({"content": secret}))).await;
    assert_eq!(status, 200, "{body}");
    publish(&app, &not_shared, &officer).await;
    for name in ["户籍人口信息", "居住证信息"] {
        let code = create(&app, &officer, police, complete("lishui-2020", name)).await;
        publish(&app, &code, &officer).await;
    }
    let mut restricted = complete("lishui-2020", "流动人口信息");
    restricted["sharing"] = crate::sharing::conditional(&app).await;
    let code = create(&app, &officer, police, restricted).await;
    publish(&app, &code, &officer).await;

    let (_, after) = app.json(Method::GET, path, Some(&admin), None).await;
    let after = police_row(after);
    let grew = |k: &str| after[k].as_i64().unwrap() - before[k].as_i64().unwrap();
    assert_eq!((grew("entries"), grew("unconditional_entries"), grew("conditional_entries"), grew("not_shared_entries")), (4, 2, 1, 1), "{after}");
    let share = |k: &str| (after[k].as_f64().unwrap() * 1000.0 / after["entries"].as_f64().unwrap()).round() / 10.0;
    assert_eq!((after["not_shared_percent"].as_f64(), after["conditional_percent"].as_f64()), (Some(share("not_shared_entries")), Some(share("conditional_entries"))), "{after}");
    assert!(after["not_shared_codes"].as_array().unwrap().iter().any(|c| c == not_shared.as_str()), "the entry is listed: {after}");
    assert_eq!(app.json(Method::GET, path, Some(&officer), None).await.0, 403, "a department does not see the report");
    let (status, page) = app.page("/catalog/governance".into(), Some(admin), "zh").await;
    assert_eq!(status, 200);
    let table = page.split("id=\"share-types\"").nth(1).unwrap_or_else(|| panic!("the console shows the report: {page}"));
    assert!(page.contains("各部门共享属性分布"), "titled");
    assert!(table.contains(&format!("/catalog/{not_shared}")), "the entry not shared is linked for review");
}

/// LS-18c, FS-14a..e: a conditional entry states executable conditions of FS-14's kinds, each complete.
pub async fn fs_14a_conditional_sharing_states_executable_conditions(app: TestApp) {
    let app = app.sibling("foshan-2020").await;
    let officer = app.login("officer-mz").await;
    let civil = app.department_id("民政局").await;
    let mut content = complete("foshan-2020", "婚姻登记信息");
    content["sharing"] = json!({"attr": "conditional", "ops": ["view", "compare"], "basis": [{"instrument": "rule", "name": "《婚姻登记条例》"}],
        "conditions": [
            {"kind": "specific_departments", "department_ids": [], "use_purpose": "社会救助"},
            {"kind": "view_only", "view_method": "", "use_purpose": "户籍核查"},
            {"kind": "compare_only", "compare_method": "按身份证号比对婚姻状况", "use_purpose": ""},
            {"kind": "statistics_only", "data_status_description": "", "use_purpose": "人口统计"}
        ]});
    let code = create(&app, &officer, civil, content.clone()).await;
    let (_, body) = act(&app, &officer, &code, "submit", json!({})).await;
    assert_eq!(
        field_names(&body),
        [
            "sharing.conditions[0].department_ids",
            "sharing.conditions[1].view_method",
            "sharing.conditions[2].use_purpose",
            "sharing.conditions[3].data_status_description"
        ]
    );
    let police = app.department_id("公安局").await;
    content["sharing"]["conditions"] = json!([
        {"kind": "specific_departments", "department_ids": [police], "use_purpose": "户籍管理"},
        {"kind": "view_only", "view_method": "平台内查阅，不提供下载", "use_purpose": "户籍核查"}
    ]);
    app.json(Method::PUT, &format!("/api/v1/resources/{code}"), Some(&officer), Some(json!({"content": content}))).await;
    let (status, body) = act(&app, &officer, &code, "submit", json!({})).await;
    assert_eq!(status, 200, "{body}");
}

/// FS-12d, FS-13a, FS-15a: share and open attributes are stated and come with their data operations; data not
/// shared has none.
pub async fn fs_12d_fs_13a_fs_15a_attributes_come_with_their_operations(app: TestApp) {
    let app = app.sibling("foshan-2020").await;
    let officer = app.login("officer").await;
    let police = app.department_id("公安局").await;
    let mut content = complete("foshan-2020", "户籍人口基本信息");
    content["sharing"]["ops"] = json!([]);
    content["opening"] = opened(json!({"attr": "unconditional"}));
    let code = create(&app, &officer, police, content.clone()).await;
    let (_, body) = act(&app, &officer, &code, "submit", json!({})).await;
    assert_eq!(field_names(&body), ["share_ops", "open_ops"]);
    let mut unstated = content.clone();
    unstated["opening"] = json!({});
    let other = create(&app, &officer, police, unstated).await;
    let (_, body) = act(&app, &officer, &other, "submit", json!({})).await;
    assert!(field_names(&body).contains(&"open_attr".to_string()), "FS-12d: {body}");
    content["sharing"] = json!({"attr": "none", "ops": ["view"], "basis": [{"instrument": "law", "name": "《中华人民共和国居民身份证法》"}]});
    content["opening"] = json!({"attr": "none", "not_open_reason": "personal_privacy"});
    app.json(Method::PUT, &format!("/api/v1/resources/{code}"), Some(&officer), Some(json!({"content": content}))).await;
    let (_, body) = act(&app, &officer, &code, "submit", json!({})).await;
    assert_eq!(field_names(&body), ["sharing.ops"], "不予共享 has no operations");
}

/// FS-13d, SYS-24: entries not shared are listed with the regime's word for it, so departments know the data
/// exists, with no working revision shown to others.
pub async fn fs_13d_sys_24_entries_not_shared_are_visible_as_existing(app: TestApp) {
    let officer = app.login("officer").await;
    let police = app.department_id("公安局").await;
    let mut content = complete("shuangyashan-2026", "技侦信息");
    content["sharing"] = json!({"attr": "none", "basis": [{"instrument": "law", "name": "《中华人民共和国人民警察法》"}]});
    let code = create(&app, &officer, police, content).await;
    publish(&app, &code, &officer).await;
    let mz = app.login("officer-mz").await;
    let (_, found) = app.json(Method::GET, "/api/v1/resources?share_attr=none", Some(&mz), None).await;
    let item = found["items"].as_array().unwrap().iter().find(|i| i["code"] == code.as_str()).expect("listed").clone();
    assert_eq!(item["share_attr"], "none");
    let none = found["facets"]["share_attr"].as_array().unwrap().iter().find(|f| f["value"] == "none").unwrap().clone();
    assert_eq!(none["label"], "不予共享");
}

/// YZ-7b: 鄞州's nine fields; a missing 共享期限 is named.
pub async fn yz_7b_nine_fields_are_required(app: TestApp) {
    let app = app.sibling("yinzhou-2023").await;
    let officer = app.login("officer").await;
    let police = app.department_id("公安局").await;
    let mut content = complete("yinzhou-2023", "户籍人口基本信息");
    content["sharing"].as_object_mut().unwrap().remove("period_months");
    content.as_object_mut().unwrap().remove("system_name");
    let code = create(&app, &officer, police, content).await;
    let (_, body) = act(&app, &officer, &code, "submit", json!({})).await;
    assert_eq!(field_names(&body), ["system_name", "share_period"]);
    assert!(body["error"]["message"].as_str().unwrap().contains("共享期限"));
}

/// YZ-14b: restricted sharing states its reason as well as its conditions.
pub async fn yz_14b_restricted_sharing_states_a_reason(app: TestApp) {
    let app = app.sibling("yinzhou-2023").await;
    let officer = app.login("officer").await;
    let police = app.department_id("公安局").await;
    let mut content = complete("yinzhou-2023", "流动人口信息");
    content["sharing"] = json!({"attr": "conditional", "ops": ["view"], "period_months": 12,
        "conditions": [{"kind": "specific_departments", "department_ids": [police], "use_purpose": "流动人口管理"}]});
    let code = create(&app, &officer, police, content.clone()).await;
    let (_, body) = act(&app, &officer, &code, "submit", json!({})).await;
    assert_eq!(field_names(&body), ["share_restriction_reason"], "鄞州 asks no basis for 受限共享, but a reason");
    content["sharing"]["restriction_reason"] = json!("涉及个人住址");
    app.json(Method::PUT, &format!("/api/v1/resources/{code}"), Some(&officer), Some(json!({"content": content}))).await;
    assert_eq!(act(&app, &officer, &code, "submit", json!({})).await.0, 200);
}

/// YZ-14c: 不共享 rests on a law, regulation, rule or national provision; an internal opinion is no basis.
pub async fn yz_14c_not_shared_rests_on_a_legal_instrument(app: TestApp) {
    let app = app.sibling("yinzhou-2023").await;
    let officer = app.login("officer").await;
    let police = app.department_id("公安局").await;
    let mut content = complete("yinzhou-2023", "警务工作信息");
    content["sharing"] = json!({"attr": "none", "period_months": 12, "basis": [{"instrument": "internal_opinion", "name": "部门内部意见"}]});
    let (status, body) = app.json(Method::POST, "/api/v1/resources", Some(&officer), Some(json!({"provider_department_id": police, "content": content}))).await;
    assert_eq!(status, 422, "{body}");
    content["sharing"]["basis"] = json!([]);
    let code = create(&app, &officer, police, content.clone()).await;
    let (_, body) = act(&app, &officer, &code, "submit", json!({})).await;
    assert_eq!(field_names(&body), ["sharing.basis"]);
    content["sharing"]["basis"] = json!([{"instrument": "national_provision", "name": "《公安机关执法细则》", "article": "第十二条"}]);
    app.json(Method::PUT, &format!("/api/v1/resources/{code}"), Some(&officer), Some(json!({"content": content}))).await;
    assert_eq!(act(&app, &officer, &code, "submit", json!({})).await.0, 200);
}

/// CS-16a: 长沙's guide fields; a missing 安全等级 is named.
pub async fn cs_16a_the_guide_fields_are_required(app: TestApp) {
    let app = app.sibling("changsha-2021").await;
    let officer = app.login("officer").await;
    let police = app.department_id("公安局").await;
    let mut content = complete("changsha-2021", "户籍人口基本信息");
    content.as_object_mut().unwrap().remove("security_level");
    let code = create(&app, &officer, police, content).await;
    let (_, body) = act(&app, &officer, &code, "submit", json!({})).await;
    assert_eq!(field_names(&body), ["security_level"]);
}

/// CS-16b: a department keeps both an information-resource and a data-resource catalog; an update is version 2
/// with version 1 in the history.
pub async fn cs_16b_information_and_data_catalogs_are_both_kept(app: TestApp) {
    let app = app.sibling("changsha-2021").await;
    let officer = app.login("officer").await;
    let police = app.department_id("公安局").await;
    let mut info = complete("changsha-2021", "户籍管理业务信息");
    info["catalog_kind"] = json!("information");
    let info_code = create(&app, &officer, police, info).await;
    let data_code = create(&app, &officer, police, complete("changsha-2021", "户籍人口基本信息")).await;
    publish(&app, &info_code, &officer).await;
    publish(&app, &data_code, &officer).await;
    let (_, list) = app.json(Method::GET, &format!("/api/v1/resources?provider={police}"), Some(&officer), None).await;
    let kinds: Vec<&str> = list["items"].as_array().unwrap().iter().map(|i| i["catalog_kind"].as_str().unwrap()).collect();
    assert!(kinds.contains(&"information") && kinds.contains(&"data"), "{kinds:?}");
    let mut v2 = complete("changsha-2021", "户籍人口基本信息");
    v2["update_frequency"] = json!("real_time");
    app.json(Method::PUT, &format!("/api/v1/resources/{data_code}"), Some(&officer), Some(json!({"content": v2}))).await;
    publish(&app, &data_code, &officer).await;
    let (_, history) = app.json(Method::GET, &format!("/api/v1/resources/{data_code}/history"), Some(&officer), None).await;
    assert_eq!(history["total"], 2);
}

/// FS-17a: withdrawing or obsoleting an entry needs a reason, and the audit log keeps it.
pub async fn fs_17a_removing_an_entry_needs_a_reason_kept_in_the_audit_log(app: TestApp) {
    let officer = app.login("officer").await;
    let police = app.department_id("公安局").await;
    let code = create(&app, &officer, police, complete("shuangyashan-2026", "暂住人口信息")).await;
    publish(&app, &code, &officer).await;
    let (status, body) = act(&app, &officer, &code, "withdraw", json!({"reason": ""})).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("reason_required")));
    let (status, body) = act(&app, &officer, &code, "withdraw", json!({"reason": "已并入流动人口信息"})).await;
    assert_eq!((status, body["state"].as_str()), (200, Some("withdrawn")));
    let (_, found) = app.json(Method::GET, "/api/v1/resources?q=暂住人口", Some(&officer), None).await;
    assert_eq!(found["total"], 0, "a withdrawn entry leaves the catalog");
    let admin = app.login("admin").await;
    assert_eq!(act(&app, &officer, &code, "obsolete", json!({"reason": "x"})).await.0, 403, "only the authority marks obsolete");
    assert_eq!(act(&app, &admin, &code, "obsolete", json!({"reason": "业务已撤销"})).await.0, 200);
    let (status, body) = app.json(Method::PUT, &format!("/api/v1/resources/{code}"), Some(&officer), Some(json!({"content": complete("shuangyashan-2026", "暂住人口信息")}))).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("obsolete")));
    let auditor = app.login("auditor").await;
    let (_, events) = app.json(Method::GET, &format!("/api/v1/audit/events?object_id={code}&limit=50"), Some(&auditor), None).await;
    let actions: Vec<(&str, &str)> =
        events["items"].as_array().unwrap().iter().map(|e| (e["action"].as_str().unwrap(), e["purpose"].as_str().unwrap())).collect();
    assert!(actions.contains(&("resource.withdraw", "已并入流动人口信息")), "{actions:?}");
    assert!(actions.contains(&("resource.obsolete", "业务已撤销")));
}

/// FS-18a, LS-9a: the authority's list of required fields applies to the next submission.
pub async fn fs_18a_ls_9a_the_authoritys_schema_applies_to_the_next_submission(app: TestApp) {
    let officer = app.login("officer").await;
    let police = app.department_id("公安局").await;
    let mut content = complete("shuangyashan-2026", "户籍人口基本信息");
    content.as_object_mut().unwrap().remove("reference_standards");
    let code = create(&app, &officer, police, content).await;
    let admin = app.login("admin").await;
    let (_, mut schema) = app.json(Method::GET, "/api/v1/catalog/schema", Some(&officer), None).await;
    schema["required"].as_array_mut().unwrap().push(json!("reference_standards"));
    let schema = json!({"required": schema["required"]});
    let (status, _) = app.json(Method::PUT, "/api/v1/catalog/schema", Some(&officer), Some(schema.clone())).await;
    assert_eq!(status, 403, "only the authority sets it");
    let (status, body) = app.json(Method::PUT, "/api/v1/catalog/schema", Some(&admin), Some(json!({"required": ["summary"]}))).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("field_cannot_be_optional")));
    let (status, _) = app.json(Method::PUT, "/api/v1/catalog/schema", Some(&admin), Some(schema)).await;
    assert_eq!(status, 200);
    let (_, body) = act(&app, &officer, &code, "submit", json!({})).await;
    assert_eq!(field_names(&body), ["reference_standards"]);
}

/// The contract: `GET /api/v1/resources?q=…&provider=…&share_attr=…&open_attr=…` answers items, total and facets.
pub async fn catalog_search_answers_items_total_and_facets(app: TestApp) {
    let officer = app.login("officer").await;
    let police = app.department_id("公安局").await;
    let sj = app.login("officer-sj").await;
    let market = app.department_id("市场监督管理局").await;
    let a = create(&app, &officer, police, complete("shuangyashan-2026", "户籍人口基本信息")).await;
    let mut b = complete("shuangyashan-2026", "企业登记信息");
    b["items"] = json!([{"name": "tyshxydm", "label": "统一社会信用代码", "data_type": "string", "identifier": "uscc"}]);
    b["opening"] = opened(json!({"attr": "unconditional", "ops": ["bulk_obtain"]}));
    let b = create(&app, &sj, market, b).await;
    publish(&app, &a, &officer).await;
    publish(&app, &b, &sj).await;
    let (status, page) = app.json(Method::GET, &format!("/api/v1/resources?q=信息&provider={market}&share_attr=unconditional&open_attr=unconditional"), Some(&officer), None).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!((page["total"].as_i64(), page["items"][0]["code"].as_str()), (Some(1), Some(b.as_str())));
    for dimension in ["provider", "region", "industry", "share_attr", "open_attr", "format", "security_level"] {
        assert!(page["facets"][dimension].is_array(), "facet {dimension}: {page}");
    }
    let (_, by_item) = app.json(Method::GET, "/api/v1/resources?q=统一社会信用代码", Some(&officer), None).await;
    assert_eq!(by_item["items"][0]["code"], b.as_str(), "items are searched");
    let (status, body) = app.json(Method::GET, "/api/v1/resources?share_attr=restricted", Some(&officer), None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("invalid_query")));
    let (status, _) = app.json(Method::GET, "/api/v1/resources?q=%22%28%28%2A%3A%2A", Some(&officer), None).await;
    assert_eq!(status, 200, "search text is never syntax");
}

/// The review deadline and update obligations on fixed days of 2026 (the clock is set).
/// SYS-13b: the authority publishes an update within 2 working days of receiving it; later it is overdue.
pub async fn sys_13b_review_is_due_two_working_days_after_receipt(app: TestApp) {
    app.clock.set_day("2026-03-16");
    let officer = app.login("officer").await;
    let police = app.department_id("公安局").await;
    let code = create(&app, &officer, police, complete("shuangyashan-2026", "户籍人口基本信息")).await;
    let (_, body) = act(&app, &officer, &code, "submit", json!({})).await;
    assert_eq!((body["working"]["review_due"].as_str(), body["working"]["overdue"].as_bool()), (Some("2026-03-18"), Some(false)));
    app.clock.set_day("2026-03-18");
    let service = app.login("service").await;
    let (_, queue) = app.json(Method::GET, "/api/v1/catalog/queue", Some(&service), None).await;
    assert_eq!(queue["items"][0]["working"]["overdue"], false, "the last day is on time");
    // Sessions last hours, so a day later everyone signs in again.
    app.clock.set_day("2026-03-19");
    let service = app.login("service").await;
    let (_, queue) = app.json(Method::GET, "/api/v1/catalog/queue", Some(&service), None).await;
    assert_eq!(queue["items"][0]["working"]["overdue"], true, "overdue the day after");
}

/// SYS-13a: after a change of law the department updates its catalog within 10 working days; submitting on the
/// last day is on time, and an obligation left open is overdue the day after.
pub async fn sys_13a_a_catalog_update_is_due_ten_working_days_after_a_change(app: TestApp) {
    app.clock.set_day("2026-03-16");
    let admin = app.login("admin").await;
    let police = app.department_id("公安局").await;
    let civil = app.department_id("市民政局").await;
    for dept in [police, civil] {
        let (status, body) = app
            .json(Method::POST, "/api/v1/catalog/obligations", Some(&admin), Some(json!({"department_id": dept, "cause": "law_change", "description": "《户口登记条例》修订", "occurred_on": "2026-03-02"})))
            .await;
        assert_eq!(status, 201, "{body}");
        assert_eq!(body["due_on"], "2026-03-16");
    }
    let officer = app.login("officer").await;
    let code = create(&app, &officer, police, complete("shuangyashan-2026", "户籍人口基本信息")).await;
    assert_eq!(act(&app, &officer, &code, "submit", json!({})).await.0, 200);
    app.clock.set_day("2026-03-17");
    let (admin, officer) = (app.login("admin").await, app.login("officer").await);
    let (_, list) = app.json(Method::GET, "/api/v1/catalog/obligations", Some(&admin), None).await;
    let of = |dept: i64| list["items"].as_array().unwrap().iter().find(|o| o["department_id"] == dept).unwrap().clone();
    assert_eq!((of(police)["fulfilled_on"].as_str(), of(police)["overdue"].as_bool()), (Some("2026-03-16"), Some(false)));
    assert_eq!(of(police)["fulfilled_by"], code.as_str());
    assert_eq!((of(civil)["fulfilled_on"].as_str(), of(civil)["overdue"].as_bool()), (None, Some(true)));
    let (_, own) = app.json(Method::GET, "/api/v1/catalog/obligations", Some(&officer), None).await;
    assert_eq!(own["total"], 1, "a department sees its own");
    let (status, body) = app
        .json(Method::POST, "/api/v1/catalog/obligations", Some(&admin), Some(json!({"department_id": police, "cause": "weather", "description": "x", "occurred_on": "2026-03-02"})))
        .await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("invalid_cause")));
}

/// CS-16c: 长沙 counts 15 working days, and only a published update fulfils the obligation.
pub async fn cs_16c_an_update_is_due_fifteen_working_days_after_a_change_and_counts_once_published(app: TestApp) {
    let app = app.sibling("changsha-2021").await;
    app.clock.set_day("2024-03-22");
    let admin = app.login("admin").await;
    let police = app.department_id("公安局").await;
    let (_, ob) = app
        .json(Method::POST, "/api/v1/catalog/obligations", Some(&admin), Some(json!({"department_id": police, "cause": "duty_change", "description": "职能调整", "occurred_on": "2024-03-04"})))
        .await;
    assert_eq!(ob["due_on"], "2024-03-25", "{ob}");
    let officer = app.login("officer").await;
    let code = create(&app, &officer, police, complete("changsha-2021", "户籍人口基本信息")).await;
    assert_eq!(act(&app, &officer, &code, "submit", json!({})).await.0, 200);
    let (_, list) = app.json(Method::GET, "/api/v1/catalog/obligations", Some(&admin), None).await;
    assert!(list["items"][0]["fulfilled_on"].is_null(), "submission alone does not fulfil it in 长沙");
    assert_eq!(act(&app, &admin, &code, "pass", json!({})).await.0, 200);
    let (_, list) = app.json(Method::GET, "/api/v1/catalog/obligations", Some(&admin), None).await;
    assert_eq!((list["items"][0]["fulfilled_on"].as_str(), list["items"][0]["overdue"].as_bool()), (Some("2024-03-22"), Some(false)));
}

/// FS-17c: 佛山 also counts 15 working days and warns when they pass.
pub async fn fs_17c_an_update_is_due_fifteen_working_days_after_a_law_changes(app: TestApp) {
    let app = app.sibling("foshan-2020").await;
    app.clock.set_day("2024-03-26");
    let admin = app.login("admin").await;
    let police = app.department_id("公安局").await;
    let (_, ob) = app
        .json(Method::POST, "/api/v1/catalog/obligations", Some(&admin), Some(json!({"department_id": police, "cause": "law_change", "description": "法规修订", "occurred_on": "2024-03-04"})))
        .await;
    assert_eq!((ob["due_on"].as_str(), ob["overdue"].as_bool()), (Some("2024-03-25"), Some(true)), "{ob}");
}

/// FS-12b: the share catalog and the open catalog are generated from the resource catalog with FS-12's fields;
/// the share catalog lists entries not shared as existing, the open catalog only what is opened.
pub async fn fs_12b_share_and_open_catalogs_are_derived_from_the_catalog(app: TestApp) {
    let app = app.sibling("foshan-2020").await;
    let officer = app.login("officer-sj").await;
    let market = app.department_id("市场监督管理局").await;
    let r1 = create(&app, &officer, market, complete("foshan-2020", "企业登记信息")).await;
    let mut second = complete("foshan-2020", "企业年报信息");
    second["sharing"] = json!({"attr": "conditional", "ops": ["view"], "basis": [{"instrument": "administrative_regulation", "name": "《企业信息公示暂行条例》"}],
        "conditions": [{"kind": "view_only", "view_method": "平台内查阅", "use_purpose": "信用监管"}]});
    second["opening"] = opened(json!({"attr": "conditional", "ops": ["query"], "conditions": {"recipients": "注册用户", "purposes": "信用查询"}}));
    let r2 = create(&app, &officer, market, second).await;
    publish(&app, &r1, &officer).await;
    publish(&app, &r2, &officer).await;
    let (status, share) = app.json(Method::GET, "/api/v1/catalog/views/share", Some(&officer), None).await;
    assert_eq!(status, 200, "{share}");
    let keys: Vec<&str> = share["columns"].as_array().unwrap().iter().map(|c| c["key"].as_str().unwrap()).collect();
    for k in ["name", "format", "share_attr", "share_conditions", "update_frequency", "provision_methods", "provider"] {
        assert!(keys.contains(&k), "{k} in {keys:?}");
    }
    let codes = |t: &Value| t["rows"].as_array().unwrap().iter().map(|r| r[0].as_str().unwrap().to_string()).collect::<Vec<_>>();
    assert_eq!(codes(&share), [r1.clone(), r2.clone()]);
    let (_, open) = app.json(Method::GET, "/api/v1/open/export", None, None).await;
    assert_eq!(codes(&open), [r2], "only the opened entry, for anyone");
    let row = &open["rows"][0];
    assert!(row.as_array().unwrap().iter().any(|c| c == "有条件开放"));
}

/// CS-25b: the authority publishes a year's lists to the departments; the published version stays as it was, and
/// the public cannot see it.
pub async fn cs_25b_the_authority_publishes_the_yearly_lists_to_departments(app: TestApp) {
    let app = app.sibling("changsha-2021").await;
    let officer = app.login("officer").await;
    let police = app.department_id("公安局").await;
    let code = create(&app, &officer, police, complete("changsha-2021", "户籍人口基本信息")).await;
    publish(&app, &code, &officer).await;
    let admin = app.login("admin").await;
    assert_eq!(app.json(Method::POST, "/api/v1/catalog/lists/share_list/2026", Some(&officer), None).await.0, 403);
    let (status, published) = app.json(Method::POST, "/api/v1/catalog/lists/share_list/2026", Some(&admin), None).await;
    assert_eq!(status, 200, "{published}");
    assert_eq!((published["year"].as_i64(), published["rows"].as_array().unwrap().len()), (Some(2026), 1));
    let later = create(&app, &officer, police, complete("changsha-2021", "居民身份证信息")).await;
    publish(&app, &later, &officer).await;
    let mz = app.login("officer-mz").await;
    let (_, seen) = app.json(Method::GET, "/api/v1/catalog/lists/share_list/2026", Some(&mz), None).await;
    assert_eq!(seen["rows"].as_array().unwrap().len(), 1, "the published version does not move");
    let (_, live) = app.json(Method::GET, "/api/v1/catalog/lists/share_list/2027", Some(&mz), None).await;
    assert_eq!((live["year"].is_null(), live["rows"].as_array().unwrap().len()), (true, 2), "an unpublished year is derived now");
    assert_eq!(app.json(Method::GET, "/api/v1/catalog/lists/share_list/2026", None, None).await.0, 401);
    let (status, body) = app.json(Method::GET, "/api/v1/catalog/lists/gossip_list/2026", Some(&mz), None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("unknown_list")));
}

/// SYS-23: the negative list names each entry not shared with its legal basis.
pub async fn sys_23_the_negative_list_names_each_basis(app: TestApp) {
    let officer = app.login("officer").await;
    let police = app.department_id("公安局").await;
    let mut content = complete("shuangyashan-2026", "技侦信息");
    content["sharing"] = json!({"attr": "none", "basis": [{"instrument": "law", "name": "《中华人民共和国人民警察法》", "article": "第十六条"}]});
    let code = create(&app, &officer, police, content).await;
    publish(&app, &code, &officer).await;
    let (_, list) = app.json(Method::GET, "/api/v1/catalog/views/negative_list", Some(&officer), None).await;
    assert_eq!(list["rows"][0][0], code.as_str());
    assert_eq!(list["rows"][0][3], "《中华人民共和国人民警察法》第十六条");
}

/// Exports of a view as CSV (UTF-8 with a byte-order mark, for spreadsheet programs), XLSX (read back) and JSON.
pub async fn catalog_views_export_as_csv_xlsx_and_json(app: TestApp) {
    let officer = app.login("officer").await;
    let police = app.department_id("公安局").await;
    let code = create(&app, &officer, police, complete("shuangyashan-2026", "户籍人口基本信息")).await;
    publish(&app, &code, &officer).await;
    let get = |format: &str| {
        let path = format!("{}/api/v1/catalog/views/catalog?format={format}", app.base);
        let req = app.client.get(path).bearer_auth(&officer);
        async move { req.send().await.unwrap() }
    };
    let csv = get("csv").await;
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    assert!(csv.headers()["content-disposition"].to_str().unwrap().contains("catalog.csv"));
    let bytes = csv.bytes().await.unwrap();
    assert_eq!(&bytes[..3], [0xEF, 0xBB, 0xBF]);
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    assert!(text.starts_with("资源代码,数据资源名称") && text.contains(&code), "{text}");

    let xlsx = get("xlsx").await.bytes().await.unwrap();
    let mut book: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(xlsx.to_vec())).unwrap();
    use calamine::Reader;
    let sheet = book.worksheet_range_at(0).unwrap().unwrap();
    assert_eq!(sheet.get_value((0, 1)).unwrap().to_string(), "数据资源名称");
    assert_eq!(sheet.get_value((1, 0)).unwrap().to_string(), code);

    let json: Value = get("json").await.json().await.unwrap();
    assert_eq!(json[0]["code"], code.as_str());
    assert_eq!(json[0]["share_attr"], "无条件共享");
    let (status, body) = app.json(Method::GET, "/api/v1/catalog/views/catalog?format=pdf", Some(&officer), None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("unknown_format")));
    let (status, body) = app.json(Method::GET, "/api/v1/catalog/views/everything", Some(&officer), None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("unknown_view")));
}

/// The index is derived: a node that starts with no index builds it from the store; one that was stopped catches
/// up on start; one whose index is ahead of its database (a restored database) rebuilds it. A change made on one
/// node reaches another at its next sync (every second; called directly here).
pub async fn the_search_index_is_rebuilt_and_kept_in_step_across_nodes(app: TestApp) {
    use std::sync::Arc;
    let officer = app.login("officer").await;
    let police = app.department_id("公安局").await;
    let first = create(&app, &officer, police, complete("shuangyashan-2026", "户籍人口基本信息")).await;
    publish(&app, &first, &officer).await;

    let index_dir = tempfile::tempdir().unwrap();
    let open_node = || async {
        let store = store::Store::open(&app.database_url).await.unwrap();
        let node = service::Platform::open(store, Arc::new(domain::clock::SystemClock)).await.unwrap();
        service::catalog::search::attach(&node, index_dir.path()).await.unwrap();
        node
    };
    let find = |node: Arc<service::Platform>, text: &'static str| async move {
        let q = service::catalog::search::CatalogQuery { text: text.into(), ..Default::default() };
        let (items, _, _) = service::catalog::search::search(&node, &service::Actor::cli(), &q, 10, 0).await.unwrap();
        items.into_iter().map(|i| i.code).collect::<Vec<_>>()
    };
    let b = open_node().await;
    assert!(find(b.clone(), "户籍").await.contains(&first), "built from the store on start");

    let second = create(&app, &officer, police, complete("shuangyashan-2026", "居民身份证信息")).await;
    publish(&app, &second, &officer).await;
    assert!(find(b.clone(), "身份证").await.is_empty(), "not yet synced");
    service::catalog::search::sync(&b).await.unwrap();
    assert_eq!(find(b.clone(), "身份证").await, std::slice::from_ref(&second), "the next sync brings it");

    // Stopped, then restarted after more changes: it catches up.
    b.store.close().await;
    drop(b);
    assert_eq!(act(&app, &officer, &first, "withdraw", json!({"reason": "合并"})).await.0, 200);
    let b = open_node().await;
    assert!(!find(b.clone(), "户籍").await.contains(&first), "the withdrawal was applied on start");
    b.store.close().await;
    drop(b);

    // The same index against another (fresh) database is ahead of it: rebuilt from that database.
    let other = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", other.path().join("restored.db").display());
    let store = store::Store::open(&url).await.unwrap();
    service::setup::initialize(&store, "shuangyashan-2026", "admin", "restored-admin-1", 0).await.unwrap();
    let node = service::Platform::open(store, Arc::new(domain::clock::SystemClock)).await.unwrap();
    service::catalog::search::attach(&node, index_dir.path()).await.unwrap();
    // Hits are joined back to the database, so an empty list alone would not show the index was rebuilt: the
    // index's own count must be zero too.
    let q = service::catalog::search::CatalogQuery { text: "身份证".into(), ..Default::default() };
    let (items, total, _) = service::catalog::search::search(&node, &service::Actor::cli(), &q, 10, 0).await.unwrap();
    assert!(items.is_empty() && total == 0, "nothing of the other database is left in the index: {total} hits");
}

/// Malformed and hostile input on the catalog routes: a 4xx with the error body, and nothing stored.
pub async fn catalog_bad_input_is_refused_and_stores_nothing(app: TestApp) {
    let officer = app.login("officer").await;
    let police = app.department_id("公安局").await;
    let drafts = || async { app.json(Method::GET, "/api/v1/resources?state=draft", Some(&officer), None).await.1["total"].as_i64().unwrap() };
    let before = drafts().await;
    let long = "数".repeat(101);
    let cases: Vec<(Value, u16, &str)> = vec![
        (json!({"provider_department_id": police, "content": {"name": long}}), 400, "catalog_malformed"),
        (json!({"provider_department_id": police, "content": {"name": "x", "items": [{"name": "1; DROP TABLE resources", "label": "坏", "data_type": "string"}]}}), 400, "catalog_malformed"),
        (json!({"provider_department_id": police, "content": {"name": "x", "coverage_regions": ["<script>"]}}), 400, "catalog_malformed"),
        (json!({"provider_department_id": police, "content": {"name": "x", "format": "floppy"}}), 422, "invalid_body"),
        (json!({"provider_department_id": police, "content": {"name": "x", "coverage_start": "2020-02-30"}}), 422, "invalid_body"),
        (json!({"provider_department_id": police, "code": "../../etc", "content": {"name": "x"}}), 400, "invalid_resource_code"),
        (json!({"provider_department_id": 999999, "content": {"name": "x"}}), 403, "forbidden"),
        (json!({"content": {"name": "x"}, "surprise": true}), 422, "invalid_body"),
    ];
    for (body, status, code) in cases {
        let (got, answer) = app.json(Method::POST, "/api/v1/resources", Some(&officer), Some(body.clone())).await;
        assert_eq!((got, answer["error"]["code"].as_str()), (status, Some(code)), "{body} → {answer}");
        assert!(answer["error"]["message"].as_str().is_some_and(|m| !m.is_empty()) && answer["error"]["message_en"].is_string());
    }
    let r = app.client.post(format!("{}/api/v1/resources", app.base)).bearer_auth(&officer).header("content-type", "application/json").body("{\"content\": {").send().await.unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(drafts().await, before, "nothing was stored");
    for path in ["/api/v1/resources/..%2F..%2Fetc", "/api/v1/resources/230500-003-99999"] {
        let (status, body) = app.json(Method::GET, path, Some(&officer), None).await;
        assert_eq!(status, 404, "{path}: {body}");
    }
    // NUL cannot be stored by PostgreSQL: refused wherever it comes, in the path, the query or the body.
    for path in ["/api/v1/resources/%00", "/api/v1/resources?q=a%00b"] {
        let (status, body) = app.json(Method::GET, path, Some(&officer), None).await;
        assert_eq!((status, body["error"]["code"].as_str()), (400, Some("invalid_text")), "{path}");
    }
    let nul = json!({"provider_department_id": police, "content": {"name": "a\u{0}b"}});
    let (status, body) = app.json(Method::POST, "/api/v1/resources", Some(&officer), Some(nul)).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("invalid_text")));
    assert_eq!(drafts().await, before, "nothing was stored");
    let (status, _) = app.json(Method::GET, &format!("/api/v1/resources?q={}", "户籍".repeat(600)), Some(&officer), None).await;
    assert_eq!(status, 200, "very long search text is cut, not refused");
    for query in ["limit=abc", "provider=x", "share_attr=maybe", "state=published", "surprise=1"] {
        let (status, body) = app.json(Method::GET, &format!("/api/v1/resources?{query}"), Some(&officer), None).await;
        assert_eq!(status, 400, "{query}: {body}");
    }
    let (status, body) = app.json(Method::POST, "/api/v1/resources/230500-003-99999/submit", Some(&officer), None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (404, Some("not_found")));
}

/// FS-12c: a district's authority keeps its own district's catalog, not another district's.
pub async fn fs_12c_a_district_authority_keeps_only_its_districts_catalog(app: TestApp) {
    let app = app.sibling("foshan-2020").await;
    let admin = app.login("admin").await;
    let first_district_police = app.department_id("区公安分局").await;
    let second_district_civil = app.department_id("区民政局").await;
    let district_admin = app.login("admin-js").await;
    let (status, body) = app
        .json(Method::POST, "/api/v1/resources", Some(&district_admin), Some(json!({"provider_department_id": second_district_civil, "content": {"name": "其他区的目录"}})))
        .await;
    assert_eq!((status, body["error"]["code"].as_str()), (403, Some("forbidden")), "{body}");
    let own = create(&app, &district_admin, first_district_police, json!({"name": "本区的目录"})).await;
    let other = create(&app, &admin, second_district_civil, json!({"name": "其他区的目录"})).await;
    let edit = |code: &str| format!("/api/v1/resources/{code}");
    assert_eq!(app.json(Method::PUT, &edit(&own), Some(&district_admin), Some(json!({"content": {"name": "本区的目录（改）"}}))).await.0, 200);
    assert_eq!(app.json(Method::PUT, &edit(&other), Some(&district_admin), Some(json!({"content": {"name": "改别人的"}}))).await.0, 403);
    assert_eq!(app.json(Method::PUT, &edit(&other), Some(&admin), Some(json!({"content": {"name": "市级可以改"}}))).await.0, 200, "the city's authority keeps any");
}

/// LS-21b, SYS-36a: entries close to people's livelihoods or urgently needed are listed first in the open
/// catalog.
pub async fn ls_21b_sys_36a_priority_entries_are_listed_first(app: TestApp) {
    let officer = app.login("officer-sj").await;
    let market = app.department_id("市场监督管理局").await;
    let mut older = complete("shuangyashan-2026", "食品安全抽检信息");
    older["opening"] = opened(json!({"attr": "unconditional", "ops": ["bulk_obtain"], "priority": true}));
    let older = create(&app, &officer, market, older).await;
    let mut newer = complete("shuangyashan-2026", "广告经营登记信息");
    newer["opening"] = opened(json!({"attr": "unconditional", "ops": ["bulk_obtain"]}));
    let newer = create(&app, &officer, market, newer).await;
    publish(&app, &older, &officer).await;
    publish(&app, &newer, &officer).await;
    let (_, open) = app.json(Method::GET, "/api/v1/open/resources", None, None).await;
    let codes: Vec<&str> = open["items"].as_array().unwrap().iter().map(|i| i["code"].as_str().unwrap()).collect();
    assert_eq!(codes, [older.as_str(), newer.as_str()], "the priority entry first, though published earlier");
}

/// SYS-25a, YZ-14d, YZ-19: attributes are reassessed periodically (定期); an entry not reassessed within the
/// profile's period (a year by default) is listed for its department and the authority.
pub async fn sys_25a_yz_14d_yz_19_attributes_are_due_for_periodic_reassessment(app: TestApp) {
    let app = app.sibling("yinzhou-2023").await;
    app.clock.set_day("2025-03-01");
    let officer = app.login("officer").await;
    let police = app.department_id("公安局").await;
    let code = create(&app, &officer, police, complete("yinzhou-2023", "户籍人口基本信息")).await;
    publish(&app, &code, &officer).await;
    app.clock.set_day("2026-02-27");
    let officer = app.login("officer").await;
    let (_, due) = app.json(Method::GET, "/api/v1/catalog/reassessments", Some(&officer), None).await;
    assert_eq!(due["total"], 0, "not yet a year: {due}");
    app.clock.set_day("2026-03-02");
    let (officer, admin, mz) = (app.login("officer").await, app.login("admin").await, app.login("officer-mz").await);
    let (_, due) = app.json(Method::GET, "/api/v1/catalog/reassessments", Some(&officer), None).await;
    assert_eq!((due["items"][0]["resource"]["code"].as_str(), due["items"][0]["due_on"].as_str()), (Some(code.as_str()), Some("2026-03-01")));
    assert_eq!(app.json(Method::GET, "/api/v1/catalog/reassessments", Some(&admin), None).await.1["total"], 1);
    assert_eq!(app.json(Method::GET, "/api/v1/catalog/reassessments", Some(&mz), None).await.1["total"], 0, "another department's");
    // Reassessing (a new revision published) clears it.
    let mut v2 = complete("yinzhou-2023", "户籍人口基本信息");
    v2["summary"] = json!("复核共享属性后更新");
    app.json(Method::PUT, &format!("/api/v1/resources/{code}"), Some(&officer), Some(json!({"content": v2}))).await;
    publish(&app, &code, &officer).await;
    assert_eq!(app.json(Method::GET, "/api/v1/catalog/reassessments", Some(&officer), None).await.1["total"], 0);
}

/// FS-17b: a department compiles, reviews and publishes its catalog by different people: its editor cannot review
/// what it submitted; another of its data officers does, then the authority.
pub async fn fs_17b_the_editor_does_not_review_their_own_entry(app: TestApp) {
    let app = app.sibling("foshan-2020").await;
    let editor = app.login("officer-sj").await;
    let market = app.department_id("市场监督管理局").await;
    let code = create(&app, &editor, market, complete("foshan-2020", "企业登记信息")).await;
    let (_, body) = act(&app, &editor, &code, "submit", json!({})).await;
    assert_eq!(body["working"]["step"], "department_review", "{body}");
    let (status, body) = act(&app, &editor, &code, "pass", json!({})).await;
    assert_eq!(status, 403, "the editor reviews nothing it submitted: {body}");
    let admin = app.login("admin").await;
    assert_eq!(act(&app, &admin, &code, "pass", json!({})).await.0, 403, "nor does the authority take the department's step");
    let police_officer = app.login("officer").await;
    assert_eq!(act(&app, &police_officer, &code, "pass", json!({})).await.0, 403, "nor another department");
    let reviewer = department_reviewer(&app, market).await;
    let (_, queue) = app.json(Method::GET, "/api/v1/catalog/queue", Some(&reviewer), None).await;
    assert!(queue["items"].as_array().unwrap().iter().any(|i| i["code"] == code.as_str()), "{queue}");
    let (status, body) = act(&app, &reviewer, &code, "pass", json!({"comment": "审核通过"})).await;
    assert_eq!((status, body["working"]["step"].as_str()), (200, Some("authority_review")), "{body}");
    let (status, body) = act(&app, &admin, &code, "pass", json!({})).await;
    assert_eq!((status, body["state"].as_str()), (200, Some("published")));
}

/// CS-16d: in 长沙 a fulfilled update is filed with the bureau: pending until it acknowledges, then filed.
pub async fn cs_16d_a_fulfilled_update_is_filed_with_the_bureau(app: TestApp) {
    let app = app.sibling("changsha-2021").await;
    let admin = app.login("admin").await;
    let police = app.department_id("公安局").await;
    let (_, ob) = app
        .json(Method::POST, "/api/v1/catalog/obligations", Some(&admin), Some(json!({"department_id": police, "cause": "law_change", "description": "法规修订", "occurred_on": "2026-11-02"})))
        .await;
    let id = ob["id"].as_i64().unwrap();
    assert!(ob["filing_status"].is_null(), "nothing to file before the update");
    assert_eq!(app.json(Method::POST, &format!("/api/v1/catalog/obligations/{id}/filing"), Some(&admin), None).await.1["error"]["code"], "not_pending");
    let officer = app.login("officer").await;
    let code = create(&app, &officer, police, complete("changsha-2021", "户籍人口基本信息")).await;
    publish(&app, &code, &officer).await;
    let (_, list) = app.json(Method::GET, "/api/v1/catalog/obligations", Some(&admin), None).await;
    assert_eq!(list["items"][0]["filing_status"], "pending", "{list}");
    assert_eq!(app.json(Method::POST, &format!("/api/v1/catalog/obligations/{id}/filing"), Some(&officer), None).await.0, 403);
    let (status, filed) = app.json(Method::POST, &format!("/api/v1/catalog/obligations/{id}/filing"), Some(&admin), None).await;
    assert_eq!((status, filed["filing_status"].as_str()), (200, Some("filed")));
}

/// SYS-11b: the authority sees, per region and department, how many entries are classified and graded.
pub async fn sys_11b_classification_is_reported_per_department(app: TestApp) {
    let officer = app.login("officer").await;
    let police = app.department_id("公安局").await;
    for i in 0..4 {
        let mut content = complete("shuangyashan-2026", &format!("分类测试{i}"));
        if i == 3 {
            content.as_object_mut().unwrap().remove("security_level");
        }
        create(&app, &officer, police, content).await;
    }
    let admin = app.login("admin").await;
    let (status, report) = app.json(Method::GET, "/api/v1/catalog/reports/classification", Some(&admin), None).await;
    assert_eq!(status, 200, "{report}");
    let row = report["items"].as_array().unwrap().iter().find(|r| r["department_id"] == police).unwrap().clone();
    assert_eq!((row["entries"].as_i64(), row["classified"].as_i64(), row["percent"].as_f64()), (Some(4), Some(3), Some(75.0)));
    assert_eq!(row["region_code"], "230500");
    assert_eq!(app.json(Method::GET, "/api/v1/catalog/reports/classification", Some(&officer), None).await.0, 403);
}

/// FS-12a: the authority's compilation norm is versioned and the version in force checks the next submission; the
/// city-wide catalog integrates the departments' and the districts' entries.
pub async fn fs_12a_the_city_norm_is_versioned_and_the_city_catalog_integrates_every_catalog(app: TestApp) {
    let app = app.sibling("foshan-2020").await;
    let admin = app.login("admin").await;
    let (_, norm) = app.json(Method::GET, "/api/v1/catalog/schema", Some(&admin), None).await;
    assert_eq!(norm["version"], 0, "the profile's own list first: {norm}");
    let mut required = norm["required"].as_array().unwrap().clone();
    required.push(json!("reference_standards"));
    let (status, v1) = app.json(Method::PUT, "/api/v1/catalog/schema", Some(&admin), Some(json!({"required": required}))).await;
    assert_eq!((status, v1["version"].as_i64()), (200, Some(1)), "{v1}");

    let officer = app.login("officer").await;
    let police = app.department_id("公安局").await;
    let mut content = complete("foshan-2020", "户籍人口基本信息");
    content.as_object_mut().unwrap().remove("reference_standards");
    let city = create(&app, &officer, police, content.clone()).await;
    let (status, body) = act(&app, &officer, &city, "submit", json!({})).await;
    assert_eq!((status, field_names(&body)), (400, vec!["reference_standards".to_string()]), "v1 applies: {body}");
    content["reference_standards"] = json!(["GB 11643-1999"]);
    app.json(Method::PUT, &format!("/api/v1/resources/{city}"), Some(&officer), Some(json!({"content": content}))).await;
    publish(&app, &city, &officer).await;
    let auditor = app.login("auditor").await;
    let (_, events) = app.json(Method::GET, &format!("/api/v1/audit/events?action=resource.submit&object_id={city}"), Some(&auditor), None).await;
    assert!(events["items"][0]["detail"].as_str().unwrap().contains("norm v1"), "the submission records the norm it met: {events}");

    let district_police = app.department_id("禅城区公安分局").await;
    let mut district_content = complete("foshan-2020", "禅城区治安案件信息");
    district_content["coverage_regions"] = json!(["440604"]);
    let district = create(&app, &admin, district_police, district_content).await;
    publish(&app, &district, &admin).await;
    let (_, table) = app.json(Method::GET, "/api/v1/catalog/views/catalog", Some(&admin), None).await;
    let rows = table["rows"].as_array().unwrap();
    let region_of = |code: &str| rows.iter().find(|r| r[0] == code).map(|r| r[5].as_str().unwrap().to_string());
    assert_eq!(region_of(&city).as_deref(), Some("佛山市"), "{table}");
    assert_eq!(region_of(&district).as_deref(), Some("禅城区"), "the district's entry is in the city-wide catalog: {table}");
}

/// YZ-7a: each institution compiles its own entries and the competent department compiles the district-wide
/// catalog: an institution cannot publish into it, the competent department does.
pub async fn yz_7a_institutions_compile_their_entries_and_the_competent_department_the_catalog(app: TestApp) {
    let app = app.sibling("yinzhou-2023").await;
    let officer = app.login("officer-mz").await;
    let civil = app.department_id("民政局").await;
    let code = create(&app, &officer, civil, complete("yinzhou-2023", "婚姻登记信息")).await;
    let (status, body) = act(&app, &officer, &code, "submit", json!({})).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = act(&app, &officer, &code, "pass", json!({})).await;
    assert_eq!(status, 403, "an institution does not publish into the district catalog: {body}");
    let (_, table) = app.json(Method::GET, "/api/v1/catalog/views/catalog", Some(&officer), None).await;
    assert!(!table["rows"].as_array().unwrap().iter().any(|r| r[0] == code.as_str()), "not in it before the competent department compiles it");
    let admin = app.login("admin").await;
    let (status, body) = act(&app, &admin, &code, "pass", json!({"comment": "纳入全区目录"})).await;
    assert_eq!((status, body["state"].as_str()), (200, Some("published")), "{body}");
    let (_, table) = app.json(Method::GET, "/api/v1/catalog/views/catalog", Some(&officer), None).await;
    assert!(table["rows"].as_array().unwrap().iter().any(|r| r[0] == code.as_str()), "{table}");
}

/// SYS-11e: when its content, scope, timeliness or use changes, a department regrades its data; the change says
/// which, and the history keeps both grades.
pub async fn sys_11e_a_reclassification_states_its_reason_and_history_keeps_both_grades(app: TestApp) {
    let officer = app.login("officer").await;
    let police = app.department_id("公安局").await;
    let mut content = complete("shuangyashan-2026", "流动人口登记信息");
    let code = create(&app, &officer, police, content.clone()).await;
    publish(&app, &code, &officer).await;
    content["items"][0]["level"] = json!("important");
    let path = format!("/api/v1/resources/{code}");
    let (status, _) = app.json(Method::PUT, &path, Some(&officer), Some(json!({"content": content.clone()}))).await;
    assert_eq!(status, 200, "a draft may be saved without it");
    let (status, body) = act(&app, &officer, &code, "submit", json!({})).await;
    assert_eq!((status, field_names(&body)), (400, vec!["reclassification_reason".to_string()]), "{body}");
    let (status, body) = app.json(Method::PUT, &path, Some(&officer), Some(json!({"content": content.clone(), "reclassification_reason": "gossip"}))).await;
    assert_eq!(status, 422, "only the regulation's reasons: {body}");
    let (status, _) = app.json(Method::PUT, &path, Some(&officer), Some(json!({"content": content, "reclassification_reason": "scope", "note": "纳入重点人员管控范围"}))).await;
    assert_eq!(status, 200);
    publish(&app, &code, &officer).await;
    let (_, history) = app.json(Method::GET, &format!("/api/v1/resources/{code}/history"), Some(&officer), None).await;
    let last = history["items"].as_array().unwrap().iter().find(|h| h["rev"] == 2).unwrap_or_else(|| panic!("{history}"));
    assert_eq!(last["reclassification"], "scope", "{last}");
    let change = last["changes"].as_array().unwrap().iter().find(|c| c["field"].as_str().unwrap().contains("level")).unwrap_or_else(|| panic!("{last}"));
    assert!(change["before"].as_str().unwrap().contains("l4") && change["after"].as_str().unwrap().contains("important"), "{change}");
}

/// SYS-11a: the city authority sets the classification and grading standard in versions; entries classified under
/// an earlier version that the new one does not admit appear in their department's list to reclassify, and leave
/// it once reclassified.
pub async fn sys_11a_a_new_standard_lists_the_entries_to_reclassify(app: TestApp) {
    let officer = app.login("officer").await;
    let police = app.department_id("公安局").await;
    let code = create(&app, &officer, police, complete("shuangyashan-2026", "户籍人口基本信息")).await;
    publish(&app, &code, &officer).await;
    let admin = app.login("admin").await;
    let (_, v0) = app.json(Method::GET, "/api/v1/catalog/classification-scheme", Some(&officer), None).await;
    assert_eq!(v0["version"], 0);
    let (status, body) = app.json(Method::PUT, "/api/v1/catalog/classification-scheme", Some(&app.login("admin-js").await), Some(json!({"categories": ["人口"]}))).await;
    assert_eq!(status, 403, "a district authority does not set it: {body}");
    let standard = json!({"categories": ["自然人", "法人", "空间地理", "电子证照", "统计"], "levels": ["l1", "l2", "l3", "l4", "important", "core"]});
    let (status, v1) = app.json(Method::PUT, "/api/v1/catalog/classification-scheme", Some(&admin), Some(standard)).await;
    assert_eq!((status, v1["version"].as_i64()), (200, Some(1)), "{v1}");

    let (_, list) = app.json(Method::GET, "/api/v1/catalog/reclassifications", Some(&officer), None).await;
    let row = list["items"].as_array().unwrap().iter().find(|r| r["code"] == code.as_str()).unwrap_or_else(|| panic!("{list}"));
    assert_eq!((row["scheme_version"].as_i64(), row["issues"][0]["field"].as_str()), (Some(1), Some("classification")), "{row}");
    let (_, others) = app.json(Method::GET, "/api/v1/catalog/reclassifications", Some(&app.login("officer-sj").await), None).await;
    assert!(!others["items"].as_array().unwrap().iter().any(|r| r["code"] == code.as_str()), "another department's list holds only its own");

    let mut content = complete("shuangyashan-2026", "户籍人口基本信息");
    let path = format!("/api/v1/resources/{code}");
    app.json(Method::PUT, &path, Some(&officer), Some(json!({"content": content.clone()}))).await;
    let (status, body) = act(&app, &officer, &code, "submit", json!({})).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("not_in_classification_scheme")), "{body}");
    content["classification"] = json!("自然人");
    app.json(Method::PUT, &path, Some(&officer), Some(json!({"content": content, "reclassification_reason": "content"}))).await;
    publish(&app, &code, &officer).await;
    let (_, list) = app.json(Method::GET, "/api/v1/catalog/reclassifications", Some(&officer), None).await;
    assert!(!list["items"].as_array().unwrap().iter().any(|r| r["code"] == code.as_str()), "reclassified: {list}");
}

/// LS-8a: the city authority designates a sector's responsible department (a department cannot designate itself);
/// that department then keeps the sector's entries, other departments do not.
pub async fn ls_8a_a_designated_sector_department_keeps_the_sectors_catalog(app: TestApp) {
    let app = app.sibling("lishui-2020").await;
    let civil = app.login("officer-mz").await;
    let mut content = complete("lishui-2020", "社区戒毒康复人员信息");
    content["industry"] = json!("公共安全");
    let code = create(&app, &civil, app.department_id("民政局").await, content.clone()).await;
    publish(&app, &code, &civil).await;
    let police = app.login("officer").await;
    let police_id = app.department_id("公安局").await;
    let path = format!("/api/v1/resources/{code}");
    content["summary"] = json!("社区戒毒康复人员信息，按日更新，含执行地");
    let (status, _) = app.json(Method::PUT, &path, Some(&police), Some(json!({"content": content.clone()}))).await;
    assert_eq!(status, 403, "not yet responsible for the sector");
    let sector = "/api/v1/sectors/%E5%85%AC%E5%85%B1%E5%AE%89%E5%85%A8";
    let (status, _) = app.json(Method::PUT, sector, Some(&police), Some(json!({"responsible_department_id": police_id}))).await;
    assert_eq!(status, 403, "a department does not designate itself");
    let (status, body) = app.json(Method::PUT, sector, Some(&app.login("admin").await), Some(json!({"responsible_department_id": police_id}))).await;
    assert_eq!((status, body["name"].as_str(), body["responsible_department"].as_str()), (200, Some("公共安全"), Some("丽水市公安局")), "{body}");
    let (status, body) = app.json(Method::PUT, &path, Some(&police), Some(json!({"content": content.clone()}))).await;
    assert_eq!(status, 200, "the sector's department keeps its catalog: {body}");
    let (status, _) = act(&app, &police, &code, "submit", json!({})).await;
    assert_eq!(status, 200);
    let (status, _) = app.json(Method::PUT, &path, Some(&app.login("officer-sj").await), Some(json!({"content": content}))).await;
    assert_eq!(status, 403, "another department does not");
    let (_, list) = app.json(Method::GET, "/api/v1/sectors", Some(&civil), None).await;
    assert_eq!(list["total"], 1, "{list}");
}

/// YZ-7c: when the competent department changes an institution's entry while compiling the district catalog, the
/// institution is consulted, and the change is not published until it has answered.
pub async fn yz_7c_the_providing_institution_is_consulted_before_its_entry_changes(app: TestApp) {
    let app = app.sibling("yinzhou-2023").await;
    let officer = app.login("officer-mz").await;
    let mut content = complete("yinzhou-2023", "婚姻登记信息");
    let code = create(&app, &officer, app.department_id("民政局").await, content.clone()).await;
    publish(&app, &code, &officer).await;
    let admin = app.login("admin").await;
    content["summary"] = json!("全区婚姻登记记录，含补发结婚证");
    let (status, _) = app.json(Method::PUT, &format!("/api/v1/resources/{code}"), Some(&admin), Some(json!({"content": content}))).await;
    assert_eq!(status, 200);
    let (status, body) = act(&app, &admin, &code, "submit", json!({})).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = act(&app, &admin, &code, "pass", json!({})).await;
    assert_eq!((status, body["error"]["code"].as_str()), (409, Some("conflict")), "the institution has not answered: {body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("民政局"), "{body}");
    let (_, consultation) = app.json(Method::GET, &format!("/api/v1/resources/{code}/consultation"), Some(&officer), None).await;
    assert!(consultation["opinion"].is_null(), "{consultation}");
    let path = format!("/api/v1/resources/{code}/consultation");
    let (status, _) = app.json(Method::POST, &path, Some(&app.login("officer-sj").await), Some(json!({"opinion": "agree"}))).await;
    assert_eq!(status, 403, "only the institution answers");
    let (status, body) = app.json(Method::POST, &path, Some(&officer), Some(json!({"opinion": "disagree"}))).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("comment_required")), "{body}");
    let (status, body) = app.json(Method::POST, &path, Some(&officer), Some(json!({"opinion": "agree", "comment": "同意调整摘要"}))).await;
    assert_eq!((status, body["opinion"].as_str()), (200, Some("agree")), "{body}");
    let (status, body) = act(&app, &admin, &code, "pass", json!({})).await;
    assert_eq!((status, body["state"].as_str(), body["published"]["rev"].as_i64()), (200, Some("published"), Some(2)), "{body}");
}
