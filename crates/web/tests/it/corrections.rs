//! Correction requests (校核) through the HTTP API: filed by a department using shared data, by its system's token
//! or on the console; answered by the provider within the regime's working days; the record served flagged as under
//! verification meanwhile, never refused.

use reqwest::Method;
use serde_json::{json, Value};

use crate::aggregation::id as citizen;
use crate::common::TestApp;
use crate::sharing::{answer, application, apply, audit_count, conditional, shared_population, token_of};

async fn file(app: &TestApp, caller: &str, body: Value) -> (u16, Value) {
    app.json(Method::POST, "/api/v1/corrections", Some(caller), Some(body)).await
}

/// LS-13b, LS-13c, LS-13d: the civil affairs bureau doubts a record it reads under its grant and asks the police
/// bureau to verify it, once by its system's token (channel api) and once on the console (manual). The request is
/// due two working days later, counted over the National Day holiday and its make-up working days; while it is
/// open the record is served (200) flagged as under verification with the request's id; past its day it alerts
/// the provider and the authority; once the provider resolves it the flag is gone.
pub async fn ls_13b_ls_13c_ls_13d_a_doubted_record_is_served_under_verification_until_the_provider_resolves_it(app: TestApp) {
    let app = app.sibling("lishui-2020").await;
    app.clock.set_day("2023-09-28");
    let code = shared_population(&app, "lishui-2020", conditional(&app).await).await;
    let civil = app.login("officer-mz").await;
    let police = app.login("officer").await;
    let (status, filed) = apply(&app, &civil, application(&code, &["zjhm", "xm", "csrq"], &["view"])).await;
    assert_eq!(status, 201, "{filed}");
    let (status, body) = answer(&app, &police, filed["id"].as_i64().unwrap(), json!({"approve": true})).await;
    assert_eq!(status, 200, "{body}");
    let (token, _) = token_of(&app, "民政局").await;
    // 丽水 names the grant on every call (LS-19b).
    let grant = body["grant_id"].as_i64().unwrap();
    let record = |n: usize| format!("/api/v1/share/{code}/records/{}?grant={grant}", citizen(n));
    let (status, plain) = app.json(Method::GET, &record(3), Some(&token), None).await;
    assert_eq!(status, 200, "{plain}");
    assert!(plain.get("verification_status").is_none(), "no flag without a correction: {plain}");

    let doubt = json!({"resource_code": code, "record_key": citizen(3), "item": "csrq", "description": "出生日期与本人身份证不符，应为1990-01-03", "evidence": "申请人提供的居民身份证"});
    let (status, by_api) = file(&app, &token, doubt.clone()).await;
    assert_eq!(status, 201, "{by_api}");
    assert_eq!((by_api["channel"].as_str(), by_api["state"].as_str(), by_api["due_on"].as_str()), (Some("api"), Some("received"), Some("2023-10-08")), "{by_api}");
    assert!(by_api["provider"].as_str().unwrap().contains("公安局"), "routed to the provider: {by_api}");
    let (status, by_hand) = file(&app, &civil, json!({"resource_code": code, "record_key": citizen(4), "description": "姓名有误"})).await;
    assert_eq!((status, by_hand["channel"].as_str()), (201, Some("manual")), "{by_hand}");

    // LS-13d: served as normal, flagged, with the request to cite.
    let (status, flagged) = app.json(Method::GET, &record(3), Some(&token), None).await;
    assert_eq!(status, 200, "never refused while under verification: {flagged}");
    assert_eq!((flagged["verification_status"].as_str(), flagged["correction_id"].as_i64()), (Some("under_verification"), by_api["id"].as_i64()), "{flagged}");
    assert_eq!(flagged["values"], plain["values"], "the data is served as it stands");
    let (_, other) = app.json(Method::GET, &record(5), Some(&token), None).await;
    assert!(other.get("verification_status").is_none(), "only the doubted record is flagged: {other}");

    // The provider sees both to answer; the due day passes with one open: an alert to the provider and the authority.
    let (_, listed) = app.json(Method::GET, "/api/v1/corrections", Some(&police), None).await;
    assert_eq!(listed["total"], 2, "{listed}");
    let id = by_api["id"].as_i64().unwrap();
    app.clock.set_day("2023-10-08");
    service::alerts::scan(&app.platform).await.unwrap();
    // Sessions end after a working day: sign in again on the new day.
    let police = app.login("officer").await;
    let overdue = |alerts: &Value| alerts["items"].as_array().unwrap().iter().filter(|a| a["kind"] == "correction_overdue").count();
    let (_, alerts) = app.json(Method::GET, "/api/v1/alerts?open=true", Some(&police), None).await;
    assert_eq!(overdue(&alerts), 0, "due on the make-up working day itself: {alerts}");
    app.clock.set_day("2023-10-09");
    service::alerts::scan(&app.platform).await.unwrap();
    let (police, civil) = (app.login("officer").await, app.login("officer-mz").await);
    let (_, alerts) = app.json(Method::GET, "/api/v1/alerts?open=true", Some(&app.login("admin").await), None).await;
    assert_eq!(overdue(&alerts), 2, "both overdue, to the authority too: {alerts}");
    let (_, listed) = app.json(Method::GET, "/api/v1/corrections", Some(&police), None).await;
    assert!(listed["items"].as_array().unwrap().iter().all(|c| c["overdue"] == true), "{listed}");

    // Only the provider resolves, with an outcome and what it found.
    let resolve = format!("/api/v1/corrections/{id}/resolve");
    let (status, _) = app.json(Method::POST, &resolve, Some(&civil), Some(json!({"outcome": "corrected", "resolution": "已更正"}))).await;
    assert_eq!(status, 403);
    let (status, body) = app.json(Method::POST, &resolve, Some(&police), Some(json!({"outcome": "fixed", "resolution": "已更正"}))).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("correction_outcome")), "{body}");
    let (status, done) = app.json(Method::POST, &resolve, Some(&police), Some(json!({"outcome": "corrected", "resolution": "经核查户籍底册，出生日期已更正，下一版本生效"}))).await;
    assert_eq!((status, done["state"].as_str(), done["outcome"].as_str()), (200, Some("resolved"), Some("corrected")), "{done}");
    let (status, _) = app.json(Method::POST, &resolve, Some(&police), Some(json!({"outcome": "corrected", "resolution": "再次"}))).await;
    assert_eq!(status, 409);
    let (status, after) = app.json(Method::GET, &record(3), Some(&token), None).await;
    assert!(status == 200 && after.get("verification_status").is_none(), "the flag is gone: {after}");
    assert_eq!(audit_count(&app, "correction.file").await, 2);
    assert_eq!(audit_count(&app, "correction.resolve").await, 1);
}

