//! Importing a catalog from the spreadsheet departments keep today: one row per data item, the resource's columns
//! filled on its first row (or repeated), headers in Chinese (or the export's English keys). CSV may be UTF-8 or
//! GBK/GB18030 (detected, or declared), and a file mixing the two is refused at the first line that differs; XLSX is
//! read with calamine. Every row is checked before anything is written; a file with any problem imports nothing,
//! and the report names each problem by line and column, so the department fixes the sheet and imports again.

use std::collections::BTreeMap;
use std::path::Path;

use domain::catalog::attrs::{Attr, Instrument, LegalBasis, NotOpenReason, OpenConditions, ShareCondition, ShareOp};
use domain::catalog::entry::{
    CatalogKind, DataFormat, IdentifierKind, Item, ItemType, ProvisionMethod, ResourceContent, SecurityLevel, UpdateFrequency,
};
use schemars::JsonSchema;
use serde::Serialize;

use crate::{Actor, Error, Platform, Result};

/// The columns the importer reads: (key, Chinese header). Headers are matched by either, ignoring spaces and `*`.
pub const COLUMNS: &[(&str, &str)] = &[
    ("code", "资源代码"),
    ("name", "数据资源名称"),
    ("summary", "数据资源摘要"),
    ("provider_code", "提供部门代码"),
    ("catalog_kind", "目录类型"),
    ("format", "数据格式"),
    ("industry", "行业分类"),
    ("classification", "资源分类"),
    ("business_name", "业务名称"),
    ("system_name", "信息系统名称"),
    ("source", "来源"),
    ("coverage_start", "覆盖时间起"),
    ("coverage_end", "覆盖时间止"),
    ("coverage_regions", "数据覆盖地域"),
    ("update_frequency", "更新频率"),
    ("provision_methods", "共享方式"),
    ("share_attr", "共享属性"),
    ("share_conditions", "共享条件"),
    ("share_basis_type", "依据类型"),
    ("share_basis", "共享依据"),
    ("share_ops", "数据操作权限"),
    ("share_period", "共享期限"),
    ("restriction_reason", "受限理由"),
    ("open_attr", "开放属性"),
    ("not_open_reason", "不予开放理由"),
    ("open_conditions", "开放条件"),
    ("open_to_public", "是否向社会开放"),
    ("security_level", "安全等级"),
    ("item_label", "数据项名称"),
    ("item_name", "数据项字段名"),
    ("item_type", "数据项类型"),
    ("item_format", "数据项格式"),
    ("item_key", "是否主键"),
    ("item_identifier", "标识类型"),
    ("item_level", "数据项安全等级"),
];

/// A problem on one line of the file (lines count from 1, the header being line 1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct LineError {
    pub line: usize,
    pub column: String,
    pub message: String,
    pub message_en: String,
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct ImportReport {
    pub rows: usize,
    /// Codes of the entries created.
    pub created: Vec<String>,
    /// Of those, the ones submitted for review.
    pub submitted: Vec<String>,
    pub errors: Vec<LineError>,
}

/// How a CSV file's bytes are to be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Encoding {
    /// UTF-8 when the whole file is UTF-8, else GBK/GB18030; a file mixing the two is refused.
    #[default]
    Auto,
    Utf8,
    Gbk,
}

impl Encoding {
    pub fn parse(s: &str) -> Option<Encoding> {
        match s.to_ascii_lowercase().replace('_', "-").as_str() {
            "auto" => Some(Encoding::Auto),
            "utf-8" | "utf8" => Some(Encoding::Utf8),
            "gbk" | "gb18030" | "gb2312" => Some(Encoding::Gbk),
            _ => None,
        }
    }
}

