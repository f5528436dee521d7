//! Disputes between departments, requests for data from outside the city, cross-level applications and the
//! escalation of a refused application to the demand list, through the HTTP API.

use reqwest::Method;
use serde_json::{json, Value};

use crate::aggregation::id as citizen;
use crate::common::TestApp;
use crate::sharing::{answer, application, apply, audit_count, conditional, shared_population, token_of};

/// A data officer of the department named `name_part` (made once per app).
async fn officer_of(app: &TestApp, name_part: &str, username: &str) -> String {
    let admin = app.login("admin").await;
    let department = app.department_id(name_part).await;
    let body = json!({"username": username, "display_name": "数据专员", "password": "officer-pass-1", "department_id": department, "roles": ["dept_data_officer"]});
    let (status, body) = app.json(Method::POST, "/api/v1/users", Some(&admin), Some(body)).await;
    assert!(status == 201 || status == 409, "{status} {body}");
    app.login_with(username, "officer-pass-1").await
}

async fn step(app: &TestApp, token: &str, id: i64, body: Value) -> (u16, Value) {
    app.json(Method::POST, &format!("/api/v1/share/disputes/{id}/steps"), Some(token), Some(body)).await
}

async fn region_id(app: &TestApp, code: &str) -> i64 {
    let (_, regions) = app.json(Method::GET, "/api/v1/regions", Some(&app.login("admin").await), None).await;
    let list = regions.as_array().or_else(|| regions["items"].as_array()).cloned().unwrap_or_default();
    list.iter().find(|r| r["code"] == code).and_then(|r| r["id"].as_i64()).unwrap_or_else(|| panic!("region {code}: {regions}"))
}

/// SYS-29a, SYS-29b: a dispute between a county department and a city department is negotiated, then — at a
/// party's request — coordinated by the city authority (not the county's), then referred with the authority's
/// opinion to the government, whose decision is recorded with its reference. Each step is an audit event.
pub async fn sys_29a_sys_29b_a_dispute_is_coordinated_by_the_city_and_referred_to_the_government(app: TestApp) {
    let code = shared_population(&app, "shuangyashan-2026", conditional(&app).await).await;
    let county = officer_of(&app, "集贤县", "officer-county").await;
    let police = app.department_id("市公安局").await;
    let body = json!({"respondent_department_id": police, "resource_code": code, "subject": "户籍数据共享条件",
                      "claim": "办理个体工商户登记需核验经营者身份", "scenario": "个体工商户登记"});
    let (status, d) = app.json(Method::POST, "/api/v1/share/disputes", Some(&county), Some(body)).await;
    assert_eq!((status, d["state"].as_str()), (201, Some("negotiating")), "{d}");
    assert!(d["coordinator"].is_null(), "nobody coordinates a negotiation: {d}");
    let id = d["id"].as_i64().unwrap();

    let admin = app.login("admin").await;
    let (status, body) = step(&app, &admin, id, json!({"step": "refer", "text": "建议有条件共享"})).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("dispute_step")), "not before the parties escalate: {body}");
    let outsider = app.login("officer-sj").await;
    let (status, _) = step(&app, &outsider, id, json!({"step": "escalate", "text": "x"})).await;
    assert_eq!(status, 404, "not a party");
    let provider = app.login("officer").await;
    let (status, body) = step(&app, &provider, id, json!({"step": "escalate", "text": " "})).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("dispute_text")), "{body}");
    let (status, d) = step(&app, &provider, id, json!({"step": "escalate", "text": "双方对共享条件协商未果"})).await;
    assert_eq!((status, d["state"].as_str()), (200, Some("coordinating")), "{d}");
    assert_eq!(d["coordinator"]["id"].as_i64(), Some(region_id(&app, "230500").await), "across levels: the city authority: {d}");

    // The first district's authority does not coordinate a dispute that is not its own.
    let (status, _) = step(&app, &app.login("admin-js").await, id, json!({"step": "coordinate", "text": "协调一致"})).await;
    assert_eq!(status, 403);
    let (status, d) = step(&app, &admin, id, json!({"step": "refer", "text": "建议按有条件共享，限定核验用途"})).await;
    assert_eq!((status, d["state"].as_str(), d["decider"].as_str()), (200, Some("referred"), Some("本级人民政府")), "{d}");
    assert_eq!(d["opinion"], "建议按有条件共享，限定核验用途");
    let (status, body) = step(&app, &admin, id, json!({"step": "decide", "text": "同意有条件共享"})).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("dispute_reference")), "a decision has its reference: {body}");
    let (status, d) = step(&app, &admin, id, json!({"step": "decide", "text": "同意有条件共享", "reference": "双政办函〔2026〕12号"})).await;
    assert_eq!((status, d["state"].as_str(), d["outcome"].as_str(), d["decision_ref"].as_str()), (200, Some("resolved"), Some("decided"), Some("双政办函〔2026〕12号")), "{d}");
    let (status, _) = step(&app, &county, id, json!({"step": "withdraw"})).await;
    assert_eq!(status, 400, "a resolved dispute takes no more steps");

    // The parties see it; so does the authority.
    let (_, mine) = app.json(Method::GET, "/api/v1/share/disputes", Some(&county), None).await;
    assert_eq!(mine["total"], 1, "{mine}");
    let (_, theirs) = app.json(Method::GET, "/api/v1/share/disputes", Some(&outsider), None).await;
    assert_eq!(theirs["total"], 0, "{theirs}");
    for action in ["dispute.open", "dispute.escalate", "dispute.refer", "dispute.decide"] {
        assert_eq!(audit_count(&app, action).await, 1, "{action}");
    }
}

