//! One data, one source: the register of source departments the regulation names, the authority's designations
//! and divisions, and the repeated collections it settles.

use reqwest::Method;
use serde_json::{json, Value};

use crate::catalog::{complete, create, publish};
use crate::common::TestApp;

async fn read_register(app: &TestApp) -> Vec<Value> {
    let (status, body) = app.json(Method::GET, "/api/v1/sources", Some(&app.login("officer").await), None).await;
    assert_eq!(status, 200, "{body}");
    body["items"].as_array().unwrap().clone()
}

fn class<'a>(register: &'a [Value], name: &str) -> &'a Value {
    register.iter().find(|s| s["class_name"] == name).unwrap_or_else(|| panic!("no class {name}"))
}

fn departments(source: &Value) -> Vec<String> {
    source["parties"].as_array().unwrap().iter().map(|p| p["department"].as_str().unwrap().to_string()).collect()
}

/// SYS-16d, SYS-16e: the register holds the natural-person and legal-person base data classes the regulation names,
/// mapped to the city's departments by name: 户籍登记数据 to the police, 出生和死亡登记数据 to three departments with
/// their division pending, and classes whose department the city lacks stay unassigned for the authority (SYS-16f).
pub async fn sys_16d_sys_16e_the_regulations_source_departments_are_registered(app: TestApp) {
    let register = read_register(&app).await;
    assert!(register.len() >= 17, "twelve natural-person and nine legal-person classes, less the catch-alls: {}", register.len());
    let hukou = class(&register, "户籍登记数据");
    assert_eq!((hukou["status"].as_str(), departments(hukou)), (Some("designated"), vec!["双鸭山市公安局".to_string()]), "{hukou}");
    let births = class(&register, "出生和死亡登记数据");
    assert_eq!(births["status"], "division_pending", "{births}");
    assert_eq!(departments(births), ["双鸭山市卫生健康委员会", "双鸭山市民政局", "双鸭山市公安局"]);
    let market = class(&register, "市场经营主体登记数据");
    assert_eq!(departments(market), ["双鸭山市市场监督管理局"]);
    let rural = class(&register, "农村集体经济组织的登记数据");
    assert_eq!((rural["status"].as_str(), rural["hints"][0].as_str()), (Some("unassigned"), Some("农业农村")), "{rural}");

    // The city registers its agriculture bureau; mapping again assigns the class to it.
    let admin = app.login("admin").await;
    let uscc = domain::ids::Uscc::complete("11230500MB0000001").as_str().to_string();
    let new = json!({"name": "双鸭山市农业农村局", "kind": "department", "region_code": "230500", "uscc": uscc});
    let (status, body) = app.json(Method::POST, "/api/v1/departments", Some(&admin), Some(new)).await;
    assert_eq!(status, 201, "{body}");
    let (status, adopted) = app.json(Method::POST, "/api/v1/sources/statutory", Some(&admin), None).await;
    assert_eq!((status, adopted["mapped"].as_i64(), adopted["added"].as_i64()), (200, Some(1), Some(0)), "{adopted}");
    let rural = class(&read_register(&app).await, "农村集体经济组织的登记数据").clone();
    assert_eq!((rural["status"].as_str(), departments(&rural)), (Some("designated"), vec!["双鸭山市农业农村局".to_string()]));
}

/// SYS-15b, SYS-15c: a second source department is refused without a registered division; a division that gives
/// an item to two departments is refused; one that divides the items is saved, and the class is designated.
pub async fn sys_15b_sys_15c_several_sources_need_a_division_of_the_items(app: TestApp) {
    let admin = app.login("admin").await;
    let register = read_register(&app).await;
    let marriage = class(&register, "婚姻登记数据");
    let (civil, police, health) = (app.department_id("市民政局").await, app.department_id("市公安局").await, app.department_id("卫生健康").await);
    let path = format!("/api/v1/sources/{}", marriage["id"]);
    let (status, body) = app.json(Method::PUT, &path, Some(&admin), Some(json!({"parties": [{"department_id": civil}, {"department_id": police}]}))).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("division_required")), "{body}");
    let births = class(&register, "出生和死亡登记数据");
    let path = format!("/api/v1/sources/{}", births["id"]);
    let overlapping = json!({"parties": [
        {"department_id": health, "items": ["出生医学证明编号", "死亡日期"]},
        {"department_id": police, "items": ["死亡日期", "户籍注销日期"]}
    ]});
    let (status, body) = app.json(Method::PUT, &path, Some(&admin), Some(overlapping)).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("division_overlap")), "{body}");
    let divided = json!({"parties": [
        {"department_id": health, "items": ["出生医学证明编号"]},
        {"department_id": civil, "items": ["死亡日期"]},
        {"department_id": police, "items": ["户籍注销日期"]}
    ], "standard": "GB/T 2261.1"});
    let (status, body) = app.json(Method::PUT, &path, Some(&admin), Some(divided)).await;
    assert_eq!((status, body["status"].as_str(), body["standard"].as_str()), (200, Some("designated"), Some("GB/T 2261.1")), "{body}");
    assert_eq!(body["parties"][2]["items"], json!(["户籍注销日期"]));
    let (status, _) = app.json(Method::PUT, &path, Some(&app.login("officer").await), Some(json!({"parties": []}))).await;
    assert_eq!(status, 403, "the authority designates");
    let (_, events) = app.json(Method::GET, "/api/v1/audit/events?action=sources.designate", Some(&app.login("auditor").await), None).await;
    assert!(events["items"].as_array().unwrap().iter().any(|e| e["detail"].as_str().unwrap().contains("户籍注销日期")), "{events}");
}

