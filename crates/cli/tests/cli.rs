//! The binary as operators use it: init, verify, deadlines, and verify failing on a tampered database.

use std::process::Command;

use sqlx::{Connection, Executor};

fn shuyuan(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_shuyuan"))
        .args(args)
        .env("SHUYUAN_ADMIN_PASSWORD", "a-long-admin-password")
        .env_remove("SHUYUAN_DATABASE_URL")
        .output()
        .expect("run shuyuan");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

#[tokio::test]
async fn audit_verify_exits_1_naming_the_first_edited_event() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let (code, out, err) = shuyuan(&["init", "--profile", "yinzhou-2023", "--data-dir", data]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(dir.path().join("shuyuan.toml").exists());

    // Opening the initialized database again re-runs no migration and keeps its data.
    let (code, out, _) = shuyuan(&["audit", "verify", "--data-dir", data]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("1 events verified"), "{out}");

    let (code, _, err) = shuyuan(&["init", "--profile", "yinzhou-2023", "--data-dir", data]);
    assert_eq!(code, 2, "initializing twice is refused");
    assert!(err.contains("already initialized"), "{err}");

    let (code, out, _) = shuyuan(&["calendar", "deadline", "--data-dir", data, "2026-02-13", "2"]);
    assert_eq!((code, out.trim()), (0, "2026-02-24"));

    // Someone edits the log in the database behind the platform's back.
    let url = format!("sqlite://{}", dir.path().join("shuyuan.db").display());
    let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
    conn.execute("DROP TRIGGER audit_events_no_update").await.unwrap();
    conn.execute("UPDATE audit_events SET actor_name = 'someone-else' WHERE seq = 1").await.unwrap();
    conn.close().await.unwrap();

    let (code, out, _) = shuyuan(&["audit", "verify", "--data-dir", data]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("BROKEN at event 1"), "{out}");
}

#[test]
fn unknown_profile_and_missing_config_explain_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let (code, _, err) = shuyuan(&["init", "--profile", "nowhere-2030", "--data-dir", data]);
    assert_eq!(code, 2);
    assert!(err.contains("foshan-2020"), "lists the profiles: {err}");
    let (code, _, err) = shuyuan(&["serve", "--data-dir", data]);
    assert_eq!(code, 2);
    assert!(err.contains("shuyuan init"), "says what to run: {err}");
    let (code, out, _) = shuyuan(&["--help"]);
    assert_eq!(code, 0);
    assert!(out.contains("demo") && out.contains("audit"));
}

