//! Checking a CSV delivery row by row against the resource's items, streaming: accepted rows go to a staged
//! version, the others to the quarantine with the reason per item, repeated keys found by fingerprint.

use std::collections::HashMap;
use std::hash::Hasher;
use std::io::Read;
use std::path::Path;

use domain::catalog::entry::Item;
use domain::catalog::validate::check;
use lake::{Column, Lake};

use super::{column_type, schema_json, BatchReport, ProblemCount, Sample};
use crate::catalog::import::Encoding;

/// Problems shown in a report as samples; the quarantine file holds them all.
const SAMPLES: usize = 20;

/// What the checking of a file found, before anything is committed.
pub(super) struct Checked {
    pub staged: lake::Staged,
    pub quarantine: lake::QuarantineWriter,
    pub rows_read: i64,
    pub rows_accepted: i64,
    pub rows_normalized: i64,
    pub problems: Vec<ProblemCount>,
    pub samples: Vec<Sample>,
    /// The version's columns as JSON.
    pub schema: String,
}

impl Checked {
    /// The share of rows that failed, in percent to two places.
    pub fn failure_percent(&self) -> f64 {
        if self.rows_read == 0 {
            return 0.0;
        }
        ((self.rows_read - self.rows_accepted) as f64 * 10_000.0 / self.rows_read as f64).round() / 100.0
    }

    pub fn count_into(&self, report: &mut BatchReport) {
        report.rows_read = self.rows_read;
        report.rows_accepted = self.rows_accepted;
        report.rows_quarantined = self.rows_read - self.rows_accepted;
        report.rows_normalized = self.rows_normalized;
        report.problems = self.problems.clone();
        report.samples = self.samples.clone();
        report.quarantine = report.rows_quarantined > 0;
    }
}

/// A refusal of the whole file before its rows are read (columns, encoding, emptiness).
#[derive(Debug, Default)]
pub(super) struct Refusal {
    pub zh: String,
    pub en: String,
    /// Columns the data has that the entry does not list: the catalog may be stale (YZ-8a).
    pub stale: Vec<String>,
}

/// A column name as compared with item names and labels: no spaces, no required-marks, lower case.
pub(super) fn norm_header(h: &str) -> String {
    h.trim_start_matches('\u{feff}').chars().filter(|c| !c.is_whitespace() && *c != '*').collect::<String>().to_lowercase()
}

/// Counts the bytes read, for the progress bar.
struct Counting<R, F> {
    inner: R,
    read: u64,
    tell: F,
}

impl<R: Read, F: FnMut(u64)> Read for Counting<R, F> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        (self.tell)(self.read);
        Ok(n)
    }
}