/// SYS-29a: two departments of one district that has its own authority go to that authority, which settles it.
pub async fn sys_29a_a_dispute_within_a_district_is_coordinated_by_the_district(app: TestApp) {
    let admin = app.login("admin").await;
    let body = json!({"name": "区人力资源和社会保障局", "kind": "department", "region_code": "230502", "uscc": "91350100M000100Y43"});
    let (status, dept) = app.json(Method::POST, "/api/v1/departments", Some(&admin), Some(body)).await;
    assert_eq!(status, 201, "{dept}");
    let hr = officer_of(&app, "区人力资源和社会保障局", "officer-district-hr").await;
    let police = app.department_id("区公安分局").await;
    let body = json!({"respondent_department_id": police, "subject": "流动人口数据", "claim": "就业登记需要"});
    let (status, d) = app.json(Method::POST, "/api/v1/share/disputes", Some(&hr), Some(body)).await;
    assert_eq!(status, 201, "{d}");
    let id = d["id"].as_i64().unwrap();
    let (status, d) = step(&app, &hr, id, json!({"step": "escalate", "text": "协商未果"})).await;
    assert_eq!((status, d["coordinator"]["id"].as_i64()), (200, Some(region_id(&app, "230502").await)), "same level: the district's authority: {d}");
    let (status, _) = step(&app, &admin, id, json!({"step": "coordinate", "text": "协调一致"})).await;
    assert_eq!(status, 403, "the city does not take a district's own dispute");
    let (status, d) = step(&app, &app.login("admin-js").await, id, json!({"step": "coordinate", "text": "区公安分局按月提供流动人口统计"})).await;
    assert_eq!((status, d["outcome"].as_str()), (200, Some("coordinated")), "{d}");
}