/// Bad correction requests are refused with what to fix and store nothing; a department without a grant on the
/// resource cannot file one; a regime without the procedure says so.
pub async fn corrections_bad_input_is_refused_and_stores_nothing(app: TestApp) {
    let code = shared_population(&app, "shuangyashan-2026", conditional(&app).await).await;
    let civil = app.login("officer-mz").await;
    let (status, filed) = apply(&app, &civil, application(&code, &["zjhm", "xm"], &["view"])).await;
    assert_eq!(status, 201, "{filed}");
    answer(&app, &app.login("officer").await, filed["id"].as_i64().unwrap(), json!({"approve": true})).await;
    let cases = [
        (json!({"resource_code": code, "record_key": "", "description": "有误"}), 400, "invalid_correction"),
        (json!({"resource_code": code, "record_key": citizen(1), "description": " "}), 400, "invalid_correction"),
        (json!({"resource_code": code, "record_key": citizen(1), "description": "x".repeat(2001)}), 400, "invalid_correction"),
        (json!({"resource_code": code, "record_key": citizen(1), "item": "nope", "description": "有误"}), 400, "invalid_correction"),
        (json!({"resource_code": "230500-999-99999", "record_key": citizen(1), "description": "有误"}), 404, "not_found"),
        (json!({"resource_code": code, "record_key": citizen(1), "description": "有误", "extra": 1}), 422, "invalid_body"),
    ];
    for (body, status, code_expected) in cases {
        let (got, answer) = file(&app, &civil, body.clone()).await;
        assert_eq!((got, answer["error"]["code"].as_str()), (status, Some(code_expected)), "{body}: {answer}");
        assert!(answer["error"]["message"].as_str().is_some_and(|m| !m.is_empty()) && answer["error"]["message_en"].as_str().is_some(), "{answer}");
    }
    // The human resources bureau holds no grant on it: a correction comes from a department using the data.
    let (status, body) = file(&app, &app.login("officer-rs").await, json!({"resource_code": code, "record_key": citizen(1), "description": "有误"})).await;
    assert_eq!(status, 403, "{body}");
    let (_, listed) = app.json(Method::GET, "/api/v1/corrections", Some(&app.login("admin").await), None).await;
    assert_eq!(listed["total"], 0, "nothing stored: {listed}");
    assert_eq!(audit_count(&app, "correction.file").await, 0);

    let cs = app.sibling("changsha-2021").await;
    let (status, body) = file(&cs, &cs.login("officer-mz").await, json!({"resource_code": "x", "record_key": "1", "description": "有误"})).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("no_correction_mechanism")), "{body}");
}

