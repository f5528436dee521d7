//! IT projects and their catalog gates, per regulation.

use reqwest::Method;
use serde_json::{json, Value};

use crate::catalog::{act, complete, create, publish};
use crate::common::TestApp;

async fn project(app: &TestApp, token: &str, department: i64, funding: &str, kind: &str) -> i64 {
    let (status, body) = app
        .json(Method::POST, "/api/v1/projects", Some(token), Some(json!({"name": "人口信息系统升级", "department_id": department, "funding": funding, "kind": kind})))
        .await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_i64().unwrap()
}

async fn stage(app: &TestApp, token: &str, id: i64, stage: &str) -> (u16, Value) {
    app.json(Method::POST, &format!("/api/v1/projects/{id}/stage"), Some(token), Some(json!({"stage": stage}))).await
}

async fn link(app: &TestApp, token: &str, id: i64, codes: &[&str]) {
    let (status, body) = app.json(Method::POST, &format!("/api/v1/projects/{id}/resources"), Some(token), Some(json!({"codes": codes}))).await;
    assert_eq!(status, 200, "{body}");
}

fn problems(body: &Value) -> Vec<String> {
    body["error"]["fields"].as_array().map(|a| a.iter().map(|f| f["message"].as_str().unwrap().to_string()).collect()).unwrap_or_default()
}

/// SYS-14a, SYS-14c: a project (fiscal or purchased service) is approved only once its catalog has been submitted
/// to the same-level authority; SYS-69c: with its open-catalog plan.
pub async fn sys_14a_sys_14c_approval_needs_the_catalog_submitted(app: TestApp) {
    let officer = app.login("officer").await;
    let police = app.department_id("公安局").await;
    for funding in ["fiscal", "purchased_service"] {
        let id = project(&app, &officer, police, funding, "upgrade").await;
        let (status, body) = stage(&app, &officer, id, "approved").await;
        assert_eq!((status, body["error"]["code"].as_str()), (400, Some("project_catalog_missing")), "{funding}: {body}");
        assert!(problems(&body)[0].contains("未提交公共数据资源目录"));
        let code = create(&app, &officer, police, complete("shuangyashan-2026", "人口信息系统数据")).await;
        link(&app, &officer, id, &[&code]).await;
        let (status, _) = stage(&app, &officer, id, "approved").await;
        assert_eq!(status, 400, "a draft is not submitted");
        assert_eq!(act(&app, &officer, &code, "submit", json!({})).await.0, 200);
        let (status, body) = stage(&app, &officer, id, "approved").await;
        assert_eq!((status, body["stage"].as_str()), (200, Some("approved")), "{body}");
    }
}

/// SYS-69c: the approval also needs an open-catalog plan: every linked entry states its open attribute.
pub async fn sys_69c_approval_needs_an_open_catalog_plan(app: TestApp) {
    let officer = app.login("officer").await;
    let police = app.department_id("公安局").await;
    let id = project(&app, &officer, police, "fiscal", "new").await;
    let mut content = complete("shuangyashan-2026", "新建系统数据");
    content.as_object_mut().unwrap().remove("opening");
    let code = create(&app, &officer, police, content).await;
    link(&app, &officer, id, &[&code]).await;
    let (_, report) = app.json(Method::GET, &format!("/api/v1/projects/{id}/check?gate=approval"), Some(&officer), None).await;
    assert_eq!(report["passed"], false);
    assert!(report["problems"].as_array().unwrap().iter().any(|p| p["message"].as_str().unwrap().contains("未同步规划编制开放目录")), "{report}");
}

/// SYS-14b: before acceptance every linked entry is published; the report names the one that is not.
pub async fn sys_14b_acceptance_names_the_unpublished_entry(app: TestApp) {
    let officer = app.login("officer").await;
    let police = app.department_id("公安局").await;
    let id = project(&app, &officer, police, "fiscal", "new").await;
    let a = create(&app, &officer, police, complete("shuangyashan-2026", "系统数据甲")).await;
    let b = create(&app, &officer, police, complete("shuangyashan-2026", "系统数据乙")).await;
    link(&app, &officer, id, &[&a, &b]).await;
    publish(&app, &a, &officer).await;
    assert_eq!(act(&app, &officer, &b, "submit", json!({})).await.0, 200);
    for s in ["approved", "construction", "completed"] {
        assert_eq!(stage(&app, &officer, id, s).await.0, 200, "{s}");
    }
    let (status, body) = stage(&app, &officer, id, "accepted").await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("project_catalog_unpublished")));
    let fields: Vec<&str> = body["error"]["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    assert_eq!(fields, [format!("resources[{b}]")]);
    let service = app.login("service").await;
    let admin = app.login("admin").await;
    assert_eq!(act(&app, &service, &b, "pass", json!({})).await.0, 200);
    assert_eq!(act(&app, &admin, &b, "pass", json!({})).await.0, 200);
    assert_eq!(stage(&app, &officer, id, "accepted").await.0, 200);
    let (status, _) = stage(&app, &officer, id, "planning").await;
    assert_eq!(status, 400, "stages only move forward");
}

