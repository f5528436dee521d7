//! Views derived from the published catalog, as tables: the catalog itself, the share catalog and the open
//! catalog (FS-12b, SYS-36d), and the lists — CS-25's sharing, opening and application-scenario lists, SYS-23's
//! responsibility and negative lists. The authority publishes a year's version of a list (CS-25b), kept as it was
//! that day; until then a list is derived afresh. Any view exports as CSV, XLSX or JSON (`export`).

use chrono::Datelike;
use domain::catalog::attrs::{Attr, ShareCondition};
use domain::catalog::entry::ResourceContent;
use domain::catalog::lifecycle::ResourceState;
use domain::clock::{format_rfc3339_local, from_micros};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::actor::ActorKind;
use crate::{Actor, Error, Platform, Result};

/// A view's rows under its columns; every cell is text, as a spreadsheet holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Table {
    /// `catalog`, `share`, `open`, `share_list`, `open_list`, `scenario_list`, `responsibility_list` or
    /// `negative_list`.
    pub view: String,
    pub title: String,
    /// The year of a published list; none for a view derived now.
    pub year: Option<i32>,
    /// When the list was published, for a published year.
    pub published_at: Option<String>,
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Column {
    pub key: String,
    pub label: String,
    pub label_en: String,
}

/// The views, with their Chinese and English titles.
pub const VIEWS: [(&str, &str, &str); 9] = [
    ("catalog", "公共数据资源目录", "Public data resource catalog"),
    ("share", "共享目录", "Share catalog"),
    ("open", "开放目录", "Open catalog"),
    ("share_list", "数据共享清单", "Data sharing list"),
    ("open_list", "数据开放清单", "Data opening list"),
    ("scenario_list", "数据应用场景清单", "Application scenario list"),
    ("responsibility_list", "共享责任清单", "Sharing responsibility list"),
    ("negative_list", "不予共享负面清单", "Negative list (not shared)"),
    ("open_responsibility_list", "开放责任清单", "Open responsibility list"),
];

/// The lists a year's version can be published of.
pub const LISTS: [&str; 6] = ["share_list", "open_list", "scenario_list", "responsibility_list", "negative_list", "open_responsibility_list"];

fn column(key: &str, label: &str, label_en: &str) -> Column {
    Column { key: key.into(), label: label.into(), label_en: label_en.into() }
}

/// One published entry with what the views show of its provider.
struct Entry {
    code: String,
    department_id: i64,
    provider: String,
    provider_uscc: String,
    region: String,
    region_code: String,
    published_at: String,
    content: ResourceContent,
}

/// The published entries by code, with their published content.
async fn published(conn: &mut store::Conn) -> Result<Vec<Entry>> {
    let (departments, _) = store::orgs::list_departments(conn, 10_000, 0).await?;
    let regions = store::orgs::list_regions(conn).await?;
    let mut out = Vec::new();
    for (row, content, _) in store::catalog::all_with_contents(conn).await? {
        let (ResourceState::Published, Some(content)) = (row.state, content) else { continue };
        let provider = departments.iter().find(|d| d.id == row.provider_department_id);
        out.push(Entry {
            code: row.code.clone(),
            department_id: row.provider_department_id,
            provider: provider.map(|d| d.name.clone()).unwrap_or_default(),
            provider_uscc: provider.map(|d| d.uscc.clone()).unwrap_or_default(),
            region: regions.iter().find(|r| r.id == row.region_id).map(|r| r.name.clone()).unwrap_or_default(),
            region_code: regions.iter().find(|r| r.id == row.region_id).map(|r| r.code.clone()).unwrap_or_default(),
            published_at: row.published_at_us.map(|u| format_rfc3339_local(from_micros(u))).unwrap_or_default(),
            content,
        });
    }
    Ok(out)
}

