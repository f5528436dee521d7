//! The web layer's tests against a real server on 127.0.0.1, each run on a fresh SQLite file and on a fresh
//! PostgreSQL database (when `SHUYUAN_TEST_POSTGRES_URL` is set; reported as ignored otherwise), and a real
//! headless Chromium for the console.

mod bad_input;
mod browser;
mod common;
mod matrix;
mod openapi;

use std::future::Future;
use std::pin::Pin;

use common::TestApp;
use libtest_mimic::{Arguments, Trial};
use store::testing::TestBackend;

type Case = fn(TestApp) -> Pin<Box<dyn Future<Output = ()> + Send>>;

macro_rules! cases {
    ($($path:path),* $(,)?) => {
        vec![$((stringify!($path), (|app| Box::pin($path(app))) as Case)),*]
    };
}

fn main() {
    let args = Arguments::from_args();
    let cases: Vec<(&str, Case)> = cases![
        bad_input::malformed_bodies_queries_and_paths_are_4xx_with_the_error_body,
        bad_input::sys_16c_bad_credit_codes_are_refused_and_good_ones_registered,
        bad_input::bad_tokens_are_401_and_revoked_tokens_stop_working,
        bad_input::fs_42b_role_assignment_joining_two_duties_is_refused,
        bad_input::login_is_rate_limited_after_repeated_failures,
        bad_input::audit_export_and_verify_for_the_auditor,
        bad_input::calendar_deadline_follows_the_profile_and_the_authority_loads_2027,
        bad_input::calendar_loaded_on_one_node_reaches_the_others,
        bad_input::a_disabled_account_is_signed_out_and_cannot_sign_in,
        matrix::authorization_matrix_covers_every_route,
        openapi::openapi_document_lists_every_route_and_resolves_every_reference,
        browser::browser_login_and_register_a_department,
        browser::browser_regions_tokens_and_accounts,
    ];
    let mut trials = Vec::new();
    for backend in [TestBackend::Sqlite, TestBackend::Postgres] {
        for (name, case) in &cases {
            trials.push(trial(name, backend, *case, !backend.available()));
        }
    }
    // The document does not depend on the backend; the validator is installed by `.ci/run`.
    trials.push(trial(
        "openapi_document_passes_openapi_spec_validator",
        TestBackend::Sqlite,
        |app| Box::pin(openapi::openapi_document_passes_openapi_spec_validator(app)),
        openapi::external_validator().is_none(),
    ));
    libtest_mimic::run(&args, trials).exit();
}

/// A case on a demo city served from a fresh database of `backend`.
fn trial(name: &str, backend: TestBackend, case: Case, ignored: bool) -> Trial {
    let short = name.rsplit("::").next().unwrap_or(name);
    Trial::test(format!("{}::{short}", backend.name()), move || {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
        rt.block_on(async move {
            let app = common::spawn(backend).await;
            let (store, url) = (app.platform.store.clone(), app.database_url.clone());
            case(app).await;
            store.close().await;
            backend.discard(&url).await;
        });
        Ok(())
    })
    .with_ignored_flag(ignored)
}
