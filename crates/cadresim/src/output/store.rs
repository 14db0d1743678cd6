//! How a table is stored: as CSV (the default) or as Apache Parquet (`output.format`). Every
//! table is produced as text records, the cells of its CSV; a `TableWriter` writes them as CSV
//! or converts them to typed Parquet columns, one row group of `ROW_GROUP` rows at a time so
//! that memory stays flat however long the table. A `TableReader` gives the same text records
//! back from either format, so every reader of results reads both. Also the one float
//! formatting (`number`) and the read error of every table.
//!
//! Architecture Invariant: a column's Parquet type is a function of its name alone
//! (`column_kind`), the type every CSV reader infers for it except unit codes, kept as text;
//! a float written to Parquet reads back as the text `number` wrote to CSV.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use parquet::basic::{Compression, LogicalType, Repetition, Type as Physical};
use parquet::data_type::{BoolType, ByteArray, ByteArrayType, DoubleType, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::file::writer::SerializedFileWriter;
use parquet::record::{reader::RowIter, Field};
use parquet::schema::types::Type;

pub use crate::rows::number;

/// A table that cannot be read back, with the file and what is wrong.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}")]
pub struct ReadError {
    pub path: String,
    pub message: String,
}

impl ReadError {
    pub(crate) fn new(path: &Path, message: impl std::fmt::Display) -> Self {
        ReadError {
            path: path.display().to_string(),
            message: message.to_string(),
        }
    }
}

pub use crate::params::TableFormat as Format;

/// The file name of table `stem` (`timeseries`) in `format`.
pub fn file_name(format: Format, stem: &str) -> String {
    format!("{stem}.{}", format.name())
}

/// The file of table `stem` in `dir`: `stem.parquet` when there is one, else `stem.csv`.
pub fn find(dir: &Path, stem: &str) -> PathBuf {
    let parquet = dir.join(file_name(Format::Parquet, stem));
    if parquet.exists() {
        parquet
    } else {
        dir.join(file_name(Format::Csv, stem))
    }
}

/// Rows of a Parquet row group: enough for fast reading, few enough that the columns being
/// gathered (about 8 bytes per cell) stay within tens of megabytes.
pub const ROW_GROUP: usize = 65_536;

/// The type of a column, by its name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Text,
    Integer,
    Boolean,
    Float,
}

/// Columns of text: names, levels, classes, unit codes (which may begin with zeros).
const TEXT: [&str; 8] = [
    "scenario",
    "level",
    "metric",
    "class",
    "unit_code",
    "unit_name",
    "event",
    "method",
];
/// Columns of whole numbers.
const INTEGER: [&str; 8] = [
    "replicate",
    "step",
    "n",
    "converged_at",
    "burn_in",
    "steps",
    "k",
    "n_baseline",
];

/// The type of the column called `name`; any column not named text, integer or boolean
/// holds floats.
pub fn column_kind(name: &str) -> Kind {
    if TEXT.contains(&name) {
        Kind::Text
    } else if INTEGER.contains(&name) {
        Kind::Integer
    } else if name == "settled" {
        Kind::Boolean
    } else {
        Kind::Float
    }
}

/// Writes a table's records (the header first) as CSV or Parquet.
pub struct TableWriter<W: Write + Send> {
    inner: Inner<W>,
}

enum Inner<W: Write + Send> {
    Csv(Box<csv::Writer<W>>),
    Parquet(Box<ParquetTable<W>>),
}

impl<W: Write + Send> TableWriter<W> {
    pub fn new(out: W, format: Format) -> Self {
        let inner = match format {
            Format::Csv => Inner::Csv(Box::new(csv::Writer::from_writer(out))),
            Format::Parquet => Inner::Parquet(Box::new(ParquetTable::new(out))),
        };
        TableWriter { inner }
    }

    /// A CSV writer.
    pub fn csv(out: W) -> Self {
        Self::new(out, Format::Csv)
    }

    /// Write one record: the header (column names) first, then the rows' cells as CSV text.
    pub fn write_record<I, T>(&mut self, record: I) -> csv::Result<()>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<str>,
    {
        match &mut self.inner {
            Inner::Csv(writer) => {
                for cell in record {
                    writer.write_field(cell.as_ref())?;
                }
                writer.write_record(None::<&[u8]>)
            }
            Inner::Parquet(table) => table.push(record).map_err(csv::Error::from),
        }
    }

    /// Complete the table (the Parquet footer) and flush it.
    pub fn finish(&mut self) -> csv::Result<()> {
        match &mut self.inner {
            Inner::Csv(writer) => writer.flush().map_err(csv::Error::from),
            Inner::Parquet(table) => table.finish().map_err(csv::Error::from),
        }
    }
}

