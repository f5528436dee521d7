//! A real headless Chromium, driven over the WebDriver protocol by ChromeDriver: the authority signs in,
//! registers a department and a district, issues and revokes an API token and disables an account, and no page
//! shows an error.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use reqwest::Client;
use serde_json::{json, Value};

use crate::common::TestApp;

struct Driver {
    child: Child,
    base: String,
    client: Client,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

fn chromedriver() -> String {
    std::env::var("SHUYUAN_CHROMEDRIVER").ok().filter(|p| !p.is_empty()).unwrap_or_else(|| "/usr/bin/chromedriver".into())
}

impl Driver {
    async fn start() -> Driver {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let path = chromedriver();
        let child = Command::new(&path)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start ChromeDriver at {path} ({e}): install chromium and chromium-driver (.ci/run does)"));
        let driver = Driver { child, base: format!("http://127.0.0.1:{port}"), client: Client::new() };
        for _ in 0..100 {
            if driver.client.get(format!("{}/status", driver.base)).send().await.is_ok() {
                return driver;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("ChromeDriver did not start");
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        let r = self.client.post(format!("{}{}", self.base, path)).json(&body).send().await.unwrap();
        let v: Value = r.json().await.unwrap();
        assert!(v["value"]["error"].is_null(), "webdriver {path}: {v}");
        v["value"].clone()
    }

    async fn get(&self, path: &str) -> Value {
        let v: Value = self.client.get(format!("{}{}", self.base, path)).send().await.unwrap().json().await.unwrap();
        v["value"].clone()
    }
}

/// A browser window with a profile of its own (cookies are not shared between sessions), removed with it.
struct Session<'a> {
    driver: &'a Driver,
    id: String,
    _profile: tempfile::TempDir,
}

impl Session<'_> {
    async fn open(driver: &Driver) -> Session<'_> {
        let profile = tempfile::tempdir().unwrap();
        let profile_dir = profile.path();
        let caps = json!({"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {
            "binary": std::env::var("SHUYUAN_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync", "--window-size=1280,900",
                     format!("--user-data-dir={}", profile_dir.display())]
        }}}});
        let v = driver.post("/session", caps).await;
        Session { driver, id: v["sessionId"].as_str().expect("session id").to_string(), _profile: profile }
    }
    /// A new session with a demo user signed in.
    async fn signed_in<'a>(driver: &'a Driver, app: &TestApp, username: &str) -> Session<'a> {
        let s = Session::open(driver).await;
        sign_in(&s, app, username).await;
        s
    }
    async fn go(&self, url: &str) {
        self.driver.post(&format!("/session/{}/url", self.id), json!({"url": url})).await;
    }
    async fn find(&self, css: &str) -> String {
        let v = self.driver.post(&format!("/session/{}/element", self.id), json!({"using": "css selector", "value": css})).await;
        v.as_object().and_then(|o| o.values().next()).and_then(|v| v.as_str()).unwrap_or_else(|| panic!("no element {css}")).to_string()
    }
    async fn type_into(&self, css: &str, text: &str) {
        let el = self.find(css).await;
        self.driver.post(&format!("/session/{}/element/{el}/clear", self.id), json!({})).await;
        self.driver.post(&format!("/session/{}/element/{el}/value", self.id), json!({"text": text})).await;
    }
    /// Chooses a file for an `<input type="file">`.
    async fn choose_file(&self, css: &str, path: &std::path::Path) {
        let el = self.find(css).await;
        self.driver.post(&format!("/session/{}/element/{el}/value", self.id), json!({"text": path.display().to_string()})).await;
    }
    async fn click(&self, css: &str) {
        let el = self.find(css).await;
        self.driver.post(&format!("/session/{}/element/{el}/click", self.id), json!({})).await;
    }
    async fn source(&self) -> String {
        self.driver.get(&format!("/session/{}/source", self.id)).await.as_str().unwrap_or_default().to_string()
    }
    /// The page source once it contains `marker` (navigation after a click finishes in its own time).
    async fn wait_for(&self, marker: &str) -> String {
        let mut page = String::new();
        for _ in 0..100 {
            page = self.source().await;
            if page.contains(marker) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        page
    }
    /// The page source once it no longer contains `marker`.
    async fn wait_without(&self, marker: &str) -> String {
        let mut page = String::new();
        for _ in 0..100 {
            page = self.source().await;
            if !page.contains(marker) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        page
    }
    async fn screenshot(&self, path: &std::path::Path) {
        use std::io::Write;
        let b64 = self.driver.get(&format!("/session/{}/screenshot", self.id)).await;
        if let Some(data) = b64.as_str() {
            let bytes = base64_decode(data);
            let _ = std::fs::File::create(path).and_then(|mut f| f.write_all(&bytes));
        }
    }
    async fn close(self) {
        let _ = self.driver.client.delete(format!("{}/session/{}", self.driver.base, self.id)).send().await;
    }
}

fn base64_decode(s: &str) -> Vec<u8> {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut buf, mut bits) = (0u32, 0u32);
    for c in s.bytes().filter(|c| *c != b'=') {
        let Some(v) = T.iter().position(|t| *t == c) else { continue };
        buf = (buf << 6) | v as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buf >> bits) as u8);
        }
    }
    out
}