fn conditions_text(c: &ResourceContent) -> String {
    c.sharing
        .conditions
        .iter()
        .map(|x| match x {
            ShareCondition::SpecificDepartments { use_purpose, department_ids } => format!("仅提供给特定部门（{}个）：{use_purpose}", department_ids.len()),
            ShareCondition::ViewOnly { view_method, use_purpose } => format!("仅可查阅（{view_method}）：{use_purpose}"),
            ShareCondition::CompareOnly { compare_method, use_purpose } => format!("仅可比对（{compare_method}）：{use_purpose}"),
            ShareCondition::StatisticsOnly { data_status_description, use_purpose } => format!("仅提供统计结果（{data_status_description}）：{use_purpose}"),
            ShareCondition::PartialItems { items, use_purpose } => format!("仅部分数据项（{}）：{use_purpose}", items.join("、")),
            ShareCondition::Other { description } => format!("其他：{description}"),
        })
        .collect::<Vec<_>>()
        .join("；")
}

fn join<T>(v: &[T], f: impl Fn(&T) -> String) -> String {
    v.iter().map(f).collect::<Vec<_>>().join("、")
}

/// Which part of the catalog a view covers.
#[derive(Debug, Clone, Copy, Default)]
pub struct Scope<'a> {
    /// A district's code: its own entries (its open catalog, SYS-36b; its lists, SYS-38a); the city's code or
    /// none: the whole city's.
    pub region_code: Option<&'a str>,
    /// One department's entries (its yearly lists, CS-25a).
    pub department_id: Option<i64>,
}

/// A view derived from the published catalog now.
pub async fn derive(p: &Platform, actor: &Actor, view: &str) -> Result<Table> {
    derive_for(p, actor, view, Scope::default()).await
}

