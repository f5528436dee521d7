use std::sync::Arc;

use domain::clock::SystemClock;
use reqwest::{Client, Method, Response};
use serde_json::Value;
use service::Platform;
use shuyuan_web as web;

pub struct TestApp {
    pub base: String,
    /// The control-plane database, for a second node on the same deployment.
    pub database_url: String,
    pub client: Client,
    pub platform: Arc<Platform>,
    _dir: tempfile::TempDir,
}

/// A demo city on a fresh database, served on a free port.
pub async fn spawn(backend: store::testing::TestBackend) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let url = backend.fresh_url(dir.path(), "web").await;
    let store = store::Store::open(&url).await.unwrap();
    let now = chrono::Utc::now().timestamp_micros();
    service::setup::initialize(&store, "shuangyashan-2026", "admin", service::demo::DEMO_PASSWORD, now).await.unwrap();
    let platform = Platform::open(store, Arc::new(SystemClock)).await.unwrap();
    service::demo::seed(&platform).await.unwrap();
    let app = web::app(platform.clone(), web::WebOptions { secure_cookies: false, ..Default::default() });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(web::serve(listener, app));
    TestApp { base, database_url: url, client: Client::new(), platform, _dir: dir }
}

impl TestApp {
    pub async fn login(&self, username: &str) -> String {
        let r = self
            .client
            .post(format!("{}/api/v1/auth/login", self.base))
            .json(&serde_json::json!({"username": username, "password": service::demo::DEMO_PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "login {username}");
        r.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_string()
    }

    pub async fn call(&self, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> Response {
        let mut req = self.client.request(method, format!("{}{}", self.base, path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        req.send().await.unwrap()
    }

    pub async fn department_count(&self) -> i64 {
        service::orgs::list_departments(&self.platform, 1, 0).await.unwrap().1
    }
}

/// Asserts the error body shape and returns its code.
pub async fn error_code(r: Response) -> (u16, String) {
    let status = r.status().as_u16();
    let body: Value = r.json().await.unwrap_or_else(|e| panic!("status {status}: not JSON: {e}"));
    let err = &body["error"];
    assert!(err["message"].as_str().is_some_and(|m| !m.is_empty()), "{body}");
    assert!(err["message_en"].as_str().is_some_and(|m| !m.is_empty()), "{body}");
    (status, err["code"].as_str().unwrap_or_default().to_string())
}