/// Signs in a demo user on the login page; answers the home page.
async fn sign_in(s: &Session<'_>, app: &TestApp, username: &str) -> String {
    sign_in_with(s, app, username, service::demo::DEMO_PASSWORD).await
}

async fn sign_in_with(s: &Session<'_>, app: &TestApp, username: &str, password: &str) -> String {
    s.go(&format!("{}/login", app.base)).await;
    s.type_into("#username", username).await;
    s.type_into("#password", password).await;
    s.click("#login-submit").await;
    let page = s.wait_for("<h1>欢迎").await;
    assert_no_error(&page, "after sign-in");
    page
}

fn assert_no_error(page: &str, step: &str) {
    assert!(!page.contains("class=\"flash error\""), "{step}: the page shows an error:\n{page}");
    assert!(!page.contains("template error") && !page.contains("Internal error"), "{step}: {page}");
}

pub async fn browser_login_and_register_a_department(app: TestApp) {
    let driver = Driver::start().await;
    let s = Session::open(&driver).await;

    s.go(&format!("{}/", app.base)).await;
    let page = s.source().await;
    assert!(page.contains("id=\"login-form\""), "an anonymous visitor is sent to sign in");

    let page = sign_in(&s, &app, "admin").await;
    assert!(page.contains("欢迎") && page.contains("平台管理员"), "the home page greets the user in Chinese: {page}");

    s.go(&format!("{}/admin/departments", app.base)).await;
    let uscc = domain::ids::Uscc::complete(&format!("11230500{}", domain::ids::organization_code_complete("MB777777")));
    s.type_into("#dept-name", "双鸭山市档案馆").await;
    s.type_into("#dept-uscc", uscc.as_str()).await;
    s.click("#dept-submit").await;
    let page = s.wait_for("id=\"notice\"").await;
    assert_no_error(&page, "after registering a department");
    assert!(page.contains("id=\"notice\""), "a confirmation is shown");
    assert!(page.contains("双鸭山市档案馆") && page.contains(uscc.as_str()), "the department is listed");

    // A wrong credit code is refused on the page with the reason, and nothing is stored.
    let before = app.department_count().await;
    s.type_into("#dept-name", "错误代码单位").await;
    s.type_into("#dept-uscc", "91350100M000100Y44").await;
    s.click("#dept-submit").await;
    let page = s.wait_for("class=\"flash error\"").await;
    assert!(page.contains("class=\"flash error\"") && page.contains("校验位"), "the error explains the check character");
    assert_eq!(app.department_count().await, before);

    // English is one click away.
    s.go(&format!("{}/lang/en", app.base)).await;
    s.go(&format!("{}/admin/departments", app.base)).await;
    let page = s.source().await;
    assert!(page.contains("Register a department"));
    let shot = std::env::temp_dir().join("shuyuan-browser-departments.png");
    s.screenshot(&shot).await;
    s.close().await;
}

pub async fn browser_regions_tokens_and_accounts(app: TestApp) {
    let driver = Driver::start().await;
    let s = Session::signed_in(&driver, &app, "admin").await;

    // A new district under the city.
    s.go(&format!("{}/admin/regions", app.base)).await;
    s.type_into("#region-code", "230599").await;
    s.type_into("#region-name", "测试新区").await;
    s.click("#region-submit").await;
    let page = s.wait_for("id=\"notice\"").await;
    assert_no_error(&page, "after adding a district");
    assert!(page.contains("测试新区") && page.contains("230599"), "the district is listed");

    // A token is shown once, works, and stops working when revoked.
    s.go(&format!("{}/tokens", app.base)).await;
    s.type_into("#token-name", "不动产登记系统").await;
    s.click("#token-submit").await;
    let page = s.wait_for("id=\"token-secret\"").await;
    assert_no_error(&page, "after issuing a token");
    let secret = page.split("<code class=\"mono\">").nth(1).and_then(|r| r.split('<').next()).expect("the secret is shown").to_string();
    let me = app.call(reqwest::Method::GET, "/api/v1/me", Some(&secret), None).await;
    assert_eq!(me.status(), 200, "the new token works");
    // The new token's row (the demo city has tokens of its own).
    let row = page.split("<td>不动产登记系统</td>").nth(1).expect("the new token is listed");
    let id = row.split("id=\"revoke-").nth(1).and_then(|r| r.split('"').next()).expect("a revoke button").to_string();
    s.click(&format!("#revoke-{id}")).await;
    // The button goes first (the form submits), then the reloaded page shows the token revoked.
    s.wait_without(&format!("id=\"revoke-{id}\"")).await;
    let page = s.wait_for("已吊销").await;
    assert!(!page.contains(&format!("id=\"revoke-{id}\"")), "the token shows as revoked, with no button");
    assert_no_error(&page, "after revoking");
    assert!(!page.contains("id=\"token-secret\""), "the secret is never shown again");
    assert_eq!(app.call(reqwest::Method::GET, "/api/v1/me", Some(&secret), None).await.status(), 401);

    // A disabled account cannot sign in.
    s.go(&format!("{}/admin/users", app.base)).await;
    s.click("#toggle-officer-mz").await;
    let page = s.wait_for("<span class=\"tag\">已停用</span>").await;
    assert_no_error(&page, "after disabling an account");
    assert!(page.contains("已停用"), "the account shows as disabled");
    let login = app
        .call(reqwest::Method::POST, "/api/v1/auth/login", None, Some(json!({"username": "officer-mz", "password": service::demo::DEMO_PASSWORD})))
        .await;
    assert_eq!(login.status(), 401);
    s.close().await;
}

