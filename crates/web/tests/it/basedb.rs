//! Base databases over the source departments' resources, the cross-source checks, and backflow to districts.

use reqwest::Method;
use serde_json::{json, Value};

use crate::aggregation::id;
use crate::catalog::{complete, create, publish};
use crate::common::TestApp;

/// Publishes a resource of `department` with `items` (a citizen ID key first) and delivers `csv`.
async fn delivered(app: &TestApp, token: &str, department: &str, name: &str, items: Value, csv: String) -> String {
    let mut content = complete("shuangyashan-2026", name);
    content["items"] = items;
    let code = create(app, token, app.department_id(department).await, content).await;
    publish(app, &code, token).await;
    let r = app.client.post(format!("{}/api/v1/resources/{code}/batches", app.base)).bearer_auth(token).header("content-type", "text/csv").body(csv).send().await.unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    code
}

fn key() -> Value {
    json!({"name": "gmsfhm", "label": "公民身份号码", "data_type": "string", "is_key": true, "identifier": "citizen_id", "level": "l4"})
}

/// The police's household register and civil affairs' marriage register, delivered; civil affairs also keeps
/// addresses, one of them different from the police's.
async fn two_sources(app: &TestApp) -> (String, String) {
    let police = app.login("officer").await;
    let mut csv = String::from("gmsfhm,xm,xb,csrq,zz\n");
    for n in 0..3 {
        csv.push_str(&format!("{},居民{n},男,1980-01-{:02},尖山区中心街道{n}号\n", id(n), n + 1));
    }
    let hukou = delivered(
        app,
        &police,
        "市公安局",
        "户籍人口基本信息",
        json!([key(), {"name": "xm", "label": "姓名", "data_type": "string"}, {"name": "xb", "label": "性别", "data_type": "string"},
               {"name": "csrq", "label": "出生日期", "data_type": "date"}, {"name": "zz", "label": "住址", "data_type": "string"}]),
        csv,
    )
    .await;
    let civil = app.login("officer-mz").await;
    let mut csv = String::from("gmsfhm,hyzk,zz\n");
    csv.push_str(&format!("{},已婚,尖山区中心街道0号\n", id(0)));
    csv.push_str(&format!("{},未婚,岭东区七星街道9号\n", id(1)));
    let marriage = delivered(
        app,
        &civil,
        "市民政局",
        "婚姻登记信息",
        json!([key(), {"name": "hyzk", "label": "婚姻状况", "data_type": "string"}, {"name": "zz", "label": "住址", "data_type": "string"}]),
        csv,
    )
    .await;
    (hukou, marriage)
}

