//! The lake: each resource's data as immutable Parquet files, one per dataset version, under a folder of the data
//! directory or in an S3-compatible object store. A version is written to `tmp/` first and moved into
//! `versions/{resource}/` (renamed in the folder, or uploaded whole to the store) only when complete and flushed to
//! disk; the control plane then records it in the same transaction as its audit event, so a reader — who finds
//! versions only through the control plane — never sees a partial one. Files in `tmp/`, and files no recorded
//! version names, are left-overs of an interrupted delivery and are swept on start.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::builder::{ArrayBuilder, BooleanBuilder, Date32Builder, Float64Builder, Int64Builder, StringBuilder, TimestampMicrosecondBuilder};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use sha2::{Digest, Sha256};

pub mod changes;
pub mod export;
pub mod keyed;
mod merge;
mod parquet_in;
pub mod query;
mod remote;
pub mod testing;

pub use merge::Merged;
pub use parquet_in::parquet_to_csv;
pub use remote::StoreConfig;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("lake io: {0}")]
    Io(#[from] std::io::Error),
    #[error("parquet: {0}")]
    Parquet(#[from] parquet::errors::ParquetError),
    #[error("arrow: {0}")]
    Arrow(#[from] arrow_schema::ArrowError),
    /// A value that the caller's validation should have refused.
    #[error("value '{value}' does not fit column {column}")]
    Value { column: String, value: String },
    #[error("path outside the lake: {0}")]
    Path(String),
    /// The deployment's object store settings are wrong.
    #[error("{0}")]
    Config(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Column names and rows of values as text (none for null).
pub type Rows = (Vec<String>, Vec<Vec<Option<String>>>);

/// The physical type of a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    Utf8,
    Int64,
    Float64,
    /// YYYY-MM-DD.
    Date,
    /// YYYY-MM-DD HH:MM[:SS], Asia/Shanghai wall time kept as written.
    Timestamp,
    /// `true` or `false`.
    Boolean,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    pub ty: ColumnType,
}

/// Rows per record batch handed to the Parquet writer; bounds memory whatever the file's size.
const BATCH_ROWS: usize = 16_384;
/// Rows per Parquet row group.
const ROW_GROUP_ROWS: usize = 131_072;

/// The lake: under one folder, or in an object store with this folder for staging and the local copies readers use.
#[derive(Debug, Clone)]
pub struct Lake {
    root: PathBuf,
    remote: Option<Arc<remote::Remote>>,
}

/// A version written to `tmp/`, not yet in the lake.
#[derive(Debug)]
pub struct Staged {
    tmp: PathBuf,
    pub rows: u64,
    pub bytes: u64,
    /// SHA-256 of the file, hex.
    pub sha256: String,
}

impl Lake {
    /// Opens (creating) the lake under `root`.
    pub fn open(root: &Path) -> Result<Lake> {
        fs::create_dir_all(root.join("tmp"))?;
        fs::create_dir_all(root.join("versions"))?;
        fs::create_dir_all(root.join("quarantine"))?;
        Ok(Lake { root: root.to_path_buf(), remote: None })
    }

    /// Opens the lake in the object store `config` names, staging under `root`; fails when the store does not
    /// answer. Blocks: call from a blocking thread.
    pub fn open_remote(root: &Path, config: &StoreConfig) -> Result<Lake> {
        fs::create_dir_all(root.join("tmp"))?;
        fs::create_dir_all(root.join("cache"))?;
        let remote = remote::Remote::connect(config)?;
        remote.probe()?;
        Ok(Lake { root: root.to_path_buf(), remote: Some(Arc::new(remote)) })
    }

    /// The local folder: the whole lake, or (with an object store) its staging area and copies.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where the lake's files live, for logs and status pages.
    pub fn describe(&self) -> String {
        match &self.remote {
            Some(r) => r.describe.clone(),
            None => self.root.display().to_string(),
        }
    }

    /// A local file holding the lake file `rel`, to read. With an object store it is a copy under `cache/`,
    /// fetched when missing (blocks meanwhile); the files never change, so a copy is always current.
    pub fn local(&self, rel: &str) -> Result<PathBuf> {
        let rel_path = self.resolve_rel(rel)?;
        let Some(remote) = &self.remote else { return Ok(self.root.join(rel_path)) };
        let cached = self.root.join("cache").join(rel_path);
        if cached.exists() {
            return Ok(cached);
        }
        let tmp = self.tmp_path("part");
        if let Err(e) = remote.download(rel, &tmp) {
            let _ = fs::remove_file(&tmp);
            return Err(e);
        }
        remote::place(&tmp, &cached)?;
        Ok(cached)
    }

    fn tmp_path(&self, ext: &str) -> PathBuf {
        let name: String = (0..16).map(|_| format!("{:02x}", rand::random::<u8>())).collect();
        self.root.join("tmp").join(format!("{name}.{ext}"))
    }

    /// Starts writing a version with these columns.
    pub fn stage(&self, columns: &[Column]) -> Result<VersionWriter> {
        VersionWriter::create(self.tmp_path("parquet"), columns, &[])
    }

    /// Starts writing a version whose `keys` columns carry a bloom filter per row group, so a lookup by key reads
    /// only the row groups that may hold it (rows arrive in delivery order: min/max statistics cannot prune keys).
    pub fn stage_keyed(&self, columns: &[Column], keys: &[&str]) -> Result<VersionWriter> {
        VersionWriter::create(self.tmp_path("parquet"), columns, keys)
    }

    /// Moves a staged version into the lake as `versions/{resource}/v{version}-{unique}.parquet` and answers that
    /// relative path. The move is a rename within one file system, so the file appears whole or not at all; the
    /// unique part means two deliveries racing for the same number never overwrite each other's file (the control
    /// plane lets one of them have the number).
    ///
    /// With an object store the file is uploaded whole (an object appears only once its upload completes) and
    /// then kept as this node's local copy. Blocks: call from a blocking thread.
    pub fn commit(&self, staged: Staged, resource: &str, version: i64) -> Result<String> {
        let unique = staged.tmp.file_stem().and_then(|s| s.to_str()).unwrap_or("x").to_string();
        let rel = format!("versions/{}/v{version:06}-{unique}.parquet", safe(resource)?);
        if let Some(remote) = &self.remote {
            remote.upload(&staged.tmp, &rel)?;
            remote::place(&staged.tmp, &self.root.join("cache").join(&rel))?;
            return Ok(rel);
        }
        let dest = self.root.join(&rel);
        if let Some(dir) = dest.parent() {
            fs::create_dir_all(dir)?;
        }
        fs::rename(&staged.tmp, &dest)?;
        if let Some(dir) = dest.parent() {
            File::open(dir)?.sync_all()?;
        }
        Ok(rel)
    }

    /// Drops a staged version.
    pub fn discard(&self, staged: Staged) {
        let _ = fs::remove_file(&staged.tmp);
    }

    /// Removes a committed file (a version the control plane did not record, or one retention removed).
    /// Blocks with an object store.
    pub fn remove(&self, rel: &str) {
        let Ok(rel_path) = self.resolve_rel(rel) else { return };
        match &self.remote {
            Some(remote) => {
                if let Err(e) = remote.delete(rel) {
                    // The sweep on the next start removes what the control plane no longer names.
                    eprintln!("lake: could not remove {rel} from the object store: {e}");
                }
                let _ = fs::remove_file(self.root.join("cache").join(rel_path));
            }
            None => {
                let _ = fs::remove_file(self.root.join(rel_path));
            }
        }
    }

    /// A writer of quarantined rows (CSV), kept with the batch report.
    pub fn quarantine(&self, header: &[&str]) -> Result<QuarantineWriter> {
        let path = self.tmp_path("csv");
        let mut file = std::io::BufWriter::new(File::create(&path)?);
        // A byte-order mark, so spreadsheet programs read the Chinese.
        file.write_all(&[0xEF, 0xBB, 0xBF])?;
        let mut q = QuarantineWriter { path, file, rows: 0 };
        q.write_record(header.iter().copied())?;
        Ok(q)
    }

    /// Moves a quarantine file into `quarantine/{batch}.csv`; answers the relative path.
    pub fn keep_quarantine(&self, q: QuarantineWriter, batch: i64) -> Result<String> {
        let QuarantineWriter { path, mut file, .. } = q;
        file.flush()?;
        file.get_ref().sync_all()?;
        drop(file);
        let rel = format!("quarantine/{batch}.csv");
        if let Some(remote) = &self.remote {
            remote.upload(&path, &rel)?;
            remote::place(&path, &self.root.join("cache").join(&rel))?;
            return Ok(rel);
        }
        fs::rename(&path, self.root.join(&rel))?;
        Ok(rel)
    }

    pub fn drop_quarantine(&self, q: QuarantineWriter) {
        let _ = fs::remove_file(&q.path);
    }

    /// The bytes of a lake file named by its relative path.
    pub fn read_file(&self, rel: &str) -> Result<Vec<u8>> {
        Ok(fs::read(self.local(rel)?)?)
    }

    /// A relative path that stays inside the lake.
    fn resolve_rel<'a>(&self, rel: &'a str) -> Result<&'a Path> {
        if rel.split('/').any(|p| p.is_empty() || p == ".." || p == ".") || rel.starts_with('/') {
            return Err(Error::Path(rel.into()));
        }
        Ok(Path::new(rel))
    }

    /// Reads a version back, every value as text (none for null), with its column names.
    pub fn read_rows(&self, rel: &str) -> Result<Rows> {
        let file = File::open(self.local(rel)?)?;
        let reader = ParquetRecordBatchReaderBuilder::try_new(file)?.build()?;
        let mut names = Vec::new();
        let mut rows = Vec::new();
        for batch in reader {
            let batch = batch?;
            if names.is_empty() {
                names = batch.schema().fields().iter().map(|f| f.name().clone()).collect();
            }
            let columns: Vec<ArrayRef> = batch.columns().to_vec();
            for r in 0..batch.num_rows() {
                rows.push(columns.iter().map(|c| text(c, r)).collect());
            }
        }
        Ok((names, rows))
    }

    /// A page of a version's rows (`offset` rows skipped, at most `limit`), every value as text, with its column
    /// names and the version's row count.
    pub fn read_page(&self, rel: &str, offset: usize, limit: usize) -> Result<(Vec<String>, Vec<Vec<Option<String>>>, u64)> {
        let builder = ParquetRecordBatchReaderBuilder::try_new(File::open(self.local(rel)?)?)?;
        let total = builder.metadata().file_metadata().num_rows().max(0) as u64;
        let names: Vec<String> = builder.schema().fields().iter().map(|f| f.name().clone()).collect();
        let reader = builder.with_offset(offset).with_limit(limit).with_batch_size(limit.clamp(1, 8192)).build()?;
        let mut rows = Vec::new();
        for batch in reader {
            let batch = batch?;
            let columns: Vec<ArrayRef> = batch.columns().to_vec();
            for r in 0..batch.num_rows() {
                rows.push(columns.iter().map(|c| text(c, r)).collect());
            }
        }
        Ok((names, rows, total))
    }

    /// Removes files of interrupted deliveries older than `older_than` (so a delivery under way on another node
    /// is left alone): files in `tmp/`, and version files (and local copies) not in `keep` (the relative paths the
    /// control plane records). Answers how many were removed. Blocks with an object store.
    pub fn sweep(&self, keep: &std::collections::HashSet<String>, older_than: std::time::Duration) -> Result<usize> {
        let old = |path: &Path| -> Result<bool> {
            let modified = fs::metadata(path)?.modified()?;
            Ok(modified.elapsed().unwrap_or_default() >= older_than)
        };
        let mut removed = 0;
        for entry in fs::read_dir(self.root.join("tmp"))? {
            let path = entry?.path();
            if old(&path)? {
                fs::remove_file(path)?;
                removed += 1;
            }
        }
        let local = match &self.remote {
            Some(remote) => {
                for rel in remote.old_versions(older_than)? {
                    if !keep.contains(&rel) {
                        remote.delete(&rel)?;
                        removed += 1;
                    }
                }
                self.root.join("cache")
            }
            None => self.root.clone(),
        };
        let versions = local.join("versions");
        if !versions.exists() {
            return Ok(removed);
        }
        for dir in fs::read_dir(versions)? {
            let dir = dir?;
            if !dir.file_type()?.is_dir() {
                continue;
            }
            for file in fs::read_dir(dir.path())? {
                let file = file?;
                let rel = format!("versions/{}/{}", dir.file_name().to_string_lossy(), file.file_name().to_string_lossy());
                if !keep.contains(&rel) && old(&file.path())? {
                    fs::remove_file(file.path())?;
                    // A stale local copy is not a file of the lake: only the folder lake counts it.
                    if self.remote.is_none() {
                        removed += 1;
                    }
                }
            }
        }
        Ok(removed)
    }
}

/// A resource code as a folder name: letters, digits and `-` only.
fn safe(resource: &str) -> Result<&str> {
    if !resource.is_empty() && resource.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        Ok(resource)
    } else {
        Err(Error::Path(resource.into()))
    }
}