/// A data officer catalogs an entry in the console; the service center checks it and the authority publishes
/// it; then anyone signed in finds it by a word of its name, with its provider facet.
pub async fn browser_an_entry_is_cataloged_reviewed_and_found(app: TestApp) {
    let driver = Driver::start().await;
    let s = Session::signed_in(&driver, &app, "officer").await;
    s.go(&format!("{}/catalog/new", app.base)).await;
    s.type_into("#f-name", "户籍人口基本信息").await;
    s.type_into("#f-summary", "全市户籍人口的基本信息").await;
    for option in [
        "#f-format option[value=table]",
        "#f-frequency option[value=daily]",
        "#f-level option[value=l3]",
        "#f-share-attr option[value=unconditional]",
        "#f-open-attr option[value=none]",
        "#f-not-open-reason option[value=personal_privacy]",
        "#f-operation option[value=not_included]",
        "input[name=provision_methods][value=api]",
        "input[name=share_ops][value=view]",
    ] {
        s.click(option).await;
    }
    s.type_into("#f-industry", "公共安全").await;
    s.type_into("#f-classification", "人口").await;
    s.type_into("#f-coverage-start", "2000-01-01").await;
    s.type_into("#f-regions", "230500").await;
    s.type_into("#f-item-name-0", "gmsfhm").await;
    s.type_into("#f-item-label-0", "公民身份号码").await;
    s.click("#save").await;
    let page = s.wait_for("id=\"resource-code\"").await;
    assert_no_error(&page, "after saving the draft");
    let code = page.split("id=\"resource-code\">").nth(1).and_then(|r| r.split('<').next()).expect("the code is shown").to_string();
    s.click("#submit").await;
    let page = s.wait_for("服务机构校核汇总").await;
    assert_no_error(&page, "after submitting");
    s.close().await;

    for (user, marker) in [("service", "同级主管部门审核"), ("admin", "已发布")] {
        let r = Session::signed_in(&driver, &app, user).await;
        r.go(&format!("{}/catalog/queue", app.base)).await;
        let queue = r.source().await;
        assert!(queue.contains(&code), "{user}'s queue lists the entry");
        r.go(&format!("{}/catalog/{code}", app.base)).await;
        r.click("#pass").await;
        let page = r.wait_for(marker).await;
        assert_no_error(&page, user);
        r.close().await;
    }

    let reader = Session::signed_in(&driver, &app, "officer-mz").await;
    reader.go(&format!("{}/catalog", app.base)).await;
    reader.type_into("#q", "户籍").await;
    reader.click("#search-submit").await;
    let page = reader.wait_for(&code).await;
    assert_no_error(&page, "after searching");
    assert!(page.contains("户籍人口基本信息") && page.contains("双鸭山市公安局"), "found with its provider facet");
    let shot = std::env::temp_dir().join("shuyuan-browser-catalog.png");
    reader.screenshot(&shot).await;
    reader.close().await;
}

/// An entry's relations are not on the console form: editing it there keeps them.
pub async fn browser_editing_in_the_console_keeps_the_relations(app: TestApp) {
    use crate::catalog::{complete, create};
    let token = app.login("officer").await;
    let police = app.department_id("公安局").await;
    let source = create(&app, &token, police, complete("shuangyashan-2026", "人口基础信息")).await;
    let mut content = complete("shuangyashan-2026", "户籍人口统计");
    content["relations"] = json!([{"code": source, "kind": "source"}]);
    let code = create(&app, &token, police, content).await;

    let driver = Driver::start().await;
    let s = Session::signed_in(&driver, &app, "officer").await;
    s.go(&format!("{}/catalog/{code}/edit", app.base)).await;
    s.type_into("#f-summary", "按月汇总的户籍人口").await;
    s.click("#save").await;
    let page = s.wait_for("id=\"resource-code\"").await;
    assert_no_error(&page, "after saving the edit");
    s.close().await;

    let (status, body) = app.json(reqwest::Method::GET, &format!("/api/v1/resources/{code}"), Some(&token), None).await;
    assert_eq!(status, 200, "{body}");
    let working = &body["working"]["content"];
    assert_eq!(working["summary"], "按月汇总的户籍人口", "the edit was saved: {body}");
    assert_eq!(working["relations"], json!([{"code": source, "kind": "source"}]), "the relation survived the edit");
}

