//! Delivery formats other than CSV, turned into CSV before checking: XLSX, JSON lines, JSON, Parquet. Each is
//! written out as the department sent it (values as text, nothing corrected), so one set of row checks, one
//! quarantine and one report serve every channel. Only a malformed file is refused here, with where it breaks.

use std::io::BufRead;
use std::path::Path;

use domain::catalog::entry::Item;

use super::check::{norm_header, Refusal};
use super::Format;

/// A JSON document (not JSON lines) is read whole: above this size, send JSON lines.
pub const MAX_JSON_BYTES: u64 = 256 << 20;

/// Writes the delivery at `path`, in `format`, as CSV to `out`.
pub(super) fn to_csv(format: Format, path: &Path, out: &Path, items: &[Item]) -> Result<(), Refusal> {
    match format {
        Format::Csv => Err(Refusal { zh: "CSV无需转换".into(), en: "CSV needs no conversion".into(), ..Default::default() }),
        Format::Xlsx => xlsx_to_csv(path, out),
        Format::JsonLines => json_lines_to_csv(path, out, items),
        Format::Json => json_to_csv(path, out, items),
        Format::Parquet => lake::parquet_to_csv(path, out)
            .map(|_| ())
            .map_err(|e| Refusal { zh: format!("不是有效的Parquet文件：{e}"), en: format!("Not a valid Parquet file: {e}"), ..Default::default() }),
    }
}

/// Writes JSON objects as CSV rows under the items' names; a key that names no item refuses the file, as an
/// unknown column does.
struct Rows<'a> {
    items: &'a [Item],
    w: csv::Writer<std::io::BufWriter<std::fs::File>>,
    cells: Vec<String>,
}

impl<'a> Rows<'a> {
    fn create(out: &Path, items: &'a [Item]) -> Result<Rows<'a>, Refusal> {
        let file = std::fs::File::create(out).map_err(io_refusal)?;
        let mut w = csv::Writer::from_writer(std::io::BufWriter::with_capacity(1 << 20, file));
        w.write_record(items.iter().map(|i| i.name.as_str())).map_err(|e| io_refusal(e.into()))?;
        Ok(Rows { items, w, cells: vec![String::new(); items.len()] })
    }

    /// Writes one object; `at` says where it is, for the refusal.
    fn write(&mut self, value: serde_json::Value, at: &str, at_en: &str) -> Result<(), Refusal> {
        let serde_json::Value::Object(object) = value else {
            return Err(Refusal { zh: format!("{at}不是JSON对象（每行应为一个以数据项名称为键的对象）"), en: format!("{at_en} is not a JSON object (each row is an object keyed by item name)"), ..Default::default() });
        };
        for c in self.cells.iter_mut() {
            c.clear();
        }
        for (key, value) in object {
            let k = norm_header(&key);
            let Some(i) = self.items.iter().position(|it| norm_header(&it.name) == k || norm_header(&it.label) == k) else {
                return Err(Refusal {
                    zh: format!("{at}的键“{key}”不是目录所列的数据项：按目录采集，不得超出（或先更新目录）"),
                    en: format!("Key '{key}' of {at_en} is not an item of the entry: deliver what the catalog lists (or update the entry first)"),
                    stale: vec![key.clone()],
                });
            };
            self.cells[i] = match value {
                serde_json::Value::Null => String::new(),
                serde_json::Value::String(s) => s,
                serde_json::Value::Bool(b) => b.to_string(),
                serde_json::Value::Number(n) => n.to_string(),
                nested => nested.to_string(),
            };
        }
        self.w.write_record(&self.cells).map_err(|e| io_refusal(e.into()))
    }

    fn finish(mut self) -> Result<(), Refusal> {
        self.w.flush().map_err(io_refusal)
    }
}

fn io_refusal(e: std::io::Error) -> Refusal {
    Refusal { zh: format!("无法转换文件：{e}"), en: format!("Cannot convert the file: {e}"), ..Default::default() }
}

/// JSON lines: one object per line, blank lines skipped, read a line at a time.
fn json_lines_to_csv(path: &Path, out: &Path, items: &[Item]) -> Result<(), Refusal> {
    let file = std::fs::File::open(path).map_err(io_refusal)?;
    let mut reader = std::io::BufReader::with_capacity(1 << 20, file);
    let mut rows = Rows::create(out, items)?;
    let mut line = String::new();
    let mut n = 0u64;
    loop {
        line.clear();
        n += 1;
        match reader.read_line(&mut line) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
                return Err(Refusal { zh: format!("第{n}行不是UTF-8编码：JSON须为UTF-8"), en: format!("Line {n} is not UTF-8: JSON is UTF-8"), ..Default::default() })
            }
            Err(e) => return Err(io_refusal(e)),
        }
        let text = line.trim_start_matches('\u{feff}').trim();
        if text.is_empty() {
            continue;
        }
        let value: serde_json::Value = serde_json::from_str(text).map_err(|e| Refusal {
            zh: format!("第{n}行不是合法的JSON（可能被截断）：{e}"),
            en: format!("Line {n} is not valid JSON (truncated?): {e}"),
            ..Default::default()
        })?;
        rows.write(value, &format!("第{n}行"), &format!("line {n}"))?;
    }
    rows.finish()
}