fn text(column: &ArrayRef, row: usize) -> Option<String> {
    text_ref(column, row).map(std::borrow::Cow::into_owned)
}

/// [`text`], borrowing a text value from the column.
fn text_ref(column: &ArrayRef, row: usize) -> Option<std::borrow::Cow<'_, str>> {
    use arrow_array::{Array, BooleanArray, Date32Array, Float64Array, Int64Array, StringArray, TimestampMicrosecondArray};
    if column.is_null(row) {
        return None;
    }
    let any = column.as_any();
    if let Some(a) = any.downcast_ref::<StringArray>() {
        return Some(std::borrow::Cow::Borrowed(a.value(row)));
    }
    if let Some(a) = any.downcast_ref::<Int64Array>() {
        return Some(a.value(row).to_string().into());
    }
    if let Some(a) = any.downcast_ref::<Float64Array>() {
        return Some(a.value(row).to_string().into());
    }
    if let Some(a) = any.downcast_ref::<BooleanArray>() {
        return Some(a.value(row).to_string().into());
    }
    if let Some(a) = any.downcast_ref::<Date32Array>() {
        return a.value_as_date(row).map(|d| d.to_string().into());
    }
    if let Some(a) = any.downcast_ref::<TimestampMicrosecondArray>() {
        return a.value_as_datetime(row).map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string().into());
    }
    None
}

