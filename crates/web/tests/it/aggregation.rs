//! Aggregation: files delivered as batches, checked against the published items, quarantined or committed as
//! dataset versions, on SQLite and PostgreSQL control planes with a real lake folder.

use std::path::PathBuf;

use domain::ids::CitizenId;
use reqwest::Method;
use serde_json::json;
use service::aggregation::BatchReport;
use service::catalog::import::Encoding;

use crate::catalog::{complete, create, publish};
use crate::common::TestApp;

/// A published population resource of the police bureau: citizen ID (key), name, birth date, phone.
pub(crate) async fn population(app: &TestApp, officer: &str) -> String {
    let mut content = complete("shuangyashan-2026", "户籍人口基本信息");
    content["items"] = json!([
        {"name": "zjhm", "label": "公民身份号码", "data_type": "string", "is_key": true, "identifier": "citizen_id", "level": "l4"},
        {"name": "xm", "label": "姓名", "data_type": "string", "required": true},
        {"name": "csrq", "label": "出生日期", "data_type": "date"},
        {"name": "lxdh", "label": "联系电话", "data_type": "string", "identifier": "phone"}
    ]);
    let code = create(app, officer, app.department_id("公安局").await, content).await;
    publish(app, &code, officer).await;
    code
}

pub(crate) fn id(n: usize) -> String {
    CitizenId::complete(&format!("230502{}{:03}", 19_800_101 + (n % 28) as u32, n % 1000)).as_str().to_string()
}

/// A citizen ID number with a wrong check character.
fn wrong_check(n: usize) -> String {
    let good = id(n);
    let last = good.chars().last().unwrap();
    let other = "0123456789X".chars().find(|c| *c != last).unwrap();
    format!("{}{other}", &good[..17])
}

/// A CSV of `rows` good people, with `extra` lines appended as they are.
pub(crate) fn people(rows: usize, extra: &[&str]) -> String {
    let mut text = String::from("公民身份号码,姓名,出生日期,联系电话\n");
    for n in 0..rows {
        text.push_str(&format!("{},居民{n},1980-01-{:02},1380000{:04}\n", id(n), 1 + n % 28, n));
    }
    for line in extra {
        text.push_str(line);
        text.push('\n');
    }
    text
}

struct Delivery {
    dir: tempfile::TempDir,
}

impl Delivery {
    fn new() -> Delivery {
        Delivery { dir: tempfile::tempdir().unwrap() }
    }

    fn file(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }
}

async fn ingest(app: &TestApp, token: &str, code: &str, path: &std::path::Path, encoding: Encoding) -> Result<BatchReport, service::Error> {
    let (actor, _) = service::auth::authenticate(&app.platform, token, "127.0.0.1").await.unwrap();
    service::aggregation::ingest_file(&app.platform, &actor, code, path, encoding, |_| {}).await
}

pub(crate) async fn versions(app: &TestApp, token: &str, code: &str) -> Vec<i64> {
    let (status, body) = app.json(Method::GET, &format!("/api/v1/resources/{code}/versions"), Some(token), None).await;
    assert_eq!(status, 200, "{body}");
    body["items"].as_array().unwrap().iter().map(|v| v["version"].as_i64().unwrap()).collect()
}

