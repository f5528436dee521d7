//! Aggregation in the console: delivering a file from the entry page, a batch's report with its quarantined rows,
//! the aggregation page (freshness, warnings, database sync jobs with their connection test), and the register of
//! source departments with the repeated collections the authority settles.

use std::collections::BTreeMap as Map;
use std::io::Write;

use axum::extract::Multipart;

use super::*;

const OVERSEERS: &[Role] = &[Role::AuthorityAdmin, Role::ServiceOperator, Role::DeptDataOfficer, Role::Auditor];
const CATALOGERS: &[Role] = &[Role::AuthorityAdmin, Role::DeptDataOfficer];

fn short(t: &str) -> String {
    t.get(..16).unwrap_or(t).replace('T', " ")
}

/// A file delivered from the entry page (multipart: the file, mode, encoding, CSRF), streamed to disk; the answer
/// is the batch's report page.
pub(super) async fn deliver(State(state): State<AppState>, page: Page, Path(code): Path<String>, mut form: Multipart) -> Response {
    let actor = match page.require(CATALOGERS) {
        Ok(a) => a.clone(),
        Err(r) => return r,
    };
    let fail = |page: &Page, message: String| render(&state, page, "error.html", StatusCode::BAD_REQUEST, context! { title => message });
    let zh = page.lang == Lang::Zh;
    let mut fields: Map<String, String> = Map::new();
    let mut spool: Option<(tempfile::NamedTempFile, String)> = None;
    let limit = state.options.max_upload_bytes;
    loop {
        let field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return fail(&page, if zh { format!("上传中断：{e}") } else { format!("The upload broke off: {e}") }),
        };
        let name = field.name().unwrap_or("").to_string();
        if name != "file" {
            // The form's other fields are short: read at most 4 KiB of each, never a whole body.
            let mut field = field;
            let mut bytes = Vec::new();
            while let Ok(Some(chunk)) = field.chunk().await {
                bytes.extend_from_slice(&chunk);
                if bytes.len() > 4096 {
                    return fail(&page, if zh { format!("表单字段“{name}”过长") } else { format!("The form field '{name}' is too long") });
                }
            }
            fields.insert(name, String::from_utf8_lossy(&bytes).chars().take(200).collect());
            continue;
        }
        // The CSRF token comes first in the form, so nothing is written for a forged request.
        if !csrf_ok(&page, fields.get("csrf").map(String::as_str).unwrap_or("")) {
            return csrf_refused(&page);
        }
        let file_name = field.file_name().unwrap_or("upload.csv").to_string();
        let Ok(mut tmp) = tempfile::NamedTempFile::new() else { return StatusCode::INTERNAL_SERVER_ERROR.into_response() };
        let mut field = field;
        let mut written = 0u64;
        loop {
            match field.chunk().await {
                Ok(Some(chunk)) => {
                    written += chunk.len() as u64;
                    if written > limit {
                        return fail(&page, if zh { format!("文件超过{}MiB的上限", limit >> 20) } else { format!("The file is over the {} MiB limit", limit >> 20) });
                    }
                    if tmp.write_all(&chunk).is_err() {
                        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
                    }
                }
                Ok(None) => break,
                Err(e) => return fail(&page, if zh { format!("上传中断：{e}") } else { format!("The upload broke off: {e}") }),
            }
        }
        spool = Some((tmp, file_name));
    }
    if !csrf_ok(&page, fields.get("csrf").map(String::as_str).unwrap_or("")) {
        return csrf_refused(&page);
    }
    let Some((tmp, file_name)) = spool.filter(|(_, n)| !n.is_empty()) else {
        return fail(&page, if zh { "请选择要交付的文件".into() } else { "Choose the file to deliver".into() });
    };
    let mut delivery = service::aggregation::Delivery::file(&file_name);
    delivery.mode = fields.get("mode").and_then(|m| service::aggregation::Mode::parse(m)).unwrap_or(service::aggregation::Mode::Replace);
    delivery.encoding = fields.get("encoding").and_then(|e| service::catalog::import::Encoding::parse(e)).unwrap_or(service::catalog::import::Encoding::Auto);
    match service::aggregation::deliver(&state.platform, &actor, &code, tmp.path(), delivery, |_| {}).await {
        Ok(report) => Redirect::to(&format!("/catalog/{code}/batches/{}", report.batch_id)).into_response(),
        Err(e) => fail(&page, error_message(&page, e)),
    }
}