/// A Parquet file being written: its columns' types (from the header), the row group being
/// gathered, and the file writer (None until the header, and after `finish`).
struct ParquetTable<W: Write + Send> {
    out: Option<W>,
    writer: Option<SerializedFileWriter<W>>,
    columns: Vec<Column>,
    rows: usize,
}

/// One column of the row group being gathered: present values and, per row, whether the
/// cell has one (1) or is empty (0, a null).
enum Column {
    Text(Vec<ByteArray>, Vec<i16>),
    Integer(Vec<i64>, Vec<i16>),
    Boolean(Vec<bool>, Vec<i16>),
    Float(Vec<f64>, Vec<i16>),
}

fn parquet_error(error: parquet::errors::ParquetError) -> std::io::Error {
    std::io::Error::other(error)
}

impl<W: Write + Send> ParquetTable<W> {
    fn new(out: W) -> Self {
        ParquetTable {
            out: Some(out),
            writer: None,
            columns: Vec::new(),
            rows: 0,
        }
    }

    fn push<I, T>(&mut self, record: I) -> std::io::Result<()>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<str>,
    {
        if self.writer.is_none() {
            return self.start(record);
        }
        let mut cells = 0;
        for cell in record {
            if let Some(column) = self.columns.get_mut(cells) {
                column.push(cell.as_ref())?;
            }
            cells += 1;
        }
        if cells != self.columns.len() {
            return Err(std::io::Error::other(format!(
                "a row of {cells} cells in a table of {} columns",
                self.columns.len()
            )));
        }
        self.rows += 1;
        if self.rows == ROW_GROUP {
            self.flush_group()?;
        }
        Ok(())
    }

    /// The header: the schema, and the file writer.
    fn start<I, T>(&mut self, header: I) -> std::io::Result<()>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<str>,
    {
        let mut fields = Vec::new();
        for name in header {
            let kind = column_kind(name.as_ref());
            fields.push(Arc::new(field(name.as_ref(), kind).map_err(parquet_error)?));
            self.columns.push(Column::new(kind));
        }
        let schema = Type::group_type_builder("schema")
            .with_fields(fields)
            .build()
            .map_err(parquet_error)?;
        let properties = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .build();
        let out = self.out.take().expect("the header comes first, once");
        let writer = SerializedFileWriter::new(out, Arc::new(schema), Arc::new(properties))
            .map_err(parquet_error)?;
        self.writer = Some(writer);
        Ok(())
    }

    /// Write the gathered rows as one row group.
    fn flush_group(&mut self) -> std::io::Result<()> {
        let writer = self.writer.as_mut().expect("rows come after the header");
        let mut group = writer.next_row_group().map_err(parquet_error)?;
        for column in &mut self.columns {
            let mut chunk = group
                .next_column()
                .map_err(parquet_error)?
                .expect("one chunk per column");
            column.write(&mut chunk).map_err(parquet_error)?;
            chunk.close().map_err(parquet_error)?;
            column.clear();
        }
        group.close().map_err(parquet_error)?;
        self.rows = 0;
        Ok(())
    }

    fn finish(&mut self) -> std::io::Result<()> {
        if self.writer.is_none() {
            return Err(std::io::Error::other("a table without a header"));
        }
        if self.rows > 0 {
            self.flush_group()?;
        }
        let writer = self.writer.take().expect("checked above");
        let mut out = writer.into_inner().map_err(parquet_error)?;
        out.flush()
    }
}

/// The schema field of a column.
fn field(name: &str, kind: Kind) -> parquet::errors::Result<Type> {
    let physical = match kind {
        Kind::Text => Physical::BYTE_ARRAY,
        Kind::Integer => Physical::INT64,
        Kind::Boolean => Physical::BOOLEAN,
        Kind::Float => Physical::DOUBLE,
    };
    let builder =
        Type::primitive_type_builder(name, physical).with_repetition(Repetition::OPTIONAL);
    match kind {
        Kind::Text => builder.with_logical_type(Some(LogicalType::String)),
        _ => builder,
    }
    .build()
}

impl Column {
    fn new(kind: Kind) -> Self {
        match kind {
            Kind::Text => Column::Text(Vec::new(), Vec::new()),
            Kind::Integer => Column::Integer(Vec::new(), Vec::new()),
            Kind::Boolean => Column::Boolean(Vec::new(), Vec::new()),
            Kind::Float => Column::Float(Vec::new(), Vec::new()),
        }
    }

