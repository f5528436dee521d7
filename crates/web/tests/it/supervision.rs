//! The authority's supervision of the catalog through the HTTP API: conditions the platform cannot enforce, on
//! SQLite and PostgreSQL.

use reqwest::Method;
use serde_json::json;

use crate::catalog::{complete, create, publish};
use crate::common::TestApp;

/// FS-14f: the list of conditions is open, so an `other` condition is accepted, and the supervision report lists
/// the entries whose conditions people, not the platform, enforce.
pub async fn fs_14f_conditions_in_words_are_reported_as_not_machine_enforced(app: TestApp) {
    let app = app.sibling("foshan-2020").await;
    let officer = app.login("officer-mz").await;
    let civil = app.department_id("民政局").await;
    let mut manual = complete("foshan-2020", "社会救助对象信息");
    manual["sharing"] = json!({
        "attr": "conditional", "ops": ["view"], "period_months": 12,
        "conditions": [{"kind": "other", "description": "仅在救助审批期间、经本局分管领导同意后提供"}],
        "basis": [{"instrument": "administrative_regulation", "name": "《社会救助暂行办法》"}]
    });
    let manual_code = create(&app, &officer, civil, manual.clone()).await;
    publish(&app, &manual_code, &officer).await;
    let mut mixed = manual.clone();
    mixed["name"] = json!("低保家庭收入核对信息");
    mixed["sharing"]["conditions"] = json!([
        {"kind": "compare_only", "compare_method": "按公民身份号码比对收入区间", "use_purpose": "低保资格核对"},
        {"kind": "other", "description": "每次比对须登记审批单号"}
    ]);
    let mixed_code = create(&app, &officer, civil, mixed).await;
    publish(&app, &mixed_code, &officer).await;
    let mut enforced = manual.clone();
    enforced["name"] = json!("婚姻登记信息");
    enforced["sharing"]["conditions"] = json!([{"kind": "view_only", "view_method": "平台内查阅", "use_purpose": "婚姻状况核查"}]);
    let enforced_code = create(&app, &officer, civil, enforced).await;
    publish(&app, &enforced_code, &officer).await;

    let admin = app.login("admin").await;
    let (status, report) = app.json(Method::GET, "/api/v1/catalog/reports/conditions", Some(&admin), None).await;
    assert_eq!(status, 200, "{report}");
    let rows: Vec<(&str, bool)> = report["items"].as_array().unwrap().iter().map(|r| (r["code"].as_str().unwrap(), r["only_manual"].as_bool().unwrap())).collect();
    assert!(rows.contains(&(manual_code.as_str(), true)), "only words: {report}");
    assert!(rows.contains(&(mixed_code.as_str(), false)), "partly machine-enforced: {report}");
    assert!(!rows.iter().any(|(c, _)| *c == enforced_code), "enforced by the platform: {report}");
    let row = report["items"].as_array().unwrap().iter().find(|r| r["code"] == manual_code.as_str()).unwrap();
    assert_eq!(row["descriptions"][0], "仅在救助审批期间、经本局分管领导同意后提供");
    let (status, _) = app.json(Method::GET, "/api/v1/catalog/reports/conditions", Some(&officer), None).await;
    assert_eq!(status, 403, "a department does not supervise");
}

async fn objection_state(app: &TestApp, token: &str, id: i64) -> serde_json::Value {
    let (status, body) = app.json(Method::GET, &format!("/api/v1/catalog/objections/{id}"), Some(token), None).await;
    assert_eq!(status, 200, "{body}");
    body
}

