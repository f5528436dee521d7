//! Merging a delivery into the previous version by key (an incremental sync, an API push of changed rows): the
//! new version holds the previous rows whose key the delivery does not carry, then the delivered rows. The
//! delivery's keys are held in memory (a delivery of changes is small next to the dataset); the previous version
//! streams through a batch at a time.

use std::collections::HashSet;
use std::fs::File;

use arrow_array::{ArrayRef, BooleanArray, RecordBatch};
use arrow_select::filter::filter_record_batch;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::{text, Column, Lake, Result, Staged};

/// The key of row `row` as one string: the key columns' text joined by a separator no value holds.
fn key_of(columns: &[ArrayRef], row: usize) -> String {
    let mut key = String::new();
    for (i, c) in columns.iter().enumerate() {
        if i > 0 {
            key.push('\u{1f}');
        }
        key.push_str(text(c, row).as_deref().unwrap_or(""));
    }
    key
}

fn key_columns(batch: &RecordBatch, key: &[&str]) -> Result<Vec<ArrayRef>> {
    key.iter()
        .map(|k| batch.column_by_name(k).cloned().ok_or_else(|| crate::Error::Value { column: (*k).to_string(), value: "(missing key column)".into() }))
        .collect()
}

/// What a merge made.
#[derive(Debug)]
pub struct Merged {
    pub staged: Staged,
    /// Previous rows the delivery replaced.
    pub replaced: u64,
    /// Previous rows kept as they were.
    pub kept: u64,
}

impl Lake {
    /// Builds a new staged version from the committed version `previous` and the staged `delta`, both with
    /// `columns` (the previous version may have fewer or other-typed columns after the catalog changed: its rows
    /// are then carried over value by value, a missing column as empty). `delta` is consumed.
    pub fn merge(&self, previous: &str, delta: Staged, columns: &[Column], key: &[&str]) -> Result<Merged> {
        let result = self.merge_into(previous, &delta, columns, key);
        self.discard(delta);
        result
    }

    fn merge_into(&self, previous: &str, delta: &Staged, columns: &[Column], key: &[&str]) -> Result<Merged> {
        let mut keys: HashSet<String> = HashSet::new();
        for batch in ParquetRecordBatchReaderBuilder::try_new(File::open(&delta.tmp)?)?.build()? {
            let batch = batch?;
            let k = key_columns(&batch, key)?;
            for r in 0..batch.num_rows() {
                keys.insert(key_of(&k, r));
            }
        }
        let mut writer = self.stage_keyed(columns, key)?;
        let (mut replaced, mut kept) = (0u64, 0u64);
        let mut copy = || -> Result<()> {
            for batch in ParquetRecordBatchReaderBuilder::try_new(File::open(self.local(previous)?)?)?.build()? {
                let batch = batch?;
                let k = key_columns(&batch, key)?;
                let keep: BooleanArray = (0..batch.num_rows()).map(|r| Some(!keys.contains(&key_of(&k, r)))).collect();
                let kept_here = keep.true_count() as u64;
                replaced += batch.num_rows() as u64 - kept_here;
                kept += kept_here;
                let batch = filter_record_batch(&batch, &keep)?;
                if batch.schema().fields() == writer.schema.fields() {
                    writer.push_batch(batch)?;
                } else {
                    // The catalog changed since: carry each value over by column name.
                    let by_name: Vec<Option<ArrayRef>> = columns.iter().map(|c| batch.column_by_name(&c.name).cloned()).collect();
                    for r in 0..batch.num_rows() {
                        let values: Vec<Option<String>> = by_name.iter().map(|c| c.as_ref().and_then(|c| text(c, r))).collect();
                        let refs: Vec<Option<&str>> = values.iter().map(|v| v.as_deref()).collect();
                        writer.push(&refs)?;
                    }
                }
            }
            for batch in ParquetRecordBatchReaderBuilder::try_new(File::open(&delta.tmp)?)?.build()? {
                writer.push_batch(batch?)?;
            }
            Ok(())
        };
        match copy() {
            Ok(()) => Ok(Merged { staged: writer.finish()?, replaced, kept }),
            Err(e) => {
                writer.abandon();
                Err(e)
            }
        }
    }
}