/// SYS-07c, LS-12b, YZ-12c: a department delivers a file; the batch records the resource, the source, the time,
/// the count and the checksum, and becomes the resource's version 1, traceable to the batch and who delivered it.
pub async fn sys_07c_ls_12b_yz_12c_a_delivered_file_becomes_a_traceable_version(app: TestApp) {
    let officer = app.login("officer").await;
    let code = population(&app, &officer).await;
    let d = Delivery::new();
    let report = ingest(&app, &officer, &code, &d.file("人口.csv", people(100, &[]).as_bytes()), Encoding::Auto).await.unwrap();
    assert_eq!((report.state.as_str(), report.version, report.rows_accepted, report.rows_quarantined), ("committed", Some(1), 100, 0), "{report:?}");
    let (status, versions) = app.json(Method::GET, &format!("/api/v1/resources/{code}/versions"), Some(&app.login("officer-sj").await), None).await;
    assert_eq!(status, 200);
    let v = &versions["items"][0];
    assert_eq!((v["version"].as_i64(), v["rows"].as_i64(), v["batch_id"].as_i64()), (Some(1), Some(100), Some(report.batch_id)), "{versions}");
    assert_eq!(v["sha256"].as_str().unwrap().len(), 64);
    assert_eq!(v["columns"], json!(["zjhm", "xm", "csrq", "lxdh"]));
    let (status, batch) = app.json(Method::GET, &format!("/api/v1/batches/{}", report.batch_id), Some(&officer), None).await;
    assert_eq!(status, 200, "{batch}");
    assert_eq!((batch["source_name"].as_str(), batch["delivered_by"].as_str(), batch["version"].as_i64()), (Some("人口.csv"), Some("officer"), Some(1)), "{batch}");
    assert!(batch["delivered_at"].as_str().unwrap().ends_with("+08:00"));
    let (_, events) = app.json(Method::GET, &format!("/api/v1/audit/events?action=aggregation.batch&object_id={code}"), Some(&app.login("auditor").await), None).await;
    assert_eq!(events["total"], 1, "the commit and its audit event go together: {events}");
    let (status, _) = app.json(Method::GET, &format!("/api/v1/batches/{}", report.batch_id), Some(&app.login("officer-sj").await), None).await;
    assert_eq!(status, 403, "another department does not read the report");
    let (status, history) = app.json(Method::GET, &format!("/api/v1/resources/{code}/batches"), Some(&officer), None).await;
    assert_eq!((status, history["total"].as_i64(), history["items"][0]["state"].as_str()), (200, Some(1), Some("committed")), "{history}");
    let (status, _) = app.json(Method::GET, &format!("/api/v1/resources/{code}/batches"), Some(&app.login("officer-sj").await), None).await;
    assert_eq!(status, 403, "nor its delivery history");
}

/// SYS-16b, SYS-17c: each row is checked against its items before it is accepted — citizen IDs by GB 11643,
/// required values, the key's uniqueness — and failing rows go to the quarantine with the reason per item; safe
/// normalization (full-width digits, spaces, date separators) is counted, never hidden.
pub async fn sys_16b_sys_17c_failing_rows_are_quarantined_with_their_reasons(app: TestApp) {
    let officer = app.login("officer").await;
    let code = population(&app, &officer).await;
    let wrong = wrong_check(900);
    let full_width: String = id(500).chars().map(|c| if c.is_ascii_digit() { char::from_u32(c as u32 + 0xFEE0).unwrap() } else { c }).collect();
    let extra = [
        format!("{wrong},错号,1980-01-02,13800001111"),
        ",无号,1980-01-02,13800001112".to_string(),
        format!("{},重复,1980-01-02,13800001113", id(3)),
        format!("{full_width}, 全角 ,1980/01/05,13800001114"),
        format!("{},坏电话,1980-01-06,12345", id(600)),
    ];
    let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
    let d = Delivery::new();
    let report = ingest(&app, &officer, &code, &d.file("人口.csv", people(200, &extra).as_bytes()), Encoding::Auto).await.unwrap();
    assert_eq!((report.state.as_str(), report.rows_read, report.rows_accepted, report.rows_quarantined), ("committed", 205, 201, 4), "{report:?}");
    assert_eq!(report.rows_normalized, 1, "the full-width row was normalized and counted");
    let count = |item: &str, code: &str| report.problems.iter().find(|p| p.item == item && p.code == code).map(|p| p.count);
    assert_eq!(count("zjhm", "invalid_citizen_id"), Some(1), "{:?}", report.problems);
    assert_eq!(count("zjhm", "missing"), Some(1));
    assert_eq!(count("zjhm", "duplicate_key"), Some(1));
    assert_eq!(count("lxdh", "invalid_phone"), Some(1));
    let sample = report.samples.iter().find(|s| s.line == 202).unwrap_or_else(|| panic!("{:?}", report.samples));
    assert!(sample.message.contains("公民身份号码") && sample.message.contains("校验位"), "{sample:?}");
    let duplicate = report.samples.iter().find(|s| s.line == 204).unwrap();
    assert!(duplicate.message.contains("与第5行重复"), "{duplicate:?}");

    let r = app.call(Method::GET, &format!("/api/v1/batches/{}/quarantine", report.batch_id), Some(&officer), None).await;
    assert_eq!(r.status(), 200);
    let text = r.text().await.unwrap();
    let lines: Vec<&str> = text.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(lines.len(), 5, "a header and the four rows: {text}");
    assert!(lines[1].starts_with("202,") && lines[1].contains(&wrong), "line, reasons and the row as delivered: {}", lines[1]);
    let other = app.call(Method::GET, &format!("/api/v1/batches/{}/quarantine", report.batch_id), Some(&app.login("officer-sj").await), None).await;
    assert_eq!(other.status(), 403, "raw values stay with the provider");
}