/// Reads a CSV (in `encoding`) or XLSX file into rows of cells.
pub fn read_table(path: &Path, encoding: Encoding) -> Result<Vec<Vec<String>>> {
    let bad = |zh: String, en: String| Error::invalid("unreadable_file", zh, en);
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or_default().to_ascii_lowercase();
    if !matches!(ext.as_str(), "xlsx" | "xlsm" | "csv" | "txt") {
        return Err(bad(
            format!("不支持的文件类型“.{ext}”：请使用 .xlsx 或 .csv"),
            format!("Unsupported file type '.{ext}': use .xlsx or .csv"),
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| bad(format!("无法读取{}：{e}", path.display()), format!("Cannot read {}: {e}", path.display())))?;
    match ext.as_str() {
        "xlsx" | "xlsm" => {
            use calamine::Reader;
            let mut book: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes))
                .map_err(|e| bad(format!("不是有效的XLSX文件：{e}"), format!("Not a valid XLSX file: {e}")))?;
            let range = book
                .worksheet_range_at(0)
                .ok_or_else(|| bad("XLSX文件没有工作表".into(), "The XLSX file has no sheet".into()))?
                .map_err(|e| bad(format!("无法读取第一个工作表：{e}"), format!("Cannot read the first sheet: {e}")))?;
            Ok(range.rows().map(|r| r.iter().map(cell_text).collect()).collect())
        }
        "csv" | "txt" => {
            let text = decode(&bytes, encoding).map_err(|e| Error::invalid("wrong_encoding", e.message, e.message_en))?;
            let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
            let mut rows = Vec::new();
            for (i, record) in reader.records().enumerate() {
                let record = record.map_err(|e| bad(format!("第{}行不是合法的CSV：{e}", i + 1), format!("Line {} is not valid CSV: {e}", i + 1)))?;
                rows.push(record.iter().map(|s| s.to_string()).collect());
            }
            Ok(rows)
        }
        _ => unreachable!("checked above"),
    }
}

/// How one line's bytes read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LineBytes {
    Ascii,
    /// Valid UTF-8 with Chinese (or other non-ASCII) text.
    Utf8,
    /// Not UTF-8: GBK, or something else.
    Other,
}

fn classify(line: &[u8]) -> LineBytes {
    if line.is_ascii() {
        LineBytes::Ascii
    } else if std::str::from_utf8(line).is_ok() {
        LineBytes::Utf8
    } else {
        LineBytes::Other
    }
}

/// Where in a line the first byte that is not ASCII sits, as a column (cells counted by commas).
fn column_of(line: &[u8]) -> usize {
    let at = line.iter().position(|b| !b.is_ascii()).unwrap_or(0);
    line[..at].iter().filter(|b| **b == b',').count() + 1
}

/// Decodes a CSV's bytes. A UTF-8 file is read as UTF-8 (a byte-order mark dropped), a GBK/GB18030 one as GB18030,
/// as Chinese spreadsheet programs save; a file whose lines are in both, or that is not in the declared encoding,
/// is refused at the first line that differs, so no garbled text is imported.
fn decode(bytes: &[u8], encoding: Encoding) -> std::result::Result<String, LineError> {
    let bytes = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
    let lines: Vec<&[u8]> = bytes.split(|b| *b == b'\n').collect();
    let first = |kind: LineBytes| lines.iter().position(|l| classify(l) == kind);
    let refuse = |i: usize, zh: String, en: String| {
        let (line, column) = (i + 1, column_of(lines[i]));
        LineError { line, column: format!("第{column}列"), message: format!("第{line}行第{column}列：{zh}"), message_en: format!("Line {line}, column {column}: {en}") }
    };
    let gb18030 = |bytes: &[u8]| encoding_rs::GB18030.decode_without_bom_handling_and_without_replacement(bytes).map(|s| s.into_owned());
    let gbk_strictly = || match gb18030(bytes) {
        Some(text) => Ok(text),
        None => {
            let i = lines.iter().position(|l| gb18030(l).is_none()).unwrap_or(0);
            Err(refuse(i, "既不是UTF-8也不是GBK编码的文字".into(), "the text is neither UTF-8 nor GBK".into()))
        }
    };
    match encoding {
        Encoding::Utf8 => match std::str::from_utf8(bytes) {
            Ok(text) => Ok(text.to_string()),
            Err(_) => Err(refuse(
                first(LineBytes::Other).unwrap_or(0),
                "不是UTF-8编码（文件可能是GBK编码：请改用 --encoding gbk 或 auto）".into(),
                "not UTF-8 (the file may be GBK: use --encoding gbk or auto)".into(),
            )),
        },
        Encoding::Gbk => match first(LineBytes::Utf8) {
            Some(i) => Err(refuse(i, "文件是UTF-8编码，却声明为GBK（请改用 --encoding utf-8 或 auto）".into(), "the file is UTF-8, declared GBK (use --encoding utf-8 or auto)".into())),
            None => gbk_strictly(),
        },
        Encoding::Auto => match (first(LineBytes::Utf8), first(LineBytes::Other)) {
            (_, None) => Ok(String::from_utf8_lossy(bytes).into_owned()),
            (None, Some(_)) => gbk_strictly(),
            (Some(utf8), Some(other)) => {
                let (i, zh, en) = if utf8 < other {
                    (other, "与前面各行的UTF-8编码不同（疑似混入GBK编码的内容）", "is not UTF-8 like the lines before it (GBK text mixed in?)")
                } else {
                    (utf8, "与前面各行的GBK编码不同（疑似混入UTF-8编码的内容）", "is not GBK like the lines before it (UTF-8 text mixed in?)")
                };
                Err(refuse(i, format!("本行编码{zh}，请统一另存为UTF-8或GBK后重新导入"), format!("this line {en}; save the whole file in one encoding and import again")))
            }
        },
    }
}