/// A view of part of the catalog, derived now.
pub async fn derive_for(p: &Platform, actor: &Actor, view: &str, scope: Scope<'_>) -> Result<Table> {
    let (_, title, _) = *VIEWS.iter().find(|(v, _, _)| *v == view).ok_or_else(|| {
        let names: Vec<&str> = VIEWS.iter().map(|v| v.0).collect();
        Error::invalid("unknown_view", format!("未知视图“{view}”，可选：{}", names.join("、")), format!("Unknown view '{view}'; one of: {}", names.join(", ")))
    })?;
    if view != "open" && actor.kind == ActorKind::Anonymous {
        return Err(Error::Unauthenticated);
    }
    let mut conn = p.store.read().await?;
    let mut entries = published(&mut conn).await?;
    if let Some(department_id) = scope.department_id {
        entries.retain(|e| e.department_id == department_id);
    }
    if let Some(code) = scope.region_code.filter(|c| !c.is_empty()) {
        let region = store::orgs::region_by_code(&mut conn, code)
            .await?
            .ok_or_else(|| Error::invalid("unknown_region", format!("区划代码“{code}”不存在"), format!("There is no region with code '{code}'")))?;
        if region.parent_id.is_some() {
            entries.retain(|e| e.region_code == region.code);
        }
    }
    drop(conn);
    let open_attr = p.profile.features.open_attr;
    let share = |c: &ResourceContent| p.profile.share_label(c.effective_share_attr()).to_string();
    let open = |c: &ResourceContent| p.profile.open_label(c.effective_open_attr(open_attr)).to_string();
    let frequency = |c: &ResourceContent| c.update_frequency.map(|f| f.label().to_string()).unwrap_or_default();
    let format = |c: &ResourceContent| c.format.map(|f| f.label().to_string()).unwrap_or_default();
    let methods = |c: &ResourceContent| join(&c.provision_methods, |m| m.label().to_string());
    let items = |c: &ResourceContent| join(&c.items, |i| i.label.clone());
    let (columns, rows): (Vec<Column>, Vec<Vec<String>>) = match view {
        "catalog" => (
            vec![
                column("code", "资源代码", "Code"),
                column("name", "数据资源名称", "Name"),
                column("summary", "数据资源摘要", "Summary"),
                column("provider", "数据资源提供方名称", "Provider"),
                column("provider_code", "数据资源提供方代码", "Provider code"),
                column("region", "区划", "Region"),
                column("catalog_kind", "目录类型", "Catalog"),
                column("format", "数据格式", "Format"),
                column("industry", "行业分类", "Industry"),
                column("classification", "资源分类", "Classification"),
                column("update_frequency", "更新频率", "Update frequency"),
                column("share_attr", "共享属性", "Share attribute"),
                column("share_conditions", "共享条件", "Share conditions"),
                column("share_basis", "共享依据", "Basis"),
                column("provision_methods", "共享方式", "Provision"),
                column("open_attr", "开放属性", "Open attribute"),
                column("security_level", "安全等级", "Security level"),
                column("items", "数据项", "Items"),
                column("published_at", "发布时间", "Published"),
            ],
            entries
                .iter()
                .map(|e| {
                    let c = &e.content;
                    vec![
                        e.code.clone(),
                        c.name.clone(),
                        c.summary.clone(),
                        e.provider.clone(),
                        e.provider_uscc.clone(),
                        e.region.clone(),
                        c.catalog_kind.label().into(),
                        format(c),
                        c.industry.clone(),
                        c.classification.clone(),
                        frequency(c),
                        share(c),
                        conditions_text(c),
                        join(&c.sharing.basis, |b| format!("{}{}", b.name, b.article)),
                        methods(c),
                        open(c),
                        c.security_level.map(|l| l.label().to_string()).unwrap_or_default(),
                        items(c),
                        e.published_at.clone(),
                    ]
                })
                .collect(),
        ),
        // FS-12b: 数据名称、数据格式、共享开放类型、共享开放条件、更新频度、提供方式、提供部门. Entries not shared
        // are listed too, as existing (FS-13d).
        "share" | "share_list" => (
            vec![
                column("code", "资源代码", "Code"),
                column("name", "数据名称", "Name"),
                column("format", "数据格式", "Format"),
                column("share_attr", "共享类型", "Share attribute"),
                column("share_conditions", "共享条件", "Conditions"),
                column("update_frequency", "更新频度", "Update frequency"),
                column("provision_methods", "提供方式", "Provision"),
                column("provider", "提供部门", "Provider"),
            ],
            entries
                .iter()
                .filter(|e| view == "share" || e.content.effective_share_attr() != Attr::None)
                .map(|e| {
                    let c = &e.content;
                    vec![e.code.clone(), c.name.clone(), format(c), share(c), conditions_text(c), frequency(c), methods(c), e.provider.clone()]
                })
                .collect(),
        ),
        // SYS-36d: 开放范围、开放内容、开放类型、开放条件、数据形式、更新频率.
        "open" | "open_list" => (
            vec![
                column("code", "资源代码", "Code"),
                column("name", "数据名称", "Name"),
                column("open_scope", "开放范围", "Scope"),
                column("open_content", "开放内容", "Content"),
                column("open_attr", "开放类型", "Open attribute"),
                column("open_conditions", "开放条件", "Conditions"),
                column("data_form", "数据形式", "Form"),
                column("update_frequency", "更新频率", "Update frequency"),
                column("provider", "提供部门", "Provider"),
            ],
            entries
                .iter()
                .filter(|e| e.content.is_open(open_attr))
                .map(|e| {
                    let c = &e.content;
                    let oc = &c.opening.conditions;
                    vec![
                        e.code.clone(),
                        c.name.clone(),
                        c.opening.scope.clone(),
                        items(c),
                        open(c),
                        [oc.recipients.as_str(), oc.purposes.as_str(), oc.scope.as_str()].iter().filter(|s| !s.is_empty()).cloned().collect::<Vec<_>>().join("；"),
                        format(c),
                        frequency(c),
                        e.provider.clone(),
                    ]
                })
                .collect(),
        ),
        // The purposes conditional sharing names and the scenarios of authorized operation.
        "scenario_list" => (
            vec![
                column("scenario", "应用场景", "Scenario"),
                column("code", "资源代码", "Code"),
                column("name", "数据资源名称", "Resource"),
                column("provider", "提供部门", "Provider"),
            ],
            entries
                .iter()
                .flat_map(|e| {
                    let c = &e.content;
                    let purposes = c.sharing.conditions.iter().filter_map(|x| x.use_purpose().map(String::from));
                    let mut scenarios: Vec<String> = purposes.chain(c.authorized_operation.scenarios.iter().cloned()).filter(|s| !s.is_empty()).collect();
                    scenarios.dedup();
                    scenarios.into_iter().map(move |s| vec![s, e.code.clone(), c.name.clone(), e.provider.clone()])
                })
                .collect(),
        ),
        // Who must provide what: every shareable entry with its provider and how often it is refreshed.
        "responsibility_list" => (
            vec![
                column("provider", "责任部门", "Responsible department"),
                column("code", "资源代码", "Code"),
                column("name", "数据资源名称", "Resource"),
                column("share_attr", "共享属性", "Share attribute"),
                column("update_frequency", "更新频率", "Update frequency"),
                column("provision_methods", "共享方式", "Provision"),
            ],
            entries
                .iter()
                .filter(|e| e.content.effective_share_attr() != Attr::None)
                .map(|e| {
                    let c = &e.content;
                    vec![e.provider.clone(), e.code.clone(), c.name.clone(), share(c), frequency(c), methods(c)]
                })
                .collect(),
        ),
        // Who opens what (SYS-38a): each department's open entries under it, so a region's list gathers its
        // departments' lists.
        "open_responsibility_list" => {
            let mut opened: Vec<&Entry> = entries.iter().filter(|e| e.content.is_open(open_attr)).collect();
            opened.sort_by(|a, b| a.provider.cmp(&b.provider).then(a.code.cmp(&b.code)));
            (
                vec![
                    column("provider", "责任部门", "Responsible department"),
                    column("code", "资源代码", "Code"),
                    column("name", "数据资源名称", "Resource"),
                    column("open_attr", "开放属性", "Open attribute"),
                    column("open_scope", "开放范围", "Scope"),
                    column("security_level", "安全等级", "Security level"),
                    column("update_frequency", "更新频率", "Update frequency"),
                ],
                opened
                    .iter()
                    .map(|e| {
                        let c = &e.content;
                        vec![
                            e.provider.clone(),
                            e.code.clone(),
                            c.name.clone(),
                            open(c),
                            c.opening.scope.clone(),
                            c.highest_level().map(|l| l.label().to_string()).unwrap_or_default(),
                            frequency(c),
                        ]
                    })
                    .collect(),
            )
        }
        // Data not shared, each with the legal basis it rests on (SYS-23, SYS-25c).
        _ => (
            vec![
                column("code", "资源代码", "Code"),
                column("name", "数据资源名称", "Resource"),
                column("provider", "提供部门", "Provider"),
                column("basis", "法律法规依据", "Legal basis"),
            ],
            entries
                .iter()
                .filter(|e| e.content.effective_share_attr() == Attr::None)
                .map(|e| {
                    let c = &e.content;
                    vec![e.code.clone(), c.name.clone(), e.provider.clone(), join(&c.sharing.basis, |b| format!("{}{}", b.name, b.article))]
                })
                .collect(),
        ),
    };
    Ok(Table { view: view.into(), title: title.into(), year: None, published_at: None, columns, rows })
}