/// A 64-bit fingerprint of a row's key (FNV-1a over the values, each ended by 0xff, which UTF-8 never holds). Keys
/// are remembered by fingerprint only, so memory stays at a few bytes a row; two different keys sharing one is
/// about as likely as 1 in 10^7 over ten million rows.
fn key_hash(values: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for v in values {
        for b in v.bytes().chain(std::iter::once(0xff)) {
            h ^= b as u64;
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h
}

/// The fingerprints are already hashes: the map uses them as they are.
#[derive(Default)]
struct Identity(u64);

impl Hasher for Identity {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 << 8) | *b as u64;
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// Opens a CSV for reading records: the encoding decided (or checked against the declared one) on the first
/// megabyte, GBK transcoded on the way, a UTF-8 byte-order mark dropped.
pub(super) fn open_records<'a>(file: std::fs::File, encoding: Encoding, progress: impl FnMut(u64) + 'a) -> std::io::Result<Result<csv::Reader<Box<dyn Read + 'a>>, Refusal>> {
    let mut counting = Counting { inner: std::io::BufReader::with_capacity(1 << 20, file), read: 0, tell: progress };
    // The encoding is decided on the first megabyte: valid UTF-8 (a character cut at the end aside) is UTF-8.
    let mut head = vec![0u8; 1 << 20];
    let mut filled = 0;
    while filled < head.len() {
        let n = counting.read(&mut head[filled..])?;
        if n == 0 {
            break;
        }
        filled += n;
    }
    head.truncate(filled);
    let utf8 = match std::str::from_utf8(&head) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none() && head.len() - e.valid_up_to() < 4,
    };
    let gbk = match encoding {
        Encoding::Auto => !utf8,
        Encoding::Utf8 if !utf8 => {
            return Ok(Err(Refusal { zh: "文件不是UTF-8编码（可能是GBK：请声明 --encoding gbk 或使用 auto）".into(), en: "The file is not UTF-8 (it may be GBK: declare --encoding gbk or use auto)".into(), ..Default::default() }))
        }
        Encoding::Utf8 => false,
        Encoding::Gbk if utf8 && !head.is_ascii() => {
            return Ok(Err(Refusal { zh: "文件是UTF-8编码，却声明为GBK（请改用 --encoding utf-8 或 auto）".into(), en: "The file is UTF-8, declared GBK (use --encoding utf-8 or auto)".into(), ..Default::default() }))
        }
        Encoding::Gbk => true,
    };
    // UTF-8 goes to the CSV reader as it is (the reader checks it); GBK is transcoded on the way.
    let bom = if head.starts_with(&[0xEF, 0xBB, 0xBF]) { 3 } else { 0 };
    let stream = std::io::Cursor::new(head).chain(counting);
    let reader: Box<dyn Read + 'a> = if gbk {
        Box::new(encoding_rs_io::DecodeReaderBytesBuilder::new().encoding(Some(encoding_rs::GB18030)).build(stream))
    } else {
        let mut stream = stream;
        std::io::copy(&mut (&mut stream).take(bom), &mut std::io::sink())?;
        Box::new(stream)
    };
    Ok(Ok(csv::ReaderBuilder::new().has_headers(false).flexible(true).buffer_capacity(1 << 16).from_reader(reader)))
}

/// Key fingerprints kept while checking: every accepted row's (the file fits in memory), or only those a first pass
/// found repeated, each with the line it first appears on (a large file: memory stays flat). In the second case a
/// key's later occurrences are quarantined even when its first row fails for another reason.
enum Keys {
    Seen(HashMap<u64, u64, std::hash::BuildHasherDefault<Identity>>),
    Repeated(HashMap<u64, u64, std::hash::BuildHasherDefault<Identity>>),
}

impl Keys {
    /// The first line of a key seen again on `line`, if it repeats an earlier one.
    fn repeats(&mut self, fingerprint: u64, line: u64) -> Option<u64> {
        match self {
            Keys::Seen(seen) => seen.insert(fingerprint, line),
            Keys::Repeated(repeated) => repeated.get(&fingerprint).copied().filter(|first| *first != line),
        }
    }
}

/// Fingerprints per sorted run spilled to disk by the first pass (16 bytes each: 64 MiB a run).
const RUN: usize = 4 << 20;

