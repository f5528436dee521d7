//! Database sync against the real servers on this machine: a department's table in PostgreSQL and in MariaDB,
//! read full and then incrementally, with rows added and updated between runs.

use reqwest::Method;
use serde_json::{json, Value};

use crate::aggregation::{id, population, versions};
use crate::common::TestApp;

/// Which kind of department database.
#[derive(Clone, Copy)]
enum Source {
    Postgres,
    Mariadb,
}

const PASSWORD: &str = "sync-secret-1";

/// A department database holding `hr_people` with 20 people (the citizen ID column is named `sfzh`, not like the
/// item), one of them with a wrong check character. Answers the server's URL (to drop it) and the URL a job uses,
/// with a password.
async fn department_database(source: Source) -> (String, String, String) {
    let (server, timestamp) = match source {
        Source::Postgres => (store::testing::postgres_server().expect("SHUYUAN_TEST_POSTGRES_URL names the PostgreSQL server"), "TIMESTAMP"),
        Source::Mariadb => (store::testing::mysql_server().expect("SHUYUAN_TEST_MYSQL_URL names the MariaDB server (.ci/run sets it)"), "DATETIME"),
    };
    let mut statements = vec![format!(
        "CREATE TABLE hr_people (sfzh VARCHAR(18) PRIMARY KEY, xm VARCHAR(40) NOT NULL, csrq DATE, lxdh VARCHAR(20), updated_at {timestamp} NOT NULL)"
    )];
    for n in 0..20 {
        let sfzh = if n == 19 { wrong(id(19)) } else { id(n) };
        statements.push(format!(
            "INSERT INTO hr_people VALUES ('{sfzh}', '居民{n}', '1980-01-{:02}', '1380000{n:04}', '2026-11-01 08:00:{n:02}')",
            1 + n % 28
        ));
    }
    let statements: Vec<&str> = statements.iter().map(String::as_str).collect();
    let url = store::testing::source_database(&server, "hr", &statements).await.expect("create the department database");
    let (base, name) = url.rsplit_once('/').unwrap();
    let with_password = match source {
        // Trust authentication here takes any password; the job still stores it sealed.
        Source::Postgres => base.replacen("postgres://postgres@", &format!("postgres://postgres:{PASSWORD}@"), 1) + "/" + name,
        Source::Mariadb => {
            for host in ["%", "localhost", "127.0.0.1"] {
                store::testing::execute(
                    &server,
                    &[
                        &format!("CREATE USER IF NOT EXISTS 'shuyuan_sync'@'{host}' IDENTIFIED BY '{PASSWORD}'"),
                        &format!("GRANT SELECT ON {name}.* TO 'shuyuan_sync'@'{host}'"),
                    ],
                )
                .await
                .unwrap();
            }
            let host = base.rsplit_once('@').map(|(_, h)| h).unwrap_or("127.0.0.1:3306");
            format!("mysql://shuyuan_sync:{PASSWORD}@{host}/{name}")
        }
    };
    (server, url, with_password)
}

fn wrong(good: String) -> String {
    let last = good.chars().last().unwrap();
    let other = "0123456789X".chars().find(|c| *c != last).unwrap();
    format!("{}{other}", &good[..17])
}

async fn run(app: &TestApp, token: &str, job: i64) -> Value {
    let (status, run) = app.json(Method::POST, &format!("/api/v1/sync/jobs/{job}/runs"), Some(token), None).await;
    assert_eq!(status, 200, "{run}");
    run
}

async fn names(app: &TestApp, token: &str, code: &str, version: i64) -> Vec<(String, String)> {
    let (status, page) = app.json(Method::GET, &format!("/api/v1/resources/{code}/versions/{version}/rows?limit=1000"), Some(token), None).await;
    assert_eq!(status, 200, "{page}");
    let mut rows: Vec<(String, String)> = page["rows"].as_array().unwrap().iter().map(|r| (r[0].as_str().unwrap().into(), r[1].as_str().unwrap().into())).collect();
    rows.sort();
    rows
}