/// LS-10a: data is delivered within the catalog's scope: a column that is not one of the entry's items refuses the
/// batch, naming it, and nothing is stored.
pub async fn ls_10a_a_column_outside_the_catalog_refuses_the_batch(app: TestApp) {
    let officer = app.login("officer").await;
    let code = population(&app, &officer).await;
    let mut text = String::from("公民身份号码,姓名,婚姻状况\n");
    text.push_str(&format!("{},张三,已婚\n", id(1)));
    let d = Delivery::new();
    let report = ingest(&app, &officer, &code, &d.file("x.csv", text.as_bytes()), Encoding::Auto).await.unwrap();
    assert_eq!(report.state, "refused");
    assert!(report.refusal.as_deref().unwrap().contains("婚姻状况"), "{report:?}");
    assert!(versions(&app, &officer, &code).await.is_empty());
    let (_, batch) = app.json(Method::GET, &format!("/api/v1/batches/{}", report.batch_id), Some(&officer), None).await;
    assert_eq!(batch["state"], "refused", "the refused batch is on record: {batch}");
}

/// Bad files: too many invalid IDs, an empty file, a header alone, GBK declared as UTF-8, a missing key column, a
/// 10 MB field, a ragged row, a resource not yet published, another department's resource. Each gets a clear
/// answer and the previous version stays in force.
pub async fn aggregation_bad_files_are_refused_and_the_previous_version_stays(app: TestApp) {
    let officer = app.login("officer").await;
    let code = population(&app, &officer).await;
    let d = Delivery::new();
    assert_eq!(ingest(&app, &officer, &code, &d.file("v1.csv", people(50, &[]).as_bytes()), Encoding::Auto).await.unwrap().version, Some(1));

    let bad: Vec<String> = (0..6).map(|n| format!("{},坏{n},1980-01-02,", wrong_check(900 + n))).collect();
    let bad: Vec<&str> = bad.iter().map(String::as_str).collect();
    let report = ingest(&app, &officer, &code, &d.file("bad.csv", people(54, &bad).as_bytes()), Encoding::Auto).await.unwrap();
    assert_eq!(report.state, "refused", "{report:?}");
    assert!(report.failure_percent > report.max_failure_percent && report.refusal.as_deref().unwrap().contains("整批不予入库"), "{report:?}");
    assert!(report.quarantine, "the failing rows can still be looked at");
    assert_eq!(versions(&app, &officer, &code).await, [1], "the previous version stays");
    // The authority may raise the limit; a department may not.
    let admin = app.login("admin").await;
    let (status, _) = app.json(Method::PUT, "/api/v1/aggregation/limits", Some(&officer), Some(json!({"max_failure_percent": 50.0}))).await;
    assert_eq!(status, 403);
    let (status, body) = app.json(Method::PUT, "/api/v1/aggregation/limits", Some(&admin), Some(json!({"max_failure_percent": 120.0}))).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("invalid_limit")), "{body}");
    let (status, body) = app.json(Method::PUT, "/api/v1/aggregation/limits", Some(&admin), Some(json!({"max_failure_percent": 15.0}))).await;
    assert_eq!((status, body["max_failure_percent"].as_f64()), (200, Some(15.0)), "{body}");
    let report = ingest(&app, &officer, &code, &d.file("bad.csv", people(54, &bad).as_bytes()), Encoding::Auto).await.unwrap();
    assert_eq!((report.state.as_str(), report.rows_accepted, report.max_failure_percent), ("committed", 54, 15.0), "10% under a 15% limit: {report:?}");
    app.json(Method::PUT, "/api/v1/aggregation/limits", Some(&admin), Some(json!({"max_failure_percent": 5.0}))).await;

    for (name, bytes, expect) in [
        ("empty.csv", Vec::new(), "文件是空的"),
        ("header.csv", "公民身份号码,姓名\n".as_bytes().to_vec(), "没有数据行"),
        ("gbk.csv", encoding_rs::GBK.encode(&people(3, &[])).0.into_owned(), "不是UTF-8"),
        ("nokey.csv", "姓名,出生日期\n张三,1980-01-01\n".as_bytes().to_vec(), "缺少必填数据项的列"),
    ] {
        let report = ingest(&app, &officer, &code, &d.file(name, &bytes), Encoding::Utf8).await.unwrap();
        assert_eq!(report.state, "refused", "{name}: {report:?}");
        assert!(report.refusal.as_deref().unwrap().contains(expect), "{name}: {report:?}");
    }
    // GBK detected is read like UTF-8.
    let gbk = ingest(&app, &officer, &code, &d.file("gbk.csv", &encoding_rs::GBK.encode(&people(30, &[])).0), Encoding::Auto).await.unwrap();
    assert_eq!((gbk.state.as_str(), gbk.rows_accepted), ("committed", 30), "{gbk:?}");

    let huge = format!("{},{},1980-01-02,", id(777), "名".repeat(3_500_000));
    let ragged = format!("{},缺列", id(778));
    let report = ingest(&app, &officer, &code, &d.file("odd.csv", people(60, &[&huge, &ragged]).as_bytes()), Encoding::Auto).await.unwrap();
    assert_eq!((report.state.as_str(), report.rows_accepted, report.rows_quarantined), ("committed", 60, 2), "{:?}", report.problems);
    assert!(report.problems.iter().any(|p| p.code == "too_long") && report.problems.iter().any(|p| p.code == "ragged_row"), "{:?}", report.problems);
    assert_eq!(versions(&app, &officer, &code).await, [4, 3, 2, 1]);

    let draft = create(&app, &officer, app.department_id("公安局").await, complete("shuangyashan-2026", "暂住人口信息")).await;
    let err = ingest(&app, &officer, &draft, &d.file("v.csv", people(2, &[]).as_bytes()), Encoding::Auto).await.unwrap_err();
    assert!(matches!(&err, service::Error::Invalid(i) if i.code == "not_published"), "{err:?}");
    let err = ingest(&app, &app.login("officer-sj").await, &code, &d.file("v.csv", people(2, &[]).as_bytes()), Encoding::Auto).await.unwrap_err();
    assert!(matches!(err, service::Error::Forbidden { .. }), "another department does not deliver it");
}

