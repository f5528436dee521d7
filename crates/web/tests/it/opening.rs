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