/// FS-17b on the page: the department's review is offered to a data officer other than the one who submitted,
/// never to the submitter (the service would refuse it).
pub async fn browser_fs_17b_the_pass_button_is_offered_only_to_another_officer(app: TestApp) {
    use crate::catalog::{complete, create, department_reviewer};
    let app = app.sibling("foshan-2020").await;
    let editor = app.login("officer-sj").await;
    let market = app.department_id("市场监督管理局").await;
    let code = create(&app, &editor, market, complete("foshan-2020", "企业登记信息")).await;
    let (status, body) = app.json(reqwest::Method::POST, &format!("/api/v1/resources/{code}/submit"), Some(&editor), Some(json!({}))).await;
    assert_eq!((status, body["working"]["step"].as_str()), (200, Some("department_review")), "{body}");
    department_reviewer(&app, market).await;
    let reviewer = format!("reviewer-{market}");

    let driver = Driver::start().await;
    let demo = service::demo::DEMO_PASSWORD;
    for (user, password, offered) in [("officer-sj", demo, false), ("admin", demo, false), (reviewer.as_str(), "reviewer-pass-1", true)] {
        let s = Session::open(&driver).await;
        sign_in_with(&s, &app, user, password).await;
        s.go(&format!("{}/catalog/{code}", app.base)).await;
        let page = s.wait_for("id=\"resource-code\"").await;
        assert_no_error(&page, user);
        assert_eq!(page.contains("id=\"pass\""), offered, "{user} is offered the review: {offered}");
        s.close().await;
    }
}

/// FS-16a, CS-25a, YZ-7c in the console: another department objects from the entry's page; the authority and the source
/// department take their positions on the governance page, and the case closes with the type kept.
pub async fn browser_fs_16a_cs_25a_yz_7c_objections_lists_and_consultations_in_the_console(app: TestApp) {
    use crate::catalog::{complete, create, publish};
    let driver = Driver::start().await;
    // 双鸭山 has no objections or yearly lists: the page shows what it has.
    let s = Session::signed_in(&driver, &app, "admin").await;
    s.go(&format!("{}/catalog/governance", app.base)).await;
    let page = s.wait_for("id=\"reclassify\"").await;
    assert_no_error(&page, "the governance page without objections");
    assert!(!page.contains("id=\"objections\""));
    s.close().await;

    let app = app.sibling("foshan-2020").await;
    let officer = app.login("officer").await;
    let code = create(&app, &officer, app.department_id("公安局").await, complete("foshan-2020", "居民身份证申领信息")).await;
    publish(&app, &code, &officer).await;

    let s = Session::signed_in(&driver, &app, "officer-mz").await;
    s.go(&format!("{}/catalog/{code}", app.base)).await;
    s.wait_for("id=\"raise-objection\"").await;
    s.click("#objection-attr option[value=conditional]").await;
    s.type_into("#objection-grounds", "涉及个人信息，宜仅向特定部门共享").await;
    s.click("#raise-objection").await;
    let page = s.wait_for("id=\"notice\"").await;
    assert_no_error(&page, "after raising the objection");
    assert!(page.contains("居民身份证申领信息") && page.contains("待表态"), "the case is listed, awaiting the parties");
    s.close().await;
    let (_, cases) = app.json(reqwest::Method::GET, "/api/v1/catalog/objections", Some(&officer), None).await;
    let id = cases["items"][0]["id"].as_i64().unwrap();

    for user in ["admin", "officer"] {
        let s = Session::signed_in(&driver, &app, user).await;
        s.go(&format!("{}/catalog/governance", app.base)).await;
        s.wait_for(&format!("id=\"position-{id}\"")).await;
        s.click(&format!("#outcome-{id} option[value=keep]")).await;
        s.type_into(&format!("#comment-{id}"), "现行类型有法律依据，维持").await;
        s.click(&format!("#position-{id}")).await;
        let page = s.wait_for("id=\"notice\"").await;
        assert_no_error(&page, user);
        s.close().await;
    }
    let (_, case) = app.json(reqwest::Method::GET, &format!("/api/v1/catalog/objections/{id}"), Some(&officer), None).await;
    assert_eq!(case["state"], "kept", "{case}");

    // CS-25a in the console: 长沙's departments submit their yearly lists from the same page.
    let cs = app.sibling("changsha-2021").await;
    let s = Session::signed_in(&driver, &cs, "officer-sj").await;
    s.go(&format!("{}/catalog/governance", cs.base)).await;
    s.wait_for("id=\"submit-share_list\"").await;
    s.click("#submit-share_list").await;
    let page = s.wait_for("id=\"notice\"").await;
    assert_no_error(&page, "after submitting a yearly list");
    assert!(!page.contains("id=\"submit-share_list\"") && page.contains("id=\"submit-scenario_list\""), "one submitted, two to go");
    s.close().await;

    // YZ-7c in the console: 鄞州's institution answers the consultation on its entry from the entry's page.
    let yz = app.sibling("yinzhou-2023").await;
    let officer = yz.login("officer-mz").await;
    let mut content = complete("yinzhou-2023", "婚姻登记信息");
    let code = create(&yz, &officer, yz.department_id("民政局").await, content.clone()).await;
    publish(&yz, &code, &officer).await;
    content["summary"] = json!("全区婚姻登记记录");
    let admin = yz.login("admin").await;
    yz.json(reqwest::Method::PUT, &format!("/api/v1/resources/{code}"), Some(&admin), Some(json!({"content": content}))).await;
    let s = Session::signed_in(&driver, &yz, "officer-mz").await;
    s.go(&format!("{}/catalog/{code}", yz.base)).await;
    let page = s.wait_for("id=\"agree\"").await;
    assert!(page.contains("待答复"), "the consultation awaits the institution");
    s.type_into("#consultation-comment", "同意").await;
    s.click("#agree").await;
    let page = s.wait_for("id=\"notice\"").await;
    assert_no_error(&page, "after answering the consultation");
    assert!(!page.contains("id=\"agree\""), "answered once");
    s.close().await;
}