/// The first pass over a large file: every row's key fingerprint and line, sorted in runs on disk and merged, to
/// find the keys that repeat and the line each first appears on.
fn repeated_keys(dir: &Path, path: &Path, encoding: Encoding, items: &[Item], key_items: &[usize], column_of: &[Option<usize>], run_len: usize) -> std::io::Result<Keys> {
    use std::io::{BufReader, BufWriter, Write};
    let Ok(mut csv) = open_records(std::fs::File::open(path)?, encoding, |_| {})? else { return Ok(Keys::Repeated(HashMap::default())) };
    let mut record = csv::StringRecord::new();
    let _ = csv.read_record(&mut record);
    let mut run: Vec<(u64, u64)> = Vec::with_capacity(run_len.min(1 << 20));
    let mut files: Vec<tempfile::NamedTempFile> = Vec::new();
    let spill = |run: &mut Vec<(u64, u64)>, files: &mut Vec<tempfile::NamedTempFile>| -> std::io::Result<()> {
        run.sort_unstable();
        let file = tempfile::NamedTempFile::new_in(dir)?;
        let mut w = BufWriter::with_capacity(1 << 20, file.as_file());
        for (fp, line) in run.iter() {
            w.write_all(&fp.to_le_bytes())?;
            w.write_all(&line.to_le_bytes())?;
        }
        w.flush()?;
        drop(w);
        files.push(file);
        run.clear();
        Ok(())
    };
    let mut line: u64 = 1;
    while csv.read_record(&mut record).unwrap_or(false) {
        line = record.position().map(|p| p.line()).unwrap_or(line + 1);
        let mut key: Vec<std::borrow::Cow<str>> = Vec::with_capacity(key_items.len());
        for i in key_items {
            match check(&items[*i], column_of[*i].and_then(|c| record.get(c)).unwrap_or("")) {
                Ok(c) => key.push(c.value.unwrap_or_default()),
                Err(_) => break,
            }
        }
        if key.len() == key_items.len() {
            let parts: Vec<&str> = key.iter().map(|k| k.as_ref()).collect();
            run.push((key_hash(&parts), line));
            if run.len() >= run_len {
                spill(&mut run, &mut files)?;
            }
        }
    }
    let mut repeated: HashMap<u64, u64, std::hash::BuildHasherDefault<Identity>> = HashMap::default();
    let mut note = |previous: &mut Option<(u64, u64)>, (fp, line): (u64, u64)| {
        match previous {
            Some((p, first)) if *p == fp => {
                repeated.entry(fp).or_insert(*first);
            }
            _ => *previous = Some((fp, line)),
        }
    };
    let mut previous = None;
    if files.is_empty() {
        run.sort_unstable();
        for pair in run {
            note(&mut previous, pair);
        }
        return Ok(Keys::Repeated(repeated));
    }
    spill(&mut run, &mut files)?;
    // Merge the runs: the smallest head first.
    let mut readers: Vec<BufReader<&std::fs::File>> = files.iter().map(|f| BufReader::with_capacity(1 << 16, f.as_file())).collect();
    for r in readers.iter_mut() {
        std::io::Seek::rewind(r.get_mut())?;
    }
    let next = |r: &mut BufReader<&std::fs::File>| -> std::io::Result<Option<(u64, u64)>> {
        let mut buf = [0u8; 16];
        match std::io::Read::read_exact(r, &mut buf) {
            Ok(()) => Ok(Some((u64::from_le_bytes(buf[..8].try_into().unwrap_or_default()), u64::from_le_bytes(buf[8..].try_into().unwrap_or_default())))),
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Ok(None),
            Err(e) => Err(e),
        }
    };
    let mut heap = std::collections::BinaryHeap::new();
    for (i, r) in readers.iter_mut().enumerate() {
        if let Some(pair) = next(r)? {
            heap.push(std::cmp::Reverse((pair, i)));
        }
    }
    while let Some(std::cmp::Reverse((pair, i))) = heap.pop() {
        note(&mut previous, pair);
        if let Some(pair) = next(&mut readers[i])? {
            heap.push(std::cmp::Reverse((pair, i)));
        }
    }
    Ok(Keys::Repeated(repeated))
}

