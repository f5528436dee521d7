use std::sync::{Arc, Mutex};

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use domain::clock::Clock;
use reqwest::{Client, Method, Response};
use serde_json::Value;
use service::Platform;
use shuyuan_web as web;

/// The machine's time, until a test sets a day (tests of working-day deadlines live on fixed dates).
#[derive(Default)]
pub struct TestClock {
    fixed: Mutex<Option<DateTime<Utc>>>,
}

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        self.fixed.lock().unwrap().unwrap_or_else(Utc::now)
    }
}

impl TestClock {
    /// Ten in the morning of `day` in Asia/Shanghai.
    pub fn set_day(&self, day: &str) {
        let d: NaiveDate = day.parse().unwrap();
        let t = chrono_tz::Asia::Shanghai.from_local_datetime(&d.and_hms_opt(10, 0, 0).unwrap()).unwrap().with_timezone(&Utc);
        *self.fixed.lock().unwrap() = Some(t);
    }

    /// Moves the clock on by `minutes` from where it is.
    pub fn advance_minutes(&self, minutes: i64) {
        let now = self.now();
        *self.fixed.lock().unwrap() = Some(now + chrono::Duration::minutes(minutes));
    }
}

pub struct TestApp {
    pub base: String,
    pub backend: store::testing::TestBackend,
    pub clock: Arc<TestClock>,
    /// Databases of the apps `sibling` made, for the harness to drop after the case.
    pub siblings: Arc<Mutex<Vec<String>>>,
    /// The control-plane database, for a second node on the same deployment.
    pub database_url: String,
    pub client: Client,
    pub platform: Arc<Platform>,
    _dir: tempfile::TempDir,
}

/// A demo city (双鸭山) on a fresh database, served on a free port.
pub async fn spawn(backend: store::testing::TestBackend) -> TestApp {
    spawn_profile(backend, "shuangyashan-2026").await
}

/// A demo city under another regulation.
pub async fn spawn_profile(backend: store::testing::TestBackend, profile: &str) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let url = backend.fresh_url(dir.path(), "web").await;
    let store = store::Store::open(&url).await.unwrap();
    let now = chrono::Utc::now().timestamp_micros();
    service::setup::initialize(&store, profile, "admin", service::demo::DEMO_PASSWORD, now).await.unwrap();
    let clock = Arc::new(TestClock::default());
    let platform = Platform::open(store, clock.clone()).await.unwrap();
    service::catalog::search::attach(&platform, &dir.path().join("index")).await.unwrap();
    service::aggregation::attach(&platform, &dir.path().join("lake"), None).await.unwrap();
    service::secrets::attach(&platform, &dir.path().join("secret.key")).unwrap();
    assert!(service::audit::attach_journal(&platform, &dir.path().join("journal"), Default::default()).await.unwrap());
    service::demo::seed(&platform).await.unwrap();
    let app = web::app(platform.clone(), web::WebOptions { secure_cookies: false, ..Default::default() });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(web::serve(listener, app));
    TestApp { base, backend, clock, siblings: Default::default(), database_url: url, client: Client::new(), platform, _dir: dir }
}

impl TestApp {
    /// Another demo city on the same kind of backend, under another regulation.
    pub async fn sibling(&self, profile: &str) -> TestApp {
        let app = spawn_profile(self.backend, profile).await;
        self.siblings.lock().unwrap().push(app.database_url.clone());
        app
    }

    pub async fn login(&self, username: &str) -> String {
        self.login_with(username, service::demo::DEMO_PASSWORD).await
    }

    pub async fn login_with(&self, username: &str, password: &str) -> String {
        let r = self
            .client
            .post(format!("{}/api/v1/auth/login", self.base))
            .json(&serde_json::json!({"username": username, "password": password}))
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

    /// The same request, answered as JSON with its status.
    pub async fn json(&self, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> (u16, Value) {
        let r = self.call(method, path, token, body).await;
        let status = r.status().as_u16();
        let text = r.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or_else(|_| panic!("{path}: {status}: not JSON: {text}")))
    }

    /// A console page as a browser without scripts gets it: its status and HTML, signed in with `session` (a login
    /// token, which is also the session cookie) or not, in `lang` ("zh" or "en").
    pub async fn page(&self, path: String, session: Option<String>, lang: &str) -> (u16, String) {
        let cookie = match session {
            Some(token) => format!("sy_session={token}; lang={lang}"),
            None => format!("lang={lang}"),
        };
        let r = self.client.get(format!("{}{path}", self.base)).header("cookie", cookie).send().await.unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }

    /// A department's id by its name.
    pub async fn department_id(&self, name_part: &str) -> i64 {
        let (list, _) = service::orgs::list_departments(&self.platform, 1000, 0).await.unwrap();
        list.iter().find(|d| d.name.contains(name_part)).unwrap_or_else(|| panic!("no department {name_part}")).id
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