pub(crate) fn cell_text(c: &calamine::Data) -> String {
    match c {
        calamine::Data::Float(f) if f.fract() == 0.0 => format!("{}", *f as i64),
        // Excel counts days from 1899-12-30.
        calamine::Data::DateTime(d) => chrono::NaiveDate::from_ymd_opt(1899, 12, 30)
            .and_then(|epoch| epoch.checked_add_signed(chrono::Duration::days(d.as_f64().floor() as i64)))
            .map(|day| day.to_string())
            .unwrap_or_else(|| d.to_string()),
        other => other.to_string(),
    }
}

/// One entry read from the file, with the line it starts on.
pub struct Parsed {
    pub line: usize,
    pub code: Option<String>,
    pub provider_code: Option<String>,
    pub content: ResourceContent,
}

fn norm(h: &str) -> String {
    h.chars().filter(|c| !c.is_whitespace() && *c != '*' && *c != '＊').collect()
}

/// An attribute by key or by any regime's word (受限共享 and 有条件共享 are the same grade).
fn attr(s: &str) -> Option<Attr> {
    Attr::parse(s).or(match s {
        "无条件共享" | "无条件开放" => Some(Attr::Unconditional),
        "有条件共享" | "受限共享" | "有条件开放" | "受限开放" => Some(Attr::Conditional),
        "不予共享" | "非共享" | "不共享" | "不予开放" | "不开放" | "禁止开放" => Some(Attr::None),
        _ => None,
    })
}

fn list(s: &str) -> Vec<String> {
    s.split(['、', '，', ',', ';', '；', '\n']).map(|x| x.trim().to_string()).filter(|x| !x.is_empty()).collect()
}