/// SYS-07c in the console: the entry page shows the resource's data versions and deliveries, and the provider
/// downloads a batch's quarantined rows.
pub async fn browser_sys_07c_the_entry_page_shows_versions_and_deliveries(app: TestApp) {
    use crate::catalog::{complete, create, publish};
    let officer = app.login("officer").await;
    let code = create(&app, &officer, app.department_id("公安局").await, complete("shuangyashan-2026", "户籍人口基本信息")).await;
    publish(&app, &code, &officer).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("人口.csv");
    let mut text = String::from("公民身份号码,姓名\n");
    for n in 0..30u32 {
        text.push_str(&format!("{},居民{n}\n", domain::ids::CitizenId::complete(&format!("23050219800101{n:03}")).as_str()));
    }
    text.push_str("230502198001010001,坏号\n");
    std::fs::write(&file, text).unwrap();
    let (actor, _) = service::auth::authenticate(&app.platform, &officer, "127.0.0.1").await.unwrap();
    let report = service::aggregation::ingest_file(&app.platform, &actor, &code, &file, service::catalog::import::Encoding::Auto, |_| {}).await.unwrap();
    assert_eq!((report.rows_accepted, report.rows_quarantined), (30, 1), "{report:?}");

    let driver = Driver::start().await;
    let s = Session::signed_in(&driver, &app, "officer").await;
    s.go(&format!("{}/catalog/{code}", app.base)).await;
    let page = s.wait_for("id=\"batches\"").await;
    assert_no_error(&page, "the entry page with deliveries");
    assert!(page.contains("数据版本与归集记录") && page.contains("v1") && page.contains("人口.csv"), "versions and batches are listed");
    assert!(page.contains(&format!("id=\"quarantine-{}\"", report.batch_id)), "the quarantine can be downloaded");
    s.close().await;
    let cookie_less = app.client.get(format!("{}/catalog/{code}/batches/{}/quarantine", app.base, report.batch_id)).send().await.unwrap();
    assert!(cookie_less.url().path().starts_with("/login") || cookie_less.status() != 200, "not without signing in");
}