/// Quarantined rows shown on the report page; the download holds them all.
const QUARANTINE_PREVIEW: usize = 100;

/// A batch's report: counts, problems by item, samples, the refusal, and the first quarantined rows.
pub(super) async fn batch(State(state): State<AppState>, page: Page, Path((code, id)): Path<(String, i64)>) -> Response {
    let actor = match page.require(OVERSEERS) {
        Ok(a) => a.clone(),
        Err(r) => return r,
    };
    let report = match service::aggregation::batch(&state.platform, &actor, id).await {
        Ok(r) if r.resource_code == code => r,
        Ok(_) => return StatusCode::NOT_FOUND.into_response(),
        Err(e) => return render(&state, &page, "error.html", StatusCode::FORBIDDEN, context! { title => error_message(&page, e) }),
    };
    // The quarantined rows hold raw values: shown to the provider and the authority only, as the download is.
    let (header, rows) = match report.quarantine {
        true => match service::aggregation::quarantine(&state.platform, &actor, id).await {
            Ok(bytes) => {
                let mut reader = csv::ReaderBuilder::new().has_headers(true).flexible(true).from_reader(bytes.strip_prefix(b"\xEF\xBB\xBF".as_slice()).unwrap_or(&bytes));
                let header: Vec<String> = reader.headers().map(|h| h.iter().map(String::from).collect()).unwrap_or_default();
                let rows: Vec<Vec<String>> = reader.records().take(QUARANTINE_PREVIEW).filter_map(|r| r.ok()).map(|r| r.iter().map(String::from).collect()).collect();
                (header, rows)
            }
            Err(_) => (vec![], vec![]),
        },
        false => (vec![], vec![]),
    };
    let committed = report.state == "committed";
    let refusal = if page.lang == Lang::Zh { report.refusal.clone() } else { report.refusal_en.clone() };
    let samples: Vec<Value> = report
        .samples
        .iter()
        .map(|s| context! { line => s.line, item => s.item, message => if page.lang == Lang::Zh { s.message.clone() } else { s.message_en.clone() } })
        .collect();
    render(
        &state,
        &page,
        "batch.html",
        StatusCode::OK,
        context! { code, report, committed, refusal, samples, quarantine_header => header, quarantine_rows => rows, preview => QUARANTINE_PREVIEW },
    )
}

/// The aggregation page: freshness, open warnings, sync jobs.
pub(super) async fn aggregation(State(state): State<AppState>, page: Page) -> Response {
    if let Err(r) = page.require(OVERSEERS) {
        return r;
    }
    aggregation_page(&state, &page, None, (None, None, StatusCode::OK)).await
}

async fn aggregation_page(state: &AppState, page: &Page, test: Option<Value>, (error, notice, status): Outcome) -> Response {
    let Some(actor) = page.actor.clone() else { return Redirect::to("/login").into_response() };
    let feeds = page.list(("数据更新情况", "feed freshness"), service::aggregation::freshness(&state.platform, &actor).await);
    let feeds: Vec<Value> = feeds
        .iter()
        .map(|f| {
            context! {
                code => f.code, name => f.name, provider => f.provider, frequency => if page.lang == Lang::Zh { f.update_frequency.label() } else { f.update_frequency.label_en() },
                last => f.last_delivery.as_deref().map(short), due => f.due.as_deref().map(short), warn_on => f.warn_on,
                status => format!("{:?}", f.status), late => f.late,
            }
        })
        .collect();
    let alerts = page.list(("告警", "alerts"), service::alerts::list(&state.platform, &actor, true).await);
    let alerts: Vec<Value> = alerts
        .iter()
        .map(|a| context! { kind => a.kind, object_id => a.object_id, message => if page.lang == Lang::Zh { a.message.clone() } else { a.message_en.clone() }, raised_at => short(&a.raised_at), overdue => a.kind.ends_with("overdue") })
        .collect();
    let jobs = page.list(("同步任务", "sync jobs"), service::aggregation::sync::list(&state.platform, &actor).await);
    let jobs: Vec<Value> = jobs
        .iter()
        .map(|j| {
            context! {
                id => j.id, code => j.resource_code, connection => j.connection, table => j.table, mode => j.mode, cursor => j.cursor_column,
                cursor_value => j.cursor_value, interval => j.interval_minutes, next => j.next_run_at.as_deref().map(short),
                last => j.last_run_at.as_deref().map(short), batch => j.last_batch_id, error => j.last_error,
            }
        })
        .collect();
    let can_set_up = actor.has_any(CATALOGERS);
    render(state, page, "aggregation.html", status, context! { feeds, alerts, jobs, can_set_up, test, error, notice })
}

