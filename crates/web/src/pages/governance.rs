//! The catalog's governance page (目录治理): objections to entries' types with each party's position (FS-16), the
//! entries to reclassify under the standard in force (SYS-11a), the yearly lists each department submits
//! (CS-25a) and the share conditions people enforce (FS-14f) — each section where the regime and the role have it.

use chrono::Datelike;
use domain::catalog::attrs::Attr;
use domain::catalog::objections::{ObjectionKind, Outcome as Position};

use super::catalog::{attr_label, short_time};
use super::*;

#[derive(Deserialize)]
pub(super) struct YearQuery {
    year: Option<i32>,
}

pub(super) async fn governance(State(state): State<AppState>, page: Page, Query(q): Query<YearQuery>) -> Response {
    let actor = match page.require(&[]) {
        Ok(a) => a.clone(),
        Err(r) => return r,
    };
    governance_page(&state, &page, &actor, q.year, (None, None, StatusCode::OK)).await
}

async fn governance_page(state: &AppState, page: &Page, actor: &Actor, year: Option<i32>, (error, notice, status): Outcome) -> Response {
    let p = &state.platform;
    let lang = page.lang;
    let zh = lang == Lang::Zh;
    let year = year.unwrap_or_else(|| p.clock.today().year());
    let objections: Vec<Value> = if p.profile.catalog.classification_objections {
        page
            .list(("分级异议", "classification objections"), service::catalog::objections::list(p, actor, false).await)
            .into_iter()
            .map(|o| {
                let attr = |a: Attr| attr_label(state, lang, a, o.kind == ObjectionKind::Open);
                let parties: Vec<Value> = o
                    .parties
                    .iter()
                    .map(|x| {
                        context! {
                            label => if zh { x.party.label() } else { x.party.label_en() }, department => x.department,
                            position => x.position.as_ref().map(|pos| format!("{}：{}（{}）", if zh { pos.outcome.label() } else { pos.outcome.label_en() }, pos.comment, pos.by)),
                        }
                    })
                    .collect();
                context! {
                    id => o.id, code => o.code, name => o.resource_name, kind => if zh { o.kind.label() } else { o.kind.label_en() },
                    from => attr(o.current_attr), to => attr(o.proposed_attr), grounds => o.grounds, raised_by => o.raised_by_department,
                    state => if zh { o.state.label() } else { o.state.label_en() }, open => o.state == domain::catalog::objections::ObjectionState::Negotiating,
                    parties,
                }
            })
            .collect()
    } else {
        vec![]
    };
    let reclassify: Vec<Value> = page
        .list(("待重新分级", "reclassifications"), service::catalog::classification::reclassifications(p, actor).await)
        .into_iter()
        .map(|r| {
            let issues: Vec<String> = r.issues.iter().map(|i| if zh { i.message.clone() } else { i.message_en.clone() }).collect();
            context! { code => r.code, name => r.name, provider => r.provider.name, version => r.scheme_version, issues => issues.join("；") }
        })
        .collect();
    let lists = if p.profile.features.three_lists { page.list(("三张清单", "annual lists"), service::catalog::annual_lists::report(p, actor, year).await.map(Some)) } else { None };
    let list_title = |kind: &str| {
        service::catalog::views::VIEWS.iter().find(|v| v.0 == kind).map(|v| if zh { v.1 } else { v.2 }).unwrap_or(kind).to_string()
    };
    let lists = lists.map(|r| {
        let rows: Vec<Value> = r
            .departments
            .iter()
            .map(|d| {
                let submitted: Vec<String> = d.submitted.iter().map(|s| format!("{}（{}）", list_title(&s.kind), short_time(&s.submitted_at))).collect();
                let missing: Vec<(String, String)> = d.missing.iter().map(|k| (k.clone(), list_title(k))).collect();
                context! {
                    name => d.department_name, submitted => submitted.join("、"), missing, overdue => d.overdue,
                    own => actor.department_id == Some(d.department_id) && actor.has(Role::DeptDataOfficer),
                }
            })
            .collect();
        context! { year => r.year, cutoff => r.cutoff.to_string(), past => r.past_cutoff, rows }
    });
    let manual: Vec<Value> = page
        .list(("人工条件报告", "manual conditions report"), service::catalog::reports::manual_conditions(p, actor).await)
        .into_iter()
        .map(|m| context! { code => m.code, name => m.name, provider => m.department_name, descriptions => m.descriptions.join("；"), only_manual => m.only_manual })
        .collect();
    let share_types: Vec<Value> = page
        .list(("共享属性分布", "share attributes by department"), service::catalog::reports::department_metrics(p, actor).await)
        .into_iter()
        .filter(|d| d.entries > 0)
        .map(|d| {
            context! {
                name => d.department_name, entries => d.entries, unconditional => d.unconditional_entries,
                conditional => d.conditional_entries, conditional_percent => d.conditional_percent,
                not_shared => d.not_shared_entries, not_shared_percent => d.not_shared_percent, codes => d.not_shared_codes,
            }
        })
        .collect();
    let channels: Vec<Value> = page
        .list(("通道整合情况", "channels outside the platform"), service::channels::report(p, actor).await)
        .into_iter()
        .map(|d| {
            let outstanding: Vec<String> = d.outstanding.iter().map(|c| format!("{} · {}", c.name, if zh { &c.state_label } else { &c.state_label_en })).collect();
            context! { name => d.department, total => d.total, progress => d.progress_percent, outstanding }
        })
        .collect();
    let outcomes: Vec<(&str, &str)> = Position::ALL.iter().map(|o| (o.as_str(), if zh { o.label() } else { o.label_en() })).collect();
    render(
        state,
        page,
        "catalog_governance.html",
        status,
        context! { error, notice, objections, objections_on => p.profile.catalog.classification_objections, reclassify, lists, manual, share_types, channels, outcomes, year },
    )
}

