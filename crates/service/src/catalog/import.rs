//! Importing a catalog from the spreadsheet departments keep today: one row per data item, the resource's columns
//! filled on its first row (or repeated), headers in Chinese (or the export's English keys). CSV may be UTF-8 or
//! GBK/GB18030; XLSX is read with calamine. Every row is checked; an entry with a bad row is not imported, and
//! the report names each problem by line, so the department fixes the sheet and imports again.

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

/// Reads a CSV (UTF-8, or GBK/GB18030 when not UTF-8) or XLSX file into rows of cells.
pub fn read_table(path: &Path) -> Result<Vec<Vec<String>>> {
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
            let text = decode(&bytes);
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

/// UTF-8 (with or without a byte-order mark), else GB18030 (a superset of GBK), as Chinese spreadsheets save.
fn decode(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => encoding_rs::GB18030.decode(bytes).0.into_owned(),
    }
}

fn cell_text(c: &calamine::Data) -> String {
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
/// provider's credit code for rows that do not name one.
pub async fn import(p: &Platform, actor: &Actor, rows: &[Vec<String>], provider_code: Option<&str>, submit: bool, mut progress: impl FnMut(usize)) -> Result<ImportReport> {
    let (entries, mut errors) = parse(rows);
    let (departments, _) = crate::orgs::list_departments(p, 10_000, 0).await?;
    let bad_lines: std::collections::BTreeSet<usize> = errors.iter().map(|e| e.line).collect();
    let mut report = ImportReport { rows: rows.len().saturating_sub(1), created: vec![], submitted: vec![], errors: vec![] };
    let line_ranges: Vec<(usize, usize)> = entries
        .iter()
        .enumerate()
        .map(|(i, e)| (e.line, entries.get(i + 1).map(|n| n.line).unwrap_or(usize::MAX)))
        .collect();
    for (entry, (start, end)) in entries.into_iter().zip(line_ranges) {
        progress(start);
        if bad_lines.range(start..end).next().is_some() {
            continue;
        }
        let mut fail = |zh: String, en: String| {
            errors.push(LineError { line: start, column: String::new(), message: format!("第{start}行：{zh}"), message_en: format!("Line {start}: {en}") });
        };
        let Some(code) = entry.provider_code.as_deref().or(provider_code) else {
            fail("未指定提供部门代码（填写“提供部门代码”列或使用 --provider）".into(), "No provider credit code (fill 提供部门代码 or pass --provider)".into());
            continue;
        };
        let Some(provider) = departments.iter().find(|d| d.uscc == code.trim()) else {
            fail(format!("提供部门代码{code}未登记"), format!("No department has credit code {code}"));
            continue;
        };
        let new = crate::catalog::entries::NewEntry { provider_department_id: Some(provider.id), code: entry.code.clone(), content: entry.content, note: "批量导入".into() };
        match crate::catalog::entries::create_unsynced(p, actor, new).await {
            Ok(code) => {
                if submit {
                    match crate::catalog::entries::submit_unsynced(p, actor, &code).await {
                        Ok(()) => report.submitted.push(code.clone()),
                        Err(e) => {
                            let (zh, en) = messages(e);
                            fail(format!("已导入为草稿，但未能提交审核：{zh}"), format!("imported as a draft, but not submitted: {en}"));
                        }
                    }
                }
                report.created.push(code);
            }
            Err(e) => {
                let (zh, en) = messages(e);
                fail(zh, en);
            }
        }
    }
    // Drafts and submissions leave the open index unchanged, but the change counter moved: one catch-up.
    crate::catalog::search::after_change(p).await;
    errors.sort_by_key(|e| e.line);
    report.errors = errors;
    Ok(report)
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
    fn gbk_files_are_decoded() {
        let (gbk, _, _) = encoding_rs::GBK.encode("数据资源名称\n婚姻登记信息");
        assert_eq!(decode(&gbk), "数据资源名称\n婚姻登记信息");
        assert_eq!(decode("\u{feff}名称".as_bytes()), "名称");
    }
}