/// SYS-19a, CS-19b, LS-14c: the natural-person base database reads each field from its designated source — 住址,
/// 性别, 出生日期 from the police's household register, 婚姻状况 from civil affairs — and a lookup of one citizen ID
/// answers each value labelled with its source department, resource and version; its lineage names both
/// resources. Only the authority looks records up, with the purpose audited; a bad ID is a 400.
pub async fn sys_19a_cs_19b_ls_14c_the_population_base_reads_each_field_from_its_source(app: TestApp) {
    let (hukou, marriage) = two_sources(&app).await;
    let admin = app.login("admin").await;
    let (status, base) = app.json(Method::GET, "/api/v1/base/natural_person", Some(&admin), None).await;
    assert_eq!((status, base["key"].as_str()), (200, Some("公民身份号码")), "{base}");
    let field = |label: &str| base["fields"].as_array().unwrap().iter().find(|f| f["label"] == label).cloned().unwrap_or_else(|| panic!("no field {label}: {base}"));
    assert_eq!((field("住址")["resource_code"].as_str(), field("住址")["source_department"].as_str()), (Some(hukou.as_str()), Some("双鸭山市公安局")));
    assert_eq!(field("婚姻状况")["resource_code"].as_str(), Some(marriage.as_str()));
    assert!(field("民族")["resource_code"].is_null(), "a field no source has delivered yet");
    let lineage: Vec<&str> = base["sources"].as_array().unwrap().iter().map(|s| s["code"].as_str().unwrap()).collect();
    assert_eq!(lineage, [hukou.as_str(), marriage.as_str()]);

    let (status, record) = app.json(Method::GET, &format!("/api/v1/base/natural_person/records/{}?purpose=社会救助资格核查", id(0)), Some(&admin), None).await;
    assert_eq!((status, record["found"].as_bool()), (200, Some(true)), "{record}");
    let value = |label: &str| record["values"].as_array().unwrap().iter().find(|v| v["label"] == label).cloned().unwrap_or_else(|| panic!("no {label}: {record}"));
    assert_eq!((value("住址")["value"].as_str(), value("住址")["source_department"].as_str()), (Some("尖山区中心街道0号"), Some("双鸭山市公安局")));
    assert_eq!((value("婚姻状况")["value"].as_str(), value("婚姻状况")["source_department"].as_str()), (Some("已婚"), Some("双鸭山市民政局")));
    assert_eq!(value("出生日期")["value"], "1980-01-01");
    let (_, record) = app.json(Method::GET, &format!("/api/v1/base/natural_person/records/{}", id(2)), Some(&admin), None).await;
    assert!(!record["values"].as_array().unwrap().iter().any(|v| v["label"] == "婚姻状况"), "no marriage record for this one: {record}");
    let (status, body) = app.json(Method::GET, "/api/v1/base/natural_person/records/230502198001010001", Some(&admin), None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("invalid_citizen_id")), "{body}");
    let (status, _) = app.json(Method::GET, "/api/v1/base/spatial", Some(&admin), None).await;
    assert_eq!(status, 404);
    let (status, _) = app.json(Method::GET, &format!("/api/v1/base/natural_person/records/{}", id(0)), Some(&app.login("officer").await), None).await;
    assert_eq!(status, 403, "departments use the base through sharing");
    let (_, events) = app.json(Method::GET, "/api/v1/audit/events?action=basedb.lookup", Some(&app.login("auditor").await), None).await;
    assert!(events["items"].as_array().unwrap().iter().any(|e| e["purpose"] == "社会救助资格核查"), "{events}");
}

/// LS-13a, YZ-11a: 多源校核 — civil affairs holds an address for one person that differs from the police's, the
/// source: the check lists it with both values and both departments, for the authority and for the police (the
/// source department), not for others.
pub async fn ls_13a_yz_11a_values_differing_from_the_source_are_listed(app: TestApp) {
    let (hukou, marriage) = two_sources(&app).await;
    let (status, list) = app.json(Method::GET, "/api/v1/base/natural_person/conflicts", Some(&app.login("admin").await), None).await;
    assert_eq!((status, list["total"].as_i64()), (200, Some(1)), "one of two addresses differs: {list}");
    let c = &list["items"][0];
    assert_eq!((c["key"].as_str(), c["label"].as_str()), (Some(id(1).as_str()), Some("住址")));
    assert_eq!((c["source_value"].as_str(), c["other_value"].as_str()), (Some("尖山区中心街道1号"), Some("岭东区七星街道9号")));
    assert_eq!((c["source_resource"].as_str(), c["other_resource"].as_str(), c["other_department"].as_str()), (Some(hukou.as_str()), Some(marriage.as_str()), Some("双鸭山市民政局")));
    let (_, mine) = app.json(Method::GET, "/api/v1/base/natural_person/conflicts", Some(&app.login("officer").await), None).await;
    assert_eq!(mine["total"], 1, "the source department checks its fields");
    let (_, other) = app.json(Method::GET, "/api/v1/base/natural_person/conflicts", Some(&app.login("officer-sj").await), None).await;
    assert_eq!(other["total"], 0);
}

