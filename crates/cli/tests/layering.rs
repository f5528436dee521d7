//! The layering in ARCHITECTURE.md, checked against the real dependency graph (`cargo metadata`): each heavy
//! or protocol-specific library is known to one crate only, and `domain` reaches no IO library at all.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

/// Which workspace crate alone may depend directly on each library.
const OWNERS: &[(&str, &str)] = &[
    ("sqlx", "shuyuan-store"),
    ("rusqlite", "shuyuan-store"),
    ("axum", "shuyuan-web"),
    ("minijinja", "shuyuan-web"),
    ("tower-http", "shuyuan-web"),
    ("datafusion", "shuyuan-lake"),
    ("parquet", "shuyuan-lake"),
    ("arrow", "shuyuan-lake"),
    ("arrow-array", "shuyuan-lake"),
    ("arrow-schema", "shuyuan-lake"),
    ("object_store", "shuyuan-lake"),
    ("tantivy", "shuyuan-search"),
];

/// What `domain` (pure rules, no IO) must not reach, even through other crates.
const NOT_IN_DOMAIN: &[&str] = &["tokio", "sqlx", "rusqlite", "axum", "hyper", "reqwest", "datafusion", "tantivy"];

/// The dependency graph for this machine's platform (other platforms' crates may not be downloaded here).
fn metadata() -> Value {
    let rustc = std::process::Command::new(std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into())).arg("-vV").output().expect("run rustc");
    let version = String::from_utf8_lossy(&rustc.stdout).to_string();
    let host = version.lines().find_map(|l| l.strip_prefix("host: ")).expect("rustc names its host").to_string();
    let out = std::process::Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--offline", "--filter-platform", &host])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run cargo metadata");
    assert!(out.status.success(), "cargo metadata: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("metadata is JSON")
}

#[test]
fn each_library_is_known_to_one_crate_and_domain_does_no_io() {
    let meta = metadata();
    let name_of: BTreeMap<&str, &str> =
        meta["packages"].as_array().unwrap().iter().map(|p| (p["id"].as_str().unwrap(), p["name"].as_str().unwrap())).collect();
    // Normal dependencies only: tests may reach into the database to tamper with it.
    let deps: BTreeMap<&str, Vec<&str>> = meta["resolve"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            let normal = n["deps"].as_array().unwrap().iter().filter(|d| {
                d["dep_kinds"].as_array().unwrap().iter().any(|k| k["kind"].is_null())
            });
            (n["id"].as_str().unwrap(), normal.map(|d| d["pkg"].as_str().unwrap()).collect())
        })
        .collect();
    let members: Vec<&str> = meta["workspace_members"].as_array().unwrap().iter().map(|m| m.as_str().unwrap()).collect();

    let mut wrong = Vec::new();
    for member in &members {
        let crate_name = name_of[member];
        for dep in &deps[member] {
            let dep_name = name_of[dep];
            if let Some((_, owner)) = OWNERS.iter().find(|(lib, _)| *lib == dep_name) {
                if *owner != crate_name {
                    wrong.push(format!("{crate_name} depends on {dep_name}, which only {owner} may know"));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));

    let domain = members.iter().find(|m| name_of[**m] == "shuyuan-domain").expect("the domain crate");
    let mut reached = BTreeSet::new();
    let mut todo = vec![*domain];
    while let Some(id) = todo.pop() {
        for dep in &deps[id] {
            if reached.insert(name_of[dep]) {
                todo.push(dep);
            }
        }
    }
    let io: Vec<_> = NOT_IN_DOMAIN.iter().filter(|lib| reached.contains(**lib)).collect();
    assert!(io.is_empty(), "domain reaches {io:?}");
}
