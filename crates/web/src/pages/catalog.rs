//! The catalog in the console: search with facets, an entry with its review and history, the entry form, the
//! reviewer's queue, a department's work in progress, and the public open catalog.

use domain::catalog::attrs::{Attr, Instrument, NotOpenReason, OpenOp, ShareOp};
use domain::catalog::entry::{
    CatalogKind, DataFormat, IdentifierKind, ItemType, OperationStatus, ProvisionMethod, ResourceContent, SecurityLevel, UpdateFrequency,
};
use domain::catalog::lifecycle::RevisionState;
use domain::catalog::rules::ReclassificationReason;
use domain::catalog::view::ResourceView;
use domain::FieldIssue;
use service::catalog::read::Allowed;
use service::catalog::search::CatalogQuery;

use super::catalog_form::{attributes_from, content_from, values_of, FormValues, BLANK_ITEMS};
use super::*;

const CATALOGERS: &[Role] = &[Role::AuthorityAdmin, Role::DeptDataOfficer];
const PER_PAGE: i64 = 20;

/// The regime's word for an attribute, in the page's language.
pub(super) fn attr_label(state: &AppState, lang: Lang, attr: Attr, open: bool) -> String {
    match (lang, open) {
        (Lang::Zh, false) => state.platform.profile.share_label(attr).to_string(),
        (Lang::Zh, true) => state.platform.profile.open_label(attr).to_string(),
        (Lang::En, false) => ["Unconditional sharing", "Conditional sharing", "Not shared"][2 - attr.openness() as usize].to_string(),
        (Lang::En, true) => ["Unconditional opening", "Conditional opening", "Not opened"][2 - attr.openness() as usize].to_string(),
    }
}

fn pick_label(lang: Lang, zh: &str, en: &str) -> String {
    if lang == Lang::Zh {
        zh.to_string()
    } else {
        en.to_string()
    }
}

/// Every option list the form and the filters show.
fn options(state: &AppState, lang: Lang, departments: &[domain::orgs::Department]) -> Value {
    fn list<T: Copy>(all: &[T], key: fn(T) -> &'static str, zh: fn(T) -> &'static str, en: fn(T) -> &'static str, lang: Lang) -> Vec<(String, String)> {
        all.iter().map(|v| (key(*v).to_string(), pick_label(lang, zh(*v), en(*v)))).collect()
    }
    let attrs = |open: bool| Attr::ALL.iter().map(|a| (a.as_str().to_string(), attr_label(state, lang, *a, open))).collect::<Vec<_>>();
    context! {
        catalog_kinds => list(CatalogKind::ALL, CatalogKind::as_str, CatalogKind::label, CatalogKind::label_en, lang),
        formats => list(DataFormat::ALL, DataFormat::as_str, DataFormat::label, DataFormat::label_en, lang),
        frequencies => list(UpdateFrequency::ALL, UpdateFrequency::as_str, UpdateFrequency::label, UpdateFrequency::label_en, lang),
        methods => list(ProvisionMethod::ALL, ProvisionMethod::as_str, ProvisionMethod::label, ProvisionMethod::label_en, lang),
        levels => list(SecurityLevel::ALL, SecurityLevel::as_str, SecurityLevel::label, SecurityLevel::label_en, lang),
        item_types => list(ItemType::ALL, ItemType::as_str, ItemType::label, ItemType::label_en, lang),
        identifiers => list(IdentifierKind::ALL, IdentifierKind::as_str, IdentifierKind::label, IdentifierKind::label_en, lang),
        operation_statuses => list(OperationStatus::ALL, OperationStatus::as_str, OperationStatus::label, OperationStatus::label_en, lang),
        share_attrs => attrs(false),
        open_attrs => attrs(true),
        share_ops => list(ShareOp::ALL, ShareOp::as_str, ShareOp::label, ShareOp::label_en, lang),
        open_ops => list(OpenOp::ALL, OpenOp::as_str, OpenOp::label, OpenOp::label_en, lang),
        instruments => list(Instrument::ALL, Instrument::as_str, Instrument::label, Instrument::label_en, lang),
        not_open_reasons => list(NotOpenReason::ALL, NotOpenReason::as_str, NotOpenReason::label, NotOpenReason::label_en, lang),
        reclassification_reasons => list(ReclassificationReason::ALL, ReclassificationReason::as_str, ReclassificationReason::label, ReclassificationReason::label_en, lang),
        condition_kinds => domain::catalog::attrs::ShareCondition::KINDS.iter().map(|(k, zh, en)| (k.to_string(), pick_label(lang, zh, en))).collect::<Vec<_>>(),
        departments => departments.iter().map(|d| (d.id, d.name.clone())).collect::<Vec<_>>(),
        open_attr => state.platform.profile.features.open_attr,
        authorized_operation => state.platform.profile.features.authorized_operation,
    }
}

