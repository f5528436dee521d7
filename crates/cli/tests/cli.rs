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