/// SYS-17b, LS-8c: the next delivery is due one declared interval after the last; a daily feed last delivered on
/// the 1st at 10:00 is late on the 3rd, and the department and the authority see it.
pub async fn sys_17b_ls_8c_a_feed_past_its_interval_is_late(app: TestApp) {
    app.clock.set_day("2026-03-01");
    let officer = app.login("officer").await;
    let code = population(&app, &officer).await;
    let d = Delivery::new();
    ingest(&app, &officer, &code, &d.file("人口.csv", people(10, &[]).as_bytes()), Encoding::Auto).await.unwrap();
    let row_of = |list: &serde_json::Value| list["items"].as_array().unwrap().iter().find(|f| f["code"] == code.as_str()).cloned();
    let (_, list) = app.json(Method::GET, "/api/v1/aggregation/freshness", Some(&officer), None).await;
    let row = row_of(&list).unwrap_or_else(|| panic!("{list}"));
    assert_eq!((row["late"].as_bool(), row["due"].as_str()), (Some(false), Some("2026-03-02T10:00:00+08:00")), "{row}");
    assert_eq!(row["last_delivery"], "2026-03-01T10:00:00+08:00");

    app.clock.set_day("2026-03-03");
    let officer = app.login("officer").await;
    let (_, list) = app.json(Method::GET, "/api/v1/aggregation/freshness", Some(&officer), None).await;
    assert_eq!(row_of(&list).unwrap()["late"], true, "{list}");
    assert_eq!(list["items"][0]["late"], true, "late ones first");
    let (_, all) = app.json(Method::GET, "/api/v1/aggregation/freshness", Some(&app.login("admin").await), None).await;
    assert_eq!(row_of(&all).unwrap()["late"], true, "the authority sees it too");
    let (_, other) = app.json(Method::GET, "/api/v1/aggregation/freshness", Some(&app.login("officer-sj").await), None).await;
    assert!(row_of(&other).is_none(), "another department sees its own only");
}