/// SYS-30a, SYS-30b: a city resource's rows of 尖山区 (by the citizen IDs' region) flow back to 尖山区's department
/// completely and with no approval step; the delivery is in the audit log with the duty it serves; a purpose is
/// required and a city department gets no backflow.
pub async fn sys_30a_sys_30b_a_districts_rows_flow_back_with_their_purpose(app: TestApp) {
    let police = app.login("officer").await;
    let mut csv = String::from("gmsfhm,xm\n");
    let person = |district: &str, n: u32| domain::ids::CitizenId::complete(&format!("{district}19800101{n:03}")).as_str().to_string();
    for n in 0..7 {
        csv.push_str(&format!("{},尖山{n}\n", person("230502", n)));
    }
    for n in 0..4 {
        csv.push_str(&format!("{},岭东{n}\n", person("230503", n)));
    }
    let code = delivered(&app, &police, "市公安局", "户籍人口基本信息", json!([key(), {"name": "xm", "label": "姓名", "data_type": "string"}]), csv).await;
    // A data officer of 尖山区's police sub-bureau.
    let district_police = app.department_id("区公安分局").await;
    let input = service::users::UserInput {
        username: "officer-jsga".into(),
        display_name: "尖山分局数据专员".into(),
        password: "district-officer-1".into(),
        department_id: Some(district_police),
        roles: vec![domain::roles::Role::DeptDataOfficer],
    };
    service::users::create_user(&app.platform, &service::Actor::cli(), input).await.unwrap();
    let district = app.login_with("officer-jsga", "district-officer-1").await;
    let r = app.call(Method::GET, &format!("/api/v1/resources/{code}/backflow?purpose=%E6%88%B7%E7%B1%8D%E7%AE%A1%E7%90%86"), Some(&district), None).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-rows"], "7");
    let text = r.text().await.unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!((lines[0], lines.len()), ("gmsfhm,xm", 8), "exactly 尖山区's seven: {text}");
    assert!(lines[1..].iter().all(|l| l.starts_with("230502")), "{text}");
    let (status, body) = app.json(Method::GET, &format!("/api/v1/resources/{code}/backflow"), Some(&district), None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("purpose_required")), "{body}");
    let (status, _) = app.json(Method::GET, &format!("/api/v1/resources/{code}/backflow?purpose=x"), Some(&police), None).await;
    assert_eq!(status, 403, "a city department has nothing flowing back to it");
    let (_, events) = app.json(Method::GET, &format!("/api/v1/audit/events?action=aggregation.backflow&object_id={code}"), Some(&app.login("auditor").await), None).await;
    assert_eq!((events["total"].as_i64(), events["items"][0]["purpose"].as_str()), (Some(1), Some("户籍管理")), "{events}");
}

/// SYS-28c: the authority runs the cross-check; the field whose values differ (住址, of the police's 户籍 resource) is
/// notified to its source department, the police, to verify — one notice, replaced by the next run's; a department
/// cannot run it, no other department is told, and each run is logged.
pub async fn sys_28c_a_cross_check_notifies_the_source_department(app: TestApp) {
    let (hukou, _) = two_sources(&app).await;
    let (status, _) = app.json(Method::POST, "/api/v1/base/natural_person/cross-check", Some(&app.login("officer").await), None).await;
    assert_eq!(status, 403, "the authority leads the cross-check");
    let admin = app.login("admin").await;
    let (status, run) = app.json(Method::POST, "/api/v1/base/natural_person/cross-check", Some(&admin), None).await;
    assert_eq!(status, 200, "{run}");
    assert_eq!(run["notices"].as_array().map(Vec::len), Some(1), "{run}");
    let n = &run["notices"][0];
    assert_eq!((n["label"].as_str(), n["records"].as_i64(), n["source_resource"].as_str()), (Some("住址"), Some(1), Some(hukou.as_str())), "{run}");
    let notices = |token: String| {
        let app = &app;
        async move {
            let (_, alerts) = app.json(Method::GET, "/api/v1/alerts?open=true", Some(&token), None).await;
            alerts["items"].as_array().unwrap().iter().filter(|a| a["kind"] == "cross_check_discrepancy").cloned().collect::<Vec<_>>()
        }
    };
    let police = notices(app.login("officer").await).await;
    assert_eq!(police.len(), 1, "the source department is told");
    assert!(police[0]["message"].as_str().unwrap().contains("1条记录的“住址”"), "{police:?}");
    assert!(notices(app.login("officer-sj").await).await.is_empty(), "no one else is");
    let (_, again) = app.json(Method::POST, "/api/v1/base/natural_person/cross-check", Some(&admin), None).await;
    assert_eq!(again["resolved"], 0, "replaced, not resolved: {again}");
    assert_eq!(notices(app.login("officer").await).await.len(), 1, "one notice, the newest run's");
    let (_, events) = app.json(Method::GET, "/api/v1/audit/events?action=basedb.cross_check", Some(&app.login("auditor").await), None).await;
    assert_eq!(events["total"], 2, "each run is logged: {events}");
}