async fn sync_scenario(app: TestApp, source: Source) {
    let officer = app.login("officer").await;
    let code = population(&app, &officer).await;
    let (server, admin_url, url) = department_database(source).await;
    let mapping = json!({"zjhm": "sfzh"});

    // The connection test says what the table holds and which items it supplies.
    let (status, test) =
        app.json(Method::POST, "/api/v1/sync/test", Some(&officer), Some(json!({"connection": url, "table": "hr_people", "resource_code": code, "columns": mapping}))).await;
    assert_eq!(status, 200, "{test}");
    assert_eq!((test["rows"].as_i64(), test["mapped"]["zjhm"].as_str(), test["unmapped"].as_array().map(Vec::len)), (Some(20), Some("sfzh"), Some(0)), "{test}");
    assert!(test["columns"].as_array().unwrap().iter().any(|c| c["name"] == "updated_at"), "{test}");
    for (connection, table, code_expected) in [
        (url.clone(), "no_such_table", "sync_no_table"),
        (url.clone(), "hr_people; DROP TABLE hr_people", "sync_bad_name"),
        (url.replace(":3306", ":1").replace(":5432", ":1"), "hr_people", "sync_unreachable"),
        ("sqlite://x.db".to_string(), "hr_people", "sync_connection_url"),
        // A local socket could reach the platform's own database: only network connections are taken.
        ("postgres:///postgres?host=/var/run/postgresql".to_string(), "hr_people", "sync_connection_url"),
    ] {
        let (status, body) = app.json(Method::POST, "/api/v1/sync/test", Some(&officer), Some(json!({"connection": connection, "table": table}))).await;
        assert_eq!((status, body["error"]["code"].as_str()), (400, Some(code_expected)), "{body}");
    }

    // The platform's own database is nobody's source.
    if app.backend == store::testing::TestBackend::Postgres {
        let own = json!({"connection": app.database_url, "table": "users"});
        let (status, body) = app.json(Method::POST, "/api/v1/sync/test", Some(&officer), Some(own)).await;
        assert_eq!((status, body["error"]["code"].as_str()), (400, Some("sync_control_plane")), "{body}");
    }

    // A full job: each run replaces the dataset with the table as it is.
    let (status, full) = app
        .json(Method::POST, "/api/v1/sync/jobs", Some(&officer), Some(json!({"resource_code": code, "connection": url, "table": "hr_people", "columns": mapping})))
        .await;
    assert_eq!(status, 201, "{full}");
    assert!(!full.to_string().contains(PASSWORD), "the password is never shown: {full}");
    assert!(full["connection"].as_str().unwrap().contains(":***@"), "{full}");
    let full_id = full["id"].as_i64().unwrap();
    let mut conn = app.platform.store.read().await.unwrap();
    let stored = store::sync::by_id(&mut conn, full_id).await.unwrap().unwrap();
    drop(conn);
    assert!(stored.connection.starts_with("sm4gcm:") && !stored.connection.contains(PASSWORD), "stored sealed: {}", stored.connection);
    let first = run(&app, &officer, full_id).await;
    let batch = &first["batch"];
    assert_eq!((batch["state"].as_str(), batch["channel"].as_str(), batch["rows_accepted"].as_i64(), batch["rows_quarantined"].as_i64()), (Some("committed"), Some("sync"), Some(19), Some(1)), "{first}");
    assert_eq!(batch["version"].as_i64(), Some(1));

    // An incremental job on the update time, scheduled every 5 minutes: its first run reads every row.
    let (status, inc) = app
        .json(
            Method::POST,
            "/api/v1/sync/jobs",
            Some(&officer),
            Some(json!({"resource_code": code, "connection": url, "table": "hr_people", "columns": mapping, "mode": "incremental", "cursor_column": "updated_at", "interval_minutes": 5})),
        )
        .await;
    assert_eq!(status, 201, "{inc}");
    let inc_id = inc["id"].as_i64().unwrap();
    let scheduled = service::aggregation::sync::run_due(&app.platform).await.unwrap().expect("the new scheduled job is due");
    assert_eq!((scheduled.job_id, scheduled.rows_read), (inc_id, 20));
    assert_eq!(scheduled.job.cursor_value.as_deref().map(|c| c.starts_with("2026-11-01 08:00:19")), Some(true), "{:?}", scheduled.job);
    assert_eq!(scheduled.batch.as_ref().and_then(|b| b.version), Some(2));
    assert!(service::aggregation::sync::run_due(&app.platform).await.unwrap().is_none(), "not due again for 5 minutes");

    // The department adds two people and corrects one name.
    store::testing::execute(
        &admin_url,
        &[
            &format!("INSERT INTO hr_people VALUES ('{}', '新生甲', '2026-11-20', '13900000001', '2026-12-01 09:00:00')", id(100)),
            &format!("INSERT INTO hr_people VALUES ('{}', '新生乙', '2026-11-21', '13900000002', '2026-12-01 09:00:01')", id(101)),
            &format!("UPDATE hr_people SET xm = '居民三（更正）', updated_at = '2026-12-01 09:00:02' WHERE sfzh = '{}'", id(3)),
        ],
    )
    .await
    .unwrap();
    app.clock.advance_minutes(5);
    let second = service::aggregation::sync::run_due(&app.platform).await.unwrap().expect("due after 5 minutes");
    let report = second.batch.as_ref().unwrap();
    assert_eq!((second.rows_read, report.mode, report.rows_in_version, report.version), (3, service::aggregation::Mode::Merge, Some(21), Some(3)), "{report:?}");
    let now = names(&app, &officer, &code, 3).await;
    assert_eq!(now.len(), 21);
    assert!(now.contains(&(id(3), "居民三（更正）".into())) && now.contains(&(id(101), "新生乙".into())), "{now:?}");
    assert!(!now.iter().any(|(_, n)| n == "居民3"), "the old value is replaced, not kept beside the new");
    app.clock.advance_minutes(5);
    let quiet = service::aggregation::sync::run_due(&app.platform).await.unwrap().expect("due again");
    assert_eq!((quiet.rows_read, quiet.batch.is_none()), (0, true), "nothing new: no batch");
    assert_eq!(versions(&app, &officer, &code).await, [3, 2, 1]);

    // A row written later with the same update time as the last one read is not missed, and the rows already read
    // at that time are not read again.
    store::testing::execute(&admin_url, &[&format!("INSERT INTO hr_people VALUES ('{}', '新生丙', '2026-11-22', '13900000003', '2026-12-01 09:00:02')", id(102))])
        .await
        .unwrap();
    app.clock.advance_minutes(5);
    let tie = service::aggregation::sync::run_due(&app.platform).await.unwrap().expect("due again");
    assert_eq!((tie.rows_read, tie.batch.as_ref().and_then(|b| b.rows_in_version)), (1, Some(22)), "{tie:?}");
    assert!(names(&app, &officer, &code, 4).await.contains(&(id(102), "新生丙".into())));
    app.clock.advance_minutes(5);
    let quiet = service::aggregation::sync::run_due(&app.platform).await.unwrap().expect("due again");
    assert_eq!((quiet.rows_read, quiet.batch.is_none()), (0, true), "the rows at the cursor were read already");
    assert_eq!(versions(&app, &officer, &code).await, [4, 3, 2, 1]);

    // The full job reads the whole table again; its history and the jobs list show both channels.
    let again = run(&app, &officer, full_id).await;
    assert_eq!((again["batch"]["rows_accepted"].as_i64(), again["batch"]["version"].as_i64()), (Some(22), Some(5)), "{again}");
    let (status, jobs) = app.json(Method::GET, "/api/v1/sync/jobs", Some(&officer), None).await;
    assert_eq!((status, jobs["total"].as_i64()), (200, Some(2)), "{jobs}");
    let (status, jobs) = app.json(Method::GET, "/api/v1/sync/jobs", Some(&app.login("officer-sj").await), None).await;
    assert_eq!((status, jobs["total"].as_i64()), (200, Some(0)), "another department sees none of them: {jobs}");
    let (status, _) = app.json(Method::POST, &format!("/api/v1/sync/jobs/{full_id}/runs"), Some(&app.login("officer-sj").await), None).await;
    assert_eq!(status, 403);

    // Setting up a job checks its source before storing anything.
    for (body, expected) in [
        (json!({"resource_code": code, "connection": url, "table": "hr_people"}), "sync_missing_items"),
        (json!({"resource_code": code, "connection": url, "table": "hr_people", "columns": mapping, "mode": "incremental"}), "sync_cursor"),
        (json!({"resource_code": code, "connection": url, "table": "hr_people", "columns": mapping, "mode": "incremental", "cursor_column": "nope"}), "sync_no_column"),
        (json!({"resource_code": code, "connection": url, "table": "hr_people", "columns": {"zjhm": "sfzh", "hyzk": "x"}}), "sync_unknown_item"),
        (json!({"resource_code": code, "connection": url, "table": "hr_people", "columns": mapping, "interval_minutes": 1}), "sync_interval"),
    ] {
        let (status, refused) = app.json(Method::POST, "/api/v1/sync/jobs", Some(&officer), Some(body)).await;
        assert_eq!((status, refused["error"]["code"].as_str()), (400, Some(expected)), "{refused}");
    }
    let r = app.call(Method::DELETE, &format!("/api/v1/sync/jobs/{inc_id}"), Some(&officer), None).await;
    assert_eq!(r.status(), 204);
    let (status, jobs) = app.json(Method::GET, "/api/v1/sync/jobs", Some(&officer), None).await;
    assert_eq!((status, jobs["total"].as_i64()), (200, Some(1)));
    let (_, events) = app.json(Method::GET, "/api/v1/audit/events?action=aggregation.sync", Some(&app.login("auditor").await), None).await;
    assert_eq!(events["total"].as_i64(), Some(3), "two set up, one removed: {events}");
    if let Err(e) = store::testing::drop_source_database(&server, &admin_url).await {
        eprintln!("could not drop {admin_url}: {e}");
    }
}

/// SYS-07c (数据抽取同步), LS-12b: a PostgreSQL table of the department syncs in full and then incrementally, with
/// rows added and updated between runs; credentials are stored sealed and never shown.
pub async fn sys_07c_ls_12b_a_postgresql_table_syncs_full_then_incremental(app: TestApp) {
    sync_scenario(app, Source::Postgres).await
}

/// SYS-07c, LS-12b: the same from a MariaDB (MySQL) table.
pub async fn sys_07c_ls_12b_a_mariadb_table_syncs_full_then_incremental(app: TestApp) {
    sync_scenario(app, Source::Mariadb).await
}