#[derive(Deserialize, Default, serde::Serialize)]
pub(super) struct SearchForm {
    q: Option<String>,
    provider: Option<String>,
    region: Option<String>,
    industry: Option<String>,
    share_attr: Option<String>,
    open_attr: Option<String>,
    format: Option<String>,
    security_level: Option<String>,
    offset: Option<i64>,
}

impl SearchForm {
    fn filters(&self) -> Vec<(String, String)> {
        [
            ("provider", &self.provider),
            ("region", &self.region),
            ("industry", &self.industry),
            ("share_attr", &self.share_attr),
            ("open_attr", &self.open_attr),
            ("format", &self.format),
            ("security_level", &self.security_level),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.as_ref().filter(|v| !v.is_empty()).map(|v| (k.to_string(), v.clone())))
        .collect()
    }

    /// This search's link with one filter set (or cleared) and the first page.
    fn link(&self, base: &str, set: Option<(&str, &str)>, offset: i64) -> String {
        let mut params = Vec::new();
        if let Some(q) = self.q.as_ref().filter(|q| !q.is_empty()) {
            params.push(format!("q={}", super::audit::urlencode(q)));
        }
        for (k, v) in self.filters() {
            if set.is_some_and(|(sk, _)| sk == k) {
                continue;
            }
            params.push(format!("{k}={}", super::audit::urlencode(&v)));
        }
        if let Some((k, v)) = set.filter(|(_, v)| !v.is_empty()) {
            params.push(format!("{k}={}", super::audit::urlencode(v)));
        }
        if offset > 0 {
            params.push(format!("offset={offset}"));
        }
        if params.is_empty() { base.to_string() } else { format!("{base}?{}", params.join("&")) }
    }
}

pub(super) async fn browse(State(state): State<AppState>, page: Page, Query(q): Query<SearchForm>) -> Response {
    let actor = match page.require(&[]) {
        Ok(a) => a.clone(),
        Err(r) => return r,
    };
    search_page(&state, &page, &actor, q, false, "/catalog").await
}

/// The open catalog, for anyone.
pub(super) async fn open_catalog(State(state): State<AppState>, page: Page, Query(q): Query<SearchForm>) -> Response {
    let actor = page.actor.clone().unwrap_or_else(|| Actor::anonymous(page.client_addr.clone()));
    search_page(&state, &page, &actor, q, true, "/open").await
}

async fn search_page(state: &AppState, page: &Page, actor: &Actor, q: SearchForm, open_only: bool, base: &str) -> Response {
    let offset = q.offset.unwrap_or(0).max(0);
    let query = CatalogQuery { text: q.q.clone().unwrap_or_default(), filters: q.filters(), open_only };
    match service::catalog::search::search(&state.platform, actor, &query, PER_PAGE, offset).await {
        Ok((items, total, facets)) => {
            let rows: Vec<Value> = items
                .iter()
                .map(|i| {
                    context! {
                        code => i.code, name => i.name, provider => i.provider_name, supplementary => i.supplementary,
                        share => i.share_attr.map(|a| attr_label(state, page.lang, a, false)),
                        open => i.open_attr.map(|a| attr_label(state, page.lang, a, true)),
                        share_key => i.share_attr.map(|a| a.as_str()),
                        format => i.format.as_deref().and_then(DataFormat::parse).map(|f| if page.lang == Lang::Zh { f.label() } else { f.label_en() }),
                        published_at => i.published_at.as_deref().map(|t| t.get(..10).unwrap_or(t).to_string()),
                        kind => CatalogKind::parse(&i.catalog_kind).map(|k| if page.lang == Lang::Zh { k.label() } else { k.label_en() }),
                        link => if open_only { format!("/open/{}", i.code) } else { format!("/catalog/{}", i.code) },
                    }
                })
                .collect();
            let selected: BTreeMap<String, String> = q.filters().into_iter().collect();
            let facet_blocks: Vec<Value> = search::FACETS_SHOWN
                .iter()
                .filter(|(d, _, _)| !(open_only && *d == "share_attr"))
                .filter_map(|(dimension, zh, en)| {
                    let values = facets.get(*dimension)?;
                    let current = selected.get(*dimension).cloned();
                    let entries: Vec<Value> = values
                        .iter()
                        .take(12)
                        .map(|v| {
                            let on = current.as_deref() == Some(v.value.as_str());
                            let label = match *dimension {
                                "share_attr" => Attr::parse(&v.value).map(|a| attr_label(state, page.lang, a, false)).unwrap_or_else(|| v.label.clone()),
                                "open_attr" => Attr::parse(&v.value).map(|a| attr_label(state, page.lang, a, true)).unwrap_or_else(|| v.label.clone()),
                                _ => v.label.clone(),
                            };
                            context! { label, count => v.count, on, link => q.link(base, Some((dimension, if on { "" } else { &v.value })), 0) }
                        })
                        .collect();
                    Some(context! { title => if page.lang == Lang::Zh { *zh } else { *en }, entries })
                })
                .collect();
            let prev_link = (offset > 0).then(|| q.link(base, None, (offset - PER_PAGE).max(0)));
            let next_link = (offset + PER_PAGE < total).then(|| q.link(base, None, offset + PER_PAGE));
            render(
                state,
                page,
                "catalog_list.html",
                StatusCode::OK,
                context! { rows, total, facets => facet_blocks, q => q.q, open_only, base, prev_link, next_link, may_create => page.actor.as_ref().is_some_and(|a| a.has_any(CATALOGERS)) },
            )
        }
        Err(e) => render(state, page, "error.html", StatusCode::BAD_REQUEST, context! { title => error_message(page, e) }),
    }
}