/// Groups the rows into entries: a row with a resource name starts one; a row without continues the one before
/// (more items).
pub fn parse(rows: &[Vec<String>]) -> (Vec<Parsed>, Vec<LineError>) {
    let mut errors = Vec::new();
    let Some(header) = rows.first() else {
        errors.push(LineError { line: 1, column: String::new(), message: "文件是空的".into(), message_en: "The file is empty".into() });
        return (vec![], errors);
    };
    let mut index: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, h) in header.iter().enumerate() {
        let h = norm(h);
        if let Some((key, _)) = COLUMNS.iter().find(|(k, zh)| *k == h || norm(zh) == h) {
            index.insert(key, i);
        }
    }
    if !index.contains_key("name") {
        errors.push(LineError {
            line: 1,
            column: "数据资源名称".into(),
            message: "表头缺少“数据资源名称”列".into(),
            message_en: "The header has no 数据资源名称 (name) column".into(),
        });
        return (vec![], errors);
    }
    let mut entries: Vec<Parsed> = Vec::new();
    for (n, row) in rows.iter().enumerate().skip(1) {
        let line = n + 1;
        let get = |key: &str| index.get(key).and_then(|i| row.get(*i)).map(|s| s.trim()).unwrap_or("");
        if row.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let mut problem = |column: &str, zh: String, en: String| {
            errors.push(LineError { line, column: column.to_string(), message: format!("第{line}行：{zh}"), message_en: format!("Line {line}: {en}") });
        };
        macro_rules! vocab {
            ($key:literal, $zh:literal, $ty:ty) => {{
                let raw = get($key);
                if raw.is_empty() {
                    None
                } else {
                    match <$ty>::parse(raw) {
                        Some(v) => Some(v),
                        None => {
                            let options: Vec<&str> = <$ty>::ALL.iter().map(|v| v.label()).collect();
                            problem($zh, format!("{}“{raw}”不是可选值，可选：{}", $zh, options.join("、")), format!("{} '{raw}' is not one of: {}", $key, options.join(", ")));
                            None
                        }
                    }
                }
            }};
        }
        if !get("name").is_empty() {
            let mut c = ResourceContent { name: get("name").to_string(), summary: get("summary").to_string(), ..Default::default() };
            c.catalog_kind = vocab!("catalog_kind", "目录类型", CatalogKind).unwrap_or_default();
            c.format = vocab!("format", "数据格式", DataFormat);
            c.industry = get("industry").into();
            c.classification = get("classification").into();
            c.business_name = get("business_name").into();
            c.system_name = get("system_name").into();
            c.source = get("source").into();
            for (key, zh, slot) in [("coverage_start", "覆盖时间起", &mut c.coverage_start), ("coverage_end", "覆盖时间止", &mut c.coverage_end)] {
                let raw = get(key);
                if !raw.is_empty() {
                    match raw.replace(['/', '.'], "-").parse() {
                        Ok(d) => *slot = Some(d),
                        Err(_) => problem(zh, format!("{zh}“{raw}”不是日期（YYYY-MM-DD）"), format!("{key} '{raw}' is not a date (YYYY-MM-DD)")),
                    }
                }
            }
            c.coverage_regions = list(get("coverage_regions"));
            c.update_frequency = vocab!("update_frequency", "更新频率", UpdateFrequency);
            for m in list(get("provision_methods")) {
                match ProvisionMethod::parse(&m) {
                    Some(v) => c.provision_methods.push(v),
                    None => problem("共享方式", format!("共享方式“{m}”不是可选值"), format!("Provision method '{m}' is not an option")),
                }
            }
            let raw_share = get("share_attr");
            if !raw_share.is_empty() {
                c.sharing.attr = attr(raw_share);
                if c.sharing.attr.is_none() {
                    problem("共享属性", format!("共享属性“{raw_share}”无法识别（无条件共享、有条件共享或不予共享）"), format!("Share attribute '{raw_share}' is not unconditional, conditional or none"));
                }
            }
            if !get("share_conditions").is_empty() {
                c.sharing.conditions.push(ShareCondition::Other { description: get("share_conditions").into() });
            }
            if !get("share_basis").is_empty() {
                let kind = get("share_basis_type");
                let instrument = if kind.is_empty() {
                    Some(Instrument::Law)
                } else {
                    Instrument::parse(kind)
                };
                match instrument {
                    Some(instrument) => c.sharing.basis.push(LegalBasis { instrument, name: get("share_basis").into(), article: String::new() }),
                    None => problem("依据类型", format!("依据类型“{kind}”须为法律、行政法规、地方性法规、规章、国家有关规定或省级以上政策"), format!("Basis type '{kind}' is not a law, regulation, rule or national provision")),
                }
            }
            for op in list(get("share_ops")) {
                match ShareOp::parse(&op) {
                    Some(o) => c.sharing.ops.push(o),
                    None => problem("数据操作权限", format!("数据操作权限“{op}”须为查阅、比对、获取或统计结果"), format!("Operation '{op}' is not view, compare, obtain or stats")),
                }
            }
            let period = get("share_period");
            if !period.is_empty() {
                match period.trim_end_matches("个月").trim_end_matches('月').parse() {
                    Ok(m) => c.sharing.period_months = Some(m),
                    Err(_) => problem("共享期限", format!("共享期限“{period}”须为月数"), format!("Share period '{period}' must be a number of months")),
                }
            }
            c.sharing.restriction_reason = get("restriction_reason").into();
            let raw_open = get("open_attr");
            if !raw_open.is_empty() {
                c.opening.attr = attr(raw_open);
                if c.opening.attr.is_none() {
                    problem("开放属性", format!("开放属性“{raw_open}”无法识别"), format!("Open attribute '{raw_open}' is not recognized"));
                }
            }
            let reason = get("not_open_reason");
            if !reason.is_empty() {
                match NotOpenReason::ALL.iter().copied().find(|r| r.label().contains(reason) || reason.contains(r.label().trim_start_matches("涉及"))) {
                    Some(r) => c.opening.not_open_reason = Some(r),
                    None => problem("不予开放理由", format!("不予开放理由“{reason}”无法识别"), format!("Reason '{reason}' is not recognized")),
                }
            }
            if !get("open_conditions").is_empty() {
                c.opening.conditions = OpenConditions { scope: get("open_conditions").into(), ..Default::default() };
            }
            match get("open_to_public") {
                "" => {}
                "是" | "yes" | "Y" | "true" => c.opening.to_public = Some(true),
                "否" | "no" | "N" | "false" => c.opening.to_public = Some(false),
                other => problem("是否向社会开放", format!("是否向社会开放“{other}”须为是或否"), format!("Open to the public '{other}' must be yes or no")),
            }
            c.security_level = vocab!("security_level", "安全等级", SecurityLevel);
            let code = Some(get("code").to_string()).filter(|s| !s.is_empty());
            let provider_code = Some(get("provider_code").to_string()).filter(|s| !s.is_empty());
            entries.push(Parsed { line, code, provider_code, content: c });
        }
        let Some(entry) = entries.last_mut() else {
            problem("数据资源名称", "数据项之前没有数据资源名称".into(), "An item comes before any resource name".into());
            continue;
        };
        if !get("item_label").is_empty() || !get("item_name").is_empty() {
            let data_type = vocab!("item_type", "数据项类型", ItemType).unwrap_or(ItemType::String);
            let identifier = vocab!("item_identifier", "标识类型", IdentifierKind).unwrap_or_default();
            let level = vocab!("item_level", "数据项安全等级", SecurityLevel);
            entry.content.items.push(Item {
                name: get("item_name").into(),
                label: get("item_label").into(),
                data_type,
                format: get("item_format").into(),
                is_key: matches!(get("item_key"), "是" | "Y" | "yes" | "true" | "1"),
                required: false,
                identifier,
                level,
                values: vec![],
                description: String::new(),
            });
        }
    }
    (entries, errors)
}