/// A JSON document: `{"rows": [...]}` or a bare array of objects.
fn json_to_csv(path: &Path, out: &Path, items: &[Item]) -> Result<(), Refusal> {
    let size = std::fs::metadata(path).map_err(io_refusal)?.len();
    if size > MAX_JSON_BYTES {
        return Err(Refusal {
            zh: format!("JSON文件超过{}MiB：大批量数据请以JSON lines（每行一个对象）交付", MAX_JSON_BYTES >> 20),
            en: format!("The JSON is over {} MiB: deliver large batches as JSON lines (one object per line)", MAX_JSON_BYTES >> 20),
            ..Default::default()
        });
    }
    let file = std::fs::File::open(path).map_err(io_refusal)?;
    let value: serde_json::Value = serde_json::from_reader(std::io::BufReader::new(file))
        .map_err(|e| Refusal { zh: format!("不是合法的JSON（可能被截断）：{e}"), en: format!("Not valid JSON (truncated?): {e}"), ..Default::default() })?;
    let list = match value {
        serde_json::Value::Array(list) => list,
        serde_json::Value::Object(mut o) if o.len() == 1 && o.get("rows").is_some_and(|r| r.is_array()) => match o.remove("rows") {
            Some(serde_json::Value::Array(list)) => list,
            _ => vec![],
        },
        _ => {
            return Err(Refusal {
                zh: "JSON须为 {\"rows\": [对象, …]} 或对象数组".into(),
                en: "The JSON is {\"rows\": [object, …]} or an array of objects".into(),
                ..Default::default()
            })
        }
    };
    let mut rows = Rows::create(out, items)?;
    for (i, value) in list.into_iter().enumerate() {
        rows.write(value, &format!("第{}行", i + 1), &format!("row {}", i + 1))?;
    }
    rows.finish()
}

/// Writes the first sheet of an XLSX file as CSV; refuses a sheet whose header has merged cells (each column needs
/// its own item name).
pub(super) fn xlsx_to_csv(path: &Path, out: &Path) -> std::result::Result<(), Refusal> {
    use calamine::Reader;
    let unreadable = |e: String| Refusal { zh: format!("不是有效的XLSX文件：{e}"), en: format!("Not a valid XLSX file: {e}"), ..Default::default() };
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(path).map_err(|e: calamine::XlsxError| unreadable(e.to_string()))?;
    let range = book.worksheet_range_at(0).ok_or_else(|| unreadable("没有工作表 / no sheet".into()))?.map_err(|e| unreadable(e.to_string()))?;
    let header_row = range.start().map(|(r, _)| r).unwrap_or(0);
    let merged = book.merge_cells_by_sheet_id(0).unwrap_or_default();
    if let Some(m) = merged.iter().find(|m| m.start.0 <= header_row && header_row <= m.end.0) {
        let cell = |(r, c): (u32, u32)| {
            let mut col = String::new();
            let mut n = c + 1;
            while n > 0 {
                col.insert(0, (b'A' + ((n - 1) % 26) as u8) as char);
                n = (n - 1) / 26;
            }
            format!("{col}{}", r + 1)
        };
        let (a, b) = (cell(m.start), cell(m.end));
        return Err(Refusal {
            zh: format!("表头有合并单元格（{a}:{b}）：请取消合并，每列写一个数据项名称"),
            en: format!("The header has merged cells ({a}:{b}): unmerge them and give each column its item name"),
            ..Default::default()
        });
    }
    let write = || -> std::io::Result<()> {
        let mut w = csv::Writer::from_path(out)?;
        for row in range.rows() {
            w.write_record(row.iter().map(crate::catalog::import::cell_text))?;
        }
        w.flush()
    };
    write().map_err(|e| Refusal { zh: format!("无法转换XLSX：{e}"), en: format!("Cannot convert the XLSX: {e}"), ..Default::default() })
}

