//! The open catalog through the HTTP API: the review before opening, leaving 不予开放, the public change log and
//! the districts' own views, on SQLite and PostgreSQL.

use reqwest::Method;
use serde_json::{json, Value};

use crate::catalog::{act, complete, create, opened, publish, security_review};
use crate::common::TestApp;

fn field_names(body: &Value) -> Vec<String> {
    body["error"]["fields"].as_array().map(|a| a.iter().map(|f| f["field"].as_str().unwrap().to_string()).collect()).unwrap_or_default()
}

async fn put(app: &TestApp, token: &str, code: &str, content: &Value) {
    let (status, body) = app.json(Method::PUT, &format!("/api/v1/resources/{code}"), Some(token), Some(json!({"content": content}))).await;
    assert_eq!(status, 200, "{body}");
}

fn open_codes(list: &Value) -> Vec<String> {
    list["items"].as_array().unwrap().iter().map(|i| i["code"].as_str().unwrap().to_string()).collect()
}

/// SYS-38b, FS-15d: data opens only after a passed security review; personal identifiers are desensitized first,
/// in a regime without a review step of its own too. Neither submission nor an attribute upgrade gets round it.
pub async fn sys_38b_fs_15d_opened_data_passes_a_security_review_and_personal_items_are_desensitized(app: TestApp) {
    let officer = app.login("officer-sj").await;
    let market = app.department_id("市场监督管理局").await;
    let mut content = complete("shuangyashan-2026", "个体工商户联系信息");
    content["items"] = json!([
        {"name": "tyshxydm", "label": "统一社会信用代码", "data_type": "string", "is_key": true, "identifier": "uscc"},
        {"name": "lxdh", "label": "经营者手机号码", "data_type": "string", "identifier": "phone"}
    ]);
    content["opening"] = json!({"attr": "unconditional", "ops": ["bulk_obtain"], "scope": "全市个体工商户"});
    let code = create(&app, &officer, market, content.clone()).await;
    let (status, body) = act(&app, &officer, &code, "submit", json!({})).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(field_names(&body), ["opening.security_review", "opening.security_review.desensitization"], "{body}");
    assert!(body["error"]["fields"][1]["message"].as_str().unwrap().contains("经营者手机号码"), "names the personal item: {body}");

    let mut review = security_review();
    review["passed"] = json!(false);
    content["opening"]["security_review"] = review.clone();
    put(&app, &officer, &code, &content).await;
    let (_, body) = act(&app, &officer, &code, "submit", json!({})).await;
    assert_eq!(field_names(&body), ["opening.security_review.passed"], "a failed review does not open data: {body}");

    review["passed"] = json!(true);
    review["desensitization"] = json!(" ");
    content["opening"]["security_review"] = review;
    put(&app, &officer, &code, &content).await;
    let (_, body) = act(&app, &officer, &code, "submit", json!({})).await;
    assert_eq!(field_names(&body), ["opening.security_review.desensitization"], "{body}");

    content["opening"] = opened(content["opening"].clone());
    put(&app, &officer, &code, &content).await;
    publish(&app, &code, &officer).await;
    let (_, list) = app.json(Method::GET, "/api/v1/open/resources", None, None).await;
    assert!(open_codes(&list).contains(&code), "published once reviewed: {list}");

    // An upgrade out of 不予开放 applies at once, so it meets the same gate.
    let closed = create(&app, &officer, market, complete("shuangyashan-2026", "个体工商户年报信息")).await;
    publish(&app, &closed, &officer).await;
    let upgrade = |opening: Value| {
        json!({"sharing": {"attr": "unconditional", "ops": ["view", "compare", "obtain"], "period_months": 12}, "opening": opening, "evidence": "脱敏处理记录 TM-2026-118"})
    };
    let (status, body) = act(&app, &officer, &closed, "attributes", upgrade(json!({"attr": "unconditional", "ops": ["query"], "scope": "全市"}))).await;
    assert_eq!((status, field_names(&body)), (400, vec!["opening.security_review".to_string(), "opening.security_review.desensitization".to_string()]), "{body}");
    let (_, list) = app.json(Method::GET, "/api/v1/open/resources", None, None).await;
    assert!(!open_codes(&list).contains(&closed), "nothing opened: {list}");
    let (status, body) = act(&app, &officer, &closed, "attributes", upgrade(opened(json!({"attr": "unconditional", "ops": ["query"], "scope": "全市"})))).await;
    assert_eq!(status, 200, "{body}");

    // 佛山 has no review step, but personal data is still desensitized before it opens (FS-15d).
    let foshan = app.sibling("foshan-2020").await;
    let officer = foshan.login("officer").await;
    let police = foshan.department_id("公安局").await;
    let mut content = complete("foshan-2020", "居民户籍信息");
    content["opening"] = json!({"attr": "unconditional", "ops": ["bulk_obtain"]});
    let code = create(&foshan, &officer, police, content.clone()).await;
    let (_, body) = act(&foshan, &officer, &code, "submit", json!({})).await;
    assert_eq!(field_names(&body), ["opening.security_review.desensitization"], "{body}");
    content["items"] = json!([{"name": "hjdz", "label": "户籍地址所在区", "data_type": "string"}]);
    put(&foshan, &officer, &code, &content).await;
    let (status, body) = act(&foshan, &officer, &code, "submit", json!({})).await;
    assert_eq!(status, 200, "without personal identifiers and without a review step, it submits: {body}");
}