/// LS-16f, LS-28a, SYS-27c, SYS-28d: the evaluation mechanism for sharing work counts, per providing department, the applications answered by their
/// due day and those left overdue, and the correction requests verified within the regime's days (校核及时率).
pub async fn ls_16f_ls_28a_sys_27c_sys_28d_the_evaluation_counts_answers_and_corrections_on_time(app: TestApp) {
    app.clock.set_day("2026-11-02");
    let code = shared_population(&app, "shuangyashan-2026", conditional(&app).await).await;
    let civil = app.login("officer-mz").await;
    let (_, answered) = apply(&app, &civil, application(&code, &["zjhm", "xm"], &["view"])).await;
    let (_, left) = apply(&app, &civil, application(&code, &["zjhm", "csrq"], &["view"])).await;
    assert_eq!((answered["due_on"].as_str(), left["due_on"].as_str()), (Some("2026-11-03"), Some("2026-11-03")), "one working day: {answered} {left}");
    let (status, _) = answer(&app, &app.login("officer").await, answered["id"].as_i64().unwrap(), json!({"approve": true})).await;
    assert_eq!(status, 200);

    app.clock.set_day("2026-11-05");
    let (civil, police) = (app.login("officer-mz").await, app.login("officer").await);
    let doubt = |n: usize| json!({"resource_code": code, "record_key": citizen(n), "description": "姓名有误"});
    let (_, quick) = file(&app, &civil, doubt(1)).await;
    let (_, slow) = file(&app, &civil, doubt(2)).await;
    assert_eq!(quick["due_on"], "2026-11-12", "five working days (SYS-28d): {quick}");
    let resolve = |id: &Value| format!("/api/v1/corrections/{}/resolve", id["id"]);
    let done = json!({"outcome": "confirmed_correct", "resolution": "经核查数据无误"});
    assert_eq!(app.json(Method::POST, &resolve(&quick), Some(&police), Some(done.clone())).await.0, 200);
    app.clock.set_day("2026-11-20");
    assert_eq!(app.json(Method::POST, &resolve(&slow), Some(&app.login("officer").await), Some(done)).await.0, 200);

    let (status, report) = app.json(Method::GET, "/api/v1/share/reports/departments", Some(&app.login("auditor").await), None).await;
    assert_eq!(status, 200, "{report}");
    let police_id = app.department_id("公安局").await;
    let row = report["items"].as_array().unwrap().iter().find(|r| r["department_id"] == police_id).unwrap_or_else(|| panic!("{report}"));
    let answers = (row["answers_due"].as_i64(), row["answers_on_time"].as_i64(), row["answers_overdue"].as_i64(), row["answer_timeliness_percent"].as_f64());
    assert_eq!(answers, (Some(2), Some(1), Some(1), Some(50.0)), "{row}");
    let checks = (row["corrections_due"].as_i64(), row["corrections_on_time"].as_i64(), row["correction_timeliness_percent"].as_f64());
    assert_eq!(checks, (Some(2), Some(1), Some(50.0)), "{row}");
    let (status, _) = app.json(Method::GET, "/api/v1/share/reports/departments", Some(&app.login("officer").await), None).await;
    assert_eq!(status, 403, "the authority and its supervisors evaluate");
}