/// Mapping lines `item=column`, one per line or separated by commas.
fn parse_columns(text: &str) -> Result<std::collections::BTreeMap<String, String>, service::Error> {
    let mut out = std::collections::BTreeMap::new();
    for part in text.split(['\n', ',', '，']).map(str::trim).filter(|p| !p.is_empty()) {
        let Some((item, column)) = part.split_once('=') else {
            return Err(service::Error::invalid("invalid_mapping", format!("“{part}”不是“数据项=列名”的形式"), format!("'{part}' is not item=column")));
        };
        out.insert(item.trim().to_string(), column.trim().to_string());
    }
    Ok(out)
}

#[derive(Deserialize)]
pub(super) struct SyncForm {
    csrf: String,
    resource_code: String,
    connection: String,
    table: String,
    #[serde(default)]
    columns: String,
    #[serde(default)]
    mode: String,
    #[serde(default)]
    cursor_column: String,
    #[serde(default)]
    interval_minutes: String,
}

fn cataloger_form(page: &Page, csrf: &str) -> Result<Actor, Response> {
    let actor = page.require(CATALOGERS)?.clone();
    if !csrf_ok(page, csrf) {
        return Err(csrf_refused(page));
    }
    Ok(actor)
}

/// The connection test, shown on the page: the table's columns and rows, and which items it supplies.
pub(super) async fn test_connection(State(state): State<AppState>, page: Page, Form(form): Form<SyncForm>) -> Response {
    let actor = match cataloger_form(&page, &form.csrf) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let result = async {
        let columns = parse_columns(&form.columns)?;
        let code = Some(form.resource_code.trim().to_string()).filter(|c| !c.is_empty());
        service::aggregation::sync::test_connection(&state.platform, &actor, service::aggregation::sync::ConnectionTest { connection: form.connection.trim().into(), table: form.table.trim().into(), resource_code: code, columns }).await
    }
    .await;
    match result {
        Ok(report) => {
            let test = context! {
                engine => report.engine, rows => report.rows,
                columns => report.columns.iter().map(|c| format!("{} {}", c.name, c.type_name)).collect::<Vec<_>>(),
                mapped => report.mapped.iter().map(|(i, c)| format!("{i} ← {c}")).collect::<Vec<_>>(), unmapped => report.unmapped,
            };
            aggregation_page(&state, &page, Some(test), (None, None, StatusCode::OK)).await
        }
        Err(e) => aggregation_page(&state, &page, None, (Some(error_message(&page, e)), None, StatusCode::BAD_REQUEST)).await,
    }
}

pub(super) async fn create_job(State(state): State<AppState>, page: Page, Form(form): Form<SyncForm>) -> Response {
    let actor = match cataloger_form(&page, &form.csrf) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let result = async {
        let columns = parse_columns(&form.columns)?;
        let interval = match form.interval_minutes.trim() {
            "" => None,
            m => Some(m.parse::<i64>().map_err(|_| service::Error::invalid("sync_interval", "同步间隔须为分钟数", "The interval is a number of minutes"))?),
        };
        let job = service::aggregation::sync::NewSyncJob {
            resource_code: form.resource_code.trim().into(),
            connection: form.connection.trim().into(),
            table: form.table.trim().into(),
            columns,
            mode: Some(form.mode.trim().to_string()).filter(|m| !m.is_empty()),
            cursor_column: Some(form.cursor_column.trim().to_string()).filter(|c| !c.is_empty()),
            interval_minutes: interval,
        };
        service::aggregation::sync::create(&state.platform, &actor, job).await
    }
    .await;
    aggregation_page(&state, &page, None, outcome(&page, result, |j| format!("#{} {} ← {}", j.id, j.resource_code, j.table))).await
}