/// SYS-07c (file upload in the console), SYS-17c, SYS-15b: an officer delivers a file from the entry page and lands
/// on the batch's report, which shows the quarantined row with its reason; on the aggregation page they test a
/// department's PostgreSQL table, set up a sync job from it and run it; the sources page shows the register.
pub async fn browser_sys_07c_sys_15b_delivery_sync_and_sources_in_the_console(app: TestApp) {
    use crate::catalog::{complete, create, publish};
    let officer = app.login("officer").await;
    let mut content = complete("shuangyashan-2026", "户籍人口基本信息");
    content["items"] = json!([
        {"name": "zjhm", "label": "公民身份号码", "data_type": "string", "is_key": true, "identifier": "citizen_id", "level": "l4"},
        {"name": "xm", "label": "姓名", "data_type": "string"}
    ]);
    let code = create(&app, &officer, app.department_id("公安局").await, content).await;
    publish(&app, &code, &officer).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("人口.csv");
    let id = |n: u32| domain::ids::CitizenId::complete(&format!("23050219800101{n:03}")).as_str().to_string();
    let mut text = String::from("公民身份号码,姓名\n");
    for n in 0..30u32 {
        text.push_str(&format!("{},居民{n}\n", id(n)));
    }
    text.push_str("230502198001010001,坏号\n");
    std::fs::write(&file, text).unwrap();

    let driver = Driver::start().await;
    let s = Session::signed_in(&driver, &app, "officer").await;
    s.go(&format!("{}/catalog/{code}", app.base)).await;
    s.wait_for("id=\"deliver-form\"").await;
    s.choose_file("#deliver-file", &file).await;
    s.click("#deliver-submit").await;
    let page = s.wait_for("id=\"batch-summary\"").await;
    assert_no_error(&page, "the batch report");
    assert!(page.contains("id=\"rows-accepted\">30<") && page.contains("id=\"rows-quarantined\">1<"), "the counts");
    assert!(page.contains("id=\"quarantine\"") && page.contains("坏号") && page.contains("校验位"), "the quarantined row and its reason");

    // A department table to sync from.
    let server = store::testing::postgres_server().expect("SHUYUAN_TEST_POSTGRES_URL names the PostgreSQL server");
    let mut statements = vec!["CREATE TABLE rk (sfzh TEXT PRIMARY KEY, xm TEXT)".to_string()];
    for n in 100..110u32 {
        statements.push(format!("INSERT INTO rk VALUES ('{}', '同步{n}')", id(n)));
    }
    let statements: Vec<&str> = statements.iter().map(String::as_str).collect();
    let source = store::testing::source_database(&server, "console", &statements).await.unwrap();
    s.go(&format!("{}/aggregation", app.base)).await;
    let page = s.wait_for("id=\"sync-form\"").await;
    assert_no_error(&page, "the aggregation page");
    assert!(page.contains(&code), "the feed is listed");
    fill_sync_form(&s, &code, &source).await;
    s.click("#test-connection").await;
    let page = s.wait_for("id=\"connection-test\"").await;
    assert!(page.contains("10 ") && page.contains("zjhm ← sfzh"), "the test shows rows and mapping");
    fill_sync_form(&s, &code, &source).await;
    s.click("#create-job").await;
    let page = s.wait_for("id=\"notice\"").await;
    assert_no_error(&page, "the job is created");
    let job = service::aggregation::sync::list(&app.platform, &service::Actor::cli()).await.unwrap().last().unwrap().id;
    s.click(&format!("#run-{job}")).await;
    let page = s.wait_for("行 → 批次").await;
    assert!(page.contains(&format!("#{job}: 10 行 → 批次")), "run now reads the table");
    assert!(page.contains("postgres://postgres:***@"), "the connection is shown masked");

    s.go(&format!("{}/sources", app.base)).await;
    let page = s.wait_for("id=\"register\"").await;
    assert_no_error(&page, "the sources page");
    assert!(page.contains("户籍登记数据") && page.contains("双鸭山市公安局"), "the register");
    s.close().await;
    store::testing::drop_source_database(&server, &source).await.unwrap();
}