/// FS-30b, FS-30c: in Foshan a department that doubts shared data files a re-check request (复核申请), which the
/// data's source department verifies within ten working days: received Monday 2024-03-04, it is due Monday
/// 2024-03-18 and overdue from the 19th. Meanwhile the record is served flagged, with the request to cite to the
/// counterpart, so the case goes on; corrected, the request closes and the flag is gone.
pub async fn fs_30b_fs_30c_a_recheck_request_is_verified_within_ten_working_days(app: TestApp) {
    let app = app.sibling("foshan-2020").await;
    app.clock.set_day("2024-03-04");
    let code = shared_population(&app, "foshan-2020", conditional(&app).await).await;
    let civil = app.login("officer-mz").await;
    let (status, filed) = apply(&app, &civil, application(&code, &["zjhm", "xm"], &["view"])).await;
    assert_eq!(status, 201, "{filed}");
    let (status, body) = answer(&app, &app.login("officer").await, filed["id"].as_i64().unwrap(), json!({"approve": true})).await;
    assert_eq!(status, 200, "{body}");
    let (token, _) = token_of(&app, "民政局").await;
    let (status, request) = file(&app, &token, json!({"resource_code": code, "record_key": citizen(7), "item": "xm", "description": "姓名与户籍底册不符"})).await;
    assert_eq!((status, request["due_on"].as_str()), (201, Some("2024-03-18")), "ten working days: {request}");
    let record = format!("/api/v1/share/{code}/records/{}", citizen(7));
    let (status, flagged) = app.json(Method::GET, &record, Some(&token), None).await;
    assert_eq!((status, flagged["verification_status"].as_str(), flagged["correction_id"].as_i64()), (200, Some("under_verification"), request["id"].as_i64()), "{flagged}");

    let overdue = |alerts: &Value| alerts["items"].as_array().unwrap().iter().filter(|a| a["kind"] == "correction_overdue").count();
    app.clock.set_day("2024-03-18");
    service::alerts::scan(&app.platform).await.unwrap();
    let (_, alerts) = app.json(Method::GET, "/api/v1/alerts?open=true", Some(&app.login("admin").await), None).await;
    assert_eq!(overdue(&alerts), 0, "not overdue on its due day: {alerts}");
    app.clock.set_day("2024-03-19");
    service::alerts::scan(&app.platform).await.unwrap();
    let (_, alerts) = app.json(Method::GET, "/api/v1/alerts?open=true", Some(&app.login("admin").await), None).await;
    assert_eq!(overdue(&alerts), 1, "overdue the next working day: {alerts}");

    let resolve = format!("/api/v1/corrections/{}/resolve", request["id"]);
    let fix = json!({"outcome": "corrected", "resolution": "经核查户籍底册，姓名已更正，下一版本生效"});
    let (status, done) = app.json(Method::POST, &resolve, Some(&app.login("officer").await), Some(fix)).await;
    assert_eq!((status, done["state"].as_str(), done["outcome"].as_str()), (200, Some("resolved"), Some("corrected")), "{done}");
    let (status, after) = app.json(Method::GET, &record, Some(&token), None).await;
    assert!(status == 200 && after.get("verification_status").is_none(), "the flag is gone: {after}");
    let (_, alerts) = app.json(Method::GET, "/api/v1/alerts?open=true", Some(&app.login("admin").await), None).await;
    assert_eq!(overdue(&alerts), 0, "resolving the request closes its alert: {alerts}");
}