/// FS-26c: in 佛山, a negotiation over data that is not shared fails; the city authority refers it to the 佛山市大数据
/// 统筹发展决策委员会, whose decision "share, compare only" becomes a compare-only grant the consumer's system uses.
pub async fn fs_26c_a_committee_decision_grants_compare_only_data(app: TestApp) {
    let app = app.sibling("foshan-2020").await;
    let sharing = json!({"attr": "none", "basis": [{"instrument": "law", "name": "《中华人民共和国居民身份证法》", "article": "第十三条"}]});
    let code = shared_population(&app, "foshan-2020", sharing).await;
    let civil = app.login("officer-mz").await;
    let police = app.department_id("市公安局").await;
    let body = json!({"respondent_department_id": police, "resource_code": code, "subject": "低保对象身份核验",
                      "claim": "低保审核确需核验申请人身份", "scenario": "最低生活保障资格审核"});
    let (status, d) = app.json(Method::POST, "/api/v1/share/disputes", Some(&civil), Some(body)).await;
    assert_eq!(status, 201, "{d}");
    let id = d["id"].as_i64().unwrap();
    let (status, _) = step(&app, &civil, id, json!({"step": "escalate", "text": "协商未果"})).await;
    assert_eq!(status, 200);
    let admin = app.login("admin").await;
    let (status, d) = step(&app, &admin, id, json!({"step": "refer", "text": "建议以比对方式共享"})).await;
    assert_eq!((status, d["decider"].as_str()), (200, Some("佛山市大数据统筹发展决策委员会")), "{d}");
    let grant = json!({"items": ["zjhm", "xm"], "ops": ["compare"], "expires_on": "2099-12-31"});
    let (status, body) = step(&app, &admin, id, json!({"step": "decide", "text": "以比对方式共享", "reference": "佛数委〔2026〕3号", "grant": grant})).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("dispute_grant")), "ten years at most: {body}");
    let grant = json!({"items": ["zjhm", "xm", "nope"], "ops": ["compare"], "expires_on": "2030-12-31"});
    let (status, body) = step(&app, &admin, id, json!({"step": "decide", "text": "以比对方式共享", "reference": "佛数委〔2026〕3号", "grant": grant})).await;
    assert_eq!((status, body["error"]["fields"][0]["field"].as_str()), (400, Some("grant.items[2]")), "{body}");
    let grant = json!({"items": ["zjhm", "xm"], "ops": ["compare"], "expires_on": "2030-12-31"});
    let (status, d) = step(&app, &admin, id, json!({"step": "decide", "text": "以比对方式共享", "reference": "佛数委〔2026〕3号", "grant": grant})).await;
    assert_eq!((status, d["outcome"].as_str()), (200, Some("decided")), "{d}");
    let grant_id = d["grant_id"].as_i64().expect("the decision made a grant");

    // The consumer's system compares, and only compares, though the entry is still not shared.
    let (token, _) = token_of(&app, "民政局").await;
    let body = json!({"key": citizen(3), "values": {"xm": "居民3"}});
    let (status, verified) = app.json(Method::POST, &format!("/api/v1/share/{code}/verify"), Some(&token), Some(body)).await;
    assert_eq!((status, verified["grant_id"].as_i64()), (200, Some(grant_id)), "{verified}");
    assert_eq!(verified["items"]["xm"], "match", "{verified}");
    let (status, refused) = app.json(Method::GET, &format!("/api/v1/share/{code}/records/{}", citizen(3)), Some(&token), None).await;
    assert_eq!((status, refused["error"]["code"].as_str()), (403, Some("share_over_scope")), "{refused}");
    // Anyone else still cannot apply for it.
    let (status, body) = apply(&app, &app.login("officer-rs").await, application(&code, &["zjhm"], &["compare"])).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("non_share_entry")), "{body}");
}

/// FS-27: in 佛山 a district department's application for a city resource lands with its district authority, which
/// forwards it to the city authority; only then does it take its usual route. A department of a district without
/// an authority goes to the city authority directly.
pub async fn fs_27_a_district_application_goes_through_its_authority_then_the_city(app: TestApp) {
    let app = app.sibling("foshan-2020").await;
    let code = shared_population(&app, "foshan-2020", json!({"attr": "unconditional", "ops": ["view", "compare"]})).await;
    let district = officer_of(&app, "区公安分局", "officer-district-police").await;
    let (status, filed) = apply(&app, &district, application(&code, &["zjhm", "xm"], &["view"])).await;
    assert_eq!((status, filed["state"].as_str()), (201, Some("forwarding")), "not granted at once across levels: {filed}");
    let id = filed["id"].as_i64().unwrap();
    let foshan_district = app.json(Method::GET, "/api/v1/profile", None, None).await.1["districts"][0]["code"].as_str().unwrap().to_string();
    assert_eq!(filed["via_region_id"].as_i64(), Some(region_id(&app, &foshan_district).await), "{filed}");

    let (city_admin, district_admin) = (app.login("admin").await, app.login("admin-js").await);
    let (status, _) = answer(&app, &city_admin, id, json!({"approve": true})).await;
    assert_eq!(status, 403, "the district's authority collects it first");
    let (status, a) = answer(&app, &district_admin, id, json!({"approve": true})).await;
    assert_eq!((status, a["state"].as_str()), (200, Some("city_review")), "{a}");
    let (status, _) = answer(&app, &district_admin, id, json!({"approve": true})).await;
    assert_eq!(status, 403, "now it is the city's");
    let (status, a) = answer(&app, &city_admin, id, json!({"approve": true})).await;
    assert_eq!((status, a["state"].as_str()), (200, Some("approved")), "{a}");
    assert!(a["grant_id"].as_i64().is_some(), "{a}");
    assert_eq!(audit_count(&app, "share.forward").await, 2);

    let no_authority = officer_of(&app, "区民政局", "officer-district-civil").await;
    let (status, filed) = apply(&app, &no_authority, application(&code, &["zjhm"], &["view"])).await;
    assert_eq!((status, filed["state"].as_str()), (201, Some("city_review")), "{filed}");
    // A city department's application is not rerouted.
    let (status, filed) = apply(&app, &app.login("officer-mz").await, application(&code, &["zjhm"], &["view"])).await;
    assert_eq!((status, filed["state"].as_str()), (201, Some("approved")), "{filed}");
}

