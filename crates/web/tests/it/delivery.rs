//! Delivery channels besides the file upload: a department system pushing rows by API token under idempotent batch
//! keys, merging by key, JSON lines and Parquet; and reading a version back (time travel).

use reqwest::Method;
use serde_json::{json, Value};

use crate::aggregation::{id, people, population, versions};
use crate::common::TestApp;

/// A token for a department's system.
async fn system_token(app: &TestApp, department: &str) -> String {
    let admin = app.login("admin").await;
    let department_id = app.department_id(department).await;
    let (status, body) = app.json(Method::POST, "/api/v1/tokens", Some(&admin), Some(json!({"name": "人口库交换", "department_id": department_id}))).await;
    assert_eq!(status, 201, "{body}");
    body["secret"].as_str().unwrap().to_string()
}

/// Posts a body to the batches route; answers status, the replayed header and the JSON answer.
async fn push(app: &TestApp, token: &str, code: &str, query: &str, kind: &str, key: Option<&str>, body: Vec<u8>) -> (u16, bool, Value) {
    let mut req = app.client.post(format!("{}/api/v1/resources/{code}/batches{query}", app.base)).bearer_auth(token).header("content-type", kind).body(body);
    if let Some(k) = key {
        req = req.header("idempotency-key", k);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    let replayed = r.headers().get("idempotent-replayed").is_some();
    (status, replayed, r.json().await.unwrap())
}

fn person(n: usize, name: &str) -> Value {
    json!({"zjhm": id(n), "xm": name, "csrq": format!("1980-01-{:02}", 1 + n % 28), "lxdh": format!("1380000{n:04}")})
}

async fn rows(app: &TestApp, token: &str, code: &str, version: i64) -> Vec<Vec<Value>> {
    let (status, page) = app.json(Method::GET, &format!("/api/v1/resources/{code}/versions/{version}/rows?limit=1000"), Some(token), None).await;
    assert_eq!(status, 200, "{page}");
    page["rows"].as_array().unwrap().iter().map(|r| r.as_array().unwrap().clone()).collect()
}

/// SYS-07c, LS-12b: a department's system pushes rows with its API token (接口服务). A retry under the same batch
/// key delivers nothing again and answers the first report; `mode=merge` puts changed and new rows in by key;
/// every version stays readable as it was.
pub async fn sys_07c_ls_12b_a_system_pushes_rows_under_an_idempotent_batch_key(app: TestApp) {
    let officer = app.login("officer").await;
    let code = population(&app, &officer).await;
    let token = system_token(&app, "公安局").await;
    let first = json!({"rows": [person(1, "甲"), person(2, "乙"), person(3, "丙")]}).to_string().into_bytes();
    let (status, replayed, report) = push(&app, &token, &code, "", "application/json", Some("hr-20261201-0001"), first.clone()).await;
    assert_eq!((status, replayed), (201, false), "{report}");
    assert_eq!((report["state"].as_str(), report["version"].as_i64(), report["rows_accepted"].as_i64()), (Some("committed"), Some(1), Some(3)), "{report}");
    assert_eq!((report["channel"].as_str(), report["mode"].as_str()), (Some("api"), Some("replace")));
    // The network dropped the answer: the system sends the same batch again.
    let (status, replayed, again) = push(&app, &token, &code, "", "application/json", Some("hr-20261201-0001"), first).await;
    assert_eq!((status, replayed, again["replayed"].as_bool()), (200, true, Some(true)), "{again}");
    assert_eq!(again["batch_id"], report["batch_id"]);
    assert_eq!(versions(&app, &officer, &code).await, [1], "nothing delivered twice");

    // Changed and new rows, as JSON lines, merged by the key.
    let lines = [person(2, "乙改"), person(4, "丁")].iter().map(|v| v.to_string()).collect::<Vec<_>>().join("\n");
    let (status, _, merged) = push(&app, &token, &code, "?mode=merge", "application/x-ndjson", Some("hr-20261201-0002"), lines.into_bytes()).await;
    assert_eq!((status, merged["version"].as_i64(), merged["rows_accepted"].as_i64(), merged["rows_in_version"].as_i64()), (201, Some(2), Some(2), Some(4)), "{merged}");
    let now: Vec<(String, String)> = rows(&app, &officer, &code, 2).await.iter().map(|r| (r[0].as_str().unwrap().into(), r[1].as_str().unwrap().into())).collect();
    assert_eq!(now, [(id(1), "甲".into()), (id(3), "丙".into()), (id(2), "乙改".into()), (id(4), "丁".into())]);
    let then: Vec<String> = rows(&app, &officer, &code, 1).await.iter().map(|r| r[1].as_str().unwrap().into()).collect();
    assert_eq!(then, ["甲", "乙", "丙"], "version 1 reads as it was committed");

    // A malformed line refuses the batch, naming the line; nothing of version 2 is lost.
    let broken = format!("{}\n{{\"zjhm\": \"{}\", \"xm\": ", person(5, "戊"), id(6));
    let (status, _, refused) = push(&app, &token, &code, "?mode=merge", "application/x-ndjson", Some("hr-20261201-0003"), broken.into_bytes()).await;
    assert_eq!((status, refused["error"]["code"].as_str()), (422, Some("batch_refused")), "{refused}");
    assert!(refused["error"]["message"].as_str().unwrap().contains("第2行"), "{refused}");
    // A refused batch keeps no key: fixed, the same batch is delivered under it.
    let fixed = format!("{}\n{}", person(5, "戊"), person(6, "己"));
    let (status, replayed, report) = push(&app, &token, &code, "?mode=merge", "application/x-ndjson", Some("hr-20261201-0003"), fixed.into_bytes()).await;
    assert_eq!((status, replayed, report["version"].as_i64()), (201, false, Some(3)), "{report}");
    let (status, _, refused) =
        push(&app, &token, &code, "", "application/json", Some("hr-20261201-0004"), json!([{"zjhm": id(7), "xm": "己", "hyzk": "已婚"}]).to_string().into_bytes()).await;
    assert_eq!(status, 422, "{refused}");
    assert!(refused["error"]["message"].as_str().unwrap().contains("hyzk"), "a key outside the catalog: {refused}");
    assert_eq!(versions(&app, &officer, &code).await, [3, 2, 1]);
    assert_eq!(rows(&app, &officer, &code, 2).await.len(), 4);
    assert_eq!(rows(&app, &officer, &code, 3).await.len(), 6);


    // A batch of rows larger than an ordinary request body (1 MiB) streams in like a file.
    // (Citizen IDs repeat every 7,000 numbers here, so 7001–7006 update the six people already delivered.)
    let many: Vec<Value> = (1005..8005).map(|n| person(n, "批量交付的居民姓名写得很长以便请求体超过一兆字节")).collect();
    let body = json!({"rows": many}).to_string().into_bytes();
    assert!(body.len() > 1 << 20, "{}", body.len());
    let (status, _, big) = push(&app, &token, &code, "?mode=merge", "application/json", Some("hr-20261201-0005"), body).await;
    assert_eq!((status, big["rows_accepted"].as_i64(), big["rows_in_version"].as_i64()), (201, Some(7000), Some(7000)), "{big}");

    // Keys are checked; another department's system may not deliver here.
    let (status, _, bad) = push(&app, &token, &code, "", "application/json", Some("has space"), b"[]".to_vec()).await;
    assert_eq!((status, bad["error"]["code"].as_str()), (400, Some("invalid_batch_key")), "{bad}");
    let (status, _, bad) = push(&app, &token, &code, "?mode=upsert", "application/json", None, b"[]".to_vec()).await;
    assert_eq!((status, bad["error"]["code"].as_str()), (400, Some("invalid_query")), "{bad}");
    let other = system_token(&app, "市市场监督管理局").await;
    let (status, _, _) = push(&app, &other, &code, "", "application/json", Some("x-1"), json!([person(9, "庚")]).to_string().into_bytes()).await;
    assert_eq!(status, 403);
    let (status, _) = app.json(Method::GET, &format!("/api/v1/resources/{code}/versions/1/rows"), Some(&app.login("officer-sj").await), None).await;
    assert_eq!(status, 403, "another department reads the data through sharing, not here");
    let (status, body) = app.json(Method::GET, &format!("/api/v1/resources/{code}/versions/9/rows"), Some(&officer), None).await;
    assert_eq!(status, 404, "{body}");
}

/// SYS-07c: a version's Parquet file downloads as committed (its SHA-256 is the version's checksum) and a Parquet
/// file delivers like any other format; a file that only claims to be Parquet is refused.
pub async fn sys_07c_parquet_files_are_delivered_and_versions_download_as_parquet(app: TestApp) {
    let officer = app.login("officer").await;
    let code = population(&app, &officer).await;
    let r = app
        .client
        .post(format!("{}/api/v1/resources/{code}/batches", app.base))
        .bearer_auth(&officer)
        .header("content-type", "text/csv")
        .body(people(50, &[]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let r = app.call(Method::GET, &format!("/api/v1/resources/{code}/versions/1/parquet"), Some(&officer), None).await;
    assert_eq!(r.status(), 200);
    let parquet = r.bytes().await.unwrap().to_vec();
    assert!(parquet.starts_with(b"PAR1"));
    let (_, listed) = app.json(Method::GET, &format!("/api/v1/resources/{code}/versions"), Some(&officer), None).await;
    assert_eq!(listed["items"][0]["bytes"].as_u64(), Some(parquet.len() as u64));

    let (status, _, report) = push(&app, &officer, &code, "?name=export.parquet", "application/vnd.apache.parquet", None, parquet).await;
    assert_eq!((status, report["rows_accepted"].as_i64(), report["version"].as_i64()), (201, Some(50), Some(2)), "{report}");
    assert_eq!(rows(&app, &officer, &code, 2).await, rows(&app, &officer, &code, 1).await, "the same rows, the same values");
    let (status, _, refused) = push(&app, &officer, &code, "", "application/vnd.apache.parquet", None, b"PAR1 but not really".to_vec()).await;
    assert_eq!(status, 422, "{refused}");
    assert!(refused["error"]["message"].as_str().unwrap().contains("Parquet"), "{refused}");
    let (status, _, refused) = push(&app, &officer, &code, "", "application/x-ndjson", None, Vec::new()).await;
    assert_eq!(status, 422, "an empty push: {refused}");
    assert_eq!(versions(&app, &officer, &code).await, [2, 1]);
}

/// SQL over the delivered data (DataFusion): a department queries its own resources' versions by code, newest by
/// default or pinned (time travel); only reads are allowed; another department sees none of its tables; bad SQL
/// is a 400 with the engine's reason, and every query is in the audit log.
pub async fn aggregation_sql_reads_a_departments_versions_and_nothing_else(app: TestApp) {
    let officer = app.login("officer").await;
    let code = population(&app, &officer).await;
    for rows in [40, 60] {
        let r = app.client.post(format!("{}/api/v1/resources/{code}/batches", app.base)).bearer_auth(&officer).header("content-type", "text/csv").body(people(rows, &[])).send().await.unwrap();
        assert_eq!(r.status(), 201);
    }
    let plain = format!("r{}", code.replace('-', "_"));
    let ask = |token: String, body: Value| {
        let app = &app;
        async move { app.json(Method::POST, "/api/v1/query", Some(&token), Some(body)).await }
    };
    let (status, a) = ask(officer.clone(), json!({"sql": format!("SELECT COUNT(*) AS n FROM \"{code}\"")})).await;
    assert_eq!((status, a["rows"][0][0].as_str()), (200, Some("60")), "{a}");
    assert_eq!(a["tables"][0]["version"], 2);
    let (_, a) = ask(officer.clone(), json!({"sql": format!("SELECT COUNT(*) FROM {plain}"), "versions": {code.clone(): 1}})).await;
    assert_eq!(a["rows"][0][0], "40", "version 1 as it was: {a}");
    let (_, a) = ask(officer.clone(), json!({"sql": format!("SELECT xm, csrq FROM {plain} WHERE csrq >= DATE '1980-01-27' ORDER BY xm"), "limit": 2})).await;
    assert_eq!((a["rows"].as_array().unwrap().len(), a["truncated"].as_bool()), (2, Some(true)), "{a}");
    assert_eq!(a["columns"][1]["name"], "csrq");
    for (sql, code_expected) in [
        (format!("DELETE FROM {plain}"), "invalid_sql"),
        ("COPY (SELECT 1) TO '/tmp/shuyuan-copy.csv'".to_string(), "invalid_sql"),
        (format!("SELECT nope FROM {plain}"), "invalid_sql"),
        ("SELECT * FROM".to_string(), "invalid_sql"),
        ("   ".to_string(), "invalid_sql"),
    ] {
        let (status, body) = ask(officer.clone(), json!({"sql": sql})).await;
        assert_eq!((status, body["error"]["code"].as_str()), (400, Some(code_expected)), "{sql}: {body}");
    }
    assert!(!std::path::Path::new("/tmp/shuyuan-copy.csv").exists(), "nothing written");
    let (status, body) = ask(officer.clone(), json!({"sql": "SELECT 1", "limit": 0})).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("invalid_limit")));
    let (status, body) = ask(app.login("officer-sj").await, json!({"sql": format!("SELECT COUNT(*) FROM \"{code}\"")})).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("invalid_sql")), "another department has no such table: {body}");
    let (status, a) = ask(app.login("admin").await, json!({"sql": format!("SELECT COUNT(*) FROM \"{code}\"")})).await;
    assert_eq!((status, a["rows"][0][0].as_str()), (200, Some("60")), "the authority reads every resource");
    let (_, events) = app.json(Method::GET, "/api/v1/audit/events?action=aggregation.query", Some(&app.login("auditor").await), None).await;
    assert_eq!(events["total"], 9, "every query that ran or was refused by the engine: {events}");
}