/// SYS-37c: data not opened becomes conditionally open with evidence of desensitization or consent, and not
/// without it.
pub async fn sys_37c_not_opened_data_opens_only_with_evidence(app: TestApp) {
    let officer = app.login("officer-sj").await;
    let market = app.department_id("市场监督管理局").await;
    let code = create(&app, &officer, market, complete("shuangyashan-2026", "企业信用修复信息")).await;
    publish(&app, &code, &officer).await;
    let body = |evidence: &str| {
        json!({
            "sharing": {"attr": "unconditional", "ops": ["view", "compare", "obtain"], "period_months": 12},
            "opening": opened(json!({"attr": "conditional", "ops": ["query"], "scope": "全市", "conditions": {"recipients": "注册用户", "purposes": "信用查询"}})),
            "evidence": evidence
        })
    };
    let (status, refused) = act(&app, &officer, &code, "attributes", body("")).await;
    assert_eq!((status, refused["error"]["code"].as_str()), (400, Some("evidence_required")), "{refused}");
    let (_, entry) = app.json(Method::GET, &format!("/api/v1/resources/{code}"), Some(&officer), None).await;
    assert_eq!(entry["published"]["content"]["opening"]["attr"], "none", "unchanged: {entry}");
    let (status, accepted) = act(&app, &officer, &code, "attributes", body("企业同意开放的书面证明 2026-11-28")).await;
    assert_eq!(status, 200, "{accepted}");
    assert_eq!(accepted["published"]["content"]["opening"]["attr"], "conditional", "an upgrade applies at once: {accepted}");
    let (status, _) = app.json(Method::GET, &format!("/api/v1/open/resources/{code}"), None, None).await;
    assert_eq!(status, 200);
}

/// LS-21a: the open catalog is published to society and kept up to date, with a public log of what was added,
/// updated and withdrawn, and when.
pub async fn ls_21a_the_open_catalog_publishes_its_changes(app: TestApp) {
    let app = app.sibling("lishui-2020").await;
    let officer = app.login("officer-sj").await;
    let market = app.department_id("市场监督管理局").await;
    let mut content = complete("lishui-2020", "企业登记基本信息");
    content["items"] = json!([{"name": "tyshxydm", "label": "统一社会信用代码", "data_type": "string", "is_key": true, "identifier": "uscc"}]);
    content["opening"] = json!({"to_public": true, "ops": ["bulk_obtain"], "scope": "全市登记企业"});
    let code = create(&app, &officer, market, content.clone()).await;
    let closed = create(&app, &officer, market, complete("lishui-2020", "企业内部管理信息")).await;
    publish(&app, &code, &officer).await;
    publish(&app, &closed, &officer).await;
    content["summary"] = json!("企业登记基本信息，含新设立企业，按日更新");
    put(&app, &officer, &code, &content).await;
    publish(&app, &code, &officer).await;
    let (status, body) = act(&app, &officer, &code, "withdraw", json!({"reason": "数据源系统迁移，暂停开放"})).await;
    assert_eq!(status, 200, "{body}");

    let (status, log) = app.json(Method::GET, "/api/v1/open/changes", None, None).await;
    assert_eq!(status, 200, "public: {log}");
    let lines: Vec<(&str, &str, i64)> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["code"].as_str().unwrap(), i["change"].as_str().unwrap(), i["rev"].as_i64().unwrap()))
        .collect();
    assert_eq!(lines, [(code.as_str(), "withdrawn", 2), (code.as_str(), "updated", 2), (code.as_str(), "added", 1)], "newest first; data never opened is absent: {log}");
    assert_eq!(log["items"][2]["change_label"], "新增");
    assert!(log["items"][0]["at"].as_str().unwrap().ends_with("+08:00"), "dated in Asia/Shanghai: {log}");
    let (_, later) = app.json(Method::GET, "/api/v1/open/changes?since=2099-01-01", None, None).await;
    assert_eq!(later["total"], 0, "{later}");
    let (status, body) = app.json(Method::GET, "/api/v1/open/changes?since=yesterday", None, None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("invalid_query")), "{body}");
}