/// A list as published for `year`, or derived now when that year's is not published yet.
pub async fn list(p: &Platform, actor: &Actor, kind: &str, year: i32) -> Result<Table> {
    require_list(kind)?;
    let mut conn = p.store.read().await?;
    if let Some((rows, published_at)) = store::catalog::lists::get(&mut conn, kind, year).await? {
        drop(conn);
        let mut table: Table = serde_json::from_str(&rows).map_err(|e| Error::Internal(store::Error::Corrupt(format!("list {kind} {year}: {e}"))))?;
        table.year = Some(year);
        table.published_at = Some(format_rfc3339_local(from_micros(published_at)));
        return Ok(table);
    }
    drop(conn);
    derive(p, actor, kind).await
}

/// The authority publishes a year's version of a list to the departments (CS-25b); publishing again replaces it.
pub async fn publish_list(p: &Platform, actor: &Actor, kind: &str, year: i32) -> Result<Table> {
    crate::orgs::require_authority(actor)?;
    require_list(kind)?;
    let this_year = p.clock.today().year();
    if !(2000..=this_year + 1).contains(&year) {
        return Err(Error::invalid("invalid_year", format!("年份须在2000至{}之间", this_year + 1), format!("The year must be 2000 to {}", this_year + 1)));
    }
    let table = derive(p, actor, kind).await?;
    let text = serde_json::to_string(&table).map_err(|e| Error::Internal(store::Error::Corrupt(e.to_string())))?;
    let now = p.now_us();
    let mut tx = p.store.begin().await?;
    store::catalog::lists::put(&mut tx, kind, year, &text, &actor.name, now).await?;
    let mut event = actor.event("catalog.list.publish", "catalog_list", format!("{kind}/{year}"));
    event.detail = format!("{} rows", table.rows.len());
    store::audit::append(&mut tx, &event, now).await?;
    tx.commit().await?;
    list(p, actor, kind, year).await
}