    /// Add a cell: empty is null; anything else must be of the column's type.
    fn push(&mut self, cell: &str) -> std::io::Result<()> {
        let bad = |what: &str| std::io::Error::other(format!("cell `{cell}` is not {what}"));
        let present = i16::from(!cell.is_empty());
        match self {
            Column::Text(values, levels) => {
                levels.push(present);
                if present == 1 {
                    values.push(ByteArray::from(cell.as_bytes().to_vec()));
                }
            }
            Column::Integer(values, levels) => {
                levels.push(present);
                if present == 1 {
                    values.push(cell.parse().map_err(|_| bad("a whole number"))?);
                }
            }
            Column::Boolean(values, levels) => {
                levels.push(present);
                if present == 1 {
                    values.push(cell.parse().map_err(|_| bad("true or false"))?);
                }
            }
            Column::Float(values, levels) => {
                levels.push(present);
                if present == 1 {
                    values.push(cell.parse().map_err(|_| bad("a number"))?);
                }
            }
        }
        Ok(())
    }

    fn write(
        &self,
        chunk: &mut parquet::file::writer::SerializedColumnWriter<'_>,
    ) -> parquet::errors::Result<usize> {
        match self {
            Column::Text(values, levels) => {
                chunk
                    .typed::<ByteArrayType>()
                    .write_batch(values, Some(levels), None)
            }
            Column::Integer(values, levels) => {
                chunk
                    .typed::<Int64Type>()
                    .write_batch(values, Some(levels), None)
            }
            Column::Boolean(values, levels) => {
                chunk
                    .typed::<BoolType>()
                    .write_batch(values, Some(levels), None)
            }
            Column::Float(values, levels) => {
                chunk
                    .typed::<DoubleType>()
                    .write_batch(values, Some(levels), None)
            }
        }
    }

    fn clear(&mut self) {
        match self {
            Column::Text(values, levels) => (values.clear(), levels.clear()),
            Column::Integer(values, levels) => (values.clear(), levels.clear()),
            Column::Boolean(values, levels) => (values.clear(), levels.clear()),
            Column::Float(values, levels) => (values.clear(), levels.clear()),
        };
    }
}

/// Reads a table's records as text, from CSV or (by the `.parquet` extension) Parquet.
pub struct TableReader {
    path: PathBuf,
    header: Vec<String>,
    source: Source,
    most_rows: u64,
}