/// Writes one version's rows to a Parquet file in `tmp/`, a batch at a time. Encoding and compressing run on a
/// thread of their own, fed through a short queue, so checking the next rows overlaps writing the last ones; the
/// file is fingerprinted as it is written.
pub struct VersionWriter {
    path: PathBuf,
    schema: SchemaRef,
    columns: Vec<Column>,
    builders: Vec<Box<dyn ArrayBuilder>>,
    pending: usize,
    rows: u64,
    queue: Option<std::sync::mpsc::SyncSender<RecordBatch>>,
    encoder: Option<std::thread::JoinHandle<Result<Hashing>>>,
}

/// A file that fingerprints and counts what is written to it.
struct Hashing {
    file: File,
    hasher: Sha256,
    bytes: u64,
}

impl Write for Hashing {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.file.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

fn builder(ty: ColumnType) -> Box<dyn ArrayBuilder> {
    match ty {
        ColumnType::Utf8 => Box::new(StringBuilder::with_capacity(BATCH_ROWS, BATCH_ROWS * 16)),
        ColumnType::Int64 => Box::new(Int64Builder::with_capacity(BATCH_ROWS)),
        ColumnType::Float64 => Box::new(Float64Builder::with_capacity(BATCH_ROWS)),
        ColumnType::Date => Box::new(Date32Builder::with_capacity(BATCH_ROWS)),
        ColumnType::Timestamp => Box::new(TimestampMicrosecondBuilder::with_capacity(BATCH_ROWS)),
        ColumnType::Boolean => Box::new(BooleanBuilder::with_capacity(BATCH_ROWS)),
    }
}

fn data_type(ty: ColumnType) -> DataType {
    match ty {
        ColumnType::Utf8 => DataType::Utf8,
        ColumnType::Int64 => DataType::Int64,
        ColumnType::Float64 => DataType::Float64,
        ColumnType::Date => DataType::Date32,
        ColumnType::Timestamp => DataType::Timestamp(TimeUnit::Microsecond, None),
        ColumnType::Boolean => DataType::Boolean,
    }
}

const EPOCH: chrono::NaiveDate = match chrono::NaiveDate::from_ymd_opt(1970, 1, 1) {
    Some(d) => d,
    None => panic!("1970-01-01 is a date"),
};

impl VersionWriter {
    fn create(path: PathBuf, columns: &[Column], keys: &[&str]) -> Result<VersionWriter> {
        let fields: Vec<Field> = columns.iter().map(|c| Field::new(&c.name, data_type(c.ty), true)).collect();
        let schema = Arc::new(Schema::new(fields));
        let mut props = WriterProperties::builder().set_compression(Compression::SNAPPY).set_max_row_group_size(ROW_GROUP_ROWS);
        for key in keys {
            let column = parquet::schema::types::ColumnPath::from(*key);
            props = props
                .set_column_bloom_filter_enabled(column.clone(), true)
                .set_column_bloom_filter_ndv(column.clone(), ROW_GROUP_ROWS as u64)
                .set_column_bloom_filter_fpp(column, 0.01);
        }
        let props = props.build();
        let sink = Hashing { file: File::create(&path)?, hasher: Sha256::new(), bytes: 0 };
        let mut writer = ArrowWriter::try_new(std::io::BufWriter::with_capacity(1 << 20, sink), schema.clone(), Some(props))?;
        let (queue, batches) = std::sync::mpsc::sync_channel::<RecordBatch>(2);
        let encoder = std::thread::spawn(move || -> Result<Hashing> {
            for batch in batches {
                writer.write(&batch)?;
            }
            let buffered = writer.into_inner()?;
            buffered.into_inner().map_err(|e| Error::Io(e.into_error()))
        });
        Ok(VersionWriter {
            path,
            schema,
            columns: columns.to_vec(),
            builders: columns.iter().map(|c| builder(c.ty)).collect(),
            pending: 0,
            rows: 0,
            queue: Some(queue),
            encoder: Some(encoder),
        })
    }