/// The facets the pages show, with their titles.
mod search {
    pub const FACETS_SHOWN: [(&str, &str, &str); 7] = [
        ("provider", "提供部门", "Provider"),
        ("region", "区划", "Region"),
        ("share_attr", "共享属性", "Share attribute"),
        ("open_attr", "开放属性", "Open attribute"),
        ("format", "数据格式", "Format"),
        ("security_level", "安全等级", "Security level"),
        ("industry", "行业分类", "Industry"),
    ];
}

// ---- one entry ----

pub(super) async fn detail(State(state): State<AppState>, page: Page, Path(code): Path<String>) -> Response {
    let actor = match page.require(&[]) {
        Ok(a) => a.clone(),
        Err(r) => return r,
    };
    detail_page(&state, &page, &actor, &code, (None, None, StatusCode::OK)).await
}

pub(super) async fn open_detail(State(state): State<AppState>, page: Page, Path(code): Path<String>) -> Response {
    match service::catalog::read::get_open(&state.platform, &code).await {
        Ok(view) => render_entry(&state, &page, &view, &department_names(&state, &page).await, None, (None, None, StatusCode::OK)),
        Err(e) => render(&state, &page, "error.html", StatusCode::NOT_FOUND, context! { title => error_message(&page, e) }),
    }
}

async fn detail_page(state: &AppState, page: &Page, actor: &Actor, code: &str, outcome: Outcome) -> Response {
    let (view, allowed) = match service::catalog::read::get_with_allowed(&state.platform, actor, code).await {
        Ok(v) => v,
        Err(e) => return render(state, page, "error.html", StatusCode::NOT_FOUND, context! { title => error_message(page, e) }),
    };
    let history = page.list(("变更历史", "history"), service::catalog::read::history(&state.platform, actor, code).await);
    let consultation = page.list(("征求意见", "consultation"), service::catalog::consultations::get(&state.platform, actor, code).await.map(Some));
    let answerable = consultation.is_some() && actor.has(Role::DeptDataOfficer) && actor.department_id == Some(view.provider.id);
    let zh = page.lang == Lang::Zh;
    let consultation = consultation.map(|c| {
        let opinion = c.opinion.map(|o| if zh { o.label() } else { o.label_en() });
        context! { department => c.department, opened_by => c.opened_by, opinion, comment => c.comment, answerable }
    });
    // Its data: versions and deliveries, for those who may see them.
    let versions = page.list(("数据版本", "data versions"), service::aggregation::versions(&state.platform, actor, code).await);
    let batches = page.list(("交付批次", "delivery batches"), service::aggregation::history(&state.platform, actor, code).await);
    let deliveries = (!batches.is_empty() || !versions.is_empty()).then(|| {
        context! {
            versions => versions.iter().map(|v| context! { version => v.version, rows => v.rows, bytes => v.bytes, at => short_time(&v.created_at), sha => v.sha256.chars().take(12).collect::<String>() }).collect::<Vec<_>>(),
            batches => batches.iter().map(|b| context! {
                id => b.batch_id, committed => b.state == "committed", source => b.source_name, read => b.rows_read, accepted => b.rows_accepted,
                quarantined => b.rows_quarantined, quarantine => b.quarantine, by => b.delivered_by, at => short_time(&b.delivered_at),
            }).collect::<Vec<_>>(),
        }
    });
    render_entry(state, page, &view, &department_names(state, page).await, Some(ConsoleView { allowed, history, consultation, deliveries }), outcome)
}

/// A batch's quarantined rows, downloaded from the console (the provider and the authority).
pub(super) async fn quarantine(State(state): State<AppState>, page: Page, Path((_code, id)): Path<(String, i64)>) -> Response {
    let actor = match page.require(&[Role::AuthorityAdmin, Role::DeptDataOfficer]) {
        Ok(a) => a.clone(),
        Err(r) => return r,
    };
    match service::aggregation::quarantine(&state.platform, &actor, id).await {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (header::CONTENT_DISPOSITION, format!("attachment; filename=\"batch-{id}-quarantine.csv\"")),
            ],
            bytes,
        )
            .into_response(),
        Err(e) => render(&state, &page, "error.html", StatusCode::NOT_FOUND, context! { title => error_message(&page, e) }),
    }
}

