//! Batch delivery of shared data: a version's granted columns written out for one consumer, in a row order keyed
//! by the delivery's secret (rows sorted by SHA-256 of secret ‖ key). Every consumer's file therefore differs, and
//! a leaked copy — even re-saved from a spreadsheet or cut down — is traced back to its delivery by the order of its
//! keys ([`order_match`]). Parquet files also name the delivery in their metadata.

use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use arrow_array::{RecordBatch, UInt32Array};
use arrow_cast::display::{ArrayFormatter, FormatOptions};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::{ArrowWriter, ProjectionMask};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use sha2::{Digest, Sha256};

use crate::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Parquet,
}

fn rank(secret: &[u8], key: &str) -> u64 {
    let mut h = Sha256::new();
    h.update(secret);
    h.update(key.as_bytes());
    let d = h.finalize();
    u64::from_be_bytes(d[..8].try_into().expect("8 bytes"))
}

fn formats() -> FormatOptions<'static> {
    FormatOptions::default()
        .with_null("")
        .with_date_format(Some("%Y-%m-%d"))
        .with_datetime_format(Some("%Y-%m-%d %H:%M:%S"))
        .with_timestamp_format(Some("%Y-%m-%d %H:%M:%S"))
}

/// Writes `columns` of the version file at `version` to `out`, rows in the order `secret` gives their `key`
/// values; `delivery` names the delivery in Parquet metadata. Answers the rows written. The selected columns are
/// held in memory while they are reordered.
pub fn export(version: &Path, columns: &[String], key: &str, secret: &[u8], delivery: &str, out: &Path, format: ExportFormat) -> Result<u64> {
    let builder = ParquetRecordBatchReaderBuilder::try_new(File::open(version)?)?;
    let schema = builder.schema().clone();
    let mut wanted: Vec<String> = columns.to_vec();
    if !wanted.iter().any(|c| c == key) {
        wanted.push(key.to_string());
    }
    let mut indices = Vec::new();
    for name in &wanted {
        indices.push(schema.index_of(name).map_err(|_| Error::Value { column: name.clone(), value: "no such column".into() })?);
    }
    let mask = ProjectionMask::roots(builder.parquet_schema(), indices);
    let reader = builder.with_projection(mask).with_batch_size(65_536).build()?;
    let batches: Vec<RecordBatch> = reader.collect::<std::result::Result<_, _>>()?;
    let projected = match batches.first() {
        Some(b) => b.schema(),
        None => Arc::new(schema.project(&wanted.iter().map(|n| schema.index_of(n).expect("checked")).collect::<Vec<_>>())?),
    };
    let all = arrow_select::concat::concat_batches(&projected, &batches)?;
    let key_at = projected.index_of(key)?;
    let options = formats();
    let keys = ArrayFormatter::try_new(all.column(key_at).as_ref(), &options)?;
    let mut order: Vec<(u64, u32)> = (0..all.num_rows()).map(|r| (rank(secret, &keys.value(r).to_string()), r as u32)).collect();
    order.sort_unstable();
    let take = UInt32Array::from(order.iter().map(|(_, r)| *r).collect::<Vec<_>>());
    let sorted = arrow_select::take::take_record_batch(&all, &take)?;
    let keep: Vec<usize> = columns.iter().map(|c| projected.index_of(c)).collect::<std::result::Result<_, _>>()?;
    let sorted = sorted.project(&keep)?;
    match format {
        ExportFormat::Csv => {
            let mut w = std::io::BufWriter::with_capacity(1 << 20, File::create(out)?);
            w.write_all(&[0xEF, 0xBB, 0xBF])?;
            crate::write_csv_record(&mut w, columns.iter().map(String::as_str))?;
            let formatters = sorted.columns().iter().map(|c| ArrayFormatter::try_new(c.as_ref(), &options)).collect::<std::result::Result<Vec<_>, _>>()?;
            let mut cells: Vec<String> = Vec::with_capacity(columns.len());
            for r in 0..sorted.num_rows() {
                cells.clear();
                cells.extend(formatters.iter().map(|f| f.value(r).to_string()));
                crate::write_csv_record(&mut w, cells.iter().map(String::as_str))?;
            }
            w.flush()?;
            w.get_ref().sync_all()?;
        }
        ExportFormat::Parquet => {
            let props = WriterProperties::builder()
                .set_compression(parquet::basic::Compression::SNAPPY)
                .set_key_value_metadata(Some(vec![KeyValue::new("shuyuan.delivery".into(), delivery.to_string())]))
                .build();
            let mut w = ArrowWriter::try_new(File::create(out)?, sorted.schema(), Some(props))?;
            w.write(&sorted)?;
            w.close()?;
        }
    }
    Ok(sorted.num_rows() as u64)
}