    /// Appends a row of checked values (none for empty), one per column, in order.
    pub fn push(&mut self, values: &[Option<&str>]) -> Result<()> {
        for ((value, column), b) in values.iter().zip(&self.columns).zip(self.builders.iter_mut()) {
            let bad = || Error::Value { column: column.name.clone(), value: value.unwrap_or_default().chars().take(40).collect() };
            let any = b.as_any_mut();
            match (column.ty, value) {
                (ColumnType::Utf8, v) => any.downcast_mut::<StringBuilder>().expect("builder of its type").append_option(*v),
                (ColumnType::Int64, v) => {
                    let parsed = v.map(|s| s.parse::<i64>().map_err(|_| bad())).transpose()?;
                    any.downcast_mut::<Int64Builder>().expect("builder of its type").append_option(parsed)
                }
                (ColumnType::Float64, v) => {
                    let parsed = v.map(|s| s.parse::<f64>().map_err(|_| bad())).transpose()?;
                    any.downcast_mut::<Float64Builder>().expect("builder of its type").append_option(parsed)
                }
                (ColumnType::Date, v) => {
                    let parsed = v.map(|s| domain::catalog::validate::iso_date(s).map(|d| (d - EPOCH).num_days() as i32).ok_or_else(bad)).transpose()?;
                    any.downcast_mut::<Date32Builder>().expect("builder of its type").append_option(parsed)
                }
                (ColumnType::Timestamp, v) => {
                    let parsed = v
                        .map(|s| {
                            chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S")
                                .or_else(|_| chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M"))
                                .map(|t| t.and_utc().timestamp_micros())
                                .map_err(|_| bad())
                        })
                        .transpose()?;
                    any.downcast_mut::<TimestampMicrosecondBuilder>().expect("builder of its type").append_option(parsed)
                }
                (ColumnType::Boolean, v) => {
                    let parsed = v.map(|s| s.parse::<bool>().map_err(|_| bad())).transpose()?;
                    any.downcast_mut::<BooleanBuilder>().expect("builder of its type").append_option(parsed)
                }
            }
        }
        self.pending += 1;
        self.rows += 1;
        if self.pending >= BATCH_ROWS {
            self.flush()?;
        }
        Ok(())
    }

    /// Appends a record batch already of this version's schema (rows carried over from another version).
    pub(crate) fn push_batch(&mut self, batch: RecordBatch) -> Result<()> {
        self.flush()?;
        self.rows += batch.num_rows() as u64;
        self.send(batch)
    }

    fn flush(&mut self) -> Result<()> {
        if self.pending == 0 {
            return Ok(());
        }
        let arrays: Vec<ArrayRef> = self.builders.iter_mut().map(|b| b.finish()).collect();
        let batch = RecordBatch::try_new(self.schema.clone(), arrays)?;
        self.pending = 0;
        self.send(batch)
    }

    fn send(&mut self, batch: RecordBatch) -> Result<()> {
        let sent = self.queue.as_ref().map(|q| q.send(batch).is_ok()).unwrap_or(false);
        if !sent {
            // The encoder stopped: its error says why.
            return Err(self.join().err().unwrap_or_else(|| Error::Io(std::io::Error::other("the Parquet encoder stopped"))));
        }
        Ok(())
    }

    /// Ends the encoder and answers the file it wrote.
    fn join(&mut self) -> Result<Hashing> {
        self.queue = None;
        match self.encoder.take() {
            Some(handle) => handle.join().map_err(|_| Error::Io(std::io::Error::other("the Parquet encoder panicked")))?,
            None => Err(Error::Io(std::io::Error::other("the Parquet encoder already ended"))),
        }
    }

    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Finishes the file, flushes it to disk and answers its fingerprint.
    pub fn finish(mut self) -> Result<Staged> {
        self.flush()?;
        let sink = self.join()?;
        sink.file.sync_all()?;
        Ok(Staged { tmp: self.path.clone(), rows: self.rows, bytes: sink.bytes, sha256: hex::encode(sink.hasher.finalize()) })
    }

    /// Gives up the version: its file is removed.
    pub fn abandon(mut self) {
        let _ = self.join();
        let _ = fs::remove_file(&self.path);
    }
}

/// Quarantined rows, as CSV.
pub struct QuarantineWriter {
    path: PathBuf,
    file: std::io::BufWriter<File>,
    pub rows: u64,
}

impl QuarantineWriter {
    pub fn write_record<'a>(&mut self, cells: impl IntoIterator<Item = &'a str>) -> Result<()> {
        write_csv_record(&mut self.file, cells.into_iter())?;
        self.rows += 1;
        Ok(())
    }
}

/// Writes one CSV record, quoting the cells that need it.
pub(crate) fn write_csv_record<'a>(w: &mut impl Write, cells: impl Iterator<Item = &'a str>) -> std::io::Result<()> {
    for (i, cell) in cells.enumerate() {
        if i > 0 {
            w.write_all(b",")?;
        }
        if cell.contains([',', '"', '\n', '\r']) {
            w.write_all(b"\"")?;
            w.write_all(cell.replace('"', "\"\"").as_bytes())?;
            w.write_all(b"\"")?;
        } else {
            w.write_all(cell.as_bytes())?;
        }
    }
    w.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn columns() -> Vec<Column> {
        vec![
            Column { name: "zjhm".into(), ty: ColumnType::Utf8 },
            Column { name: "csrq".into(), ty: ColumnType::Date },
            Column { name: "nl".into(), ty: ColumnType::Int64 },
            Column { name: "hz".into(), ty: ColumnType::Boolean },
        ]
    }

    #[test]
    fn a_version_appears_whole_only_when_committed_and_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let lake = Lake::open(dir.path()).unwrap();
        let mut w = lake.stage(&columns()).unwrap();
        for i in 0..40_000 {
            let age = (i % 90).to_string();
            w.push(&[Some("11010519491231002X"), Some("1949-12-31"), Some(&age), if i % 2 == 0 { Some("true") } else { None }]).unwrap();
        }
        let staged = w.finish().unwrap();
        assert_eq!(staged.rows, 40_000);
        assert_eq!(staged.sha256.len(), 64);
        assert!(fs::read_dir(dir.path().join("versions")).unwrap().next().is_none(), "nothing in the lake before the commit");
        let rel = lake.commit(staged, "230500-002-00001", 1).unwrap();
        assert!(rel.starts_with("versions/230500-002-00001/v000001-") && rel.ends_with(".parquet"), "{rel}");
        let (names, rows) = lake.read_rows(&rel).unwrap();
        assert_eq!(names, ["zjhm", "csrq", "nl", "hz"]);
        assert_eq!(rows.len(), 40_000);
        assert_eq!(rows[1], [Some("11010519491231002X".to_string()), Some("1949-12-31".into()), Some("1".into()), None]);
        assert!(lake.read_rows("../etc/passwd").is_err(), "paths stay in the lake");
        assert!(lake.commit(lake.stage(&columns()).unwrap().finish().unwrap(), "../x", 1).is_err());
    }

    #[test]
    fn sweep_removes_what_no_version_names() {
        let dir = tempfile::tempdir().unwrap();
        let lake = Lake::open(dir.path()).unwrap();
        let kept = lake.commit(lake.stage(&columns()).unwrap().finish().unwrap(), "R-1", 1).unwrap();
        let orphan = lake.commit(lake.stage(&columns()).unwrap().finish().unwrap(), "R-1", 2).unwrap();
        let _interrupted = lake.stage(&columns()).unwrap();
        let keep: std::collections::HashSet<String> = [kept.clone()].into();
        assert_eq!(lake.sweep(&keep, std::time::Duration::from_secs(3600)).unwrap(), 0, "another node may be delivering them");
        assert_eq!(lake.sweep(&keep, std::time::Duration::ZERO).unwrap(), 2, "the orphan and the unfinished temp file");
        assert!(dir.path().join(&kept).exists() && !dir.path().join(&orphan).exists());
    }

    #[test]
    fn a_value_the_validation_should_have_refused_is_an_error_not_a_guess() {
        let dir = tempfile::tempdir().unwrap();
        let lake = Lake::open(dir.path()).unwrap();
        let mut w = lake.stage(&columns()).unwrap();
        assert!(matches!(w.push(&[Some("x"), Some("1949-13-01"), None, None]), Err(Error::Value { .. })));
        w.abandon();
        assert!(fs::read_dir(dir.path().join("tmp")).unwrap().next().is_none());
    }

    #[test]
    fn a_merge_replaces_rows_by_key_keeps_the_rest_and_reads_as_parquet_delivery() {
        let dir = tempfile::tempdir().unwrap();
        let lake = Lake::open(dir.path()).unwrap();
        let mut w = lake.stage(&columns()).unwrap();
        for (id, age) in [("A", "1"), ("B", "2"), ("C", "3")] {
            w.push(&[Some(id), Some("2000-01-01"), Some(age), None]).unwrap();
        }
        let v1 = lake.commit(w.finish().unwrap(), "R-1", 1).unwrap();
        let mut d = lake.stage(&columns()).unwrap();
        d.push(&[Some("B"), Some("2000-01-01"), Some("20"), Some("true")]).unwrap();
        d.push(&[Some("D"), Some("2001-02-03"), Some("4"), None]).unwrap();
        let merged = lake.merge(&v1, d.finish().unwrap(), &columns(), &["zjhm"]).unwrap();
        assert_eq!((merged.replaced, merged.kept, merged.staged.rows), (1, 2, 4));
        let v2 = lake.commit(merged.staged, "R-1", 2).unwrap();
        let (_, rows) = lake.read_rows(&v2).unwrap();
        let ids: Vec<(String, String)> = rows.iter().map(|r| (r[0].clone().unwrap(), r[2].clone().unwrap())).collect();
        assert_eq!(ids, [("A".into(), "1".into()), ("C".into(), "3".into()), ("B".into(), "20".into()), ("D".into(), "4".into())]);
        assert_eq!(lake.read_rows(&v1).unwrap().1.len(), 3, "the previous version is untouched");
        assert!(fs::read_dir(dir.path().join("tmp")).unwrap().next().is_none(), "the delta is removed");

        let out = dir.path().join("out.csv");
        assert_eq!(parquet_to_csv(&dir.path().join(&v2), &out).unwrap(), 4);
        let csv = fs::read_to_string(&out).unwrap();
        assert!(csv.starts_with("zjhm,csrq,nl,hz\nA,2000-01-01,1,\n"), "{csv}");
        assert!(csv.contains("B,2000-01-01,20,true\n"), "{csv}");
        std::fs::write(dir.path().join("bad.parquet"), b"PAR1 not really").unwrap();
        assert!(parquet_to_csv(&dir.path().join("bad.parquet"), &out).is_err());
    }

    #[test]
    fn a_lake_in_an_s3_compatible_store_commits_whole_files_reads_them_back_and_sweeps_orphans() {
        let server = testing::S3Server::start();
        let config = server.bucket("lake-test", "city/shuyuan");
        let dir = tempfile::tempdir().unwrap();
        let lake = Lake::open_remote(dir.path(), &config).unwrap();
        let mut w = lake.stage_keyed(&columns(), &["zjhm"]).unwrap();
        // Enough rows for a multipart upload (parts of 8 MiB).
        // Keys that do not compress, so the file spans several parts.
        let mix = |mut x: u64| {
            x = (x ^ (x >> 30)).wrapping_mul(0xbf58476d1ce4e5b9);
            x = (x ^ (x >> 27)).wrapping_mul(0x94d049bb133111eb);
            x ^ (x >> 31)
        };
        for i in 0..400_000u64 {
            let id = if i == 399_999 || i == 1 { format!("{i:018}") } else { format!("{:016x}{:016x}", mix(i), mix(i + 1 << 32)) };
            let age = (i % 90).to_string();
            w.push(&[Some(&id), Some("1990-01-01"), Some(&age), None]).unwrap();
        }
        let staged = w.finish().unwrap();
        assert!(staged.bytes > 8 << 20, "a multipart upload: {} bytes", staged.bytes);
        let rel = lake.commit(staged, "230500-002-00001", 1).unwrap();
        assert!(server.keys("lake-test").contains(&format!("city/shuyuan/{rel}")), "{:?}", server.keys("lake-test"));
        assert!(fs::read_dir(dir.path().join("tmp")).unwrap().next().is_none(), "nothing left in staging");

        // Another node (an empty local folder) reads it from the store.
        let other = tempfile::tempdir().unwrap();
        let reader = Lake::open_remote(other.path(), &config).unwrap();
        let (names, rows, total) = reader.read_page(&rel, 399_998, 10).unwrap();
        assert_eq!((names.len(), rows.len(), total), (4, 2, 400_000));
        assert_eq!(rows[1][0].as_deref(), Some("000000000000399999"));
        assert!(reader.read_page("versions/x/none.parquet", 0, 1).is_err(), "a missing object is an error");
        assert!(reader.local("../secret.key").is_err(), "paths stay in the lake");

        // A merge reads the previous version through the store too.
        let mut d = reader.stage(&columns()).unwrap();
        d.push(&[Some("000000000000000001"), Some("1990-01-01"), Some("99"), Some("true")]).unwrap();
        let merged = reader.merge(&rel, d.finish().unwrap(), &columns(), &["zjhm"]).unwrap();
        assert_eq!((merged.replaced, merged.staged.rows), (1, 400_000));
        let v2 = reader.commit(merged.staged, "230500-002-00001", 2).unwrap();

        // Quarantines go to the store as well.
        let mut q = lake.quarantine(&["line", "problem"]).unwrap();
        q.write_record(["2", "bad id"]).unwrap();
        let qrel = lake.keep_quarantine(q, 7).unwrap();
        assert!(String::from_utf8_lossy(&reader.read_file(&qrel).unwrap()).contains("2,bad id"));

        // An upload the control plane never recorded is swept; recorded ones stay.
        let orphan = lake.commit(lake.stage(&columns()).unwrap().finish().unwrap(), "230500-002-00001", 3).unwrap();
        let keep: std::collections::HashSet<String> = [rel.clone(), v2.clone()].into();
        assert_eq!(lake.sweep(&keep, std::time::Duration::from_secs(3600)).unwrap(), 0, "another node may be delivering it");
        assert_eq!(lake.sweep(&keep, std::time::Duration::ZERO).unwrap(), 1);
        let keys = server.keys("lake-test");
        assert!(!keys.iter().any(|k| k.ends_with(&orphan)) && keys.iter().any(|k| k.ends_with(&v2)), "{keys:?}");
        assert!(!dir.path().join("cache").join(&orphan).exists(), "its local copy too");
        lake.remove(&v2);
        assert!(!server.keys("lake-test").iter().any(|k| k.ends_with(&v2)));
    }

    #[test]
    fn a_wrong_object_store_setting_fails_at_open_with_what_to_fix() {
        let dir = tempfile::tempdir().unwrap();
        let wrong = |url: &str| Lake::open_remote(dir.path(), &StoreConfig { url: url.into(), ..Default::default() }).unwrap_err().to_string();
        assert!(wrong("oss://bucket").contains("s3://"));
        assert!(wrong("s3://").contains("bucket"));
        let server = testing::S3Server::start();
        let mut config = server.bucket("exists", "");
        config.url = "s3://no-such-bucket".into();
        assert!(Lake::open_remote(dir.path(), &config).is_err(), "a bucket that does not exist is refused at start");
    }
}