async fn department_names(state: &AppState, page: &Page) -> BTreeMap<i64, String> {
    let (departments, _) = page.list(("部门", "departments"), service::orgs::list_departments(&state.platform, 1000, 0).await);
    departments.into_iter().map(|d| (d.id, d.name)).collect()
}

fn content_rows(state: &AppState, lang: Lang, c: &ResourceContent, names: &BTreeMap<i64, String>) -> Vec<(String, String)> {
    let zh = lang == Lang::Zh;
    let l = |a: &str, b: &str| if zh { a.to_string() } else { b.to_string() };
    let mut rows = vec![
        (l("数据资源摘要", "Summary"), c.summary.clone()),
        (l("目录类型", "Catalog"), if zh { c.catalog_kind.label() } else { c.catalog_kind.label_en() }.to_string()),
        (l("数据格式", "Format"), c.format.map(|f| if zh { f.label() } else { f.label_en() }).unwrap_or("—").to_string()),
        (l("行业分类", "Industry"), c.industry.clone()),
        (l("资源分类", "Classification"), c.classification.clone()),
        (l("业务名称", "Business"), c.business_name.clone()),
        (l("信息系统", "Information system"), c.system_name.clone()),
        (l("来源", "Source"), c.source.clone()),
        (
            l("数据覆盖时间", "Time coverage"),
            match (c.coverage_start, c.coverage_end) {
                (Some(s), Some(e)) => format!("{s} — {e}"),
                (Some(s), None) => format!("{s} —"),
                _ => String::new(),
            },
        ),
        (l("数据覆盖地域", "Region coverage"), c.coverage_regions.join("、")),
        (l("更新频率", "Update frequency"), c.update_frequency.map(|f| if zh { f.label() } else { f.label_en() }).unwrap_or("—").to_string()),
        (l("共享方式", "Provision"), c.provision_methods.iter().map(|m| if zh { m.label() } else { m.label_en() }).collect::<Vec<_>>().join("、")),
        (l("共享属性", "Share attribute"), c.sharing.attr.map(|a| attr_label(state, lang, a, false)).unwrap_or_else(|| l("未明确（视为无条件共享）", "unstated (treated as unconditional)"))),
        (l("数据操作权限", "Operations"), c.sharing.ops.iter().map(|o| o.label()).collect::<Vec<_>>().join("、")),
        (l("共享条件", "Share conditions"), c.sharing.conditions.iter().map(|x| condition_text(names, lang, x)).collect::<Vec<_>>().join("；")),
        (l("共享依据", "Basis"), c.sharing.basis.iter().map(|b| format!("{}{}", b.name, b.article)).collect::<Vec<_>>().join("；")),
        (l("共享期限", "Share period"), c.sharing.period_months.map(|m| format!("{m} 个月")).unwrap_or_default()),
    ];
    if state.platform.profile.features.open_attr {
        rows.push((l("开放属性", "Open attribute"), c.opening.attr.map(|a| attr_label(state, lang, a, true)).unwrap_or_default()));
        rows.push((l("不予开放理由", "Why not opened"), c.opening.not_open_reason.map(|r| r.label().to_string()).unwrap_or_default()));
    } else {
        rows.push((l("是否向社会开放", "Open to the public"), c.opening.to_public.map(|b| if b { l("是", "yes") } else { l("否", "no") }).unwrap_or_default()));
    }
    let oc = &c.opening.conditions;
    if !oc.is_empty() {
        rows.push((l("开放条件", "Open conditions"), format!("{} {} {}", oc.recipients, oc.purposes, oc.scope).trim().to_string()));
    }
    if state.platform.profile.features.authorized_operation {
        rows.push((
            l("授权运营状态", "Authorized operation"),
            c.authorized_operation.status.map(|s| if zh { s.label() } else { s.label_en() }).unwrap_or_default().to_string(),
        ));
    }
    rows.push((l("安全等级", "Security level"), c.security_level.map(|s| if zh { s.label() } else { s.label_en() }).unwrap_or_default().to_string()));
    rows.push((l("参考标准", "Standards"), c.reference_standards.join("、")));
    rows.into_iter().filter(|(_, v)| !v.is_empty()).collect()
}

