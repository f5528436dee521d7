//! A version held in memory with a hash index on its key: the sharing API looks records up by key many thousand
//! times a second, which a Parquet scan per call cannot do. A version file never changes, so a loaded table never
//! goes stale; the caller decides how many to keep.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fs::File;
use std::path::Path;

use arrow_array::{ArrayRef, RecordBatch, RecordBatchReader};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::{text, text_ref, Error, Result};

pub struct KeyedTable {
    names: Vec<String>,
    batch: RecordBatch,
    index: HashMap<Box<str>, u32>,
}

impl KeyedTable {
    /// Reads the version file at `path` whole and indexes it by `key` (the first row of a key wins, as a version's
    /// keys are unique).
    pub fn load(path: &Path, key: &str) -> Result<KeyedTable> {
        let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(path)?)?.with_batch_size(65_536).build()?;
        let schema = reader.schema();
        let batches: Vec<RecordBatch> = reader.collect::<std::result::Result<_, _>>()?;
        let batch = arrow_select::concat::concat_batches(&schema, &batches)?;
        let names: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
        let at = names.iter().position(|n| n == key).ok_or_else(|| Error::Value { column: key.into(), value: "no such column".into() })?;
        let column: &ArrayRef = batch.column(at);
        let mut index = HashMap::with_capacity(batch.num_rows());
        for row in 0..batch.num_rows() {
            if let Some(k) = text(column, row) {
                index.entry(k.into_boxed_str()).or_insert(row as u32);
            }
        }
        Ok(KeyedTable { names, batch, index })
    }

    pub fn rows(&self) -> usize {
        self.batch.num_rows()
    }

    /// The row with `key`.
    pub fn row(&self, key: &str) -> Option<usize> {
        self.index.get(key).map(|&row| row as usize)
    }

    /// The values of `columns` in `row` as text (none for null or a column the version lacks), text columns borrowed
    /// from the table rather than copied: the sharing API masks most values it reads, so a copy would be thrown away.
    pub fn values(&self, row: usize, columns: &[String]) -> Vec<Option<Cow<'_, str>>> {
        columns.iter().map(|c| self.names.iter().position(|n| n == c).and_then(|i| text_ref(self.batch.column(i), row))).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Column, ColumnType, Lake};

    #[test]
    fn a_version_in_memory_answers_by_key() {
        let dir = tempfile::tempdir().unwrap();
        let lake = Lake::open(dir.path()).unwrap();
        let columns = [Column { name: "zjhm".into(), ty: ColumnType::Utf8 }, Column { name: "nl".into(), ty: ColumnType::Int64 }];
        let mut w = lake.stage(&columns).unwrap();
        for i in 0..100_000 {
            w.push(&[Some(&format!("K{i}")), if i % 2 == 0 { Some("30") } else { None }]).unwrap();
        }
        let rel = lake.commit(w.finish().unwrap(), "R-1", 1).unwrap();
        let t = KeyedTable::load(&lake.local(&rel).unwrap(), "zjhm").unwrap();
        assert_eq!(t.rows(), 100_000);
        let wanted = ["nl".to_string(), "zjhm".to_string(), "nope".to_string()];
        let get = |key: &str, columns: &[String]| t.row(key).map(|row| t.values(row, columns));
        assert_eq!(get("K99998", &wanted), Some(vec![Some("30".into()), Some("K99998".into()), None]));
        assert_eq!(get("K99999", &wanted[..1]), Some(vec![None]));
        assert_eq!(get("K100000", &wanted), None);
        let row = t.row("K99998").unwrap();
        let values = t.values(row, &wanted);
        assert!(matches!(values[1], Some(Cow::Borrowed("K99998"))), "text is read in place: {values:?}");
        assert_eq!(values[0].as_deref(), Some("30"));
        assert!(KeyedTable::load(&lake.local(&rel).unwrap(), "xm").is_err());
    }
}