/// SYS-07c, file upload through the API: the file is the request body (streamed to disk, not held in memory);
/// a committed batch answers 201 with its report, a refused one 422 with the error and the report; the wrong media
/// type and an unknown encoding are refused before anything is read.
pub async fn sys_07c_a_file_uploaded_through_the_api_is_delivered(app: TestApp) {
    let officer = app.login("officer").await;
    let code = population(&app, &officer).await;
    let upload = |token: String, query: &'static str, kind: &'static str, body: Vec<u8>| {
        let (app, code) = (&app, code.clone());
        async move {
            let r = app
                .client
                .post(format!("{}/api/v1/resources/{code}/batches{query}", app.base))
                .bearer_auth(token)
                .header("content-type", kind)
                .body(body)
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            (status, r.json::<serde_json::Value>().await.unwrap())
        }
    };
    let (status, body) = upload(officer.clone(), "?name=%E4%BA%BA%E5%8F%A3.csv", "text/csv", people(40, &[]).into_bytes()).await;
    assert_eq!((status, body["state"].as_str(), body["version"].as_i64()), (201, Some("committed"), Some(1)), "{body}");
    assert_eq!(body["source_name"], "人口.csv");
    let gbk = encoding_rs::GBK.encode(&people(40, &[])).0.into_owned();
    let (status, body) = upload(officer.clone(), "?encoding=gbk", "text/csv; charset=gbk", gbk).await;
    assert_eq!((status, body["version"].as_i64()), (201, Some(2)), "{body}");
    let (status, body) = upload(officer.clone(), "", "text/csv", "公民身份号码,姓名,婚姻状况\n110105194912310021,张三,已婚\n".as_bytes().to_vec()).await;
    assert_eq!((status, body["error"]["code"].as_str(), body["batch"]["state"].as_str()), (422, Some("batch_refused"), Some("refused")), "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("婚姻状况") && body["error"]["message_en"].is_string());
    let (status, body) = upload(officer.clone(), "", "application/pdf", b"%PDF-1.4".to_vec()).await;
    assert_eq!((status, body["error"]["code"].as_str()), (415, Some("unsupported_media_type")), "{body}");
    let (status, body) = upload(officer.clone(), "?encoding=latin1", "text/csv", b"x".to_vec()).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("invalid_query")), "{body}");
    let (status, _) = upload(app.login("officer-sj").await, "", "text/csv", people(2, &[]).into_bytes()).await;
    assert_eq!(status, 403, "another department does not deliver it");
    assert_eq!(versions(&app, &officer, &code).await, [2, 1]);
}

