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