/// Reads and checks a CSV file, writing accepted rows to a staged version and the others to the quarantine.
/// Answers a refusal when the file cannot be taken at all (encoding, columns). A file larger than `external_keys`
/// bytes is read twice: first for its repeated keys, so memory stays flat whatever its size.
pub(super) fn check_file(lake: &Lake, items: &[Item], path: &Path, encoding: Encoding, external_keys: u64, progress: impl FnMut(u64)) -> lake::Result<Result<Checked, Refusal>> {
    let file = std::fs::File::open(path)?;
    let large = file.metadata()?.len() > external_keys;
    let mut csv = match open_records(file, encoding, progress)? {
        Ok(csv) => csv,
        Err(refusal) => return Ok(Err(refusal)),
    };
    let mut record = csv::StringRecord::new();
    match csv.read_record(&mut record) {
        Ok(true) => {}
        Ok(false) => return Ok(Err(Refusal { zh: "文件是空的".into(), en: "The file is empty".into(), ..Default::default() })),
        Err(e) => return Ok(Err(Refusal { zh: format!("第1行不是合法的CSV：{e}"), en: format!("Line 1 is not valid CSV: {e}"), ..Default::default() })),
    }
    // Each file column to an item, by column name or Chinese label.
    let mut mapping: Vec<Option<usize>> = Vec::with_capacity(record.len());
    let mut unknown = Vec::new();
    for header in record.iter() {
        let h = norm_header(header);
        match items.iter().position(|i| norm_header(&i.name) == h || norm_header(&i.label) == h) {
            Some(i) if mapping.contains(&Some(i)) => {
                return Ok(Err(Refusal { zh: format!("表头“{header}”重复"), en: format!("The header '{header}' appears twice"), ..Default::default() }));
            }
            Some(i) => mapping.push(Some(i)),
            None if h.is_empty() => mapping.push(None),
            None => {
                unknown.push(header.to_string());
                mapping.push(None);
            }
        }
    }
    if !unknown.is_empty() {
        return Ok(Err(Refusal {
            zh: format!("表头中的“{}”不是目录所列的数据项：按目录采集，不得超出（或先更新目录）", unknown.join("”“")),
            en: format!("Columns {} are not items of the entry: deliver what the catalog lists (or update the entry first)", unknown.join(", ")),
            stale: unknown.clone(),
        }));
    }
    let absent: Vec<&Item> = items.iter().enumerate().filter(|(i, it)| (it.required || it.is_key) && !mapping.contains(&Some(*i))).map(|(_, it)| it).collect();
    if !absent.is_empty() {
        let names: Vec<String> = absent.iter().map(|i| format!("{}（{}）", i.label, i.name)).collect();
        return Ok(Err(Refusal { zh: format!("缺少必填数据项的列：{}", names.join("、")), en: format!("Columns of required items are missing: {}", names.join(", ")), ..Default::default() }));
    }
    // For each item, the file column it is read from.
    let column_of: Vec<Option<usize>> = (0..items.len()).map(|i| mapping.iter().position(|m| *m == Some(i))).collect();
    let columns: Vec<Column> = items.iter().map(|i| Column { name: i.name.clone(), ty: column_type(i) }).collect();
    let key_names: Vec<&str> = items.iter().filter(|i| i.is_key).map(|i| i.name.as_str()).collect();
    let mut writer = lake.stage_keyed(&columns, &key_names)?;
    let mut header = vec!["行号", "问题"];
    header.extend(record.iter());
    let header: Vec<String> = header.iter().map(|s| s.to_string()).collect();
    let mut quarantine = lake.quarantine(&header.iter().map(String::as_str).collect::<Vec<_>>())?;
    let key_items: Vec<usize> = items.iter().enumerate().filter(|(_, i)| i.is_key).map(|(i, _)| i).collect();
    let mut keys = if large && !key_items.is_empty() {
        repeated_keys(&lake.root().join("tmp"), path, encoding, items, &key_items, &column_of, RUN)?
    } else {
        Keys::Seen(HashMap::default())
    };
    let mut problem_counts: HashMap<(usize, &'static str), i64> = HashMap::new();
    let mut samples = Vec::new();
    let (mut rows_read, mut rows_accepted, mut rows_normalized) = (0i64, 0i64, 0i64);
    let mut line: u64 = 1;
    loop {
        match csv.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                writer.abandon();
                lake.drop_quarantine(quarantine);
                return Ok(Err(Refusal { zh: format!("第{}行之后文件无法读取（可能被截断或编码有误）：{e}", line), en: format!("The file cannot be read after line {line} (truncated or wrongly encoded?): {e}"), ..Default::default() }));
            }
        }
        line = record.position().map(|p| p.line()).unwrap_or(line + 1);
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        rows_read += 1;
        let mut reasons: Vec<String> = Vec::new();
        if record.len() != mapping.len() {
            reasons.push(format!("本行有{}列，表头有{}列", record.len(), mapping.len()));
            *problem_counts.entry((usize::MAX, "ragged_row")).or_default() += 1;
            if samples.len() < SAMPLES {
                samples.push(Sample { line, item: String::new(), message: reasons[0].clone(), message_en: format!("the row has {} cells, the header {}", record.len(), mapping.len()) });
            }
        } else {
            let mut values: Vec<Option<std::borrow::Cow<str>>> = vec![None; items.len()];
            let mut normalized = false;
            for (i, item) in items.iter().enumerate() {
                let cell = column_of[i].and_then(|c| record.get(c)).unwrap_or("");
                match check(item, cell) {
                    Ok(c) => {
                        normalized |= c.normalized;
                        values[i] = c.value;
                    }
                    Err(problem) => {
                        let (zh, en) = problem.messages(item);
                        *problem_counts.entry((i, problem.code())).or_default() += 1;
                        if samples.len() < SAMPLES {
                            samples.push(Sample { line, item: item.name.clone(), message: zh.clone(), message_en: en });
                        }
                        reasons.push(zh);
                    }
                }
            }
            if reasons.is_empty() && !key_items.is_empty() {
                let key: Vec<&str> = key_items.iter().map(|i| values[*i].as_deref().unwrap_or("")).collect();
                if let Some(first) = keys.repeats(key_hash(&key), line) {
                    let zh = format!("主键（{}）与第{first}行重复", key.join("，"));
                    *problem_counts.entry((key_items[0], "duplicate_key")).or_default() += 1;
                    if samples.len() < SAMPLES {
                        samples.push(Sample { line, item: items[key_items[0]].name.clone(), message: zh.clone(), message_en: format!("the key ({}) repeats line {first}", key.join(", ")) });
                    }
                    reasons.push(zh);
                }
            }
            if reasons.is_empty() {
                let row: Vec<Option<&str>> = values.iter().map(|v| v.as_deref()).collect();
                writer.push(&row)?;
                rows_accepted += 1;
                rows_normalized += normalized as i64;
                continue;
            }
        }
        let joined = reasons.join("；");
        let line_text = line.to_string();
        let mut cells = vec![line_text.as_str(), joined.as_str()];
        cells.extend(record.iter());
        quarantine.write_record(cells)?;
    }
    let staged = writer.finish()?;
    let mut problems: Vec<ProblemCount> = problem_counts
        .into_iter()
        .map(|((i, code), count)| ProblemCount { item: items.get(i).map(|it| it.name.clone()).unwrap_or_default(), code: code.to_string(), count })
        .collect();
    problems.sort_by(|a, b| b.count.cmp(&a.count).then(a.item.cmp(&b.item)));
    Ok(Ok(Checked { staged, quarantine, rows_read, rows_accepted, rows_normalized, problems, samples, schema: schema_json(items) }))
}