/// CS-17c: a department's spreadsheet (XLSX) is delivered like a CSV; one whose header has merged cells is refused
/// naming the cells.
pub async fn cs_17c_a_spreadsheet_is_delivered_and_merged_headers_refused(app: TestApp) {
    let officer = app.login("officer").await;
    let code = population(&app, &officer).await;
    let d = Delivery::new();
    let sheet = |merged: bool| {
        let mut book = rust_xlsxwriter::Workbook::new();
        let ws = book.add_worksheet();
        if merged {
            ws.merge_range(0, 0, 0, 1, "身份信息", &rust_xlsxwriter::Format::new()).unwrap();
            ws.write_string(1, 0, "公民身份号码").unwrap();
        } else {
            for (c, h) in ["公民身份号码", "姓名", "出生日期"].iter().enumerate() {
                ws.write_string(0, c as u16, *h).unwrap();
            }
            for n in 0..25u32 {
                ws.write_string(n + 1, 0, id(n as usize)).unwrap();
                ws.write_string(n + 1, 1, format!("居民{n}")).unwrap();
                ws.write_string(n + 1, 2, "1980-01-02").unwrap();
            }
        }
        book.save_to_buffer().unwrap()
    };
    let report = ingest(&app, &officer, &code, &d.file("手工台账.xlsx", &sheet(false)), Encoding::Auto).await.unwrap();
    assert_eq!((report.state.as_str(), report.rows_accepted, report.version), ("committed", 25, Some(1)), "{report:?}");
    assert_eq!(report.source_name, "手工台账.xlsx");
    let report = ingest(&app, &officer, &code, &d.file("合并表头.xlsx", &sheet(true)), Encoding::Auto).await.unwrap();
    assert_eq!(report.state, "refused");
    assert!(report.refusal.as_deref().unwrap().contains("A1:B1"), "names the merged cells: {report:?}");
    let report = ingest(&app, &officer, &code, &d.file("坏.xlsx", b"not a zip"), Encoding::Auto).await.unwrap();
    assert!(report.refusal.as_deref().unwrap().contains("不是有效的XLSX"), "{report:?}");
    assert_eq!(versions(&app, &officer, &code).await, [1]);
    let r = app
        .client
        .post(format!("{}/api/v1/resources/{code}/batches?name=%E5%8F%B0%E8%B4%A6", app.base))
        .bearer_auth(&officer)
        .header("content-type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        .body(sheet(false))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "an XLSX uploaded through the API");
    assert_eq!(versions(&app, &officer, &code).await, [2, 1]);
}

/// A large file (here: any file, by setting the threshold to 0) is checked for repeated keys in a first pass, so
/// memory stays flat; the report is the same as for a small file.
pub async fn aggregation_large_files_find_repeated_keys_in_a_first_pass(app: TestApp) {
    let officer = app.login("officer").await;
    let code = population(&app, &officer).await;
    let mut tx = app.platform.store.begin().await.unwrap();
    store::settings::set(&mut tx, "ingest_external_keys_bytes", "0").await.unwrap();
    tx.commit().await.unwrap();
    let again = [format!("{},又一次,1980-01-02,", id(3)), format!("{},再一次,1980-01-02,", id(7))];
    let again: Vec<&str> = again.iter().map(String::as_str).collect();
    let d = Delivery::new();
    let report = ingest(&app, &officer, &code, &d.file("大文件.csv", people(300, &again).as_bytes()), Encoding::Auto).await.unwrap();
    assert_eq!((report.state.as_str(), report.rows_accepted, report.rows_quarantined), ("committed", 300, 2), "{report:?}");
    let messages: Vec<&str> = report.samples.iter().map(|s| s.message.as_str()).collect();
    assert!(messages.iter().any(|m| m.contains("与第5行重复")) && messages.iter().any(|m| m.contains("与第9行重复")), "{messages:?}");
}

/// FS-44c, SYS-17b, YZ-21: 报送逾期预警 on the working-day clock. A monthly feed delivered on 2024-02-11 is due on
/// Monday 2024-03-11; with one working day's lead the department is warned on Friday 2024-03-08 (not on the 7th,
/// and once however often the platform looks), and once it is overdue on the 12th the department and the
/// authority are alerted. A new delivery resolves both.
pub async fn fs_44c_a_feed_is_warned_before_its_due_date_and_alerted_when_overdue(app: TestApp) {
    app.clock.set_day("2024-02-11");
    let officer = app.login("officer").await;
    let mut content = complete("shuangyashan-2026", "户籍人口月报");
    content["update_frequency"] = json!("monthly");
    content["items"] = json!([{"name": "zjhm", "label": "公民身份号码", "data_type": "string", "is_key": true, "identifier": "citizen_id", "level": "l4"}]);
    let code = create(&app, &officer, app.department_id("公安局").await, content).await;
    publish(&app, &code, &officer).await;
    let d = Delivery::new();
    let file = d.file("月报.csv", format!("zjhm\n{}\n", id(1)).as_bytes());
    assert_eq!(ingest(&app, &officer, &code, &file, Encoding::Auto).await.unwrap().state, "committed");
    let ours = |list: &serde_json::Value| -> Vec<serde_json::Value> { list["items"].as_array().unwrap().iter().filter(|a| a["object_id"] == code.as_str()).cloned().collect() };
    let scan = || async { service::alerts::scan(&app.platform).await.unwrap() };

    app.clock.set_day("2024-03-07");
    scan().await;
    let officer = app.login("officer").await;
    let (_, feeds) = app.json(Method::GET, "/api/v1/aggregation/freshness", Some(&officer), None).await;
    let feed = feeds["items"].as_array().unwrap().iter().find(|f| f["code"] == code.as_str()).unwrap().clone();
    assert_eq!((feed["status"].as_str(), feed["warn_on"].as_str(), feed["due"].as_str()), (Some("on_time"), Some("2024-03-08"), Some("2024-03-11T10:00:00+08:00")), "{feed}");
    let (_, alerts) = app.json(Method::GET, "/api/v1/alerts", Some(&officer), None).await;
    assert!(ours(&alerts).is_empty(), "not yet: {alerts}");

    app.clock.set_day("2024-03-08");
    assert_eq!(scan().await.raised, 1);
    assert_eq!(scan().await.raised, 0, "warned once");
    let officer = app.login("officer").await;
    let (_, alerts) = app.json(Method::GET, "/api/v1/alerts?open=true", Some(&officer), None).await;
    let warned = ours(&alerts);
    assert_eq!(warned.len(), 1, "{alerts}");
    assert_eq!((warned[0]["kind"].as_str(), warned[0]["to_authority"].as_bool()), (Some("delivery_due_soon"), Some(false)));
    assert!(warned[0]["message"].as_str().unwrap().contains("2024-03-11"), "{warned:?}");
    let (_, other) = app.json(Method::GET, "/api/v1/alerts", Some(&app.login("officer-sj").await), None).await;
    assert!(ours(&other).is_empty(), "another department is not told");

    app.clock.set_day("2024-03-12");
    assert_eq!(scan().await.raised, 1);
    let admin = app.login("admin").await;
    let (_, alerts) = app.json(Method::GET, "/api/v1/alerts?open=true", Some(&admin), None).await;
    let overdue: Vec<_> = ours(&alerts).into_iter().filter(|a| a["kind"] == "delivery_overdue").collect();
    assert_eq!((overdue.len(), overdue[0]["to_authority"].as_bool()), (1, Some(true)), "the authority is alerted: {alerts}");

    // The department delivers: the next due date is a month on, and the alerts are resolved.
    let officer = app.login("officer").await;
    assert_eq!(ingest(&app, &officer, &code, &file, Encoding::Auto).await.unwrap().state, "committed");
    assert_eq!(scan().await.resolved, 2);
    let (_, alerts) = app.json(Method::GET, "/api/v1/alerts?open=true", Some(&officer), None).await;
    assert!(ours(&alerts).is_empty(), "{alerts}");
    let (_, all) = app.json(Method::GET, "/api/v1/alerts", Some(&officer), None).await;
    assert!(ours(&all).iter().all(|a| a["resolved_at"].is_string()), "kept, resolved: {all}");

    // The authority sets a longer lead; a lead beyond 30 working days is refused.
    let (status, limits) = app.json(Method::PUT, "/api/v1/aggregation/limits", Some(&admin), Some(json!({"max_failure_percent": 5.0, "warning_lead_working_days": 3}))).await;
    assert_eq!((status, limits["warning_lead_working_days"].as_u64()), (200, Some(3)), "{limits}");
    let (status, body) = app.json(Method::PUT, "/api/v1/aggregation/limits", Some(&admin), Some(json!({"max_failure_percent": 5.0, "warning_lead_working_days": 31}))).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("invalid_limit")), "{body}");
    let (_, events) = app.json(Method::GET, &format!("/api/v1/audit/events?action=alert.raise&object_id={code}"), Some(&app.login("auditor").await), None).await;
    assert_eq!(events["total"], 2, "{events}");
}

