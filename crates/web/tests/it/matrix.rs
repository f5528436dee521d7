//! The authorization matrix: every route in the route table, called as anonymous, as a system token and as
//! every role, against an expected table written here independently of the route declarations.

use std::collections::BTreeMap;

use reqwest::Method;
use serde_json::json;

use crate::common::TestApp;
use shuyuan_web as web;

const PRINCIPALS: [&str; 8] =
    ["anonymous", "system", "authority_admin", "service_operator", "dept_data_officer", "dept_security_officer", "auditor", "operator"];

fn expected() -> BTreeMap<&'static str, &'static [&'static str]> {
    const ALL: &[&str] = &PRINCIPALS;
    const SIGNED_IN: &[&str] =
        &["system", "authority_admin", "service_operator", "dept_data_officer", "dept_security_officer", "auditor", "operator"];
    const USERS: &[&str] = &["authority_admin", "service_operator", "dept_data_officer", "dept_security_officer", "auditor", "operator"];
    const ADMIN: &[&str] = &["authority_admin"];
    const AUDITOR: &[&str] = &["auditor"];
    const TOKEN_MANAGERS: &[&str] = &["authority_admin", "dept_data_officer"];
    const CATALOGERS: &[&str] = &["authority_admin", "dept_data_officer"];
    const REVIEWERS: &[&str] = &["authority_admin", "service_operator", "dept_data_officer"];
    const OVERSEERS: &[&str] = &["authority_admin", "service_operator", "dept_data_officer", "auditor"];
    BTreeMap::from([
        ("GET /healthz", ALL),
        ("GET /metrics", ALL),
        ("GET /api/v1/openapi.json", ALL),
        ("POST /api/v1/auth/login", ALL),
        ("POST /api/v1/auth/logout", USERS),
        ("GET /api/v1/me", SIGNED_IN),
        ("GET /api/v1/profile", ALL),
        ("GET /api/v1/calendar/deadline", ALL),
        ("GET /api/v1/calendar/years", ALL),
        ("PUT /api/v1/calendar/years/{year}", ADMIN),
        ("GET /api/v1/regions", SIGNED_IN),
        ("POST /api/v1/regions", ADMIN),
        ("GET /api/v1/departments", SIGNED_IN),
        ("POST /api/v1/departments", ADMIN),
        ("GET /api/v1/departments/{id}", SIGNED_IN),
        ("GET /api/v1/users", ADMIN),
        ("POST /api/v1/users", ADMIN),
        ("POST /api/v1/users/{id}/roles", ADMIN),
        ("DELETE /api/v1/users/{id}/roles/{role}", ADMIN),
        ("PUT /api/v1/users/{id}/active", ADMIN),
        ("GET /api/v1/tokens", TOKEN_MANAGERS),
        ("POST /api/v1/tokens", TOKEN_MANAGERS),
        ("DELETE /api/v1/tokens/{id}", TOKEN_MANAGERS),
        ("POST /api/v1/tokens/{id}/resume", ADMIN),
        ("GET /api/v1/resources", SIGNED_IN),
        ("POST /api/v1/resources", CATALOGERS),
        ("GET /api/v1/resources/{code}", SIGNED_IN),
        ("PUT /api/v1/resources/{code}", CATALOGERS),
        ("POST /api/v1/resources/{code}/submit", CATALOGERS),
        ("POST /api/v1/resources/{code}/pass", REVIEWERS),
        ("POST /api/v1/resources/{code}/return", REVIEWERS),
        ("POST /api/v1/resources/{code}/attributes", CATALOGERS),
        ("POST /api/v1/resources/{code}/withdraw", CATALOGERS),
        ("POST /api/v1/resources/{code}/obsolete", ADMIN),
        ("GET /api/v1/resources/{code}/history", SIGNED_IN),
        ("POST /api/v1/resources/{code}/batches", &["system", "authority_admin", "dept_data_officer"]),
        ("GET /api/v1/resources/{code}/versions/{version}/rows", CATALOGERS),
        ("GET /api/v1/resources/{code}/versions/{version}/parquet", CATALOGERS),
        ("POST /api/v1/sync/test", CATALOGERS),
        ("GET /api/v1/alerts", OVERSEERS),
        ("GET /api/v1/base/{kind}", OVERSEERS),
        ("GET /api/v1/base/{kind}/records/{key}", ADMIN),
        ("POST /api/v1/base/{kind}/cross-check", ADMIN),
        ("GET /api/v1/base/{kind}/conflicts", CATALOGERS),
        ("GET /api/v1/resources/{code}/backflow", CATALOGERS),
        ("POST /api/v1/query", CATALOGERS),
        ("GET /api/v1/sources", SIGNED_IN),
        ("POST /api/v1/sources", ADMIN),
        ("PUT /api/v1/sources/{id}", ADMIN),
        ("POST /api/v1/sources/statutory", ADMIN),
        ("GET /api/v1/sources/repeated", OVERSEERS),
        ("POST /api/v1/sources/repeated", ADMIN),
        ("POST /api/v1/share/applications", &["dept_data_officer"]),
        ("GET /api/v1/share/applications", OVERSEERS),
        ("GET /api/v1/share/applications/{id}", OVERSEERS),
        ("POST /api/v1/share/applications/{id}/answer", CATALOGERS),
        ("GET /api/v1/share/grants", OVERSEERS),
        ("POST /api/v1/share/scenarios", ADMIN),
        ("GET /api/v1/share/scenarios", OVERSEERS),
        ("PUT /api/v1/share/grants/{id}/state", ADMIN),
        ("POST /api/v1/share/grants/{id}/usage", &["dept_data_officer"]),
        ("GET /api/v1/share/grants/{id}/usage", OVERSEERS),
        ("GET /api/v1/share/grants/{id}/calls", OVERSEERS),
        ("GET /api/v1/share/grants/{id}/events", OVERSEERS),
        ("POST /api/v1/share/subscriptions", &["dept_data_officer"]),
        ("GET /api/v1/share/subscriptions", OVERSEERS),
        ("DELETE /api/v1/share/subscriptions/{id}", CATALOGERS),
        ("GET /api/v1/share/subscriptions/{id}/pushes", OVERSEERS),
        ("GET /api/v1/share/{code}/records/{key}", &["system"]),
        ("POST /api/v1/share/{code}/verify", &["system"]),
        ("POST /api/v1/share/{code}/stats", &["system"]),
        ("GET /api/v1/share/{code}/batch", &["system"]),
        ("POST /api/v1/exchange-channels", CATALOGERS),
        ("GET /api/v1/exchange-channels", OVERSEERS),
        ("GET /api/v1/exchange-channels/report", &["authority_admin", "service_operator", "auditor"]),
        ("GET /api/v1/exchange-channels/{id}", OVERSEERS),
        ("POST /api/v1/exchange-channels/{id}/exception", &["dept_data_officer"]),
        ("POST /api/v1/exchange-channels/{id}/decision", ADMIN),
        ("POST /api/v1/exchange-channels/{id}/retirement", CATALOGERS),
        ("POST /api/v1/business-items", &["dept_data_officer"]),
        ("GET /api/v1/business-items", OVERSEERS),
        ("POST /api/v1/consents", &["authority_admin", "service_operator"]),
        ("GET /api/v1/consents", &["authority_admin", "service_operator"]),
        ("POST /api/v1/consents/{id}/revoke", &["authority_admin", "service_operator"]),
        ("POST /api/v1/share/onward", &["dept_data_officer"]),
        ("GET /api/v1/share/onward", OVERSEERS),
        ("POST /api/v1/share/onward/{id}/answer", CATALOGERS),
        ("POST /api/v1/share/demands", &["dept_data_officer"]),
        ("GET /api/v1/share/demands", OVERSEERS),
        ("POST /api/v1/share/demands/{id}/answer", CATALOGERS),
        ("POST /api/v1/share/demands/{id}/mount", &["dept_data_officer"]),
        ("POST /api/v1/share/trace", &["authority_admin", "service_operator", "auditor"]),
        ("POST /api/v1/share/applications/{id}/escalate", &["dept_data_officer"]),
        ("POST /api/v1/share/disputes", &["dept_data_officer"]),
        ("GET /api/v1/share/disputes", OVERSEERS),
        ("GET /api/v1/share/disputes/{id}", OVERSEERS),
        ("POST /api/v1/share/disputes/{id}/steps", CATALOGERS),
        ("POST /api/v1/share/upstream", &["dept_data_officer"]),
        ("GET /api/v1/share/reports/departments", &["authority_admin", "service_operator", "auditor"]),
        ("POST /api/v1/corrections", &["system", "authority_admin", "service_operator", "dept_data_officer"]),
        ("GET /api/v1/corrections", OVERSEERS),
        ("POST /api/v1/quality-feedback", &["system", "dept_data_officer"]),
        ("GET /api/v1/quality-feedback", OVERSEERS),
        ("POST /api/v1/quality-feedback/{id}/recheck", &["system", "dept_data_officer"]),
        ("GET /api/v1/resources/{code}/correction-rules", SIGNED_IN),
        ("PUT /api/v1/resources/{code}/correction-rules/{item}", &["dept_data_officer"]),
        ("POST /api/v1/corrections/{id}/resolve", &["dept_data_officer"]),
        ("GET /api/v1/share/upstream", OVERSEERS),
        ("GET /api/v1/share/upstream/{id}", OVERSEERS),
        ("POST /api/v1/share/upstream/{id}/steps", ADMIN),
        ("GET /api/v1/sync/jobs", OVERSEERS),
        ("POST /api/v1/sync/jobs", CATALOGERS),
        ("GET /api/v1/sync/jobs/{id}", OVERSEERS),
        ("DELETE /api/v1/sync/jobs/{id}", CATALOGERS),
        ("POST /api/v1/sync/jobs/{id}/runs", CATALOGERS),
        ("GET /api/v1/resources/{code}/batches", OVERSEERS),
        ("GET /api/v1/resources/{code}/versions", SIGNED_IN),
        ("GET /api/v1/aggregation/limits", SIGNED_IN),
        ("PUT /api/v1/aggregation/limits", ADMIN),
        ("GET /api/v1/aggregation/freshness", OVERSEERS),
        ("GET /api/v1/aggregation/coverage", OVERSEERS),
        ("GET /api/v1/aggregation/retention", SIGNED_IN),
        ("PUT /api/v1/aggregation/retention", ADMIN),
        ("GET /api/v1/batches/{id}", SIGNED_IN),
        ("GET /api/v1/batches/{id}/quarantine", CATALOGERS),
        ("GET /api/v1/resources/{code}/consultation", &["authority_admin", "service_operator", "dept_data_officer"]),
        ("POST /api/v1/resources/{code}/consultation", CATALOGERS),
        ("POST /api/v1/resources/{code}/objections", CATALOGERS),
        ("GET /api/v1/catalog/objections", SIGNED_IN),
        ("GET /api/v1/catalog/objections/{id}", SIGNED_IN),
        ("POST /api/v1/catalog/objections/{id}/positions", CATALOGERS),
        ("PUT /api/v1/catalog/disclosure-authorities/{region}", ADMIN),
        ("GET /api/v1/catalog/classification-scheme", SIGNED_IN),
        ("PUT /api/v1/catalog/classification-scheme", ADMIN),
        ("GET /api/v1/catalog/reclassifications", OVERSEERS),
        ("GET /api/v1/sectors", SIGNED_IN),
        ("PUT /api/v1/sectors/{name}", ADMIN),
        ("GET /api/v1/catalog/queue", REVIEWERS),
        ("GET /api/v1/catalog/schema", SIGNED_IN),
        ("PUT /api/v1/catalog/schema", ADMIN),
        ("GET /api/v1/catalog/reports/classification", &["authority_admin", "service_operator", "auditor"]),
        ("GET /api/v1/catalog/reports/conditions", &["authority_admin", "service_operator", "auditor"]),
        ("GET /api/v1/catalog/reports/departments", &["authority_admin", "service_operator", "auditor"]),
        ("GET /api/v1/catalog/reassessments", &["authority_admin", "service_operator", "dept_data_officer"]),
        ("GET /api/v1/catalog/obligations", OVERSEERS),
        ("POST /api/v1/catalog/obligations", CATALOGERS),
        ("POST /api/v1/catalog/obligations/{id}/filing", ADMIN),
        ("GET /api/v1/catalog/views/{view}", SIGNED_IN),
        ("GET /api/v1/catalog/lists/{kind}/{year}", SIGNED_IN),
        ("POST /api/v1/catalog/lists/{kind}/{year}", ADMIN),
        ("POST /api/v1/catalog/lists/{kind}/{year}/submissions", CATALOGERS),
        ("GET /api/v1/catalog/lists/{kind}/{year}/submissions/{department_id}", OVERSEERS),
        ("GET /api/v1/catalog/submissions/{year}", OVERSEERS),
        ("PUT /api/v1/catalog/submissions/{year}/cutoff", ADMIN),
        ("GET /api/v1/open/export", ALL),
        ("GET /api/v1/open/resources", ALL),
        ("GET /api/v1/open/changes", ALL),
        ("GET /api/v1/open/resources/{code}", ALL),
        ("GET /api/v1/projects", OVERSEERS),
        ("POST /api/v1/projects", CATALOGERS),
        ("GET /api/v1/projects/{id}", OVERSEERS),
        ("POST /api/v1/projects/{id}/resources", CATALOGERS),
        ("PUT /api/v1/projects/{id}/docking", CATALOGERS),
        ("GET /api/v1/projects/{id}/check", OVERSEERS),
        ("POST /api/v1/projects/{id}/stage", CATALOGERS),
        ("GET /api/v1/audit/events", AUDITOR),
        ("GET /api/v1/audit/export", AUDITOR),
        ("GET /api/v1/audit/verify", AUDITOR),
    ])
}

