//! What changed between two versions of a resource, by key, in the columns a consumer is given: the rows to add or
//! replace and the keys gone. Data push (数据推送) sends a consumer these instead of the whole version. The base
//! version's rows are held as a fingerprint per key (the key and 8 bytes), the new one streamed; a column either
//! version lacks reads as empty.

use std::collections::HashMap;
use std::fs::File;
use std::path::Path;

use arrow_array::{Array, RecordBatch};
use arrow_cast::display::{ArrayFormatter, FormatOptions};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ProjectionMask;
use sha2::{Digest, Sha256};

use crate::{Error, Result};

/// One change: a row (its key and the columns' values) to add or replace, or a key no longer present.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Upsert { key: String, values: Vec<Option<String>> },
    Delete { key: String },
}

fn formats() -> FormatOptions<'static> {
    FormatOptions::default()
        .with_date_format(Some("%Y-%m-%d"))
        .with_datetime_format(Some("%Y-%m-%d %H:%M:%S"))
        .with_timestamp_format(Some("%Y-%m-%d %H:%M:%S"))
}

/// Reads `columns` (and `key`) of the version file at `path` batch by batch, calling `row` with each row's key and
/// values; rows without a key are skipped (a version's keys are required and unique).
fn each_row(path: &Path, key: &str, columns: &[String], mut row: impl FnMut(String, Vec<Option<String>>) -> Result<()>) -> Result<()> {
    let builder = ParquetRecordBatchReaderBuilder::try_new(File::open(path)?)?;
    let schema = builder.schema().clone();
    let key_index = schema.index_of(key).map_err(|_| Error::Value { column: key.into(), value: "no such column".into() })?;
    let mut roots: Vec<usize> = columns.iter().filter_map(|c| schema.index_of(c).ok()).collect();
    roots.push(key_index);
    roots.sort_unstable();
    roots.dedup();
    let mask = ProjectionMask::roots(builder.parquet_schema(), roots);
    let reader = builder.with_projection(mask).with_batch_size(16_384).build()?;
    let options = formats();
    for batch in reader {
        let batch: RecordBatch = batch?;
        let projected = batch.schema();
        let key_at = projected.index_of(key)?;
        let keys = ArrayFormatter::try_new(batch.column(key_at).as_ref(), &options)?;
        let formatters: Vec<Option<(usize, ArrayFormatter)>> = columns
            .iter()
            .map(|c| projected.index_of(c).ok().map(|i| ArrayFormatter::try_new(batch.column(i).as_ref(), &options).map(|f| (i, f))).transpose())
            .collect::<std::result::Result<_, _>>()?;
        for r in 0..batch.num_rows() {
            if batch.column(key_at).is_null(r) {
                continue;
            }
            let values = formatters
                .iter()
                .map(|f| f.as_ref().filter(|(i, _)| !batch.column(*i).is_null(r)).map(|(_, f)| f.value(r).to_string()))
                .collect::<Vec<_>>();
            row(keys.value(r).to_string(), values)?;
        }
    }
    Ok(())
}

fn fingerprint(values: &[Option<String>]) -> [u8; 8] {
    let mut h = Sha256::new();
    for v in values {
        match v {
            Some(v) => {
                h.update([1]);
                h.update((v.len() as u64).to_le_bytes());
                h.update(v.as_bytes());
            }
            None => h.update([0]),
        }
    }
    h.finalize()[..8].try_into().expect("8 bytes")
}

/// Calls `out` with every change from the version at `base` (none: everything is new) to the one at `new`, in the
/// new version's row order, then the deletions. Answers (upserts, deletes).
pub fn changes(base: Option<&Path>, new: &Path, key: &str, columns: &[String], mut out: impl FnMut(Change) -> Result<()>) -> Result<(u64, u64)> {
    let mut before: HashMap<Box<str>, [u8; 8]> = HashMap::new();
    if let Some(base) = base {
        each_row(base, key, columns, |k, values| {
            before.insert(k.into_boxed_str(), fingerprint(&values));
            Ok(())
        })?;
    }
    let mut upserts = 0;
    each_row(new, key, columns, |k, values| {
        let print = fingerprint(&values);
        match before.remove(k.as_str()) {
            Some(old) if old == print => Ok(()),
            _ => {
                upserts += 1;
                out(Change::Upsert { key: k, values })
            }
        }
    })?;
    let mut gone: Vec<Box<str>> = before.into_keys().collect();
    gone.sort_unstable();
    let deletes = gone.len() as u64;
    for k in gone {
        out(Change::Delete { key: k.into() })?;
    }
    Ok((upserts, deletes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Column, ColumnType, Lake};

    fn version(lake: &Lake, n: i64, rows: &[(&str, Option<&str>, &str)]) -> std::path::PathBuf {
        let columns = [
            Column { name: "zjhm".into(), ty: ColumnType::Utf8 },
            Column { name: "xm".into(), ty: ColumnType::Utf8 },
            Column { name: "csrq".into(), ty: ColumnType::Date },
        ];
        let mut w = lake.stage(&columns).unwrap();
        for (k, name, born) in rows {
            w.push(&[Some(k), *name, Some(born)]).unwrap();
        }
        let rel = lake.commit(w.finish().unwrap(), "R-1", n).unwrap();
        lake.local(&rel).unwrap()
    }

    #[test]
    fn only_changed_added_and_removed_rows_are_pushed() {
        let dir = tempfile::tempdir().unwrap();
        let lake = Lake::open(dir.path()).unwrap();
        let v1 = version(&lake, 1, &[("A", Some("张三"), "1990-01-02"), ("B", Some("李四"), "1991-03-04"), ("C", None, "1992-05-06")]);
        let v2 = version(&lake, 2, &[("C", None, "1992-05-06"), ("A", Some("张三丰"), "1990-01-02"), ("D", Some("王五"), "1993-07-08")]);
        let wanted = ["xm".to_string(), "csrq".to_string()];
        let mut got = Vec::new();
        let counts = changes(Some(&v1), &v2, "zjhm", &wanted, |c| {
            got.push(c);
            Ok(())
        })
        .unwrap();
        assert_eq!(counts, (2, 1));
        assert_eq!(
            got,
            vec![
                Change::Upsert { key: "A".into(), values: vec![Some("张三丰".into()), Some("1990-01-02".into())] },
                Change::Upsert { key: "D".into(), values: vec![Some("王五".into()), Some("1993-07-08".into())] },
                Change::Delete { key: "B".into() },
            ]
        );
        // A change in a column the consumer is not given is not a change for them.
        let mut none = 0;
        let counts = changes(Some(&v1), &v2, "zjhm", &["csrq".to_string()], |c| {
            none += matches!(c, Change::Upsert { ref key, .. } if key == "A") as u32;
            Ok(())
        })
        .unwrap();
        assert_eq!((counts, none), ((1, 1), 0));
        // No base: everything, nulls as nulls; a column the version lacks reads as empty.
        let mut all = Vec::new();
        changes(None, &v1, "zjhm", &["xm".to_string(), "nope".to_string()], |c| {
            all.push(c);
            Ok(())
        })
        .unwrap();
        assert_eq!(all[2], Change::Upsert { key: "C".into(), values: vec![None, None] });
    }
}