/// CS-15b, YZ-9b, SYS-15a: a published resource of 民政 that collects 户籍地址, whose source is the police, is listed
/// as a repeated collection pointing to the source; the authority settles it (obtain it by sharing), with its
/// reason, audited. Identifiers are keys, never flagged; another department does not see the flag.
pub async fn cs_15b_yz_9b_a_repeated_collection_is_flagged_and_settled(app: TestApp) {
    let officer = app.login("officer-mz").await;
    let mut content = complete("shuangyashan-2026", "低保对象信息");
    content["items"] = json!([
        {"name": "gmsfhm", "label": "公民身份号码", "data_type": "string", "is_key": true, "identifier": "citizen_id", "level": "l4"},
        {"name": "xm", "label": "姓名", "data_type": "string"},
        {"name": "hjdz", "label": "户籍地址", "data_type": "string"},
        {"name": "dblb", "label": "低保类别", "data_type": "string"}
    ]);
    let code = create(&app, &officer, app.department_id("市民政局").await, content).await;
    publish(&app, &code, &officer).await;
    let admin = app.login("admin").await;
    let (status, list) = app.json(Method::GET, "/api/v1/sources/repeated", Some(&admin), None).await;
    assert_eq!(status, 200, "{list}");
    let flagged: Vec<&Value> = list["items"].as_array().unwrap().iter().filter(|r| r["resource_code"] == code.as_str()).collect();
    assert_eq!(flagged.len(), 1, "户籍地址 only: 公民身份号码 is the key, 低保类别 is 民政's own: {list}");
    assert_eq!((flagged[0]["item"].as_str(), flagged[0]["class_name"].as_str()), (Some("hjdz"), Some("户籍登记数据")));
    assert_eq!(flagged[0]["source_departments"][0]["department"], "双鸭山市公安局");
    assert!(flagged[0]["settlement"].is_null());
    let (_, own) = app.json(Method::GET, "/api/v1/sources/repeated", Some(&officer), None).await;
    assert_eq!(own["total"], 1, "the department sees its own: {own}");
    let (_, other) = app.json(Method::GET, "/api/v1/sources/repeated", Some(&app.login("officer-sj").await), None).await;
    assert_eq!(other["total"], 0, "{other}");

    for (body, expected) in [
        (json!({"resource_code": code, "item": "hjdz", "decision": "ignore", "reason": "x"}), 400),
        (json!({"resource_code": code, "item": "hjdz", "decision": "use_sharing", "reason": " "}), 400),
        (json!({"resource_code": code, "item": "dblb", "decision": "use_sharing", "reason": "x"}), 404),
    ] {
        let (status, refused) = app.json(Method::POST, "/api/v1/sources/repeated", Some(&admin), Some(body)).await;
        assert_eq!(status, expected, "{refused}");
    }
    let settle = json!({"resource_code": code, "item": "hjdz", "decision": "use_sharing", "reason": "户籍地址由公安局提供，通过共享获取，不再重复采集"});
    let (status, _) = app.json(Method::POST, "/api/v1/sources/repeated", Some(&officer), Some(settle.clone())).await;
    assert_eq!(status, 403);
    let (status, settled) = app.json(Method::POST, "/api/v1/sources/repeated", Some(&admin), Some(settle)).await;
    assert_eq!((status, settled["settlement"]["decision"].as_str(), settled["settlement"]["settled_by"].as_str()), (200, Some("use_sharing"), Some("admin")), "{settled}");
    let (_, events) = app.json(Method::GET, &format!("/api/v1/audit/events?action=sources.settle&object_id={code}"), Some(&app.login("auditor").await), None).await;
    assert_eq!(events["total"], 1, "{events}");
}