/// FS-16a: another department objects to an entry's share type; the source department and the same-level
/// authority decide together, and once both agree the new type is in force and the case is closed.
pub async fn fs_16a_a_share_type_objection_is_settled_by_the_source_and_the_authority(app: TestApp) {
    // 双鸭山 sets no such procedure: objections are refused outright.
    let officer = app.login("officer-sj").await;
    let code = create(&app, &officer, app.department_id("市场监督管理局").await, complete("shuangyashan-2026", "企业年报信息")).await;
    publish(&app, &code, &officer).await;
    let raise = json!({"kind": "share", "proposed_attr": "none", "grounds": "涉及商业秘密"});
    let (status, body) = app.json(Method::POST, &format!("/api/v1/resources/{code}/objections"), Some(&app.login("officer").await), Some(raise)).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("objections_not_in_regime")), "{body}");

    let app = app.sibling("foshan-2020").await;
    let officer = app.login("officer").await;
    let police = app.department_id("公安局").await;
    let mut content = complete("foshan-2020", "出入境证件信息");
    content["sharing"] = json!({"attr": "none", "basis": [{"instrument": "law", "name": "《中华人民共和国出境入境管理法》"}], "period_months": 12});
    let code = create(&app, &officer, police, content).await;
    publish(&app, &code, &officer).await;

    let civil = app.login("officer-mz").await;
    let raise = json!({"kind": "share", "proposed_attr": "conditional", "grounds": "办理涉外婚姻登记须核验出入境证件，宜有条件共享"});
    let (status, case) = app.json(Method::POST, &format!("/api/v1/resources/{code}/objections"), Some(&civil), Some(raise.clone())).await;
    assert_eq!(status, 201, "{case}");
    let id = case["id"].as_i64().unwrap();
    let parties: Vec<(&str, &str)> = case["parties"].as_array().unwrap().iter().map(|p| (p["party"].as_str().unwrap(), p["department"].as_str().unwrap())).collect();
    assert_eq!(parties, [("source", "佛山市公安局"), ("authority", "佛山市数据局")], "the deciders are set by the rule: {case}");
    assert_eq!((case["state"].as_str(), case["current_attr"].as_str()), (Some("negotiating"), Some("none")));
    let (status, _) = app.json(Method::POST, &format!("/api/v1/resources/{code}/objections"), Some(&civil), Some(raise)).await;
    assert_eq!(status, 409, "one case at a time");

    let position = |outcome: &str, sharing: Option<serde_json::Value>| {
        let mut b = json!({"outcome": outcome, "comment": "经协商"});
        if let Some(s) = sharing {
            b["sharing"] = s;
        }
        b
    };
    let path = format!("/api/v1/catalog/objections/{id}/positions");
    let (status, body) = app.json(Method::POST, &path, Some(&civil), Some(position("change", None))).await;
    assert_eq!(status, 403, "the objecting department does not decide: {body}");
    let (status, body) = app.json(Method::POST, &path, Some(&officer), Some(position("change", None))).await;
    let missing: Vec<&str> = body["error"]["fields"].as_array().map(|a| a.iter().filter_map(|f| f["field"].as_str()).collect()).unwrap_or_default();
    assert_eq!((status, missing), (400, vec!["share_ops", "sharing.conditions"]), "the published section with the type changed still needs its operations and conditions: {body}");
    let conditional = json!({
        "attr": "conditional", "ops": ["compare"], "period_months": 12,
        "conditions": [{"kind": "specific_departments", "department_ids": [app.department_id("民政局").await], "use_purpose": "涉外婚姻登记核验"}],
        "basis": [{"instrument": "law", "name": "《中华人民共和国出境入境管理法》"}]
    });
    let (status, body) = app.json(Method::POST, &path, Some(&officer), Some(position("change", Some(conditional)))).await;
    assert_eq!((status, body["state"].as_str()), (200, Some("negotiating")), "{body}");

    let admin = app.login("admin").await;
    let (_, body) = app.json(Method::POST, &path, Some(&admin), Some(position("keep", None))).await;
    assert_eq!(body["state"], "negotiating", "they disagree: {body}");
    let (_, entry) = app.json(Method::GET, &format!("/api/v1/resources/{code}"), Some(&admin), None).await;
    assert_eq!(entry["published"]["content"]["sharing"]["attr"], "none", "nothing changes while they negotiate");

    let (status, body) = app.json(Method::POST, &path, Some(&admin), Some(position("change", None))).await;
    assert_eq!((status, body["state"].as_str()), (200, Some("changed")), "{body}");
    let (_, entry) = app.json(Method::GET, &format!("/api/v1/resources/{code}"), Some(&admin), None).await;
    assert_eq!(entry["published"]["content"]["sharing"]["attr"], "conditional", "{entry}");
    assert_eq!(entry["published"]["rev"], body["applied_rev"]);
    let (status, closed) = app.json(Method::POST, &path, Some(&officer), Some(position("keep", None))).await;
    assert_eq!((status, closed["error"]["code"].as_str()), (400, Some("objection_closed")));
    let (_, audit) = app.json(Method::GET, "/api/v1/audit/events?action=catalog.objection.settle", Some(&app.login("auditor").await), None).await;
    assert_eq!(audit["total"], 1, "{audit}");
}