/// LS-29a: 原则上 — without a pre-compiled catalog the project is refused, unless the authority approves an
/// exception with a reason; LS-29b: acceptance needs every entry published.
pub async fn ls_29a_ls_29b_approval_needs_a_precompiled_catalog_or_an_authority_exception(app: TestApp) {
    let app = app.sibling("lishui-2020").await;
    let officer = app.login("officer").await;
    let police = app.department_id("公安局").await;
    let id = project(&app, &officer, police, "fiscal", "new").await;
    assert_eq!(stage(&app, &officer, id, "approved").await.1["error"]["code"], "project_catalog_missing");
    let admin = app.login("admin").await;
    let (status, _) = app
        .json(Method::POST, &format!("/api/v1/projects/{id}/stage"), Some(&officer), Some(json!({"stage": "approved", "exception_reason": "应急项目"})))
        .await;
    assert_eq!(status, 400, "a department cannot grant itself the exception");
    let (status, body) = app
        .json(Method::POST, &format!("/api/v1/projects/{id}/stage"), Some(&admin), Some(json!({"stage": "approved", "exception_reason": "防汛应急项目，目录随后补编"})))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["exception_reason"], "防汛应急项目，目录随后补编");
    // A second project with a drafted (预编) entry passes without exception.
    let other = project(&app, &officer, police, "fiscal", "new").await;
    let code = create(&app, &officer, police, complete("lishui-2020", "项目预编目录")).await;
    link(&app, &officer, other, &[&code]).await;
    assert_eq!(stage(&app, &officer, other, "approved").await.0, 200);
    stage(&app, &officer, other, "construction").await;
    stage(&app, &officer, other, "completed").await;
    assert_eq!(stage(&app, &officer, other, "accepted").await.1["error"]["code"], "project_catalog_unpublished", "LS-29b");
}

/// YZ-8b: a construction plan without a preliminary catalog is refused, with no exception (no 原则上).
pub async fn yz_8b_the_construction_plan_needs_a_preliminary_catalog(app: TestApp) {
    let app = app.sibling("yinzhou-2023").await;
    let admin = app.login("admin").await;
    let police = app.department_id("公安局").await;
    let id = project(&app, &admin, police, "fiscal", "new").await;
    let (status, body) = app
        .json(Method::POST, &format!("/api/v1/projects/{id}/stage"), Some(&admin), Some(json!({"stage": "approved", "exception_reason": "应急"})))
        .await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("project_catalog_missing")), "鄞州 allows no exception");
}

/// CS-13a: a new project needs a published information-resource catalog entry before it moves on.
pub async fn cs_13a_a_project_needs_a_published_information_catalog(app: TestApp) {
    let app = app.sibling("changsha-2021").await;
    let officer = app.login("officer").await;
    let police = app.department_id("公安局").await;
    let id = project(&app, &officer, police, "fiscal", "new").await;
    let data = create(&app, &officer, police, complete("changsha-2021", "项目数据资源")).await;
    publish(&app, &data, &officer).await;
    link(&app, &officer, id, &[&data]).await;
    let (_, body) = stage(&app, &officer, id, "approved").await;
    assert!(problems(&body).iter().any(|m| m.contains("信息资源目录")), "{body}");
    let mut info = complete("changsha-2021", "项目信息资源");
    info["catalog_kind"] = json!("information");
    let info = create(&app, &officer, police, info).await;
    publish(&app, &info, &officer).await;
    link(&app, &officer, id, &[&info]).await;
    assert_eq!(stage(&app, &officer, id, "approved").await.0, 200);
}

/// Entries of another department cannot be linked, and bad values are named.
pub async fn projects_refuse_other_departments_entries_and_bad_values(app: TestApp) {
    let officer = app.login("officer").await;
    let police = app.department_id("公安局").await;
    let civil = app.department_id("市民政局").await;
    let mz = app.login("officer-mz").await;
    let civil_code = create(&app, &mz, civil, complete("shuangyashan-2026", "民政数据")).await;
    let id = project(&app, &officer, police, "fiscal", "new").await;
    let (status, body) = app.json(Method::POST, &format!("/api/v1/projects/{id}/resources"), Some(&officer), Some(json!({"codes": [civil_code]}))).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("not_own_resource")));
    let (status, body) = app
        .json(Method::POST, "/api/v1/projects", Some(&officer), Some(json!({"name": "x", "department_id": police, "funding": "loan", "kind": "new"})))
        .await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("invalid_value")));
    let (status, _) = app.json(Method::POST, "/api/v1/projects", Some(&mz), Some(json!({"name": "x", "department_id": police, "funding": "fiscal", "kind": "new"}))).await;
    assert_eq!(status, 403, "another department's project");
}