/// Time travel until retention: every version stays readable until the authority's rule removes it — keeping the
/// newest two here — and then it is gone from the list and cannot be read, each removal in the audit log.
pub async fn aggregation_retention_removes_old_versions_and_keeps_the_newest(app: TestApp) {
    let officer = app.login("officer").await;
    let code = population(&app, &officer).await;
    for rows in [10, 20, 30, 40] {
        let r = app.client.post(format!("{}/api/v1/resources/{code}/batches", app.base)).bearer_auth(&officer).header("content-type", "text/csv").body(people(rows, &[])).send().await.unwrap();
        assert_eq!(r.status(), 201);
    }
    assert_eq!(service::aggregation::retention::apply(&app.platform).await.unwrap(), 0, "no rule: everything is kept");
    assert_eq!(rows(&app, &officer, &code, 1).await.len(), 10, "version 1 reads as it was");
    let admin = app.login("admin").await;
    let (status, body) = app.json(Method::PUT, "/api/v1/aggregation/retention", Some(&admin), Some(json!({"keep_versions": 0}))).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("invalid_retention")));
    let (status, rule) = app.json(Method::PUT, "/api/v1/aggregation/retention", Some(&admin), Some(json!({"keep_versions": 2}))).await;
    assert_eq!((status, rule["keep_versions"].as_u64()), (200, Some(2)), "{rule}");
    assert_eq!(service::aggregation::retention::apply(&app.platform).await.unwrap(), 2);
    assert_eq!(versions(&app, &officer, &code).await, [4, 3]);
    let (status, _) = app.json(Method::GET, &format!("/api/v1/resources/{code}/versions/1/rows"), Some(&officer), None).await;
    assert_eq!(status, 404, "removed by retention");
    assert_eq!(rows(&app, &officer, &code, 3).await.len(), 30);
    let (_, events) = app.json(Method::GET, &format!("/api/v1/audit/events?action=aggregation.version.remove&object_id={code}"), Some(&app.login("auditor").await), None).await;
    assert_eq!(events["total"], 2, "{events}");
    // A rule by age keeps young versions whatever their number.
    let (status, _) = app.json(Method::PUT, "/api/v1/aggregation/retention", Some(&admin), Some(json!({"keep_versions": 1, "keep_days": 30}))).await;
    assert_eq!(status, 200);
    assert_eq!(service::aggregation::retention::apply(&app.platform).await.unwrap(), 0, "version 3 is a day old, kept");
}