/// FS-16b: an objection to the open type also needs the government-disclosure authority; with only the source and
/// the data authority agreed, it stays open.
pub async fn fs_16b_an_open_type_objection_also_needs_the_disclosure_authority(app: TestApp) {
    let app = app.sibling("foshan-2020").await;
    let officer = app.login("officer-sj").await;
    let market = app.department_id("市场监督管理局").await;
    let mut content = complete("foshan-2020", "企业行政处罚信息");
    content["items"] = json!([{"name": "tyshxydm", "label": "统一社会信用代码", "data_type": "string", "is_key": true, "identifier": "uscc"}]);
    content["opening"] = json!({"attr": "none", "not_open_reason": "public_interest"});
    let code = create(&app, &officer, market, content).await;
    publish(&app, &code, &officer).await;
    let police = app.login("officer").await;
    let (status, case) = app
        .json(Method::POST, &format!("/api/v1/resources/{code}/objections"), Some(&police), Some(json!({"kind": "open", "proposed_attr": "unconditional", "grounds": "行政处罚决定依法应当公开"})))
        .await;
    assert_eq!(status, 201, "{case}");
    let id = case["id"].as_i64().unwrap();
    let labels: Vec<&str> = case["parties"].as_array().unwrap().iter().map(|p| p["label"].as_str().unwrap()).collect();
    assert_eq!(labels, ["数源部门", "同级政务数据主管部门", "政务公开主管部门"]);
    assert_eq!(case["parties"][2]["department"], "佛山市人民政府办公室", "{case}");
    let path = format!("/api/v1/catalog/objections/{id}/positions");
    let opening = json!({"attr": "unconditional", "ops": ["bulk_obtain"], "scope": "全市行政处罚决定"});
    let (status, body) = app.json(Method::POST, &path, Some(&officer), Some(json!({"outcome": "change", "comment": "同意公开", "opening": opening}))).await;
    assert_eq!(status, 200, "{body}");
    let admin = app.login("admin").await;
    let (_, body) = app.json(Method::POST, &path, Some(&admin), Some(json!({"outcome": "change", "comment": "同意"}))).await;
    assert_eq!(body["state"], "negotiating", "waits for the disclosure authority: {body}");
    assert!(body["parties"][2]["position"].is_null());
    let (_, open) = app.json(Method::GET, &format!("/api/v1/open/resources/{code}"), None, None).await;
    assert_eq!(open["error"]["code"], "not_found", "not open yet: {open}");

    let disclosure = app.login("officer-gk").await;
    let (_, seen) = app.json(Method::GET, "/api/v1/catalog/objections?open=true", Some(&disclosure), None).await;
    assert!(seen["items"].as_array().unwrap().iter().any(|o| o["id"] == id), "the disclosure authority sees the case: {seen}");
    let (status, body) = app.json(Method::POST, &path, Some(&disclosure), Some(json!({"outcome": "change", "comment": "符合政府信息公开要求"}))).await;
    assert_eq!((status, body["state"].as_str()), (200, Some("changed")), "{body}");
    let state = objection_state(&app, &admin, id).await;
    assert!(state["closed_at"].is_string());
    let (status, _) = app.json(Method::GET, &format!("/api/v1/open/resources/{code}"), None, None).await;
    assert_eq!(status, 200, "open once all three agree");
}