fn demo_user(principal: &str) -> &'static str {
    match principal {
        "authority_admin" => "admin",
        "service_operator" => "service",
        "dept_data_officer" => "officer",
        "dept_security_officer" => "security",
        "auditor" => "auditor",
        "operator" => "operator",
        _ => unreachable!(),
    }
}

pub async fn authorization_matrix_covers_every_route(app: TestApp) {
    let admin = app.login("admin").await;
    let officer = app.login("officer").await;
    let officer_dept = app.call(Method::GET, "/api/v1/me", Some(&officer), None).await.json::<serde_json::Value>().await.unwrap()
        ["department_id"]
        .as_i64()
        .unwrap();
    // A system token, a token to revoke, and a user to change roles on.
    let new_token = |name: &'static str| {
        let app = &app;
        let admin = admin.clone();
        async move {
            let r = app.call(Method::POST, "/api/v1/tokens", Some(&admin), Some(json!({"name": name, "department_id": officer_dept}))).await;
            assert_eq!(r.status(), 201);
            r.json::<serde_json::Value>().await.unwrap()
        }
    };
    let system = new_token("matrix-system").await["secret"].as_str().unwrap().to_string();
    let victim_token = new_token("matrix-victim").await["token"]["id"].as_i64().unwrap();
    let target = app
        .call(
            Method::POST,
            "/api/v1/users",
            Some(&admin),
            Some(json!({"username": "matrix-target", "display_name": "目标", "password": "matrix-password-1"})),
        )
        .await;
    assert_eq!(target.status(), 201);
    let target_id = target.json::<serde_json::Value>().await.unwrap()["id"].as_i64().unwrap();

    // A draft of the police bureau's (the officer's department) to act on, and a project of the same department.
    let draft = app
        .call(
            Method::POST,
            "/api/v1/resources",
            Some(&admin),
            Some(json!({"provider_department_id": officer_dept, "content": {"name": "矩阵测试资源"}})),
        )
        .await;
    assert_eq!(draft.status(), 201);
    let draft_code = draft.json::<serde_json::Value>().await.unwrap()["code"].as_str().unwrap().to_string();
    let project = app
        .call(Method::POST, "/api/v1/projects", Some(&admin), Some(json!({"name": "矩阵测试项目", "department_id": officer_dept, "funding": "fiscal", "kind": "new"})))
        .await;
    assert_eq!(project.status(), 201);
    let project_id = project.json::<serde_json::Value>().await.unwrap()["id"].as_i64().unwrap();

    let table = expected();
    let routes = web::routes::api_routes();
    let declared: Vec<String> = routes.iter().map(|r| format!("{} {}", r.method, r.path)).collect();
    for key in &declared {
        assert!(table.contains_key(key.as_str()), "route {key} is missing from the expected matrix");
    }
    assert_eq!(declared.len(), table.len(), "the expected matrix names a route the table does not have");

    let mut failures = Vec::new();
    for spec in &routes {
        let key = format!("{} {}", spec.method, spec.path);
        let allowed = table[key.as_str()];
        let path = spec
            .path
            .replace("{year}", "2027")
            .replace("{role}", "operator")
            .replace("/users/{id}", &format!("/users/{target_id}"))
            .replace("/tokens/{id}", &format!("/tokens/{victim_token}"))
            .replace("/departments/{id}", "/departments/1")
            .replace("{code}", &draft_code)
            .replace("{view}", "share")
            .replace("{kind}/{year}", "negative_list/2026")
            .replace("/projects/{id}", &format!("/projects/{project_id}"))
            .replace("/obligations/{id}", "/obligations/1")
            .replace("/objections/{id}", "/objections/1")
            .replace("/batches/{id}", "/batches/1")
            .replace("/jobs/{id}", "/jobs/1")
            .replace("/sources/{id}", "/sources/1")
            .replace("{version}", "1")
            .replace("{kind}/records/{key}", "natural_person/records/11010519491231002X")
            .replace("/base/{kind}", "/base/natural_person")
            .replace("/records/{key}", "/records/11010519491231002X")
            .replace("/applications/{id}", "/applications/1")
            .replace("/grants/{id}", "/grants/1")
            .replace("/demands/{id}", "/demands/1")
            .replace("/corrections/{id}", "/corrections/1")
            .replace("/exchange-channels/{id}", "/exchange-channels/1")
            .replace("/correction-rules/{item}", "/correction-rules/xm")
            .replace("/onward/{id}", "/onward/1")
            .replace("/quality-feedback/{id}", "/quality-feedback/1")
            .replace("/consents/{id}", "/consents/1")
            .replace("{region}", "230500")
            .replace("{department_id}", "1")
            .replace("{name}", "public");
        let path = match spec.path {
            "/api/v1/calendar/deadline" => format!("{path}?from=2026-09-30&working_days=5"),
            "/api/v1/projects/{id}/check" => format!("{path}?gate=approval"),
            _ => path,
        };
        let body = match key.as_str() {
            "POST /api/v1/auth/login" => Some(json!({"username": "auditor", "password": service::demo::DEMO_PASSWORD})),
            "PUT /api/v1/calendar/years/{year}" => Some(json!({"days": []})),
            "POST /api/v1/regions" => Some(json!({"code": "230599", "name": "测试区", "parent_code": "230500"})),
            "POST /api/v1/departments" => Some(json!({"name": "测试局", "kind": "department", "region_code": "230500", "uscc": "91350100M000100Y43"})),
            "POST /api/v1/users" => Some(json!({"username": "matrix-new", "display_name": "新", "password": "matrix-password-1"})),
            "POST /api/v1/users/{id}/roles" => Some(json!({"role": "operator"})),
            "PUT /api/v1/users/{id}/active" => Some(json!({"active": true})),
            "POST /api/v1/tokens" => Some(json!({"name": "matrix", "department_id": officer_dept})),
            "POST /api/v1/tokens/{id}/resume" => Some(json!({"reason": "矩阵测试"})),
            "POST /api/v1/resources" => Some(json!({"provider_department_id": officer_dept, "content": {"name": "矩阵新建"}})),
            "PUT /api/v1/resources/{code}" => Some(json!({"content": {"name": "矩阵测试资源"}})),
            "POST /api/v1/resources/{code}/pass" => Some(json!({})),
            "POST /api/v1/resources/{code}/return" | "POST /api/v1/resources/{code}/withdraw" | "POST /api/v1/resources/{code}/obsolete" => {
                Some(json!({"reason": "矩阵测试"}))
            }
            "POST /api/v1/resources/{code}/attributes" => Some(json!({"sharing": {"attr": "unconditional"}, "opening": {}})),
            "PUT /api/v1/catalog/schema" => Some(json!({"required": ["name", "share_attr"]})),
            "POST /api/v1/catalog/obligations" => {
                Some(json!({"department_id": officer_dept, "cause": "law_change", "description": "矩阵测试", "occurred_on": "2026-11-02"}))
            }
            "POST /api/v1/projects" => Some(json!({"name": "矩阵项目", "department_id": officer_dept, "funding": "fiscal", "kind": "new"})),
            "POST /api/v1/projects/{id}/resources" => Some(json!({"codes": []})),
            "POST /api/v1/projects/{id}/stage" => Some(json!({"stage": "approved"})),
            _ => None,
        };
        for principal in PRINCIPALS {
            let token = match principal {
                "anonymous" => None,
                "system" => Some(system.clone()),
                // Logging out ends the session, so that route gets a session of its own.
                p if key == "POST /api/v1/auth/logout" => Some(app.login(demo_user(p)).await),
                p => Some(app.login(demo_user(p)).await),
            };
            let status = app.call(spec.method.clone(), &path, token.as_deref(), body.clone()).await.status().as_u16();
            let denied = status == 401 || status == 403;
            let should_allow = allowed.contains(&principal);
            if should_allow == denied {
                failures.push(format!("{key} as {principal}: status {status}, expected {}", if should_allow { "allowed" } else { "denied" }));
            }
            if !should_allow && principal == "anonymous" && status != 401 {
                failures.push(format!("{key} as anonymous: {status}, expected 401"));
            }
            if !should_allow && principal != "anonymous" && status != 403 {
                failures.push(format!("{key} as {principal}: {status}, expected 403"));
            }
        }
    }
    assert!(failures.is_empty(), "authorization matrix:\n{}", failures.join("\n"));

    // Every refusal of a signed-in caller is in the audit log.
    let auditor = app.login("auditor").await;
    let denied: serde_json::Value = app
        .call(Method::GET, "/api/v1/audit/events?action=access.denied&limit=1", Some(&auditor), None)
        .await
        .json()
        .await
        .unwrap();
    assert!(denied["total"].as_i64().unwrap() > 50, "{denied}");
}