/// SYS-34a, SYS-34b: data from outside the city is requested through the authorities: a county department's request
/// waits with its own authority first, and only the city authority applies to the province, recording the
/// reference; the requester follows each step and cannot take them itself.
pub async fn sys_34a_sys_34b_data_from_outside_the_city_goes_up_through_the_authorities(app: TestApp) {
    let district = officer_of(&app, "区公安分局", "officer-upstream").await;
    let body = json!({"target": "province", "holder": "黑龙江省公安厅", "description": "全省流动人口居住登记信息", "items": ["姓名", "居住地址"],
                      "scenario": "流动人口服务管理", "basis": "《居住证暂行条例》第九条"});
    let (status, r) = app.json(Method::POST, "/api/v1/share/upstream", Some(&district), Some(body.clone())).await;
    assert_eq!((status, r["state"].as_str()), (201, Some("local_review")), "{r}");
    let id = r["id"].as_i64().unwrap();
    let path = format!("/api/v1/share/upstream/{id}/steps");
    let (status, _) = app.json(Method::POST, &path, Some(&district), Some(json!({"step": "submit", "reference": "X"}))).await;
    assert_eq!(status, 403, "the department does not address the higher level");
    let (city_admin, district_admin) = (app.login("admin").await, app.login("admin-js").await);
    let (status, body_) = app.json(Method::POST, &path, Some(&city_admin), Some(json!({"step": "forward"}))).await;
    assert_eq!((status, body_["error"]["code"].as_str()), (403, Some("upstream_not_yours")), "{body_}");
    let (status, r) = app.json(Method::POST, &path, Some(&district_admin), Some(json!({"step": "forward"}))).await;
    assert_eq!((status, r["state"].as_str()), (200, Some("city_review")), "{r}");
    let (status, _) = app.json(Method::POST, &path, Some(&district_admin), Some(json!({"step": "submit", "reference": "X"}))).await;
    assert_eq!(status, 403, "only the city authority applies upward");
    let (status, body_) = app.json(Method::POST, &path, Some(&city_admin), Some(json!({"step": "submit"}))).await;
    assert_eq!((status, body_["error"]["code"].as_str()), (400, Some("upstream_reference")), "{body_}");
    let (status, r) = app.json(Method::POST, &path, Some(&city_admin), Some(json!({"step": "submit", "reference": "黑数据申〔2026〕88号"}))).await;
    assert_eq!((status, r["state"].as_str()), (200, Some("submitted")), "{r}");
    let (status, r) = app.json(Method::POST, &path, Some(&city_admin), Some(json!({"step": "obtained", "answer": "省平台按月推送至市平台"}))).await;
    assert_eq!((status, r["state"].as_str()), (200, Some("obtained")), "{r}");
    // The requester sees the status and the reference.
    let (status, seen) = app.json(Method::GET, &format!("/api/v1/share/upstream/{id}"), Some(&district), None).await;
    assert_eq!((status, seen["external_ref"].as_str(), seen["state"].as_str()), (200, Some("黑数据申〔2026〕88号"), Some("obtained")), "{seen}");
    let (status, _) = app.json(Method::GET, &format!("/api/v1/share/upstream/{id}"), Some(&app.login("officer-sj").await), None).await;
    assert_eq!(status, 404, "another department does not see it");

    // A city department's request goes to the city authority directly (SYS-34b).
    let (status, r) = app.json(Method::POST, "/api/v1/share/upstream", Some(&app.login("officer-rs").await), Some(body)).await;
    assert_eq!((status, r["state"].as_str()), (201, Some("city_review")), "{r}");
    assert_eq!(audit_count(&app, "upstream.").await, 5);
}