/// SYS-36b, SYS-36c, SYS-38a: a district's open entry, approved by its own authority, checked by the service
/// center and re-reviewed by the city, is published in the city's open catalog; the district sees its own open
/// catalog, and its open responsibility list gathers its departments' entries under each department.
pub async fn sys_36b_sys_36c_sys_38a_district_open_catalogs_roll_up_into_the_citys(app: TestApp) {
    let admin = app.login("admin").await;
    let district_police = app.department_id("尖山区公安分局").await;
    let mut content = complete("shuangyashan-2026", "尖山区交通违法处理点信息");
    content["coverage_regions"] = json!(["230502"]);
    content["items"] = json!([{"name": "clddz", "label": "处理点地址", "data_type": "string", "is_key": true}]);
    content["opening"] = opened(json!({"attr": "unconditional", "ops": ["bulk_obtain"], "scope": "尖山区"}));
    let code = create(&app, &admin, district_police, content).await;
    let (status, body) = act(&app, &admin, &code, "submit", json!({})).await;
    assert_eq!(status, 200, "{body}");
    let district_admin = app.login("admin-js").await;
    let service = app.login("service").await;
    for (token, step) in [(&district_admin, "authority_review"), (&service, "service_check"), (&admin, "city_review")] {
        let (_, entry) = app.json(Method::GET, &format!("/api/v1/resources/{code}"), Some(&admin), None).await;
        assert_eq!(entry["working"]["step"], step, "{entry}");
        let (_, open) = app.json(Method::GET, "/api/v1/open/resources", None, None).await;
        assert!(!open_codes(&open).contains(&code), "not public before the city's re-review");
        let (status, body) = act(&app, token, &code, "pass", json!({})).await;
        assert_eq!(status, 200, "{step}: {body}");
    }
    let city_entry = create(&app, &admin, app.department_id("市场监督管理局").await, {
        let mut c = complete("shuangyashan-2026", "企业登记信息");
        c["opening"] = opened(json!({"attr": "unconditional", "ops": ["bulk_obtain"], "scope": "全市"}));
        c
    })
    .await;
    publish(&app, &city_entry, &admin).await;

    let (_, city) = app.json(Method::GET, "/api/v1/open/resources", None, None).await;
    assert!(open_codes(&city).contains(&code) && open_codes(&city).contains(&city_entry), "{city}");
    let (_, district) = app.json(Method::GET, "/api/v1/open/resources?region=230502", None, None).await;
    assert_eq!(open_codes(&district), std::slice::from_ref(&code), "the district's own open catalog: {district}");
    let (_, table) = app.json(Method::GET, "/api/v1/open/export?region=230502", None, None).await;
    assert_eq!(table["rows"].as_array().unwrap().len(), 1, "{table}");

    let (status, list) = app.json(Method::GET, "/api/v1/catalog/views/open_responsibility_list?region=230502", Some(&district_admin), None).await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["title"], "开放责任清单");
    let rows = list["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{list}");
    assert_eq!((rows[0][0].as_str(), rows[0][1].as_str()), (Some("尖山区公安分局"), Some(code.as_str())), "E under D: {list}");
    let (_, whole) = app.json(Method::GET, "/api/v1/catalog/views/open_responsibility_list?region=230500", Some(&admin), None).await;
    assert!(whole["rows"].as_array().unwrap().len() >= 2, "the city's list gathers every region's: {whole}");
    let (status, body) = app.json(Method::GET, "/api/v1/catalog/views/open_responsibility_list?region=999999", Some(&admin), None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("unknown_region")), "{body}");
}

/// CS-13d: sharing and open-data services carry no fee; a request that attaches one is refused and changes nothing.
pub async fn cs_13d_no_fee_is_attached_to_sharing_or_opening(app: TestApp) {
    let app = app.sibling("changsha-2021").await;
    let officer = app.login("officer-sj").await;
    let market = app.department_id("市场监督管理局").await;
    let mut content = complete("changsha-2021", "企业登记信息");
    content["items"] = json!([{"name": "tyshxydm", "label": "统一社会信用代码", "data_type": "string", "is_key": true, "identifier": "uscc"}]);
    let code = create(&app, &officer, market, content.clone()).await;
    publish(&app, &code, &officer).await;
    let mut priced = content.clone();
    priced["sharing"]["fee"] = json!(200);
    let (status, body) = app.json(Method::PUT, &format!("/api/v1/resources/{code}"), Some(&officer), Some(json!({"content": priced}))).await;
    assert_eq!((status, body["error"]["code"].as_str()), (422, Some("fee_not_allowed")), "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("不得另行收取费用"), "{body}");
    let (status, body) = act(&app, &officer, &code, "attributes", json!({
        "sharing": content["sharing"].clone(),
        "opening": {"attr": "unconditional", "ops": ["bulk_obtain"], "scope": "全市", "price": 0.5},
    }))
    .await;
    assert_eq!((status, body["error"]["code"].as_str()), (422, Some("fee_not_allowed")), "{body}");
    let (_, entry) = app.json(Method::GET, &format!("/api/v1/resources/{code}"), Some(&officer), None).await;
    assert!(entry["working"].is_null() && entry["published"]["content"]["opening"]["attr"] == "none", "nothing changed: {entry}");
}