/// Imports a file as drafts (submitting each where `submit`), in the name of `actor`. `provider_code` is the
/// provider's credit code for rows that do not name one. The file goes in whole or not at all: every entry is
/// checked first (cells, provider, names repeated in the file or already in the provider's catalog, and with
/// `submit` what submission requires), and if any line has a problem nothing is imported and the report names
/// each one. The entries are then written in one transaction, so a failure midway leaves nothing behind either.
pub async fn import(p: &Platform, actor: &Actor, rows: &[Vec<String>], provider_code: Option<&str>, submit: bool, mut progress: impl FnMut(usize)) -> Result<ImportReport> {
    let (entries, mut errors) = parse(rows);
    let mut report = ImportReport { rows: rows.len().saturating_sub(1), created: vec![], submitted: vec![], errors: vec![] };
    let (departments, _) = crate::orgs::list_departments(p, 10_000, 0).await?;
    let existing = existing_names(p).await?;
    let norms = crate::catalog::entries::Norms::read(p).await?;
    let rules = p.profile.catalog_rules(Some(norms.schema.required.clone()));
    let mut seen: BTreeMap<(i64, String), usize> = BTreeMap::new();
    let mut ready = Vec::new();
    for entry in entries {
        let line = entry.line;
        let mut fail = |column: &str, zh: String, en: String| {
            errors.push(LineError { line, column: column.into(), message: format!("第{line}行：{zh}"), message_en: format!("Line {line}: {en}") });
        };
        let Some(code) = entry.provider_code.as_deref().or(provider_code) else {
            fail("提供部门代码", "未指定提供部门代码（填写“提供部门代码”列或使用 --provider）".into(), "No provider credit code (fill 提供部门代码 or pass --provider)".into());
            continue;
        };
        let Some(provider) = departments.iter().find(|d| d.uscc == code.trim()) else {
            fail("提供部门代码", format!("提供部门代码{code}未登记"), format!("No department has credit code {code}"));
            continue;
        };
        let name = entry.content.name.trim().to_string();
        if let Some(first) = seen.insert((provider.id, name.clone()), line) {
            fail("数据资源名称", format!("数据资源名称“{name}”与第{first}行重复"), format!("Resource name '{name}' repeats line {first}"));
        } else if let Some(code) = existing.get(&(provider.id, name.clone())) {
            fail("数据资源名称", format!("{}已有同名资源“{name}”（{code}）", provider.name), format!("{} already has a resource named '{name}' ({code})", provider.name));
        }
        let checked = domain::catalog::rules::check_shape(&entry.content).and_then(|()| if submit { domain::catalog::rules::check_complete(&entry.content, &rules) } else { Ok(()) });
        if let Err(invalid) = checked {
            for issue in invalid.fields {
                let column = COLUMNS.iter().find(|(k, _)| *k == issue.field).map(|(_, zh)| *zh).unwrap_or(issue.field.as_str()).to_string();
                fail(&column, issue.message, issue.message_en);
            }
        }
        if submit {
            let issues = norms.scheme.issues(&entry.content);
            for issue in issues {
                fail("资源分类", issue.message, issue.message_en);
            }
        }
        ready.push((line, provider.id, entry));
    }
    if !errors.is_empty() {
        errors.sort_by_key(|e| e.line);
        report.errors = errors;
        return Ok(report);
    }
    let mut tx = p.store.begin().await?;
    for (line, provider_id, entry) in ready {
        progress(line);
        let new = crate::catalog::entries::NewEntry { provider_department_id: Some(provider_id), code: entry.code.clone(), content: entry.content, note: "批量导入".into() };
        let written = async {
            let code = crate::catalog::entries::create_in(p, &mut tx, actor, new).await?;
            if submit {
                crate::catalog::entries::submit_in(p, &mut tx, actor, &code, &norms).await?;
            }
            Ok::<_, Error>(code)
        }
        .await;
        match written {
            Ok(code) => {
                if submit {
                    report.submitted.push(code.clone());
                }
                report.created.push(code);
            }
            Err(e) => {
                // Nothing of the file is kept: the transaction is dropped, and the report says where it stopped.
                let (zh, en) = messages(e);
                report.created.clear();
                report.submitted.clear();
                report.errors = vec![LineError { line, column: String::new(), message: format!("第{line}行：{zh}；未导入任何资源"), message_en: format!("Line {line}: {en}; nothing was imported") }];
                return Ok(report);
            }
        }
    }
    tx.commit().await?;
    // Drafts and submissions leave the open index unchanged, but the change counter moved: one catch-up.
    crate::catalog::search::after_change(p).await;
    Ok(report)
}