/// CS-13c: a new business system goes online only with its data-docking description and reserved share and open
/// interfaces; the refusal names what is missing.
pub async fn cs_13c_a_new_system_goes_online_with_its_docking_document_and_interfaces(app: TestApp) {
    let app = app.sibling("changsha-2021").await;
    let officer = app.login("officer").await;
    let police = app.department_id("公安局").await;
    let id = project(&app, &officer, police, "fiscal", "new").await;
    let mut info = complete("changsha-2021", "出入境管理信息");
    info["catalog_kind"] = json!("information");
    let info = create(&app, &officer, police, info).await;
    publish(&app, &info, &officer).await;
    link(&app, &officer, id, &[&info]).await;
    assert_eq!(stage(&app, &officer, id, "approved").await.0, 200);
    assert_eq!(stage(&app, &officer, id, "construction").await.0, 200);
    let (status, body) = stage(&app, &officer, id, "completed").await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("project_docking_missing")), "{body}");
    assert!(problems(&body).iter().any(|m| m.contains("数据对接说明文档")), "names the missing document: {body}");
    let path = format!("/api/v1/projects/{id}/docking");
    let (status, body) = app
        .json(Method::PUT, &path, Some(&officer), Some(json!({"docking_document": "出入境管理系统数据对接说明 v1.0（档案号 GA-2026-017）", "share_interface": "", "open_interface": ""})))
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, report) = app.json(Method::GET, &format!("/api/v1/projects/{id}/check?gate=online"), Some(&officer), None).await;
    let fields: Vec<&str> = report["problems"].as_array().unwrap().iter().map(|p| p["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["share_interface", "open_interface"], "{report}");
    let (status, _) = app
        .json(Method::PUT, &path, Some(&officer), Some(json!({
            "docking_document": "出入境管理系统数据对接说明 v1.0（档案号 GA-2026-017）",
            "share_interface": "https://gateway.example.gov.cn/share/crj/v1 （RESTful，JSON）",
            "open_interface": "https://open.example.gov.cn/api/crj/v1"
        })))
        .await;
    assert_eq!(status, 200);
    assert_eq!(stage(&app, &officer, id, "completed").await.0, 200);
    let (status, _) = app.json(Method::PUT, &path, Some(&app.login("officer-mz").await), Some(json!({"docking_document": "x", "share_interface": "x", "open_interface": "x"}))).await;
    assert_eq!(status, 403, "another department's project");
}

/// CS-13b, YZ-8c: where the regime asks (鄞州 第八条, 长沙 第十三条), a project is accepted only when every entry is
/// published *and* has its data aggregated; the gate names the entry with no delivered data. Elsewhere (双鸭山)
/// publication is enough.
pub async fn cs_13b_yz_8c_acceptance_needs_each_entrys_data_aggregated(app: TestApp) {
    for (profile, needs_data) in [("yinzhou-2023", true), ("changsha-2021", true), ("shuangyashan-2026", false)] {
        let app = app.sibling(profile).await;
        let officer = app.login("officer").await;
        let police = app.department_id("公安局").await;
        let id = project(&app, &officer, police, "fiscal", "new").await;
        let mut content = complete(profile, "项目产出数据");
        content["items"] = json!([{"name": "bm", "label": "编码", "data_type": "string", "is_key": true}]);
        let code = create(&app, &officer, police, content).await;
        // An information-resource entry too (长沙 asks one at approval, CS-13a); it holds no data.
        let mut information = complete(profile, "项目信息资源");
        information["catalog_kind"] = json!("information");
        let info = create(&app, &officer, police, information).await;
        link(&app, &officer, id, &[&code, &info]).await;
        publish(&app, &code, &officer).await;
        publish(&app, &info, &officer).await;
        let admin = app.login("admin").await;
        let docking = json!({"docking_document": "项目数据对接说明 v1.0", "share_interface": "/share/xmcc", "open_interface": "/open/xmcc"});
        let (status, body) = app.json(Method::PUT, &format!("/api/v1/projects/{id}/docking"), Some(&officer), Some(docking)).await;
        assert_eq!(status, 200, "{body}");
        for s in ["approved", "construction", "completed"] {
            let (status, body) = stage(&app, &officer, id, s).await;
            assert_eq!(status, 200, "{profile} {s}: {body}");
        }
        let (status, body) = app.json(Method::GET, &format!("/api/v1/projects/{id}/check?gate=acceptance"), Some(&admin), None).await;
        assert_eq!((status, body["passed"].as_bool()), (200, Some(!needs_data)), "{profile}: {body}");
        if needs_data {
            assert!(body["problems"][0]["message"].as_str().unwrap().contains("尚无归集入库的数据"), "{body}");
            let (status, refused) = stage(&app, &officer, id, "accepted").await;
            assert_eq!((status, refused["error"]["fields"][0]["field"].as_str()), (400, Some(format!("resources[{code}]").as_str())), "{refused}");
            let r = app.client.post(format!("{}/api/v1/resources/{code}/batches", app.base)).bearer_auth(&officer).header("content-type", "text/csv").body("bm\nXM001\n").send().await.unwrap();
            assert_eq!(r.status(), 201);
        }
        let (status, body) = stage(&app, &officer, id, "accepted").await;
        assert_eq!(status, 200, "{profile}: {body}");
    }
}