enum Source {
    Csv(csv::Reader<File>),
    Parquet(RowIter<'static>),
}

impl TableReader {
    pub fn open(path: &Path) -> Result<Self, ReadError> {
        let error = |e: &dyn std::fmt::Display| ReadError::new(path, e);
        let is_parquet = path.extension().is_some_and(|e| e == "parquet");
        let (header, source, most_rows) = if is_parquet {
            let file = File::open(path).map_err(|e| error(&e))?;
            let reader = SerializedFileReader::new(file).map_err(|e| error(&e))?;
            let header = reader
                .metadata()
                .file_metadata()
                .schema_descr()
                .columns()
                .iter()
                .map(|column| column.name().to_string())
                .collect();
            let rows = reader.metadata().file_metadata().num_rows();
            (
                header,
                Source::Parquet(reader.into_iter()),
                rows.max(0) as u64,
            )
        } else {
            let mut reader = csv::Reader::from_path(path).map_err(|e| error(&e))?;
            let header: Vec<String> = reader
                .headers()
                .map_err(|e| error(&e))?
                .iter()
                .map(str::to_string)
                .collect();
            // A row is at least one byte per column.
            let bytes = std::fs::metadata(path).map_or(0, |m| m.len());
            let rows = bytes / header.len().max(1) as u64;
            (header, Source::Csv(reader), rows)
        };
        Ok(TableReader {
            path: path.to_path_buf(),
            header,
            source,
            most_rows,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// At least as many rows as the table has (exactly as many for Parquet).
    pub fn most_rows(&self) -> u64 {
        self.most_rows
    }

    /// The column names.
    pub fn header(&self) -> &[String] {
        &self.header
    }

    /// Read the next record into `record`; false at the end of the table.
    pub fn read_record(&mut self, record: &mut csv::StringRecord) -> Result<bool, ReadError> {
        match &mut self.source {
            Source::Csv(reader) => reader
                .read_record(record)
                .map_err(|e| ReadError::new(&self.path, e)),
            Source::Parquet(rows) => {
                let Some(row) = rows.next() else {
                    return Ok(false);
                };
                let row = row.map_err(|e| ReadError::new(&self.path, e))?;
                record.clear();
                for (_, value) in row.get_column_iter() {
                    record.push_field(&cell(value).map_err(|e| ReadError::new(&self.path, e))?);
                }
                Ok(true)
            }
        }
    }

    /// Every remaining record.
    pub fn records(mut self) -> Result<Vec<csv::StringRecord>, ReadError> {
        let mut records = Vec::new();
        let mut record = csv::StringRecord::new();
        while self.read_record(&mut record)? {
            records.push(record.clone());
        }
        Ok(records)
    }
}

/// A Parquet value as the CSV cell that holds it.
fn cell(value: &Field) -> Result<String, String> {
    Ok(match value {
        Field::Null => String::new(),
        Field::Bool(b) => b.to_string(),
        Field::Long(i) => i.to_string(),
        Field::Double(x) => number(*x),
        Field::Str(s) => s.clone(),
        other => return Err(format!("a value of a type cadresim never writes: {other}")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: &str = "scenario,replicate,step,level,share_idle,settled,converged_at\n\
        a,0,0,all,0.5,true,\n\
        a,0,1,all,4.0,false,12\n\
        'b,1,2,county,1e-7,true,3\n";

    fn records_of(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
        let reader = TableReader::open(path).unwrap();
        let header = reader.header().to_vec();
        let records = reader
            .records()
            .unwrap()
            .iter()
            .map(|r| r.iter().map(str::to_string).collect())
            .collect();
        (header, records)
    }

    fn write(format: Format, text: &str, path: &Path) {
        let mut out = Vec::new();
        let mut writer = TableWriter::new(&mut out, format);
        for line in text.lines() {
            writer.write_record(line.split(',')).unwrap();
        }
        writer.finish().unwrap();
        drop(writer);
        std::fs::write(path, out).unwrap();
    }

    #[test]
    fn parquet_reads_back_as_the_csv_text() {
        let dir = tempfile::tempdir().unwrap();
        let (csv, parquet) = (dir.path().join("t.csv"), dir.path().join("t.parquet"));
        write(Format::Csv, TABLE, &csv);
        write(Format::Parquet, TABLE, &parquet);
        assert_eq!(std::fs::read_to_string(&csv).unwrap(), TABLE);
        assert_eq!(&std::fs::read(&parquet).unwrap()[..4], b"PAR1");
        assert_eq!(records_of(&csv), records_of(&parquet));
        assert_eq!(records_of(&parquet).1[2][6], "3");
        assert_eq!(records_of(&parquet).1[0][6], "");
    }

    #[test]
    fn long_tables_are_written_in_row_groups() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.parquet");
        let mut text = String::from("step,mean_innovation\n");
        for step in 0..(ROW_GROUP + 10) {
            text.push_str(&format!("{step},{}\n", number(step as f64 / 7.0)));
        }
        write(Format::Parquet, &text, &path);
        let reader = SerializedFileReader::new(File::open(&path).unwrap()).unwrap();
        assert_eq!(reader.metadata().num_row_groups(), 2);
        let (_, records) = records_of(&path);
        assert_eq!(records.len(), ROW_GROUP + 10);
        assert_eq!(
            records[ROW_GROUP + 9][1],
            number((ROW_GROUP + 9) as f64 / 7.0)
        );
    }

    #[test]
    fn a_cell_of_the_wrong_type_is_refused() {
        let mut out = Vec::new();
        let mut writer = TableWriter::new(&mut out, Format::Parquet);
        writer.write_record(["step", "share_idle"]).unwrap();
        let error = writer.write_record(["1.5", "0.1"]).unwrap_err();
        assert!(
            error.to_string().contains("`1.5` is not a whole number"),
            "{error}"
        );
    }

    #[test]
    fn columns_are_typed_by_name() {
        assert_eq!(column_kind("unit_code"), Kind::Text);
        assert_eq!(column_kind("converged_at"), Kind::Integer);
        assert_eq!(column_kind("settled"), Kind::Boolean);
        assert_eq!(column_kind("ci95_low"), Kind::Float);
    }

    #[test]
    fn the_format_is_found_by_name_and_file() {
        assert_eq!(Format::named("parquet"), Some(Format::Parquet));
        assert_eq!(Format::named("xlsx"), None);
        assert_eq!(file_name(Format::Csv, "summary"), "summary.csv");
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(find(dir.path(), "summary"), dir.path().join("summary.csv"));
        std::fs::write(dir.path().join("summary.parquet"), b"").unwrap();
        assert_eq!(
            find(dir.path(), "summary"),
            dir.path().join("summary.parquet")
        );
    }
}