/// SYS-27c in the console: a department applies for conditional data, the provider approves it, the consumer's
/// token fetches a record, and the auditor sees the call.
pub async fn browser_sys_27c_apply_approve_call_and_audit_in_the_console(app: TestApp) {
    use crate::sharing::{conditional, shared_population, token_of};
    let code = shared_population(&app, "shuangyashan-2026", conditional(&app).await).await;
    let driver = Driver::start().await;

    let s = Session::signed_in(&driver, &app, "officer-mz").await;
    s.go(&format!("{}/catalog/{code}", app.base)).await;
    s.wait_for("id=\"apply-share\"").await;
    s.click("#apply-share").await;
    let page = s.wait_for("id=\"apply-form\"").await;
    assert_no_error(&page, "the share page");
    assert!(page.contains(&format!("value=\"{code}\"")), "the resource is filled in");
    assert!(page.contains("不得转让"), "the console says shared data is not passed on (SYS-33)");
    s.type_into("#apply-form input[name=scenario]", "最低生活保障资格审核").await;
    s.type_into("#apply-form input[name=basis]", "《社会救助暂行办法》第十一条").await;
    s.type_into("#apply-form input[name=purpose]", "核对申请人户籍").await;
    s.type_into("#apply-form input[name=items]", "zjhm,xm").await;
    s.click("#op-view").await;
    s.click("#apply-submit").await;
    let page = s.wait_for("id=\"notice\"").await;
    assert_no_error(&page, "the application is filed");
    assert!(page.contains("待提供部门审核"), "it waits for the provider");
    s.close().await;
    let id = service::sharing::applications(&app.platform, &service::Actor::cli()).await.unwrap()[0].id;

    let s = Session::signed_in(&driver, &app, "officer").await;
    s.go(&format!("{}/share", app.base)).await;
    s.wait_for(&format!("id=\"approve-{id}\"")).await;
    s.click(&format!("#approve-{id}")).await;
    let page = s.wait_for("id=\"notice\"").await;
    assert_no_error(&page, "the approval");
    assert!(page.contains("已授权") && page.contains("id=\"grant-1\""), "approved, and the grant is listed");
    s.close().await;

    let (token, _) = token_of(&app, "民政局").await;
    let (status, record) = app.json(reqwest::Method::GET, &format!("/api/v1/share/{code}/records/{}", crate::aggregation::id(5)), Some(&token), None).await;
    assert_eq!(status, 200, "{record}");

    // SYS-28d: the consumer's system doubts a record; the provider resolves the request on the console.
    let doubt = serde_json::json!({"resource_code": code, "record_key": crate::aggregation::id(5), "description": "姓名有误"});
    let (status, filed) = app.json(reqwest::Method::POST, "/api/v1/corrections", Some(&token), Some(doubt)).await;
    assert_eq!(status, 201, "{filed}");
    let correction = filed["id"].as_i64().unwrap();
    let s = Session::signed_in(&driver, &app, "officer").await;
    s.go(&format!("{}/share", app.base)).await;
    s.wait_for(&format!("id=\"corrected-{correction}\"")).await;
    s.type_into(&format!("#resolution-{correction}"), "经核查户籍底册，姓名已更正").await;
    s.click(&format!("#corrected-{correction}")).await;
    let page = s.wait_for("id=\"notice\"").await;
    assert_no_error(&page, "resolving the correction");
    assert!(page.contains("经核查户籍底册，姓名已更正") && !page.contains(&format!("id=\"corrected-{correction}\"")), "resolved, with what was found");

    // SYS-32b/c: a data demand the provider reviews on the console; a reasonable one goes to be cataloged.
    let police = app.department_id("公安局").await;
    let body = serde_json::json!({"provider_department_id": police, "items": ["居住证信息"], "scenario": "入学资格审核", "basis": "履职需要"});
    let (status, demand) = app.json(reqwest::Method::POST, "/api/v1/share/demands", Some(&app.login("officer-mz").await), Some(body)).await;
    assert_eq!(status, 201, "{demand}");
    let demand = demand["id"].as_i64().unwrap();
    s.go(&format!("{}/share", app.base)).await;
    s.wait_for(&format!("id=\"demand-catalog-{demand}\"")).await;
    s.click(&format!("#demand-catalog-{demand}")).await;
    let page = s.wait_for("id=\"notice\"").await;
    assert_no_error(&page, "answering the demand");
    assert!(!page.contains(&format!("id=\"demand-catalog-{demand}\"")), "answered once");
    s.close().await;
    let (_, listed) = app.json(reqwest::Method::GET, "/api/v1/share/demands", Some(&app.login("officer").await), None).await;
    let answered = listed["items"].as_array().unwrap().iter().find(|d| d["id"] == demand).cloned().unwrap_or_default();
    assert_eq!(answered["state"], "cataloging", "{listed}");

    let s = Session::signed_in(&driver, &app, "auditor").await;
    s.go(&format!("{}/audit?action=share.record", app.base)).await;
    let page = s.wait_for("share.record").await;
    assert_no_error(&page, "the audit log");
    assert!(page.contains("最低生活保障资格审核") && page.contains(&code), "the call with its scenario");
    // The grant's page charts its calls day by day from the same log.
    s.go(&format!("{}/share", app.base)).await;
    let page = s.wait_for("id=\"grant-link-1\"").await;
    for table in ["corrections", "demands", "disputes", "share-alerts"] {
        assert_eq!(page.matches(&format!("id=\"{table}\"")).count(), 1, "the sharing page lists {table} once");
    }
    let title = page.split("<title>").nth(1).and_then(|t| t.split("</title>").next()).unwrap_or_default();
    assert!(title.contains("数据共享"), "the page is titled: {title}");
    assert!(!title.contains('<') && !title.contains("&lt;"), "the title is text, not markup: {title}");
    s.click("#grant-link-1").await;
    let page = s.wait_for("id=\"calls-chart\"").await;
    assert_no_error(&page, "the grant's page");
    assert!(page.contains("id=\"calls-total\">1<") && page.contains("class=\"served\""), "one call, drawn as a bar");
    s.close().await;
}