fn require_list(kind: &str) -> Result<()> {
    if LISTS.contains(&kind) {
        Ok(())
    } else {
        Err(Error::invalid("unknown_list", format!("未知清单“{kind}”，可选：{}", LISTS.join("、")), format!("Unknown list '{kind}'; one of: {}", LISTS.join(", "))))
    }
}

/// A table as a file: `csv` (UTF-8 with a byte-order mark, so spreadsheet programs read the Chinese), `xlsx` or
/// `json` (an array of objects keyed by column). Answers the bytes and their media type.
pub fn export(table: &Table, format: &str) -> Result<(Vec<u8>, &'static str)> {
    match format {
        "csv" => {
            let mut w = csv::Writer::from_writer(vec![0xEF, 0xBB, 0xBF]);
            let encode = |e: csv::Error| Error::Internal(store::Error::Corrupt(format!("csv: {e}")));
            w.write_record(table.columns.iter().map(|c| c.label.as_str())).map_err(encode)?;
            for row in &table.rows {
                w.write_record(row).map_err(encode)?;
            }
            let bytes = w.into_inner().map_err(|e| Error::Internal(store::Error::Corrupt(format!("csv: {e}"))))?;
            Ok((bytes, "text/csv; charset=utf-8"))
        }
        "xlsx" => {
            let xlsx = |e: rust_xlsxwriter::XlsxError| Error::Internal(store::Error::Corrupt(format!("xlsx: {e}")));
            let mut book = rust_xlsxwriter::Workbook::new();
            let sheet = book.add_worksheet();
            sheet.set_name(table.title.chars().take(31).collect::<String>()).map_err(xlsx)?;
            let bold = rust_xlsxwriter::Format::new().set_bold();
            for (c, col) in table.columns.iter().enumerate() {
                sheet.write_string_with_format(0, c as u16, &col.label, &bold).map_err(xlsx)?;
                sheet.set_column_width(c as u16, 18).map_err(xlsx)?;
            }
            for (r, row) in table.rows.iter().enumerate() {
                for (c, cell) in row.iter().enumerate() {
                    sheet.write_string(r as u32 + 1, c as u16, cell).map_err(xlsx)?;
                }
            }
            Ok((book.save_to_buffer().map_err(xlsx)?, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))
        }
        "json" => {
            let objects: Vec<serde_json::Map<String, serde_json::Value>> = table
                .rows
                .iter()
                .map(|row| table.columns.iter().zip(row).map(|(c, v)| (c.key.clone(), serde_json::Value::String(v.clone()))).collect())
                .collect();
            let bytes = serde_json::to_vec_pretty(&objects).map_err(|e| Error::Internal(store::Error::Corrupt(e.to_string())))?;
            Ok((bytes, "application/json"))
        }
        other => Err(Error::invalid("unknown_format", format!("未知导出格式“{other}”，可选：csv、xlsx、json"), format!("Unknown export format '{other}': csv, xlsx or json"))),
    }
}