/// How closely `keys`, in the order a file holds them, follow the order `secret` gives: the share of neighbouring
/// pairs in that order (about one half for any other order; one for the delivery's own file, cut or not).
pub fn order_match(keys: &[String], secret: &[u8]) -> f64 {
    if keys.len() < 2 {
        return 0.0;
    }
    let ranks: Vec<u64> = keys.iter().map(|k| rank(secret, k)).collect();
    let ordered = ranks.windows(2).filter(|w| w[0] <= w[1]).count();
    ordered as f64 / (ranks.len() - 1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Column, ColumnType, Lake};

    #[test]
    fn each_delivery_orders_rows_by_its_secret_and_a_leaked_copy_is_traced() {
        let dir = tempfile::tempdir().unwrap();
        let lake = Lake::open(dir.path()).unwrap();
        let columns = [Column { name: "zjhm".into(), ty: ColumnType::Utf8 }, Column { name: "xm".into(), ty: ColumnType::Utf8 }, Column { name: "lxdh".into(), ty: ColumnType::Utf8 }];
        let mut w = lake.stage(&columns).unwrap();
        for i in 0..500 {
            let (id, name) = (format!("K{i:04}"), format!("居民{i}"));
            w.push(&[Some(&id), Some(&name), Some("13800000000")]).unwrap();
        }
        let rel = lake.commit(w.finish().unwrap(), "R-1", 1).unwrap();
        let path = lake.local(&rel).unwrap();
        let wanted = vec!["zjhm".to_string(), "xm".to_string()];
        let (a, b) = (dir.path().join("a.csv"), dir.path().join("b.parquet"));
        assert_eq!(export(&path, &wanted, "zjhm", b"secret-a", "1", &a, ExportFormat::Csv).unwrap(), 500);
        assert_eq!(export(&path, &wanted, "zjhm", b"secret-b", "2", &b, ExportFormat::Parquet).unwrap(), 500);
        let text = std::fs::read_to_string(&a).unwrap();
        assert!(text.starts_with("\u{feff}zjhm,xm\n") && !text.contains("1380000"), "only the granted columns");
        let leaked: Vec<String> = text.lines().skip(1).map(|l| l.split(',').next().unwrap().to_string()).collect();
        assert_eq!(order_match(&leaked, b"secret-a"), 1.0);
        assert!(order_match(&leaked, b"secret-b") < 0.7, "another delivery's order does not match");
        let cut: Vec<String> = leaked.iter().step_by(7).cloned().collect();
        assert_eq!(order_match(&cut, b"secret-a"), 1.0, "a cut-down copy is traced too");
        let (names, rows, total) = {
            let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(&b).unwrap()).unwrap();
            let kv = reader.metadata().file_metadata().key_value_metadata().cloned().unwrap_or_default();
            assert!(kv.iter().any(|k| k.key == "shuyuan.delivery" && k.value.as_deref() == Some("2")));
            let names: Vec<String> = reader.schema().fields().iter().map(|f| f.name().clone()).collect();
            let rows: usize = reader.build().unwrap().map(|b| b.unwrap().num_rows()).sum();
            (names, rows, 500)
        };
        assert_eq!((names, rows), (wanted, total));
    }
}