#[derive(Deserialize)]
pub(super) struct PositionForm {
    csrf: String,
    outcome: String,
    #[serde(default)]
    comment: String,
}

/// A party takes its position on an objection.
pub(super) async fn position(State(state): State<AppState>, page: Page, Path(id): Path<i64>, Form(form): Form<PositionForm>) -> Response {
    let actor = match page.require(&[Role::AuthorityAdmin, Role::DeptDataOfficer]) {
        Ok(a) => a.clone(),
        Err(r) => return r,
    };
    if !csrf_ok(&page, &form.csrf) {
        return csrf_refused(&page);
    }
    let result = match Position::parse(&form.outcome) {
        Some(outcome) => {
            let input = service::catalog::objections::PositionInput { outcome, comment: form.comment, sharing: None, opening: None };
            service::catalog::objections::record_position(&state.platform, &actor, id, input).await
        }
        None => Err(service::Error::invalid("invalid_outcome", "请选择意见", "Choose a position")),
    };
    let outcome = outcome(&page, result, |o| format!("{} · {}", o.code, if page.lang == Lang::Zh { o.state.label() } else { o.state.label_en() }));
    governance_page(&state, &page, &actor, None, outcome).await
}

#[derive(Deserialize)]
pub(super) struct RaiseForm {
    csrf: String,
    kind: String,
    proposed_attr: String,
    #[serde(default)]
    grounds: String,
}

/// Another department objects to an entry's type, from the entry's page.
pub(super) async fn raise(State(state): State<AppState>, page: Page, Path(code): Path<String>, Form(form): Form<RaiseForm>) -> Response {
    let actor = match page.require(&[Role::AuthorityAdmin, Role::DeptDataOfficer]) {
        Ok(a) => a.clone(),
        Err(r) => return r,
    };
    if !csrf_ok(&page, &form.csrf) {
        return csrf_refused(&page);
    }
    let result = match (ObjectionKind::parse(&form.kind), Attr::parse(&form.proposed_attr)) {
        (Some(kind), Some(proposed_attr)) => {
            let input = service::catalog::objections::NewObjectionInput { kind, proposed_attr, grounds: form.grounds };
            service::catalog::objections::raise(&state.platform, &actor, &code, input).await
        }
        _ => Err(service::Error::invalid("invalid_objection", "请选择异议的类型和拟议类型", "Choose what the objection is about and the type it proposes")),
    };
    let outcome = outcome(&page, result, |o| format!("{} #{}", o.code, o.id));
    governance_page(&state, &page, &actor, None, outcome).await
}

#[derive(Deserialize)]
pub(super) struct ListForm {
    csrf: String,
    year: i32,
}

/// A department submits one of its yearly lists.
pub(super) async fn submit_list(State(state): State<AppState>, page: Page, Path(kind): Path<String>, Form(form): Form<ListForm>) -> Response {
    let actor = match page.require(&[Role::DeptDataOfficer]) {
        Ok(a) => a.clone(),
        Err(r) => return r,
    };
    if !csrf_ok(&page, &form.csrf) {
        return csrf_refused(&page);
    }
    let result = service::catalog::annual_lists::submit(&state.platform, &actor, &kind, form.year, None).await;
    let outcome = outcome(&page, result, |t| format!("{} · {}", t.title, t.rows.len()));
    governance_page(&state, &page, &actor, Some(form.year), outcome).await
}