pub(super) async fn run_job(State(state): State<AppState>, page: Page, Path(id): Path<i64>, Form(form): Form<CsrfForm>) -> Response {
    let actor = match cataloger_form(&page, &form.csrf) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let result = service::aggregation::sync::run(&state.platform, &actor, id).await;
    let zh = page.lang == Lang::Zh;
    aggregation_page(
        &state,
        &page,
        None,
        outcome(&page, result, |run| match &run.batch {
            Some(b) => format!("#{id}: {} {} → {} {}", run.rows_read, if zh { "行" } else { "rows" }, if zh { "批次" } else { "batch" }, b.batch_id),
            None => format!("#{id}: {}", if zh { "没有新数据" } else { "nothing new" }),
        }),
    )
    .await
}

pub(super) async fn delete_job(State(state): State<AppState>, page: Page, Path(id): Path<i64>, Form(form): Form<CsrfForm>) -> Response {
    let actor = match cataloger_form(&page, &form.csrf) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let result = service::aggregation::sync::delete(&state.platform, &actor, id).await;
    aggregation_page(&state, &page, None, outcome(&page, result, |_| format!("#{id}"))).await
}

/// The register of source departments and the repeated collections.
pub(super) async fn sources(State(state): State<AppState>, page: Page) -> Response {
    if let Err(r) = page.require(OVERSEERS) {
        return r;
    }
    sources_page(&state, &page, (None, None, StatusCode::OK)).await
}

async fn sources_page(state: &AppState, page: &Page, (error, notice, status): Outcome) -> Response {
    let Some(actor) = page.actor.clone() else { return Redirect::to("/login").into_response() };
    let zh = page.lang == Lang::Zh;
    let register = page.list(("数源登记", "source register"), service::sources::list(&state.platform).await);
    let register: Vec<Value> = register
        .iter()
        .map(|s| {
            context! {
                id => s.id, class => s.class_name, subject => if zh { s.subject.label() } else { s.subject.label_en() },
                status => s.status.as_str(), status_label => if zh { s.status.label() } else { s.status.label_en() },
                parties => s.parties.iter().map(|p| if p.items.is_empty() { p.department.clone() } else { format!("{}（{}）", p.department, p.items.join("、")) }).collect::<Vec<_>>(),
                hints => s.hints.join("、"), items => s.items.join("、"), basis => s.basis,
            }
        })
        .collect();
    let repeated = page.list(("重复采集", "repeated collection"), service::sources::repeated(&state.platform, &actor).await);
    let repeated: Vec<Value> = repeated
        .iter()
        .map(|r| {
            context! {
                code => r.resource_code, name => r.resource_name, provider => r.provider, item => r.item, label => r.item_label, class => r.class_name,
                sources => r.source_departments.iter().map(|d| d.department.clone()).collect::<Vec<_>>().join("、"),
                settled => r.settlement.as_ref().map(|s| format!("{} · {} · {}", s.decision, s.reason, s.settled_by)),
            }
        })
        .collect();
    render(state, page, "sources.html", status, context! { register, repeated, error, notice })
}

#[derive(Deserialize)]
pub(super) struct SettleForm {
    csrf: String,
    resource_code: String,
    item: String,
    decision: String,
    reason: String,
}

pub(super) async fn settle(State(state): State<AppState>, page: Page, Form(form): Form<SettleForm>) -> Response {
    let actor = match authority_form(&page, &form.csrf) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let input = service::sources::Settle { resource_code: form.resource_code, item: form.item, decision: form.decision, reason: form.reason };
    let result = service::sources::settle(&state.platform, &actor, input).await;
    sources_page(&state, &page, outcome(&page, result, |r| format!("{} {}", r.resource_code, r.item))).await
}