/// SYS-28a: the providing department sets a correction rule for an item of its own (how it is verified, what
/// evidence a request brings); another department cannot. A request on that item is shown the evidence required
/// and, without it, refused naming it and stores nothing; with it, it is filed and carries the rule's evidence.
pub async fn sys_28a_a_correction_rule_names_the_evidence_a_request_brings(app: TestApp) {
    let code = shared_population(&app, "shuangyashan-2026", conditional(&app).await).await;
    let (civil, police) = (app.login("officer-mz").await, app.login("officer").await);
    let (_, filed) = apply(&app, &civil, application(&code, &["zjhm", "xm", "csrq"], &["view"])).await;
    let (status, _) = answer(&app, &police, filed["id"].as_i64().unwrap(), json!({"approve": true})).await;
    assert_eq!(status, 200);
    let rule = json!({"description": "出生日期以户籍登记底册为准，必要时调取出生医学证明", "evidence_required": "出生医学证明或户口簿"});
    let path = format!("/api/v1/resources/{code}/correction-rules/csrq");
    let (status, _) = app.json(Method::PUT, &path, Some(&civil), Some(rule.clone())).await;
    assert_eq!(status, 403, "only the provider sets its rules");
    let (status, body) = app.json(Method::PUT, &format!("/api/v1/resources/{code}/correction-rules/nope"), Some(&police), Some(rule.clone())).await;
    assert_eq!(status, 404, "{body}");
    let (status, body) = app.json(Method::PUT, &path, Some(&police), Some(json!({"description": "核对底册", "evidence_required": " "}))).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("invalid_correction_rule")), "{body}");
    let (status, set) = app.json(Method::PUT, &path, Some(&police), Some(rule)).await;
    assert_eq!((status, set["evidence_required"].as_str()), (200, Some("出生医学证明或户口簿")), "{set}");
    let (token, _) = token_of(&app, "民政局").await;
    let (status, rules) = app.json(Method::GET, &format!("/api/v1/resources/{code}/correction-rules"), Some(&token), None).await;
    assert_eq!((status, rules["items"][0]["item"].as_str()), (200, Some("csrq")), "the requester's system reads the rules: {rules}");

    let doubt = json!({"resource_code": code, "record_key": citizen(3), "item": "csrq", "description": "出生日期应为1990-01-03"});
    let (status, body) = file(&app, &token, doubt.clone()).await;
    assert_eq!((status, body["error"]["fields"][0]["field"].as_str()), (400, Some("evidence")), "{body}");
    assert!(body["error"]["fields"][0]["message"].as_str().unwrap().contains("出生医学证明或户口簿"), "names what to bring: {body}");
    let (_, listed) = app.json(Method::GET, "/api/v1/corrections", Some(&civil), None).await;
    assert_eq!(listed["total"], 0, "nothing stored: {listed}");
    let mut with_evidence = doubt;
    with_evidence["evidence"] = json!("出生医学证明编号 N230100001");
    let (status, filed) = file(&app, &token, with_evidence).await;
    assert_eq!((status, filed["evidence_required"].as_str()), (201, Some("出生医学证明或户口簿")), "{filed}");
    let (status, other) = file(&app, &token, json!({"resource_code": code, "record_key": citizen(4), "item": "xm", "description": "姓名有误"})).await;
    assert_eq!((status, other["evidence_required"].as_str()), (201, None), "no rule for xm: {other}");
    assert_eq!(audit_count(&app, "correction.rule").await, 1);
}

/// SYS-28b: a person asks, at the service center, to verify data about themself: the request is taken with the ID
/// the center verified and routed to the provider, with no grant needed; a request about someone else's record is
/// refused as not their own data, and nothing is stored; a department's officer cannot file as a subject.
pub async fn sys_28b_a_subject_asks_to_verify_their_own_data_only(app: TestApp) {
    let code = shared_population(&app, "shuangyashan-2026", conditional(&app).await).await;
    let service = app.login("service").await;
    let doubt = |subject: String, key: String| json!({"resource_code": code, "record_key": key, "item": "csrq", "description": "本人出生日期登记有误", "subject_id": subject});
    let (status, body) = file(&app, &service, doubt("not-an-id".into(), "not-an-id".into())).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("invalid_subject_id")), "the subject is identified by a valid ID: {body}");
    let (status, body) = file(&app, &service, doubt(citizen(3), citizen(5))).await;
    assert_eq!(status, 403, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("非本人数据"), "{body}");
    let (_, listed) = app.json(Method::GET, "/api/v1/corrections", Some(&app.login("admin").await), None).await;
    assert_eq!(listed["total"], 0, "nothing stored: {listed}");
    let (status, body) = file(&app, &app.login("officer-mz").await, doubt(citizen(3), citizen(3))).await;
    assert_eq!(status, 403, "a department does not file as the subject: {body}");
    let (status, taken) = file(&app, &service, doubt(citizen(3), citizen(3))).await;
    assert_eq!(status, 201, "{taken}");
    assert_eq!(taken["channel"], "subject");
    assert!(taken["provider"].as_str().unwrap().contains("公安局"), "routed to the provider: {taken}");
    let (_, mine) = app.json(Method::GET, "/api/v1/corrections", Some(&app.login("officer").await), None).await;
    assert!(mine["items"].as_array().unwrap().iter().any(|c| c["id"] == taken["id"]), "the provider has it to answer: {mine}");
}