/// The names each provider's catalog already holds (obsolete entries aside), with their codes.
async fn existing_names(p: &Platform) -> Result<BTreeMap<(i64, String), String>> {
    let mut conn = p.store.read().await?;
    let rows = store::catalog::all_with_contents(&mut conn).await?;
    Ok(rows
        .into_iter()
        .filter(|(row, _, _)| row.state != domain::catalog::lifecycle::ResourceState::Obsolete)
        .flat_map(|(row, published, working)| {
            let names: Vec<String> = [published, working].into_iter().flatten().map(|c| c.name.trim().to_string()).collect();
            names.into_iter().map(move |n| ((row.provider_department_id, n), row.code.clone()))
        })
        .collect())
}

fn messages(e: Error) -> (String, String) {
    match e {
        Error::Invalid(i) => (i.message, i.message_en),
        Error::NotFound { zh, en } | Error::Conflict { zh, en } | Error::Forbidden { zh, en } => (zh, en),
        other => (other.to_string(), other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(text: &str) -> Vec<Vec<String>> {
        text.lines().map(|l| l.split('|').map(|c| c.to_string()).collect()).collect()
    }

    #[test]
    fn rows_group_into_entries_with_their_items() {
        let (entries, errors) = parse(&rows(
            "数据资源名称*|数据格式|共享属性|更新频率|数据项名称|数据项字段名|数据项类型|是否主键\n\
             婚姻登记信息|数据库表|受限共享|每日|姓名|xm|字符型|否\n\
             ||||登记日期|djrq|日期型|\n\
             企业登记信息|数据库表|无条件共享|每日|统一社会信用代码|tyshxydm|字符型|是",
        ));
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].content.items.len(), 2);
        assert_eq!(entries[0].content.sharing.attr, Some(Attr::Conditional), "丽水's word is read");
        assert!(entries[1].content.items[0].is_key);
        assert_eq!((entries[0].line, entries[1].line), (2, 4));
    }

    #[test]
    fn each_bad_cell_is_named_by_line_and_column() {
        let (_, errors) = parse(&rows(
            "数据资源名称|数据格式|更新频率|覆盖时间起\n\
             甲|数据库|每日|2020-01-01\n\
             乙|数据库表|每刻|2020-13-01",
        ));
        let found: Vec<(usize, &str)> = errors.iter().map(|e| (e.line, e.column.as_str())).collect();
        assert_eq!(found, [(2, "数据格式"), (3, "覆盖时间起"), (3, "更新频率")]);
        assert!(errors[0].message.starts_with("第2行"));
        let (_, errors) = parse(&rows("名称|格式\n甲|表"));
        assert_eq!(errors[0].line, 1, "a header without the name column is refused");
    }

    #[test]
    fn gbk_files_are_decoded_and_mixed_or_mislabelled_files_refused() {
        let (gbk, _, _) = encoding_rs::GBK.encode("数据资源名称\n婚姻登记信息");
        assert_eq!(decode(&gbk, Encoding::Auto).unwrap(), "数据资源名称\n婚姻登记信息");
        assert_eq!(decode(&gbk, Encoding::Gbk).unwrap(), "数据资源名称\n婚姻登记信息");
        assert_eq!(decode("\u{feff}名称".as_bytes(), Encoding::Auto).unwrap(), "名称");
        let e = decode(&gbk, Encoding::Utf8).unwrap_err();
        assert_eq!(e.line, 1, "GBK given as UTF-8: {}", e.message);
        let e = decode("name,数据资源名称\nx,婚姻登记信息".as_bytes(), Encoding::Gbk).unwrap_err();
        assert_eq!((e.line, e.column.as_str()), (1, "第2列"), "UTF-8 given as GBK: {}", e.message);
        let mut mixed = "数据资源名称,数据格式\n婚姻登记信息,数据库表\n".as_bytes().to_vec();
        mixed.extend_from_slice(&encoding_rs::GBK.encode("殡葬服务机构信息,数据库表").0);
        let e = decode(&mixed, Encoding::Auto).unwrap_err();
        assert_eq!(e.line, 3, "{}", e.message);
        assert!(e.message.starts_with("第3行第1列"), "{}", e.message);
    }
}