/// YZ-15c: in 鄞州 an application that was refused is taken to the demand list, linked to it, for the district
/// authority to negotiate; once only.
pub async fn yz_15c_a_refused_application_is_escalated_to_the_demand_list(app: TestApp) {
    let app = app.sibling("yinzhou-2023").await;
    let code = shared_population(&app, "yinzhou-2023", json!({"attr": "unconditional", "ops": ["view"], "period_months": 24})).await;
    let civil = app.login("officer-mz").await;
    let (status, filed) = apply(&app, &civil, application(&code, &["zjhm", "xm"], &["view"])).await;
    assert_eq!((status, filed["state"].as_str()), (201, Some("authority_review")), "{filed}");
    let id = filed["id"].as_i64().unwrap();
    let path = format!("/api/v1/share/applications/{id}/escalate");
    let (status, body) = app.json(Method::POST, &path, Some(&civil), None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("application_not_refused")), "{body}");
    let admin = app.login("admin").await;
    let (status, _) = answer(&app, &admin, id, json!({"approve": false, "reason": "用途不明确"})).await;
    assert_eq!(status, 200);
    let (status, _) = app.json(Method::POST, &path, Some(&app.login("officer-sj").await), None).await;
    assert_eq!(status, 404, "not another department's to escalate");
    let (status, demand) = app.json(Method::POST, &path, Some(&civil), None).await;
    assert_eq!((status, demand["source_application_id"].as_i64(), demand["state"].as_str()), (201, Some(id), Some("provider_review")), "{demand}");
    let (status, body) = app.json(Method::POST, &path, Some(&civil), None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("application_escalated")), "{body}");
    let (_, list) = app.json(Method::GET, "/api/v1/share/demands", Some(&admin), None).await;
    assert!(list["items"].as_array().unwrap().iter().any(|d| d["source_application_id"] == id), "the authority sees it: {list}");
    // 鄞州 has no dispute procedure: the demand list is the way.
    let body = json!({"respondent_department_id": app.department_id("公安局").await, "subject": "x", "claim": "y"});
    let (status, body) = app.json(Method::POST, "/api/v1/share/disputes", Some(&civil), Some(body)).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("no_dispute_mechanism")), "{body}");
}

/// Bad input on disputes and upstream requests: missing and oversized fields, unknown departments, resources and
/// applications not between the parties, unknown steps — a 4xx naming each problem, nothing stored.
pub async fn disputes_bad_input_is_refused_and_stores_nothing(app: TestApp) {
    let civil = app.login("officer-mz").await;
    let own = app.department_id("市民政局").await;
    let cases = [
        (json!({"respondent_department_id": own, "subject": "", "claim": "x".repeat(2001)}), vec!["subject", "claim", "respondent_department_id"]),
        (json!({"respondent_department_id": 999_999, "subject": "s", "claim": "c", "resource_code": "NOPE-1"}), vec!["respondent_department_id", "resource_code"]),
        (json!({"respondent_department_id": app.department_id("市公安局").await, "subject": "s", "claim": "c", "application_id": 424242}), vec!["application_id"]),
    ];
    for (body, fields) in cases {
        let (status, e) = app.json(Method::POST, "/api/v1/share/disputes", Some(&civil), Some(body)).await;
        assert_eq!((status, e["error"]["code"].as_str()), (400, Some("invalid_dispute")), "{e}");
        let got: Vec<&str> = e["error"]["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
        assert_eq!(got, fields, "{e}");
        assert!(!e["error"]["message"].as_str().unwrap().is_empty() && !e["error"]["message_en"].as_str().unwrap().is_empty());
    }
    let (status, e) = app.json(Method::POST, "/api/v1/share/disputes", Some(&civil), Some(json!({"respondent_department_id": "x"}))).await;
    assert_eq!((status, e["error"]["code"].as_str()), (422, Some("invalid_body")), "{e}");
    let (status, e) = app.json(Method::POST, "/api/v1/share/disputes/1/steps", Some(&civil), Some(json!({"step": "explode"}))).await;
    assert_eq!(status, 422, "{e}");
    let (status, _) = app.json(Method::POST, "/api/v1/share/disputes/99/steps", Some(&civil), Some(json!({"step": "settle", "text": "t"}))).await;
    assert_eq!(status, 404);
    let (status, _) = app.json(Method::GET, "/api/v1/share/disputes/abc", Some(&civil), None).await;
    assert_eq!(status, 400);
    let (status, e) = app.json(Method::POST, "/api/v1/share/upstream", Some(&civil), Some(json!({"target": "mars", "holder": "h", "description": "d", "scenario": "s", "basis": "b"}))).await;
    assert_eq!(status, 422, "{e}");
    let (status, e) = app.json(Method::POST, "/api/v1/share/upstream", Some(&civil), Some(json!({"target": "national", "holder": " ", "description": "d", "scenario": "", "basis": "b", "items": [""]}))).await;
    let got: Vec<&str> = e["error"]["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    assert_eq!((status, got), (400, vec!["holder", "scenario", "items"]), "{e}");
    let (_, disputes) = app.json(Method::GET, "/api/v1/share/disputes", Some(&app.login("admin").await), None).await;
    let (_, upstream) = app.json(Method::GET, "/api/v1/share/upstream", Some(&app.login("admin").await), None).await;
    assert_eq!((disputes["total"].as_i64(), upstream["total"].as_i64()), (Some(0), Some(0)), "nothing stored");
    assert_eq!(audit_count(&app, "dispute.").await + audit_count(&app, "upstream.").await, 0);
}