/// A share condition in words.
fn condition_text(names: &BTreeMap<i64, String>, lang: Lang, c: &domain::catalog::attrs::ShareCondition) -> String {
    use domain::catalog::attrs::ShareCondition as C;
    let zh = lang == Lang::Zh;
    let purpose = |p: &str| if zh { format!("（用途：{p}）") } else { format!(" (for {p})") };
    match c {
        C::SpecificDepartments { department_ids, use_purpose } => {
            let names: Vec<String> = department_ids.iter().map(|id| names.get(id).cloned().unwrap_or_else(|| format!("#{id}"))).collect();
            format!("{}{}{}", if zh { "仅提供给：" } else { "only to: " }, names.join("、"), purpose(use_purpose))
        }
        C::ViewOnly { view_method, use_purpose } => format!("{}{view_method}{}", if zh { "仅可查阅：" } else { "view only: " }, purpose(use_purpose)),
        C::CompareOnly { compare_method, use_purpose } => format!("{}{compare_method}{}", if zh { "仅可比对：" } else { "compare only: " }, purpose(use_purpose)),
        C::StatisticsOnly { data_status_description, use_purpose } => {
            format!("{}{data_status_description}{}", if zh { "仅提供统计结果：" } else { "statistics only: " }, purpose(use_purpose))
        }
        C::PartialItems { items, use_purpose } => format!("{}{}{}", if zh { "仅部分数据项：" } else { "some items only: " }, items.join("、"), purpose(use_purpose)),
        C::Other { description } => format!("{}{description}", if zh { "其他：" } else { "other: " }),
    }
}

/// `2026-12-01T16:41:05+08:00` as people read it: `2026-12-01 16:41`.
pub(super) fn short_time(t: &str) -> String {
    t.get(..16).map(|s| s.replace('T', " ")).unwrap_or_else(|| t.to_string())
}

/// What the console shows of an entry beyond the open catalog's page.
struct ConsoleView {
    /// What the actor may do.
    allowed: Allowed,
    history: Vec<domain::catalog::view::HistoryEntry>,
    /// The provider's consultation on the working revision (YZ-7c), where one is open.
    consultation: Option<Value>,
    /// Its dataset versions and deliveries, where there are any.
    deliveries: Option<Value>,
}

fn render_entry(
    state: &AppState,
    page: &Page,
    view: &ResourceView,
    names: &BTreeMap<i64, String>,
    // `None` on the open catalog's page.
    console_view: Option<ConsoleView>,
    (error, notice, status): Outcome,
) -> Response {
    let console = console_view.is_some();
    let ConsoleView { allowed, history, consultation, deliveries } =
        console_view.unwrap_or(ConsoleView { allowed: Allowed::default(), history: vec![], consultation: None, deliveries: None });
    let lang = page.lang;
    let actor = page.actor.as_ref();
    let shown = view.published.as_ref().or(view.working.as_ref());
    let content = shown.map(|r| r.content.clone()).unwrap_or_default();
    let items: Vec<Value> = content
        .items
        .iter()
        .map(|i| {
            context! {
                name => i.name, label => i.label, data_type => if lang == Lang::Zh { i.data_type.label() } else { i.data_type.label_en() },
                format => i.format, is_key => i.is_key, identifier => if i.identifier == IdentifierKind::None { "" } else { i.identifier.label() },
                level => i.level.map(|l| l.label()),
            }
        })
        .collect();
    let working = view.working.as_ref().map(|w| {
        context! {
            rev => w.rev, state => if lang == Lang::Zh { w.state.label() } else { w.state.label_en() }, state_key => w.state.as_str(),
            step => w.step.map(|s| if lang == Lang::Zh { s.label() } else { s.label_en() }), step_key => w.step.map(|s| s.as_str()),
            due => w.review_due.map(|d| d.to_string()), provisional => w.due_provisional, overdue => w.overdue, downgrade => w.downgrade,
            kind => w.kind, note => w.note, submitted_at => w.submitted_at.as_deref().map(short_time),
        }
    });
    let may_edit = allowed.edit;
    let editable = view.state != domain::catalog::lifecycle::ResourceState::Obsolete
        && view.working.as_ref().is_none_or(|w| matches!(w.state, RevisionState::Draft | RevisionState::Returned));
    let may_review = allowed.review;
    let history: Vec<Value> = history
        .iter()
        .rev()
        .map(|h| {
            context! {
                rev => h.rev, state => if lang == Lang::Zh { h.state.label() } else { h.state.label_en() }, kind => h.kind, note => h.note,
                created_at => short_time(&h.created_at), published_at => h.published_at.as_deref().map(short_time),
                changes => h.changes.iter().map(|c| context! { field => c.field, before => c.before, after => c.after }).collect::<Vec<_>>(),
                reviews => h.reviews.iter().map(|r| context! { step => r.step.label(), decision => r.decision, actor => r.actor, reason => r.reason, at => short_time(&r.decided_at) }).collect::<Vec<_>>(),
            }
        })
        .collect();
    let showing_working = view.published.is_none() && view.working.is_some();
    // Another department may object to a published entry's type where the regime settles such objections (FS-16).
    let may_object = console
        && state.platform.profile.catalog.classification_objections
        && view.state == domain::catalog::lifecycle::ResourceState::Published
        && actor.is_some_and(|a| a.has(Role::DeptDataOfficer) && a.department_id != Some(view.provider.id));
    // Another department's data officer may apply for a published entry that is shared (FS-13d: not for none).
    let may_apply = console
        && view.state == domain::catalog::lifecycle::ResourceState::Published
        && view.published.as_ref().is_some_and(|p| p.content.effective_share_attr() != Attr::None)
        && actor.is_some_and(|a| a.has(Role::DeptDataOfficer) && a.department_id.is_some_and(|d| d != view.provider.id));
    let objection_kinds: Vec<(&str, &str)> =
        domain::catalog::objections::ObjectionKind::ALL.iter().map(|k| (k.as_str(), if lang == Lang::Zh { k.label() } else { k.label_en() })).collect();
    let attr_choices: Vec<(&str, String)> = Attr::ALL.iter().map(|a| (a.as_str(), format!("{} / {}", attr_label(state, lang, *a, false), attr_label(state, lang, *a, true)))).collect();
    render(
        state,
        page,
        "catalog_detail.html",
        status,
        context! {
            code => view.code, name => content.name, state => if lang == Lang::Zh { view.state.label() } else { view.state.label_en() },
            state_key => view.state.as_str(), provider => view.provider.name, provider_uscc => view.provider.uscc, region => view.region.name,
            supplementary => view.supplementary, published_rev => view.published.as_ref().map(|p| p.rev), showing_working,
            rows => content_rows(state, lang, &content, names), items, working, may_edit => may_edit && editable, may_submit => may_edit && view.working.as_ref().is_some_and(|w| matches!(w.state, RevisionState::Draft | RevisionState::Returned)),
            may_review, may_withdraw => may_edit && view.state == domain::catalog::lifecycle::ResourceState::Published,
            may_deliver => console && may_edit && view.state == domain::catalog::lifecycle::ResourceState::Published,
            may_attributes => may_edit && view.working.is_none() && view.published.is_some(),
            may_obsolete => console && actor.is_some_and(|a| a.has(Role::AuthorityAdmin)) && view.state != domain::catalog::lifecycle::ResourceState::Obsolete,
            history, console, error, notice, may_object, may_apply, objection_kinds, attr_choices, consultation, deliveries,
        },
    )
}

