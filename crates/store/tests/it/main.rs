//! The store's tests, each run on SQLite and on PostgreSQL. PostgreSQL runs when `SHUYUAN_TEST_POSTGRES_URL` is
//! set (`.ci/run` sets it); without it those tests are reported as ignored, never passed.

mod audit;
mod orgs;

use std::future::Future;
use std::pin::Pin;

use libtest_mimic::{Arguments, Trial};
use shuyuan_store::testing::TestBackend;
use shuyuan_store::Store;

type Case = fn(Store) -> Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send>>;

macro_rules! cases {
    ($($path:path),* $(,)?) => {
        vec![$((stringify!($path), (|s| Box::pin($path(s))) as Case)),*]
    };
}

fn main() {
    let args = Arguments::from_args();
    let cases: Vec<(&str, Case)> = cases![
        orgs::regions_form_a_tree_and_departments_need_unique_credit_codes,
        orgs::users_roles_sessions_and_tokens,
        audit::audit_chain_verifies_when_whole,
        audit::audit_chain_detects_an_edited_row,
        audit::audit_chain_names_the_earliest_of_several_alterations,
        audit::audit_chain_detects_a_deleted_row,
        audit::audit_verify_during_appends_sees_a_whole_chain,
        audit::audit_event_and_state_change_commit_together,
        audit::sys_20c_audit_events_kept_at_least_three_years,
        audit::audit_search_filters,
    ];
    let mut trials = Vec::new();
    for backend in [TestBackend::Sqlite, TestBackend::Postgres] {
        for (name, case) in &cases {
            let case = *case;
            let short = name.rsplit("::").next().unwrap().to_string();
            let label = short.clone();
            trials.push(
                Trial::test(format!("{}::{short}", backend.name()), move || {
                    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
                    rt.block_on(async move {
                        let dir = tempfile::tempdir().unwrap();
                        let url = backend.fresh_url(dir.path(), &label).await;
                        let store = Store::open(&url).await.map_err(|e| format!("open {url}: {e}"))?;
                        let result = case(store.clone()).await;
                        store.close().await;
                        backend.discard(&url).await;
                        result.map_err(|e| format!("{e:#}").into())
                    })
                })
                .with_ignored_flag(!backend.available()),
            );
        }
    }
    libtest_mimic::run(&args, trials).exit();
}