/// FS-08e: in 佛山 a department using shared data checks its quality and gives feedback: it flags three records, the
/// provider receives the feedback listing them (and an alert), and the department turns it into recheck requests
/// (复核申请), one per record, due by the regime's days; a second conversion is refused, and a department without a
/// grant cannot give feedback.
pub async fn fs_08e_quality_feedback_is_routed_to_the_provider_and_becomes_recheck_requests(app: TestApp) {
    let app = app.sibling("foshan-2020").await;
    app.clock.set_day("2024-03-04");
    let code = shared_population(&app, "foshan-2020", conditional(&app).await).await;
    let (civil, police) = (app.login("officer-mz").await, app.login("officer").await);
    let (_, filed) = apply(&app, &civil, application(&code, &["zjhm", "xm", "csrq"], &["view"])).await;
    assert_eq!(answer(&app, &police, filed["id"].as_i64().unwrap(), json!({"approve": true})).await.0, 200);
    let keys = [citizen(3), citizen(4), citizen(5)];
    let body = json!({"resource_code": code, "record_keys": keys, "item": "csrq", "description": "出生日期与户口簿不符"});
    let (status, _) = app.json(Method::POST, "/api/v1/quality-feedback", Some(&app.login("officer-sj").await), Some(body.clone())).await;
    assert_eq!(status, 403, "no grant, no feedback");
    let (status, bad) = app.json(Method::POST, "/api/v1/quality-feedback", Some(&civil), Some(json!({"resource_code": code, "record_keys": [citizen(3), citizen(3)], "description": "重复"}))).await;
    assert_eq!((status, bad["error"]["code"].as_str()), (400, Some("invalid_feedback")), "{bad}");
    let (status, given) = app.json(Method::POST, "/api/v1/quality-feedback", Some(&civil), Some(body)).await;
    assert_eq!((status, given["state"].as_str()), (201, Some("open")), "{given}");
    let id = given["id"].as_i64().unwrap();

    let (_, received) = app.json(Method::GET, "/api/v1/quality-feedback", Some(&police), None).await;
    let item = received["items"].as_array().unwrap().iter().find(|f| f["id"] == id).cloned().unwrap_or_else(|| panic!("{received}"));
    assert_eq!(item["record_keys"], json!(keys), "the provider sees the records listed: {item}");
    let (_, alerts) = app.json(Method::GET, "/api/v1/alerts?open=true", Some(&police), None).await;
    assert!(alerts["items"].as_array().unwrap().iter().any(|a| a["kind"] == "quality_feedback" && a["object_id"] == id.to_string()), "and is told: {alerts}");
    let path = format!("/api/v1/quality-feedback/{id}/recheck");
    assert_eq!(app.json(Method::POST, &path, Some(&police), Some(json!({}))).await.0, 403, "the provider does not convert another's feedback");
    let (status, rechecked) = app.json(Method::POST, &path, Some(&civil), Some(json!({}))).await;
    assert_eq!((status, rechecked["state"].as_str()), (200, Some("rechecked")), "{rechecked}");
    assert_eq!(rechecked["correction_ids"].as_array().map(Vec::len), Some(3), "one recheck request per record: {rechecked}");
    let (_, corrections) = app.json(Method::GET, "/api/v1/corrections", Some(&police), None).await;
    assert_eq!(corrections["total"], 3, "{corrections}");
    assert!(corrections["items"].as_array().unwrap().iter().all(|c| c["due_on"] == "2024-03-18" && c["item"] == "csrq"), "due in ten working days: {corrections}");
    let (status, again) = app.json(Method::POST, &path, Some(&civil), Some(json!({}))).await;
    assert_eq!((status, again["error"]["code"].as_str()), (400, Some("feedback_rechecked")), "{again}");
    assert_eq!(app.json(Method::GET, "/api/v1/corrections", Some(&police), None).await.1["total"], 3, "nothing more stored");
}