#[derive(Deserialize)]
pub(super) struct ActionForm {
    csrf: String,
    #[serde(default)]
    comment: String,
    #[serde(default)]
    reason: String,
}

/// submit, pass, return, withdraw or obsolete, from the entry's page.
pub(super) async fn action(State(state): State<AppState>, page: Page, Path((code, action)): Path<(String, String)>, Form(form): Form<ActionForm>) -> Response {
    let actor = match page.require(&[]) {
        Ok(a) => a.clone(),
        Err(r) => return r,
    };
    if !csrf_ok(&page, &form.csrf) {
        return csrf_refused(&page);
    }
    let p = &state.platform;
    let result = match action.as_str() {
        "submit" => service::catalog::entries::submit(p, &actor, &code).await,
        "pass" => service::catalog::entries::pass(p, &actor, &code, &form.comment).await,
        "return" => service::catalog::entries::return_to_provider(p, &actor, &code, &form.reason).await,
        "withdraw" => service::catalog::entries::withdraw(p, &actor, &code, &form.reason).await,
        "obsolete" => service::catalog::entries::make_obsolete(p, &actor, &code, &form.reason).await,
        "agree" | "disagree" => {
            let opinion = domain::catalog::lifecycle::Opinion::parse(&action).unwrap_or(domain::catalog::lifecycle::Opinion::Agree);
            match service::catalog::consultations::answer(p, &actor, &code, opinion, &form.comment).await {
                Ok(_) => service::catalog::read::get(p, &actor, &code).await,
                Err(e) => Err(e),
            }
        }
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    let outcome = outcome(&page, result, |v| v.code.clone());
    detail_page(&state, &page, &actor, &code, outcome).await
}

// ---- the form ----

pub(super) async fn new_form(State(state): State<AppState>, page: Page) -> Response {
    if let Err(r) = page.require(CATALOGERS) {
        return r;
    }
    form_page(&state, &page, None, &ResourceContent::default(), BLANK_ITEMS + 2, "edit", (None, None, StatusCode::OK), vec![]).await
}

pub(super) async fn edit_form(State(state): State<AppState>, page: Page, Path(code): Path<String>) -> Response {
    let actor = match page.require(CATALOGERS) {
        Ok(a) => a.clone(),
        Err(r) => return r,
    };
    match service::catalog::read::get(&state.platform, &actor, &code).await {
        Ok(view) => {
            let content = view.working.or(view.published).map(|r| r.content).unwrap_or_default();
            form_page(&state, &page, Some(&code), &content, BLANK_ITEMS, "edit", (None, None, StatusCode::OK), vec![]).await
        }
        Err(e) => render(&state, &page, "error.html", StatusCode::NOT_FOUND, context! { title => error_message(&page, e) }),
    }
}

pub(super) async fn attributes_form(State(state): State<AppState>, page: Page, Path(code): Path<String>) -> Response {
    let actor = match page.require(CATALOGERS) {
        Ok(a) => a.clone(),
        Err(r) => return r,
    };
    match service::catalog::read::get(&state.platform, &actor, &code).await {
        Ok(view) => {
            let content = view.published.map(|r| r.content).unwrap_or_default();
            form_page(&state, &page, Some(&code), &content, 0, "attributes", (None, None, StatusCode::OK), vec![]).await
        }
        Err(e) => render(&state, &page, "error.html", StatusCode::NOT_FOUND, context! { title => error_message(&page, e) }),
    }
}

#[allow(clippy::too_many_arguments)]
async fn form_page(state: &AppState, page: &Page, code: Option<&str>, content: &ResourceContent, extra_items: usize, mode: &str, (error, notice, status): Outcome, issues: Vec<FieldIssue>) -> Response {
    let (departments, _) = page.list(("部门", "departments"), service::orgs::list_departments(&state.platform, 1000, 0).await);
    let own: Vec<_> = match &page.actor {
        Some(a) if !a.has(Role::AuthorityAdmin) => departments.iter().filter(|d| Some(d.id) == a.department_id).cloned().collect(),
        _ => departments.clone(),
    };
    let field_errors: BTreeMap<String, String> =
        issues.iter().map(|i| (i.field.clone(), if page.lang == Lang::Zh { i.message.clone() } else { i.message_en.clone() })).collect();
    render(
        state,
        page,
        "catalog_form.html",
        status,
        context! {
            code, mode, v => values_of(content, extra_items), o => options(state, page.lang, &departments),
            providers => own.iter().map(|d| (d.id, d.name.clone())).collect::<Vec<_>>(), field_errors, error, notice,
        },
    )
}

pub(super) async fn save_new(State(state): State<AppState>, page: Page, Form(pairs): Form<Vec<(String, String)>>) -> Response {
    save(state, page, None, pairs).await
}

pub(super) async fn save_existing(State(state): State<AppState>, page: Page, Path(code): Path<String>, Form(pairs): Form<Vec<(String, String)>>) -> Response {
    save(state, page, Some(code), pairs).await
}

/// Saves the entry form: creates, or saves into the working revision; `more` re-shows it with more item rows.
async fn save(state: AppState, page: Page, code: Option<String>, pairs: Vec<(String, String)>) -> Response {
    let actor = match page.require(CATALOGERS) {
        Ok(a) => a.clone(),
        Err(r) => return r,
    };
    let values = FormValues::new(pairs);
    if !csrf_ok(&page, values.get("csrf")) {
        return csrf_refused(&page);
    }
    // The form does not show everything an entry holds (its relations): an edit keeps what it does not show.
    let current = match &code {
        Some(code) => match service::catalog::read::get(&state.platform, &actor, code).await {
            Ok(view) => view.working.or(view.published).map(|r| r.content).unwrap_or_default(),
            Err(e) => return render(&state, &page, "error.html", StatusCode::NOT_FOUND, context! { title => error_message(&page, e) }),
        },
        None => ResourceContent::default(),
    };
    let features = &state.platform.profile.features;
    let (content, issues) = content_from(&values, &current, features.open_attr, features.authorized_operation);
    if values.get("more") == "1" {
        return form_page(&state, &page, code.as_deref(), &content, BLANK_ITEMS + 5, "edit", (None, None, StatusCode::OK), vec![]).await;
    }
    if !issues.is_empty() {
        let (message, issues) = refusal(&page, form_errors(issues));
        return form_page(&state, &page, code.as_deref(), &content, BLANK_ITEMS, "edit", (Some(message), None, StatusCode::BAD_REQUEST), issues).await;
    }
    let note = values.get("note").to_string();
    let reclassification = ReclassificationReason::parse(values.get("reclassification_reason"));
    let result = match &code {
        Some(code) => service::catalog::entries::update(&state.platform, &actor, code, content.clone(), &note, reclassification).await,
        None => {
            let provider = values.get("provider_department_id").parse::<i64>().ok();
            let input = service::catalog::entries::NewEntry { provider_department_id: provider, code: None, content: content.clone(), note };
            service::catalog::entries::create(&state.platform, &actor, input).await
        }
    };
    match result {
        Ok(view) => Redirect::to(&format!("/catalog/{}", view.code)).into_response(),
        Err(e) => {
            let (message, issues) = refusal(&page, e);
            form_page(&state, &page, code.as_deref(), &content, BLANK_ITEMS, "edit", (Some(message), None, StatusCode::BAD_REQUEST), issues).await
        }
    }
}

fn form_errors(issues: Vec<FieldIssue>) -> service::Error {
    domain::Invalid::fields("invalid_form", "表单有误", "The form has errors", issues).into()
}

/// The message and the field issues of a refusal, to show the form again with them.
fn refusal(page: &Page, e: service::Error) -> (String, Vec<FieldIssue>) {
    let issues = match &e {
        service::Error::Invalid(i) => i.fields.clone(),
        _ => vec![],
    };
    (error_message(page, e), issues)
}

pub(super) async fn save_attributes(State(state): State<AppState>, page: Page, Path(code): Path<String>, Form(pairs): Form<Vec<(String, String)>>) -> Response {
    let actor = match page.require(CATALOGERS) {
        Ok(a) => a.clone(),
        Err(r) => return r,
    };
    let values = FormValues::new(pairs);
    if !csrf_ok(&page, values.get("csrf")) {
        return csrf_refused(&page);
    }
    let published = match service::catalog::read::get(&state.platform, &actor, &code).await {
        Ok(view) => view.published.map(|r| r.content).unwrap_or_default(),
        Err(e) => return render(&state, &page, "error.html", StatusCode::NOT_FOUND, context! { title => error_message(&page, e) }),
    };
    let (content, issues) = attributes_from(&values, &published, state.platform.profile.features.open_attr);
    let input = service::catalog::entries::AttributeInput {
        sharing: content.sharing.clone(),
        opening: content.opening.clone(),
        evidence: values.get("evidence").to_string(),
        note: values.get("note").to_string(),
    };
    if !issues.is_empty() {
        let (message, issues) = refusal(&page, form_errors(issues));
        return form_page(&state, &page, Some(&code), &content, 0, "attributes", (Some(message), None, StatusCode::BAD_REQUEST), issues).await;
    }
    match service::catalog::entries::change_attributes(&state.platform, &actor, &code, input).await {
        Ok(_) => Redirect::to(&format!("/catalog/{code}")).into_response(),
        Err(e) => {
            let (message, issues) = refusal(&page, e);
            form_page(&state, &page, Some(&code), &content, 0, "attributes", (Some(message), None, StatusCode::BAD_REQUEST), issues).await
        }
    }
}

// ---- queues ----

/// What waits for the reviewer, oldest first, deadlines coloured when overdue.
pub(super) async fn queue(State(state): State<AppState>, page: Page) -> Response {
    let actor = match page.require(&[Role::AuthorityAdmin, Role::ServiceOperator, Role::DeptDataOfficer]) {
        Ok(a) => a.clone(),
        Err(r) => return r,
    };
    let items = page.list(("待审目录", "review queue"), service::catalog::read::queue(&state.platform, &actor).await);
    let rows = summary_rows(&state, page.lang, &items);
    let obligations = page.list(("更新义务", "update obligations"), service::catalog::obligations::list(&state.platform, &actor, None, true).await);
    render(&state, &page, "catalog_queue.html", StatusCode::OK, context! { rows, obligations, title_key => "review_queue" })
}

/// A department's work in progress and its update obligations.
pub(super) async fn mine(State(state): State<AppState>, page: Page) -> Response {
    let actor = match page.require(CATALOGERS) {
        Ok(a) => a.clone(),
        Err(r) => return r,
    };
    let mut items = Vec::new();
    for st in [RevisionState::Returned, RevisionState::Draft, RevisionState::InReview] {
        let q = service::catalog::read::ListQuery { provider_department_id: actor.department_id, working_state: Some(st), ..Default::default() };
        let (mut found, _) = page.list(("目录", "entries"), service::catalog::read::list(&state.platform, &actor, &q, 500, 0).await);
        items.append(&mut found);
    }
    let rows = summary_rows(&state, page.lang, &items);
    let obligations = page.list(("更新义务", "update obligations"), service::catalog::obligations::list(&state.platform, &actor, actor.department_id, false).await);
    render(&state, &page, "catalog_queue.html", StatusCode::OK, context! { rows, obligations, title_key => "my_catalog" })
}

fn summary_rows(state: &AppState, lang: Lang, items: &[domain::catalog::view::ResourceSummary]) -> Vec<Value> {
    items
        .iter()
        .map(|i| {
            let w = i.working.as_ref();
            context! {
                code => i.code, name => i.name, provider => i.provider_name,
                state => w.map(|w| if lang == Lang::Zh { w.state.label() } else { w.state.label_en() }),
                step => w.and_then(|w| w.step).map(|s| if lang == Lang::Zh { s.label() } else { s.label_en() }),
                submitted_at => w.and_then(|w| w.submitted_at.as_deref().map(short_time)), due => w.and_then(|w| w.review_due).map(|d| d.to_string()),
                overdue => w.is_some_and(|w| w.overdue), downgrade => w.is_some_and(|w| w.downgrade),
                share => i.share_attr.map(|a| attr_label(state, lang, a, false)),
            }
        })
        .collect()
}