/// SYS-17a, CS-17b, SYS-12e: aggregation coverage per department — of its published entries, those with data
/// (挂接) and the ones still missing, by name; data cannot be mounted on an entry that is not published.
pub async fn sys_17a_cs_17b_sys_12e_coverage_names_the_entries_without_data(app: TestApp) {
    let officer = app.login("officer").await;
    let with_data = population(&app, &officer).await;
    let mut content = complete("shuangyashan-2026", "暂住人口信息");
    content["items"] = json!([{"name": "zjhm", "label": "公民身份号码", "data_type": "string", "is_key": true, "identifier": "citizen_id", "level": "l4"}]);
    let without = create(&app, &officer, app.department_id("公安局").await, content.clone()).await;
    publish(&app, &without, &officer).await;
    let mut draft_content = content;
    draft_content["name"] = json!("出入境人员信息");
    let draft = create(&app, &officer, app.department_id("公安局").await, draft_content).await;
    let d = Delivery::new();
    assert_eq!(ingest(&app, &officer, &with_data, &d.file("人口.csv", people(5, &[]).as_bytes()), Encoding::Auto).await.unwrap().state, "committed");
    let refused = ingest(&app, &officer, &draft, &d.file("草稿.csv", format!("zjhm\n{}\n", id(1)).as_bytes()), Encoding::Auto).await;
    assert!(matches!(&refused, Err(service::Error::Invalid(i)) if i.code == "not_published"), "{refused:?}");
    let (status, list) = app.json(Method::GET, "/api/v1/aggregation/coverage", Some(&officer), None).await;
    assert_eq!((status, list["total"].as_i64()), (200, Some(1)), "the department's own: {list}");
    let c = &list["items"][0];
    assert_eq!((c["published"].as_i64(), c["delivered"].as_i64(), c["percent"].as_f64()), (Some(2), Some(1), Some(50.0)), "{c}");
    assert_eq!(c["missing"], json!([{"code": without, "name": "暂住人口信息"}]));
    let (_, all) = app.json(Method::GET, "/api/v1/aggregation/coverage", Some(&app.login("admin").await), None).await;
    assert!(all["items"].as_array().unwrap().iter().any(|c| c["department"] == "双鸭山市公安局"), "{all}");
}