/// CS-25a: every department submits its sharing, opening and application-scenario lists each year; after the
/// configured cut-off the report names the department still missing one.
pub async fn cs_25a_departments_submit_their_three_lists_every_year(app: TestApp) {
    let (status, body) = app.json(Method::GET, "/api/v1/catalog/submissions/2026", Some(&app.login("admin").await), None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("no_yearly_lists")), "双鸭山 has no yearly lists: {body}");

    let app = app.sibling("changsha-2021").await;
    app.clock.set_day("2026-12-10");
    let officer = app.login("officer-sj").await;
    let market = app.department_id("市场监督管理局").await;
    let mut content = complete("changsha-2021", "企业登记信息");
    content["items"] = json!([{"name": "tyshxydm", "label": "统一社会信用代码", "data_type": "string", "is_key": true, "identifier": "uscc"}]);
    let code = create(&app, &officer, market, content).await;
    publish(&app, &code, &officer).await;
    let police = app.login("officer").await;
    let other = create(&app, &police, app.department_id("公安局").await, complete("changsha-2021", "户籍人口基本信息")).await;
    publish(&app, &other, &police).await;

    for kind in ["share_list", "open_list"] {
        let (status, table) = app.json(Method::POST, &format!("/api/v1/catalog/lists/{kind}/2026/submissions"), Some(&officer), Some(json!({}))).await;
        assert_eq!(status, 201, "{table}");
        if kind == "share_list" {
            let codes: Vec<&str> = table["rows"].as_array().unwrap().iter().map(|r| r[0].as_str().unwrap()).collect();
            assert_eq!(codes, [code.as_str()], "its own published entries only: {table}");
        }
    }
    let (status, body) = app.json(Method::POST, "/api/v1/catalog/lists/scenario_list/2026/submissions", Some(&police), Some(json!({"department_id": market}))).await;
    assert_eq!(status, 403, "not for another department: {body}");
    let (status, body) = app.json(Method::POST, "/api/v1/catalog/lists/negative_list/2026/submissions", Some(&officer), Some(json!({}))).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("unknown_list")), "{body}");

    let admin = app.login("admin").await;
    let row_of = |report: &serde_json::Value| report["departments"].as_array().unwrap_or_else(|| panic!("{report}")).iter().find(|d| d["department_id"] == market).cloned().unwrap_or_else(|| panic!("{report}"));
    let (_, report) = app.json(Method::GET, "/api/v1/catalog/submissions/2026", Some(&admin), None).await;
    let row = row_of(&report);
    assert_eq!((row["missing"].clone(), row["overdue"].as_bool()), (json!(["scenario_list"]), Some(false)), "before the cut-off: {report}");
    assert_eq!(report["cutoff"], "2026-12-31", "the profile's day until the authority sets one");
    let (status, report) = app.json(Method::PUT, "/api/v1/catalog/submissions/2026/cutoff", Some(&admin), Some(json!({"cutoff": "2026-12-09"}))).await;
    assert_eq!((status, report["cutoff"].as_str()), (200, Some("2026-12-09")), "{report}");
    let (_, report) = app.json(Method::GET, "/api/v1/catalog/submissions/2026", Some(&admin), None).await;
    let row = row_of(&report);
    assert_eq!((row["missing"].clone(), row["overdue"].as_bool()), (json!(["scenario_list"]), Some(true)), "after it, 数据应用场景清单 is missing: {report}");
    assert!(!report["departments"].as_array().unwrap().iter().any(|d| d["department_name"].as_str().unwrap().contains("数据局")), "the bureau itself submits none");
    let (_, own) = app.json(Method::GET, "/api/v1/catalog/submissions/2026", Some(&officer), None).await;
    assert_eq!(own["departments"].as_array().unwrap().len(), 1, "a department sees its own row: {own}");
    let (status, kept) = app.json(Method::GET, &format!("/api/v1/catalog/lists/share_list/2026/submissions/{market}"), Some(&admin), None).await;
    assert_eq!((status, kept["rows"].as_array().map(|r| r.len())), (200, Some(1)), "{kept}");
}

