//! Parquet as a delivery format: a department's Parquet file is read a batch at a time and written out as CSV
//! text, so it goes through the same row checks as every other delivery. Values are written as Arrow displays
//! them, dates as `YYYY-MM-DD` and times as `YYYY-MM-DD HH:MM:SS`.

use std::fs::File;
use std::io::Write;
use std::path::Path;

use arrow_array::RecordBatchReader;
use arrow_cast::display::{ArrayFormatter, FormatOptions};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::Result;

/// Writes the Parquet file at `path` as CSV (header, then rows) to `out`. Answers the rows written.
pub fn parquet_to_csv(path: &Path, out: &Path) -> Result<u64> {
    let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(path)?)?.with_batch_size(8192).build()?;
    let names: Vec<String> = reader.schema().fields().iter().map(|f| f.name().clone()).collect();
    let mut w = std::io::BufWriter::with_capacity(1 << 20, File::create(out)?);
    crate::write_csv_record(&mut w, names.iter().map(String::as_str))?;
    let options = FormatOptions::default()
        .with_null("")
        .with_date_format(Some("%Y-%m-%d"))
        .with_datetime_format(Some("%Y-%m-%d %H:%M:%S"))
        .with_timestamp_format(Some("%Y-%m-%d %H:%M:%S"))
        .with_timestamp_tz_format(Some("%Y-%m-%d %H:%M:%S"));
    let mut rows = 0u64;
    let mut cells: Vec<String> = Vec::with_capacity(names.len());
    for batch in reader {
        let batch = batch?;
        let formatters = batch.columns().iter().map(|c| ArrayFormatter::try_new(c.as_ref(), &options)).collect::<Result<Vec<_>, _>>()?;
        for r in 0..batch.num_rows() {
            cells.clear();
            for f in &formatters {
                cells.push(f.value(r).to_string());
            }
            crate::write_csv_record(&mut w, cells.iter().map(String::as_str))?;
            rows += 1;
        }
    }
    w.flush()?;
    Ok(rows)
}