/// YZ-8a: data delivered with a column the entry does not list is refused (LS-10a) and flags the entry as stale to
/// its provider — once, however often it is tried — until a delivery matching the catalog resolves the flag.
pub async fn yz_8a_data_outside_the_catalog_flags_the_entry_stale(app: TestApp) {
    let officer = app.login("officer").await;
    let code = population(&app, &officer).await;
    let d = Delivery::new();
    let extra = d.file("新增列.csv", format!("公民身份号码,姓名,婚姻状况\n{},张三,已婚\n", id(1)).as_bytes());
    for _ in 0..2 {
        assert_eq!(ingest(&app, &officer, &code, &extra, Encoding::Auto).await.unwrap().state, "refused");
    }
    let stale = |list: &serde_json::Value| -> Vec<serde_json::Value> { list["items"].as_array().unwrap().iter().filter(|a| a["kind"] == "catalog_stale" && a["object_id"] == code.as_str()).cloned().collect() };
    let (_, alerts) = app.json(Method::GET, "/api/v1/alerts?open=true", Some(&officer), None).await;
    let flagged = stale(&alerts);
    assert_eq!(flagged.len(), 1, "flagged once: {alerts}");
    assert!(flagged[0]["message"].as_str().unwrap().contains("婚姻状况"), "{flagged:?}");
    let (_, events) = app.json(Method::GET, &format!("/api/v1/audit/events?action=alert.raise&object_id={code}"), Some(&app.login("auditor").await), None).await;
    let raised: Vec<&serde_json::Value> = events["items"].as_array().unwrap().iter().filter(|e| e["detail"].as_str().unwrap_or("").starts_with("catalog_stale")).collect();
    assert_eq!(raised.len(), 1, "the raise is in the audit log once, with the columns: {events}");
    assert!(raised[0]["detail"].as_str().unwrap().contains("婚姻状况"), "{raised:?}");
    assert_eq!(ingest(&app, &officer, &code, &d.file("人口.csv", people(3, &[]).as_bytes()), Encoding::Auto).await.unwrap().state, "committed");
    let (_, alerts) = app.json(Method::GET, "/api/v1/alerts?open=true", Some(&officer), None).await;
    assert!(stale(&alerts).is_empty(), "resolved by a matching delivery: {alerts}");
}

/// LS-16g: aggregation follows national standards: an item that follows GB 32100 (统一社会信用代码) is checked by
/// it when delivered, so a code with a wrong check character is quarantined with that reason, in Chinese and in
/// English, and the valid ones are accepted.
pub async fn ls_16g_an_item_under_a_national_standard_is_checked_by_it(app: TestApp) {
    let app = app.sibling("lishui-2020").await;
    let officer = app.login("officer").await;
    let mut content = crate::catalog::complete("lishui-2020", "企业登记信息");
    content["items"] = serde_json::json!([
        {"name": "tyshxydm", "label": "统一社会信用代码", "data_type": "string", "is_key": true, "identifier": "uscc"},
        {"name": "qymc", "label": "企业名称", "data_type": "string"}
    ]);
    content["reference_standards"] = serde_json::json!(["GB 32100-2015 法人和其他组织统一社会信用代码编码规则"]);
    let code = crate::catalog::create(&app, &officer, app.department_id("公安局").await, content).await;
    crate::catalog::publish(&app, &code, &officer).await;
    // Forty valid codes, and one whose check character is wrong (the batch stays under the failure limit).
    let mut companies = String::from("统一社会信用代码,企业名称\n");
    for n in 0..40 {
        let org = domain::ids::organization_code_complete(&format!("MA{n:06}"));
        companies.push_str(&format!("{},企业{n}\n", domain::ids::Uscc::complete(&format!("91331100{org}")).as_str()));
    }
    companies.push_str("91350100M000100Y44,错码企业\n");
    let r = app
        .client
        .post(format!("{}/api/v1/resources/{code}/batches", app.base))
        .bearer_auth(&officer)
        .header("content-type", "text/csv")
        .body(companies)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let report: serde_json::Value = r.json().await.unwrap();
    assert_eq!(status, 201, "{report}");
    assert_eq!((report["rows_accepted"].as_i64(), report["rows_quarantined"].as_i64()), (Some(40), Some(1)), "{report}");
    let problem = report["problems"].as_array().unwrap().iter().find(|p| p["item"] == "tyshxydm").cloned().unwrap_or_default();
    assert_eq!((problem["code"].as_str(), problem["count"].as_i64()), (Some("invalid_uscc"), Some(1)), "{report}");
    let sample = &report["samples"][0];
    assert!(sample["message"].as_str().unwrap().contains("校验位错误"), "the reason in Chinese: {sample}");
    assert!(sample["message_en"].as_str().unwrap().contains("check character"), "and in English: {sample}");
}