/// SYS-36e, SYS-69b: the authority evaluates each department's catalog — complete under the norm in force,
/// conforming to the classification standard, opened, and updated on time; data quality joins once data is
/// delivered.
pub async fn sys_36e_sys_69b_each_departments_catalog_is_evaluated(app: TestApp) {
    let officer = app.login("officer-sj").await;
    let market = app.department_id("市场监督管理局").await;
    let mut opened = complete("shuangyashan-2026", "企业登记信息");
    opened["classification"] = json!("法人");
    opened["items"] = json!([{"name": "tyshxydm", "label": "统一社会信用代码", "data_type": "string", "is_key": true, "identifier": "uscc"}]);
    opened["opening"] = crate::catalog::opened(json!({"attr": "unconditional", "ops": ["bulk_obtain"], "scope": "全市"}));
    let a = create(&app, &officer, market, opened).await;
    publish(&app, &a, &officer).await;
    let mut closed = complete("shuangyashan-2026", "食品经营许可信息");
    closed["classification"] = json!("许可");
    closed.as_object_mut().unwrap().remove("reference_standards");
    let b = create(&app, &officer, market, closed).await;
    publish(&app, &b, &officer).await;

    let admin = app.login("admin").await;
    let (_, norm) = app.json(Method::GET, "/api/v1/catalog/schema", Some(&admin), None).await;
    let mut required = norm["required"].as_array().unwrap().clone();
    let before = required.len() as f64;
    required.push(json!("reference_standards"));
    app.json(Method::PUT, "/api/v1/catalog/schema", Some(&admin), Some(json!({"required": required}))).await;
    app.json(Method::PUT, "/api/v1/catalog/classification-scheme", Some(&admin), Some(json!({"categories": ["法人", "人口"]}))).await;
    let (status, body) = app
        .json(Method::POST, "/api/v1/catalog/obligations", Some(&admin), Some(json!({"department_id": market, "cause": "law_change", "description": "《市场主体登记管理条例》施行", "occurred_on": "2026-09-01"})))
        .await;
    assert_eq!(status, 201, "{body}");

    let (status, report) = app.json(Method::GET, "/api/v1/catalog/reports/departments", Some(&app.login("auditor").await), None).await;
    assert_eq!(status, 200, "{report}");
    let row = report["items"].as_array().unwrap().iter().find(|r| r["department_id"] == market).unwrap_or_else(|| panic!("{report}"));
    let expected_completeness = ((1.0 + before / (before + 1.0)) / 2.0 * 1000.0).round() / 10.0;
    assert_eq!(row["entries"], 2, "{row}");
    assert_eq!(row["completeness_percent"].as_f64(), Some(expected_completeness), "compilation: {row}");
    assert_eq!(row["conforming_percent"].as_f64(), Some(50.0), "conformity to the standard: {row}");
    assert_eq!(row["open_entries"], 1, "opening: {row}");
    assert_eq!((row["updates_due"].as_i64(), row["updates_on_time"].as_i64(), row["timeliness_percent"].as_f64()), (Some(1), Some(0), Some(0.0)), "updates: {row}");
    assert!(row["quality_pass_percent"].is_null(), "no data delivered yet: {row}");
    let (status, _) = app.json(Method::GET, "/api/v1/catalog/reports/departments", Some(&officer), None).await;
    assert_eq!(status, 403);
}
