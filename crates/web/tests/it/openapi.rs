//! The OpenAPI document is generated from the route table and is well-formed OpenAPI 3.

use reqwest::Method;
use serde_json::Value;

use crate::common::TestApp;
use shuyuan_web as web;

fn refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                if k == "$ref" {
                    out.push(v.as_str().unwrap_or_default().to_string());
                } else {
                    refs(v, out);
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

pub async fn openapi_document_lists_every_route_and_resolves_every_reference(app: TestApp) {
    let doc: Value = app.call(Method::GET, "/api/v1/openapi.json", None, None).await.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    assert!(doc["info"]["title"].is_string() && doc["info"]["version"].is_string());
    for spec in web::routes::api_routes() {
        let op = &doc["paths"][spec.path][spec.method.as_str().to_lowercase()];
        assert!(op.is_object(), "{} {} missing", spec.method, spec.path);
        assert!(op["responses"]["200"].is_object());
        for param in spec.path.split('/').filter(|s| s.starts_with('{')) {
            let name = param.trim_matches(['{', '}']);
            assert!(op["parameters"].as_array().unwrap().iter().any(|p| p["name"] == name), "{} declares {name}", spec.path);
        }
    }
    let mut all = Vec::new();
    refs(&doc, &mut all);
    assert!(!all.is_empty());
    for r in all {
        let name = r.strip_prefix("#/components/schemas/").unwrap_or_else(|| panic!("unexpected $ref {r}"));
        assert!(doc["components"]["schemas"][name].is_object(), "dangling $ref {r}");
    }
}

/// The external validator `.ci/run` installs from PyPI (`openapi-spec-validator`), if this machine has it.
pub fn external_validator() -> Option<std::path::PathBuf> {
    let found = std::process::Command::new("openapi-spec-validator").arg("--help").output().is_ok_and(|o| o.status.success());
    found.then(|| "openapi-spec-validator".into())
}

/// An implementation of the OpenAPI specification that is not ours accepts the document.
pub async fn openapi_document_passes_openapi_spec_validator(app: TestApp) {
    let validator = external_validator().expect("the trial is ignored without the validator");
    let body = app.call(Method::GET, "/api/v1/openapi.json", None, None).await.text().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("openapi.json");
    std::fs::write(&file, body).unwrap();
    let out = std::process::Command::new(validator).arg(&file).output().unwrap();
    let report = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success() && report.contains("OK"), "openapi-spec-validator refused the document:\n{report}");
}