#[cfg(test)]
mod tests {
    use super::*;
    use domain::catalog::entry::{IdentifierKind, ItemType};

    fn item(name: &str, key: bool) -> Item {
        Item {
            name: name.into(),
            label: name.into(),
            data_type: ItemType::String,
            format: String::new(),
            is_key: key,
            required: false,
            identifier: IdentifierKind::None,
            level: None,
            values: vec![],
            description: String::new(),
        }
    }

    #[test]
    fn the_first_pass_finds_repeated_keys_across_spilled_runs() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.csv");
        let mut text = String::from("k,v\n");
        for n in 0..50 {
            text.push_str(&format!("K{n},{n}\n"));
        }
        text.push_str("K3,again\nK47,again\nK3,thrice\n");
        std::fs::write(&path, text).unwrap();
        let items = [item("k", true), item("v", false)];
        for run in [4, 1000] {
            let Keys::Repeated(found) = repeated_keys(dir.path(), &path, Encoding::Auto, &items, &[0], &[Some(0), Some(1)], run).unwrap() else { panic!("repeated") };
            let mut firsts: Vec<u64> = found.into_values().collect();
            firsts.sort();
            assert_eq!(firsts, [5, 49], "K3 first on line 5, K47 on line 49 (run of {run})");
        }
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "the runs are removed");
    }
}