/// SYS-29a, SYS-29b in the console: a department's officer opens a dispute with the provider, the provider's officer
/// takes the failed negotiation to the authority, and the city authority refers it with its opinion and records the
/// decision, which grants the data (FS-26c). Each page offers a party only the steps it may take now.
pub async fn browser_sys_29a_sys_29b_a_dispute_is_opened_escalated_and_decided_in_the_console(app: TestApp) {
    use crate::sharing::{conditional, shared_population};
    let code = shared_population(&app, "shuangyashan-2026", conditional(&app).await).await;
    let police = app.department_id("市公安局").await;
    let driver = Driver::start().await;

    let s = Session::signed_in(&driver, &app, "officer-mz").await;
    s.go(&format!("{}/share", app.base)).await;
    s.wait_for("id=\"dispute-open\"").await;
    s.click("#dispute-open summary").await;
    s.click(&format!("#dispute-respondent option[value=\"{police}\"]")).await;
    s.type_into("#dispute-resource", &code).await;
    s.type_into("#dispute-subject", "户籍数据共享条件").await;
    s.type_into("#dispute-claim", "办理低保审核需核验申请人身份，提供部门要求的条件无法满足").await;
    s.click("#dispute-open-submit").await;
    let page = s.wait_for("id=\"notice\"").await;
    assert_no_error(&page, "opening the dispute");
    let (_, listed) = app.json(reqwest::Method::GET, "/api/v1/share/disputes", Some(&app.login("admin").await), None).await;
    let id = listed["items"][0]["id"].as_i64().unwrap_or_else(|| panic!("the dispute is filed: {listed}"));
    assert!(page.contains("户籍数据共享条件") && page.contains("协商中"), "listed, negotiating");
    let form = page.split(&format!("id=\"dispute-step-{id}\"")).nth(1).and_then(|f| f.split("</select>").next()).unwrap_or_default().to_string();
    assert!(form.contains("value=\"withdraw\"") && form.contains("value=\"escalate\"") && !form.contains("value=\"refer\""), "the filer's steps: {form}");
    s.close().await;

    let s = Session::signed_in(&driver, &app, "officer").await;
    s.go(&format!("{}/share", app.base)).await;
    let page = s.wait_for(&format!("id=\"dispute-step-{id}\"")).await;
    let form = page.split(&format!("id=\"dispute-step-{id}\"")).nth(1).and_then(|f| f.split("</select>").next()).unwrap_or_default().to_string();
    assert!(form.contains("value=\"escalate\"") && !form.contains("value=\"withdraw\""), "the respondent's steps: {form}");
    s.click(&format!("#dispute-step-{id} option[value=\"escalate\"]")).await;
    s.type_into(&format!("#dispute-text-{id}"), "双方对共享条件协商未果").await;
    s.click(&format!("#dispute-submit-{id}")).await;
    let page = s.wait_for("id=\"notice\"").await;
    assert_no_error(&page, "escalating");
    assert!(page.contains("主管部门协调中") && page.contains("双方对共享条件协商未果"), "coordinated by the authority, with the reason");
    assert!(!page.contains(&format!("id=\"dispute-step-form-{id}\"")), "the respondent has no step while the authority coordinates");
    s.close().await;

    let s = Session::signed_in(&driver, &app, "admin").await;
    s.go(&format!("{}/share", app.base)).await;
    s.wait_for(&format!("id=\"dispute-step-{id}\"")).await;
    s.click(&format!("#dispute-step-{id} option[value=\"refer\"]")).await;
    s.type_into(&format!("#dispute-text-{id}"), "建议以比对方式共享").await;
    s.click(&format!("#dispute-submit-{id}")).await;
    let page = s.wait_for("id=\"notice\"").await;
    assert_no_error(&page, "referring");
    assert!(page.contains("已报请决定") && page.contains(&format!("id=\"dispute-ref-{id}\"")), "referred; the decision is next");
    s.type_into(&format!("#dispute-text-{id}"), "同意以比对方式共享").await;
    s.type_into(&format!("#dispute-ref-{id}"), "双政办函〔2026〕12号").await;
    s.type_into(&format!("#dispute-step-form-{id} input[name=grant_items]"), "zjhm,xm").await;
    s.click(&format!("#dispute-step-form-{id} input[name=op_compare]")).await;
    s.click(&format!("#dispute-submit-{id}")).await;
    // The page before already shows a notice (the referral's): wait for the decision's page, where the decision's
    // form is gone.
    let page = s.wait_without(&format!("id=\"dispute-ref-{id}\"")).await;
    assert_no_error(&page, "recording the decision");
    let state = page.split(&format!("id=\"dispute-state-{id}\"")).nth(1).and_then(|f| f.split("</td>").next()).unwrap_or_default().to_string();
    assert!(state.contains("已解决") && state.contains("双政办函〔2026〕12号") && state.contains("/share/grants/"), "resolved by the decision, which grants: {state}");
    s.close().await;

    let (_, d) = app.json(reqwest::Method::GET, &format!("/api/v1/share/disputes/{id}"), Some(&app.login("officer-mz").await), None).await;
    assert_eq!((d["state"].as_str(), d["outcome"].as_str()), (Some("resolved"), Some("decided")), "{d}");
    assert_eq!(d["steps"], serde_json::json!([]), "nothing is left to do: {d}");
    let grant = d["grant_id"].as_i64().expect("the decision made a grant");
    let (_, grants) = app.json(reqwest::Method::GET, "/api/v1/share/grants", Some(&app.login("officer-mz").await), None).await;
    let g = grants["items"].as_array().and_then(|l| l.iter().find(|g| g["id"] == grant)).cloned().unwrap_or_else(|| panic!("the consumer holds grant {grant}: {grants}"));
    assert_eq!((g["items"].clone(), g["ops"].clone()), (serde_json::json!(["zjhm", "xm"]), serde_json::json!(["compare"])), "{g}");
    for action in ["dispute.open", "dispute.escalate", "dispute.refer", "dispute.decide"] {
        assert_eq!(crate::sharing::audit_count(&app, action).await, 1, "{action}");
    }
}

async fn fill_sync_form(s: &Session<'_>, code: &str, source: &str) {
    s.type_into("input[name=resource_code]", code).await;
    s.type_into("input[name=connection]", source).await;
    s.type_into("input[name=table]", "rk").await;
    s.type_into("input[name=columns]", "zjhm=sfzh").await;
}