/// A department's catalog spreadsheet comes in with one row per item. A file with any problem imports nothing and
/// the report names each by line and column: a bad cell, a repeated name, wrong columns, a missing required field,
/// GBK given as UTF-8 and the reverse, or a file mixing the two. Fixed, the whole file goes in.
#[test]
fn catalog_import_refuses_a_file_with_any_bad_line_and_names_each() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    assert_eq!(shuyuan(&["init", "--profile", "lishui-2020", "--data-dir", data]).0, 0);
    let uscc = "11331100MB0001201Q";
    let (code, out, err) = shuyuan(&["departments", "add", "--data-dir", data, "--name", "丽水市民政局", "--region", "331100", "--uscc", uscc]);
    assert_eq!(code, 0, "{out}{err}");
    let import = |file: &std::path::Path, extra: &[&str]| {
        let mut args = vec!["catalog", "import", "--data-dir", data, "--provider", uscc];
        args.extend_from_slice(extra);
        args.push(file.to_str().unwrap());
        shuyuan(&args)
    };

    let sheet = dir.path().join("目录.xlsx");
    let write_sheet = |rows: &[&[&str]]| {
        let mut book = rust_xlsxwriter::Workbook::new();
        let ws = book.add_worksheet();
        for (r, row) in rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                ws.write_string(r as u32, c as u16, *cell).unwrap();
            }
        }
        book.save(&sheet).unwrap();
    };
    let header: &[&str] = &["数据资源名称*", "数据资源摘要", "数据格式", "更新频率", "共享属性", "是否向社会开放", "数据项名称", "数据项字段名", "数据项类型"];
    write_sheet(&[
        header,
        &["婚姻登记信息", "婚姻登记记录", "数据库表", "每日", "受限共享", "否", "男方姓名", "nfxm", "字符型"],
        &["", "", "", "", "", "", "登记日期", "djrq", "日期型"],
        &["殡葬服务机构信息", "机构名录", "数据库", "每季度", "无条件共享", "是", "机构名称", "jgmc", "字符型"],
        &["养老机构信息", "机构名录", "数据库表", "每季度", "无条件共享", "是", "机构名称", "jgmc", "字符型"],
        &["婚姻登记信息", "重复的一行", "数据库表", "每日", "受限共享", "否", "女方姓名", "nvxm", "字符型"],
    ]);
    let (code, out, err) = import(&sheet, &[]);
    assert_eq!(code, 2, "refused: {out}{err}");
    assert!(out.contains("imported 0"), "nothing from a rejected file: {out}");
    assert!(out.contains("第4行") && out.contains("数据格式“数据库”"), "the bad cell is named: {out}");
    assert!(out.contains("第6行") && out.contains("与第2行重复"), "the repeated name is named: {out}");

    write_sheet(&[
        header,
        &["婚姻登记信息", "婚姻登记记录", "数据库表", "每日", "受限共享", "否", "男方姓名", "nfxm", "字符型"],
        &["", "", "", "", "", "", "登记日期", "djrq", "日期型"],
        &["殡葬服务机构信息", "机构名录", "数据库表", "每季度", "无条件共享", "是", "机构名称", "jgmc", "字符型"],
        &["养老机构信息", "机构名录", "数据库表", "每季度", "无条件共享", "是", "机构名称", "jgmc", "字符型"],
    ]);
    let (code, out, err) = import(&sheet, &[]);
    assert_eq!(code, 0, "fixed, it goes in whole: {out}{err}");
    assert!(out.contains("imported 3"), "{out}");
    let (code, out, _) = import(&sheet, &[]);
    assert_eq!(code, 2, "a second import would duplicate the catalog: {out}");
    assert!(out.contains("已有同名资源“婚姻登记信息”") && out.contains("imported 0"), "{out}");

    let csv = dir.path().join("目录.csv");
    // Wrong columns.
    std::fs::write(&csv, "名称,格式\n低保对象信息,数据库表\n").unwrap();
    let (code, out, _) = import(&csv, &[]);
    assert!(code == 2 && out.contains("表头缺少“数据资源名称”列"), "{out}");
    // GBK, read as such, but too incomplete to submit: the missing field is named and nothing is imported.
    let text = "数据资源名称,数据格式,更新频率,共享属性,是否向社会开放,数据项名称,数据项字段名\n社会福利机构信息,数据库表,每季度,无条件共享,是,机构名称,jgmc\n";
    let (gbk, _, _) = encoding_rs::GBK.encode(text);
    std::fs::write(&csv, &gbk).unwrap();
    let (code, out, err) = import(&csv, &["--submit"]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(out.contains("第2行") && out.contains("数据资源摘要") && out.contains("imported 0"), "{out}");
    // GBK declared as UTF-8, and UTF-8 declared as GBK.
    let (code, _, err) = import(&csv, &["--encoding", "utf-8"]);
    assert!(code != 0 && err.contains("第1行") && err.contains("--encoding gbk"), "{err}");
    std::fs::write(&csv, text).unwrap();
    let (code, _, err) = import(&csv, &["--encoding", "gbk"]);
    assert!(code != 0 && err.contains("第1行") && err.contains("UTF-8"), "{err}");
    // A UTF-8 file with a GBK line pasted in.
    let mut mixed = text.as_bytes().to_vec();
    mixed.extend_from_slice(&encoding_rs::GBK.encode("儿童福利信息,数据库表,每日,无条件共享,否,儿童姓名,etxm\n").0);
    std::fs::write(&csv, &mixed).unwrap();
    let (code, _, err) = import(&csv, &[]);
    assert!(code != 0 && err.contains("第3行第1列"), "the first line in the other encoding: {err}");
    let (code, out, _) = shuyuan(&["catalog", "export", "--data-dir", data, "--view", "catalog", "--format", "json", "--out", dir.path().join("x.json").to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");

    let export = dir.path().join("catalog.csv");
    let (code, out, _) = shuyuan(&["catalog", "export", "--data-dir", data, "--view", "catalog", "--format", "csv", "--out", export.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("0 行"), "nothing is published yet: {out}");
    let (code, _, err) = shuyuan(&["catalog", "import", "--data-dir", data, dir.path().join("x.pdf").to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains(".xlsx"), "{err}");
}

/// `shuyuan ingest` streams a file in with a progress bar, prints the batch report and exits 0 when the batch is
/// committed, 2 when it is refused.
#[tokio::test]
async fn ingest_commits_a_good_file_and_refuses_a_bad_one() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let code = police_population(data).await;
    let good = dir.path().join("人口.csv");
    let mut text = String::from("公民身份号码,姓名\n");
    for n in 0..300u32 {
        text.push_str(&format!("{},居民{n}\n", domain::ids::CitizenId::complete(&format!("33110219900101{n:03}")).as_str()));
    }
    std::fs::write(&good, &text).unwrap();
    let (status, out, err) = shuyuan(&["ingest", "--data-dir", data, "--resource", &code, good.to_str().unwrap()]);
    assert_eq!(status, 0, "{out}{err}");
    assert!(out.contains("已入库 / committed") && out.contains("版本 / version 1") && out.contains("接收 / accepted 300"), "{out}");
    assert!(dir.path().join("lake").join("versions").join(&code).read_dir().unwrap().count() == 1, "one version file in the lake");

    let bad = dir.path().join("坏.csv");
    std::fs::write(&bad, "公民身份号码,姓名,婚姻状况\n110105194912310021,张三,已婚\n").unwrap();
    let (status, out, _) = shuyuan(&["ingest", "--data-dir", data, "--resource", &code, bad.to_str().unwrap()]);
    assert_eq!(status, 2, "{out}");
    assert!(out.contains("整批拒收 / refused") && out.contains("婚姻状况"), "{out}");
    let (status, _, err) = shuyuan(&["ingest", "--data-dir", data, "--resource", &code, "--encoding", "latin1", good.to_str().unwrap()]);
    assert!(status != 0 && err.contains("auto、utf-8、gbk"), "{err}");
}

/// The lake in an S3-compatible store (moto's server here): a version is uploaded, not kept in the data folder,
/// and a node without a local copy reads it back from the store.
#[tokio::test]
async fn the_lake_lives_in_an_s3_compatible_object_store_when_the_config_names_one() {
    let server = lake::testing::S3Server::start();
    let bucket = server.bucket("shuyuan-cli", "city");
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let code = police_population(data).await;
    let config = dir.path().join("shuyuan.toml");
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str(&format!("\n[lake]\nurl = \"{}\"\nendpoint = \"{}\"\nregion = \"us-east-1\"\nallow_http = true\n", bucket.url, server.endpoint));
    std::fs::write(&config, &text).unwrap();
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_shuyuan"))
            .args(args)
            .env_remove("SHUYUAN_DATABASE_URL")
            .env("SHUYUAN_LAKE_ACCESS_KEY_ID", "test")
            .env("SHUYUAN_LAKE_SECRET_ACCESS_KEY", "test")
            .output()
            .expect("run shuyuan");
        (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr))
    };
    let file = dir.path().join("人口.csv");
    let mut rows = String::from("公民身份号码,姓名\n");
    for n in 0..250u32 {
        rows.push_str(&format!("{},居民{n}\n", domain::ids::CitizenId::complete(&format!("33110219900101{n:03}")).as_str()));
    }
    std::fs::write(&file, &rows).unwrap();
    let (status, out) = run(&["ingest", "--data-dir", data, "--resource", &code, file.to_str().unwrap()]);
    assert_eq!(status, 0, "{out}");
    let versions = recorded_versions(dir.path()).await;
    assert_eq!(versions.len(), 1);
    assert!(server.keys("shuyuan-cli").contains(&format!("city/{}", versions[0].1)), "{:?}", server.keys("shuyuan-cli"));
    assert!(!dir.path().join("lake").join("versions").exists(), "versions are in the store, not the data folder");

    // A node with no local copy (the cache removed) reads the version from the store.
    std::fs::remove_dir_all(dir.path().join("lake").join("cache")).unwrap();
    let sql = format!("SELECT count(*) AS n FROM \"{code}\"");
    let (status, out) = run(&["query", "--data-dir", data, &sql]);
    assert_eq!(status, 0, "{out}");
    assert!(out.lines().any(|l| l.trim() == "250"), "{out}");

    // A store that does not answer stops the command at start, naming the store.
    std::fs::write(&config, text.replace(&server.endpoint, "http://127.0.0.1:9")).unwrap();
    let (status, out) = run(&["ingest", "--data-dir", data, "--resource", &code, file.to_str().unwrap()]);
    assert_ne!(status, 0, "{out}");
    assert!(out.contains("open the lake in s3://shuyuan-cli/city"), "{out}");
    assert_eq!(recorded_versions(dir.path()).await.len(), 1, "nothing recorded");
}

/// The department's system token, made in-process as the command line.
async fn system_token(dir: &std::path::Path, uscc: &str) -> String {
    let url = format!("sqlite://{}", dir.join("shuyuan.db").display());
    let p = service::Platform::open(store::Store::open(&url).await.unwrap(), std::sync::Arc::new(domain::clock::SystemClock)).await.unwrap();
    let (departments, _) = service::orgs::list_departments(&p, 100, 0).await.unwrap();
    let police = departments.iter().find(|d| d.uscc == uscc).unwrap().id;
    let (_, secret) = service::auth::create_token(&p, &service::Actor::cli(), "前置机", police, None).await.unwrap();
    p.store.close().await;
    secret
}

/// `shuyuan serve` on a free port of 127.0.0.1, killed when dropped.
struct Server(std::process::Child, String);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn serve(data: &str) -> Server {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let listen = format!("127.0.0.1:{port}");
    let child = Command::new(env!("CARGO_BIN_EXE_shuyuan"))
        .args(["serve", "--data-dir", data, "--listen", &listen])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let url = format!("http://{listen}");
    for _ in 0..100 {
        if reqwest::get(format!("{url}/healthz")).await.is_ok_and(|r| r.status().is_success()) {
            return Server(child, url);
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("shuyuan serve did not come up on {listen}");
}

/// SYS-07c (前置机推送): the push client sends a folder's files through the batches API with the department's token;
/// a rerun sends nothing again (the folder's list), and without the list the platform answers the first delivery
/// (the batch key); a refused file exits 2; a table of the department's PostgreSQL database is pushed whole.
#[tokio::test]
async fn sys_07c_the_push_client_sends_a_folder_and_a_table_once() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("platform");
    let data = data.to_str().unwrap();
    let code = police_population(data).await;
    let token = system_token(std::path::Path::new(data), POLICE_USCC).await;
    let server = serve(data).await;

    let outbox = dir.path().join("outbox");
    std::fs::create_dir(&outbox).unwrap();
    let id = |n: u32| domain::ids::CitizenId::complete(&format!("33110219900101{n:03}")).as_str().to_string();
    let mut csv = String::from("公民身份号码,姓名\n");
    for n in 0..100 {
        csv.push_str(&format!("{},居民{n}\n", id(n)));
    }
    std::fs::write(outbox.join("2026-12-01.csv"), csv).unwrap();
    std::fs::write(outbox.join("2026-12-02.jsonl"), format!("{{\"zjhm\": \"{}\", \"xm\": \"居民一（更正）\"}}\n{{\"zjhm\": \"{}\", \"xm\": \"新生\"}}\n", id(1), id(200))).unwrap();
    std::fs::write(outbox.join("readme.txt"), "not data").unwrap();
    let push = |extra: &[&str]| {
        let mut args = vec!["push", "--url", &server.1, "--resource", &code, "--mode", "merge"];
        args.extend_from_slice(extra);
        let out = Command::new(env!("CARGO_BIN_EXE_shuyuan")).args(&args).env("SHUYUAN_TOKEN", &token).output().unwrap();
        (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let folder = outbox.to_str().unwrap();
    let (status, out, err) = push(&[folder]);
    assert_eq!(status, 0, "{out}{err}");
    assert!(out.contains("2026-12-01.csv") && out.contains("版本 / version 1") && out.contains("版本 / version 2"), "{out}");
    assert!(!out.contains("readme"), "only data files are sent: {out}");
    let (status, out, _) = push(&[folder]);
    assert_eq!((status, out.trim()), (0, ""), "a rerun sends nothing: {out}");
    std::fs::remove_file(outbox.join(".shuyuan-pushed")).unwrap();
    let (status, out, _) = push(&[folder]);
    assert_eq!(status, 0);
    assert_eq!(out.matches("此前已交付 / delivered before").count(), 2, "the platform answers the first deliveries: {out}");
    let versions = recorded_versions(std::path::Path::new(data)).await;
    assert_eq!(versions.iter().map(|v| v.0).collect::<Vec<_>>(), [100, 101], "merged by key: {versions:?}");

    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "公民身份号码,姓名,婚姻状况\n110105194912310021,张三,已婚\n").unwrap();
    let (status, out, _) = push(&[bad.to_str().unwrap()]);
    assert_eq!(status, 2, "{out}");
    assert!(out.contains("整批拒收 / refused") && out.contains("婚姻状况"), "{out}");
    let out = Command::new(env!("CARGO_BIN_EXE_shuyuan")).args(["push", "--url", &server.1, "--resource", &code, folder]).env("SHUYUAN_TOKEN", "sy_not-a-token").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("401"), "{}", String::from_utf8_lossy(&out.stderr));

    // A table of the department's own PostgreSQL database, its columns named otherwise.
    let Some(pg) = store::testing::postgres_server() else { panic!("SHUYUAN_TEST_POSTGRES_URL names the PostgreSQL server") };
    let mut statements = vec!["CREATE TABLE rk (sfzh TEXT PRIMARY KEY, xingming TEXT, note TEXT)".to_string()];
    for n in 300..350 {
        statements.push(format!("INSERT INTO rk VALUES ('{}', '居民{n}', '备注')", id(n)));
    }
    let statements: Vec<&str> = statements.iter().map(String::as_str).collect();
    let source = store::testing::source_database(&pg, "push", &statements).await.unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_shuyuan"))
        .args(["push", "--url", &server.1, "--resource", &code, "--mode", "replace", "--table", "rk", "--columns", "zjhm=sfzh,xm=xingming"])
        .env("SHUYUAN_TOKEN", &token)
        .env("SHUYUAN_SOURCE_URL", &source)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("已读取 / read 50 行") && text.contains("版本 / version 3"), "{text}");
    assert_eq!(recorded_versions(std::path::Path::new(data)).await.last().map(|v| v.0), Some(50));
    store::testing::drop_source_database(&pg, &source).await.unwrap();
}

const POLICE_USCC: &str = "11331100MB0001201Q";

/// A 丽水 deployment in `data` with its police bureau and the bureau's published 户籍人口基本信息; answers its code.
async fn police_population(data: &str) -> String {
    assert_eq!(shuyuan(&["init", "--profile", "lishui-2020", "--data-dir", data]).0, 0);
    let add = ["departments", "add", "--data-dir", data, "--name", "丽水市公安局", "--region", "331100", "--uscc", POLICE_USCC];
    assert_eq!(shuyuan(&add).0, 0);
    published_population(std::path::Path::new(data), POLICE_USCC).await
}

/// A published 户籍人口基本信息 (citizen ID key, name) of the department with credit code `uscc`, made in-process as
/// the command line (which takes every review step).
async fn published_population(dir: &std::path::Path, uscc: &str) -> String {
    let url = format!("sqlite://{}", dir.join("shuyuan.db").display());
    let p = service::Platform::open(store::Store::open(&url).await.unwrap(), std::sync::Arc::new(domain::clock::SystemClock)).await.unwrap();
    let actor = service::Actor::cli();
    let (departments, _) = service::orgs::list_departments(&p, 100, 0).await.unwrap();
    let police = departments.iter().find(|d| d.uscc == uscc).unwrap().id;
    let content: domain::catalog::entry::ResourceContent = serde_json::from_value(serde_json::json!({
        "name": "户籍人口基本信息", "summary": "户籍人口", "format": "table", "update_frequency": "daily", "classification": "人口",
        "sharing": {"attr": "unconditional", "ops": ["view"]}, "opening": {"to_public": false},
        "items": [
            {"name": "zjhm", "label": "公民身份号码", "data_type": "string", "is_key": true, "identifier": "citizen_id"},
            {"name": "xm", "label": "姓名", "data_type": "string"}
        ]
    }))
    .unwrap();
    let input = service::catalog::entries::NewEntry { provider_department_id: Some(police), code: None, content, note: String::new() };
    let view = service::catalog::entries::create(&p, &actor, input).await.unwrap();
    service::catalog::entries::submit(&p, &actor, &view.code).await.unwrap();
    let view = service::catalog::entries::pass(&p, &actor, &view.code, "").await.unwrap();
    assert_eq!(view.state.as_str(), "published");
    p.store.close().await;
    view.code
}

/// The versions the control plane records: (rows, lake path).
async fn recorded_versions(dir: &std::path::Path) -> Vec<(i64, String)> {
    use sqlx::{Connection, Row};
    let url = format!("sqlite://{}", dir.join("shuyuan.db").display());
    let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
    let rows = sqlx::query("SELECT rows, path FROM dataset_versions ORDER BY version").fetch_all(&mut conn).await.unwrap();
    conn.close().await.unwrap();
    rows.iter().map(|r| (r.get::<i64, _>(0), r.get::<String, _>(1))).collect()
}

/// Crash safety: an ingestion killed with SIGKILL at random points, again and again, never leaves a visible partial
/// version — every version the control plane records reads back whole from the lake — and a restart ingests
/// cleanly.
#[tokio::test]
async fn an_ingestion_killed_at_random_points_never_leaves_a_partial_version() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let code = police_population(data).await;
    let file = dir.path().join("人口.csv");
    let rows: u32 = 200_000;
    let mut text = String::with_capacity(rows as usize * 32);
    text.push_str("公民身份号码,姓名\n");
    for n in 0..rows {
        let first17 = format!("331102{}{:03}", 19_400_101 + (n / 1000) % 28 + ((n / 28_000) % 12) * 100, n % 1000);
        text.push_str(&format!("{},居民{n}\n", domain::ids::CitizenId::complete(&first17).as_str()));
    }
    std::fs::write(&file, &text).unwrap();

    let mut recorded = 0;
    for attempt in 0..6u64 {
        let jitter = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos() as u64;
        let wait = std::time::Duration::from_millis(100 + (jitter + attempt * 977) % 2500);
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_shuyuan"))
            .args(["ingest", "--data-dir", data, "--resource", &code, file.to_str().unwrap()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(wait);
        let finished = child.try_wait().unwrap().is_some();
        if !finished {
            child.kill().unwrap();
        }
        let _ = child.wait();
        let versions = recorded_versions(dir.path()).await;
        // A run killed after its commit but before it exited has its version, whole; a finished run must have one.
        assert!(versions.len() == recorded + 1 || (!finished && versions.len() == recorded), "attempt {attempt}: {} versions after {recorded}", versions.len());
        recorded = versions.len();
        let lake = lake::Lake::open(&dir.path().join("lake")).unwrap();
        for (recorded, path) in &versions {
            let (_, back) = lake.read_rows(path).unwrap();
            assert_eq!((back.len() as i64, *recorded), (rows as i64, rows as i64), "attempt {attempt}: {path} is whole");
        }
    }
    let (status, out, err) = shuyuan(&["ingest", "--data-dir", data, "--resource", &code, file.to_str().unwrap()]);
    assert_eq!(status, 0, "a restart ingests cleanly: {out}{err}");
    assert_eq!(recorded_versions(dir.path()).await.len(), recorded + 1);
}

/// The demo city comes with data: people with valid citizen IDs, enterprises with valid credit codes, and a first
/// version for every other published resource.
#[tokio::test]
async fn the_demo_delivers_data_to_every_published_resource() {
    use sqlx::Row;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let (status, out, err) = shuyuan(&["demo", "--data-dir", data, "--no-serve", "--people", "500", "--enterprises", "700"]);
    assert_eq!(status, 0, "{out}{err}");
    assert!(out.contains("population: 500 rows") && out.contains("enterprises: 700 rows"), "{out}");
    let url = format!("sqlite://{}", dir.path().join("shuyuan.db").display());
    let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
    let unversioned: i64 = sqlx::query("SELECT COUNT(*) FROM resources r WHERE r.state = 'published' AND NOT EXISTS (SELECT 1 FROM dataset_versions v WHERE v.resource_id = r.id)")
        .fetch_one(&mut conn)
        .await
        .unwrap()
        .get(0);
    assert_eq!(unversioned, 0, "every published resource has data");
    let refused: i64 = sqlx::query("SELECT COUNT(*) FROM batches WHERE state <> 'committed' OR rows_quarantined > 0").fetch_one(&mut conn).await.unwrap().get(0);
    assert_eq!(refused, 0, "the generated data passes every check");
    let path: String = sqlx::query("SELECT v.path FROM dataset_versions v JOIN resources r ON r.id = v.resource_id WHERE r.name = '企业登记信息'")
        .fetch_one(&mut conn)
        .await
        .unwrap()
        .get(0);
    conn.close().await.unwrap();
    let (names, rows) = lake::Lake::open(&dir.path().join("lake")).unwrap().read_rows(&path).unwrap();
    assert_eq!(names[0], "tyshxydm");
    assert_eq!(rows.len(), 700);
    assert!(rows.iter().all(|r| domain::ids::Uscc::parse(r[0].as_deref().unwrap()).is_ok()));
}

/// Crash safety of the audit trail: `shuyuan serve` answers sharing-API calls while killed with SIGKILL; every call
/// it answered has its audit event in the chain once the node is back (the journal is replayed), none twice, and
/// the chain verifies.
#[tokio::test]
async fn every_call_answered_before_a_sigkill_is_in_the_audit_chain_after_a_restart() {
    answered_calls_survive_a_sigkill(None).await;
}

/// The same with `audit_sync_ms = 5`: a call is answered once its event is written to the journal, before the
/// journal is synced; a crash of the process still loses none (the kernel holds what was written).
#[tokio::test]
async fn with_audit_sync_ms_every_call_answered_before_a_sigkill_is_in_the_chain_too() {
    answered_calls_survive_a_sigkill(Some(5)).await;
}

async fn answered_calls_survive_a_sigkill(audit_sync_ms: Option<u64>) {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let code = police_population(data).await;
    if let Some(ms) = audit_sync_ms {
        let config = dir.path().join("shuyuan.toml");
        let text = std::fs::read_to_string(&config).unwrap();
        std::fs::write(&config, format!("audit_sync_ms = {ms}\n{text}")).unwrap();
    }
    let civil_uscc = domain::ids::Uscc::complete("11331100MB0001202");
    let add = ["departments", "add", "--data-dir", data, "--name", "丽水市民政局", "--region", "331100", "--uscc", civil_uscc.as_str()];
    assert_eq!(shuyuan(&add).0, 0);
    let id = |n: u32| domain::ids::CitizenId::complete(&format!("33110219900101{n:03}")).as_str().to_string();
    let mut csv = String::from("公民身份号码,姓名\n");
    for n in 0..300 {
        csv.push_str(&format!("{},居民{n}\n", id(n)));
    }
    let file = dir.path().join("people.csv");
    std::fs::write(&file, csv).unwrap();
    assert_eq!(shuyuan(&["ingest", "--data-dir", data, "--resource", &code, file.to_str().unwrap()]).0, 0);

    // The civil affairs bureau's grant (unconditional data is granted on request in 丽水) and its system's token.
    let url = format!("sqlite://{}", dir.path().join("shuyuan.db").display());
    let p = service::Platform::open(store::Store::open(&url).await.unwrap(), std::sync::Arc::new(domain::clock::SystemClock)).await.unwrap();
    let (departments, _) = service::orgs::list_departments(&p, 100, 0).await.unwrap();
    let civil = departments.iter().find(|d| d.uscc == civil_uscc.as_str()).unwrap().id;
    let officer = service::Actor {
        kind: service::actor::ActorKind::User,
        user_id: None,
        name: "民政局数据专员".into(),
        department_id: Some(civil),
        roles: vec![domain::roles::Role::DeptDataOfficer],
        client_addr: "127.0.0.1".into(),
    };
    let input = service::sharing::NewApplication {
        resource_code: code.clone(),
        scenario: "最低生活保障资格审核".into(),
        basis: "《社会救助暂行办法》第十一条".into(),
        purpose: "核对申请人户籍".into(),
        items: vec!["zjhm".into(), "xm".into()],
        ops: vec![domain::catalog::attrs::ShareOp::View],
        mode: None,
        token_ids: vec![],
        starts_on: None,
        expires_on: p.clock.today() + chrono::Duration::days(300),
        use_logic: String::new(),
        undertaking: true,
    };
    // 丽水: the scenario is a core business item the bureau has mapped (LS-19a).
    let item = service::business_items::NewBusinessItem { name: "最低生活保障资格审核".into(), description: String::new() };
    service::business_items::register(&p, &officer, item).await.unwrap();
    let application = service::sharing::apply(&p, &officer, input).await.unwrap();
    let grant = application.grant_id.unwrap_or_else(|| panic!("granted on request: {:?}", application.state));
    let (_, token) = service::auth::create_token(&p, &service::Actor::cli(), "低保审核系统", civil, None).await.unwrap();
    p.store.close().await;

    let count = || async {
        let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
        let n: i64 = sqlx::Row::get(&sqlx::query("SELECT COUNT(*) FROM audit_events WHERE action = 'share.record'").fetch_one(&mut conn).await.unwrap(), 0);
        conn.close().await.unwrap();
        n
    };
    // Calls under load, then a SIGKILL. The drain gathers a quarter of a second of events per transaction, so a
    // kill nearly always finds answered calls only in the journal, and what follows proves the replay rather than
    // a drain that happened to be done. On a loaded machine a stalled node may have drained everything by the
    // kill: then the node is started (replaying nothing) and loaded and killed again, a few times at most.
    let callers = 16u32;
    let (mut answered, mut before_restart, mut kills) = (0i64, 0i64, 0i64);
    while kills < 5 {
        let mut server = serve(data).await;
        let answered_now = std::sync::Arc::new(AtomicUsize::new(0));
        let stop = std::sync::Arc::new(AtomicBool::new(false));
        let client = reqwest::Client::new();
        let mut tasks = Vec::new();
        for c in 0..callers {
            let (client, base, token, code) = (client.clone(), server.1.clone(), token.clone(), code.clone());
            let (answered, stop, key) = (answered_now.clone(), stop.clone(), id(c * 7));
            tasks.push(tokio::spawn(async move {
                while !stop.load(Ordering::SeqCst) {
                    let Ok(r) = client.get(format!("{base}/api/v1/share/{code}/records/{key}?grant={grant}")).bearer_auth(&token).send().await else { break };
                    if r.status().as_u16() == 200 && r.bytes().await.is_ok() {
                        answered.fetch_add(1, Ordering::SeqCst);
                    }
                }
            }));
        }
        tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
        server.0.kill().unwrap();
        let _ = server.0.wait();
        kills += 1;
        stop.store(true, Ordering::SeqCst);
        for t in tasks {
            t.await.unwrap();
        }
        let answered_now = answered_now.load(Ordering::SeqCst) as i64;
        assert!(answered_now > 50, "the server answered calls before it was killed: {answered_now}");
        answered += answered_now;
        before_restart = count().await;
        if before_restart < answered {
            break;
        }
    }
    assert!(before_restart < answered, "{answered} answered, {before_restart} already chained at each of {kills} kills: nothing was left to replay");
    let restarted = serve(data).await;
    let mut chained = count().await;
    for _ in 0..100 {
        if chained >= answered {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        chained = count().await;
    }
    drop(restarted);
    eprintln!("answered {answered}; chained before the restart {before_restart}, after {chained}");
    assert!(chained >= answered, "{answered} calls answered, {chained} in the chain after the restart");
    // Events journaled for calls whose answers never left (one per caller and kill at most), none replayed twice.
    assert!(chained <= answered + i64::from(callers) * kills, "{answered} answered, {chained} chained");
    let (status, out, err) = shuyuan(&["audit", "verify", "--data-dir", data]);
    assert_eq!(status, 0, "the chain verifies: {out}{err}");
}
