//! `preprocess_image`: the Hadoop Streaming mapper and Hive `TRANSFORM` script.
//!
//! Records come in on stdin ([`records`]: paths, `KEY<TAB>PATH`, `KEY<TAB>base64:...`,
//! or typed bytes pairs), go through the same runner as `medprep run`
//! ([`medprep_runner::Runner`]) on `--jobs` threads, and leave on stdout in input order:
//! one row per frame (so exactly one per record for single-frame images), as
//! tab-separated text, JSON lines or typed bytes (module `columns`). A record that fails
//! becomes an error row; stderr speaks Hadoop's reporter protocol (module `reporter`).
//! Memory holds at most `2 × jobs` records in flight, whatever the length of the
//! stream (two batches of up to [`medprep::Pipeline::GPU_BATCH_FRAMES`] records on a
//! GPU, where the `--record-timeout` budget applies per batch).
//!
//! Exit status: 0 when every record was handled (failed records included), 2 for a
//! bad command line or recipe, 1 when reading stdin or writing stdout fails, a typed
//! bytes stream is corrupt, or more than `--jobs` records ran past `--record-timeout`
//! (a retry may fix these). A closed stdout (a reader that
//! stopped early) ends the run quietly with 0.

mod columns;
/// Public so the record parser can be fuzzed on its own (see `docs/robustness.md`).
pub mod records;
mod reporter;
mod side;

use std::borrow::Cow;
use std::io::{self, BufRead, BufReader, Write};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, Context, Result};
use clap::Parser;
use medprep::recipe::ImageFormat;
use medprep::{Limits, Pipeline, Recipe};
use medprep_runner::tables::hive::{self, Storage};
use medprep_runner::tables::{stream, Cell};
use medprep_runner::{Budget, Job, Outcome, Runner, Source, Task};

use self::records::{Key, Line, Payload, Record};
use self::reporter::Reporter;
use self::side::{SideOutputs, SideRows};
use crate::base64;
use crate::device::DeviceArg;
use crate::pseudonym::Pseudonymizer;
use crate::typedbytes::{self, Value};

/// Hadoop Streaming mapper and Hive TRANSFORM script of medprep: DICOM records on
/// stdin, one row of metadata and features per image frame on stdout.
///
/// Each input line is a record: `PATH` (local path or file: URI; a relative path is
/// taken from the folder of the job's input file when that is local), `KEY<TAB>PATH` (every
/// field before the last tab is a key column, passed through) or
/// `KEY<TAB>base64:<DICOM bytes>`; with `--io typedbytes`, key/value pairs in Hadoop's
/// typed bytes (value: the DICOM bytes, or a path string).
///
/// Output (tab-separated, `\N` for null): the key columns, status (ok|error),
/// image_path, frame, the metadata of `medprep run`'s scans table, the recipe's
/// features, error_kind and error. Single-frame images give exactly one row per
/// record; a multi-frame image gives one row per frame. `--schema` lists the columns.
///
/// With --pseudonymize, patient IDs and study, series and SOP instance UIDs are
/// replaced in rows and side outputs by keyed HMAC-SHA256 pseudonyms, as in `medprep
/// run --pseudonymize` (key from --pseudonym-key-file or MEDPREP_PSEUDONYM_KEY, the same
/// on every task). Key columns pass through unchanged.
///
/// stderr carries Hadoop counters (group `medprep`: records_ok, records_failed,
/// bytes_read, `error_<kind>`) and a status line at least every 20 s.
///
/// Exit status: 0 when every record was handled (failed ones included), 1 when
/// stdin/stdout fail, a typed bytes stream is corrupt or more than --jobs records ran
/// past --record-timeout, 2 for usage errors.
#[derive(Debug, Parser)]
#[command(name = "preprocess_image", version, about, long_about)]
pub struct Args {
    /// Preset name (see `medprep recipe list`) or recipe file (TOML, or JSON by extension).
    #[arg(long, short, default_value = "ct-standard")]
    recipe: String,
    /// Compute device: `gpu` runs batches of records on any GPU (software adapters
    /// included; exit 2 without one), `auto` a hardware GPU if there is one and else the
    /// CPU (a reporter status line says which).
    #[arg(long, value_enum, default_value_t = DeviceArg::Auto)]
    device: DeviceArg,
    /// Worker threads [default: all cores]. On a cluster, match the task's vcores.
    #[arg(long, short, value_parser = clap::value_parser!(u16).range(1..))]
    jobs: Option<u16>,
    /// Record format of stdin. `auto` reads typed bytes when the stream starts with a
    /// typed bytes type code 0 to 8, else text lines (each a path or base64 record).
    #[arg(long, value_enum, default_value_t = InputFormat::Auto)]
    input: InputFormat,
    /// Row format of stdout [default: tsv, or typedbytes with --io typedbytes].
    #[arg(long, value_enum)]
    output: Option<OutputFormat>,
    /// Typed bytes in and out, like Hadoop's `-io typedbytes`.
    #[arg(long, value_enum)]
    io: Option<Io>,
    /// Names of the key columns, comma-separated (for --schema and --hive-ddl). When
    /// given, a record with another number of key fields becomes an error row.
    #[arg(long, value_delimiter = ',')]
    key_columns: Vec<String>,
    /// Add the preprocessed image (as the recipe's output format, .npy or .png) to
    /// each ok row, base64-encoded, in an `image_base64` column before error_kind.
    #[arg(long)]
    emit_image: bool,
    /// Also write per-task Parquet tables (`_medprep/scans/part-<task>.parquet`,
    /// `_medprep/features/part-<task>.parquet`) under the side-output folder.
    #[arg(long)]
    parquet: bool,
    /// Also write the recipe's preprocessed images under `_medprep/preprocessed/` of the
    /// side-output folder.
    #[arg(long)]
    images: bool,
    /// Folder of the side outputs [default: $mapreduce_task_output_dir, the task
    /// attempt's work folder, which Hadoop commits only for the successful attempt].
    #[arg(long)]
    side_output: Option<std::path::PathBuf>,
    /// Longest accepted text record in bytes (a longer one becomes an error row).
    #[arg(long, default_value_t = 1 << 30)]
    max_record_bytes: usize,
    /// Replace patient IDs and instance UIDs by keyed pseudonyms (HMAC-SHA256).
    #[arg(long)]
    pseudonymize: bool,
    /// File holding the pseudonym key [default: $MEDPREP_PSEUDONYM_KEY].
    #[arg(long, value_name = "FILE")]
    pseudonym_key_file: Option<std::path::PathBuf>,
    /// Largest image decoded or resampled, in samples (frames × rows × columns ×
    /// samples per pixel); larger ones, and files that could only hold larger ones, become
    /// `too_large` error rows before anything is allocated for them.
    #[arg(long, default_value_t = Limits::default().max_samples)]
    max_samples: u64,
    /// Seconds one record may take (fractions allowed; 0 for no limit). A record
    /// past it becomes a `timeout` error row and the stream goes on; its thread is
    /// left behind. More than --jobs such records end the task with exit status 1, so
    /// that Hadoop retries it elsewhere. The default stays below Hadoop's 600 s task
    /// timeout. On a GPU, records go through in batches of up to 64 and the limit
    /// applies to a batch as a whole: each record of a batch past it becomes a
    /// `timeout` row, and the batch counts once towards the --jobs limit.
    #[arg(long, default_value_t = 300.0, value_parser = parse_seconds)]
    record_timeout: f64,
    /// Print the output column names, one per line, and exit.
    #[arg(long)]
    schema: bool,
    /// Print `CREATE EXTERNAL TABLE TABLE ... LOCATION 'LOCATION'` for the
    /// tab-separated output and exit.
    #[arg(long, num_args = 2, value_names = ["TABLE", "LOCATION"])]
    hive_ddl: Option<Vec<String>>,
    /// Seconds between status lines on stderr.
    #[arg(long, default_value_t = reporter::STATUS_INTERVAL.as_secs(), hide = true)]
    status_interval: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum InputFormat {
    /// Typed bytes or text, by the first byte.
    Auto,
    /// Text lines; each a path record or a base64 record.
    Paths,
    /// Text lines; same parsing as `paths` (named for clarity).
    Base64,
    /// Typed bytes key/value pairs.
    Typedbytes,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum OutputFormat {
    /// Tab-separated text, `\N` for null (Hive's default text format).
    Tsv,
    /// One JSON object per line; `key` holds the key fields.
    Jsonl,
    /// Typed bytes pairs: the record's key, and a map of column name to value.
    Typedbytes,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Io {
    /// Typed bytes in and out.
    Typedbytes,
}

/// Runs the mapper.
pub fn run(args: Args) -> ExitCode {
    match run_checked(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Stop::Quiet) => ExitCode::SUCCESS,
        Err(Stop::Usage(error)) => {
            eprintln_safe(&format!("preprocess_image: error: {error:#}"));
            ExitCode::from(2)
        }
        Err(Stop::Failed(error)) => {
            eprintln_safe(&format!("preprocess_image: error: {error:#}"));
            ExitCode::FAILURE
        }
    }
}

/// Why a run ended early.
#[derive(Debug)]
enum Stop {
    /// stdout was closed by its reader.
    Quiet,
    /// Bad arguments or recipe (exit 2).
    Usage(anyhow::Error),
    /// I/O or stream failure (exit 1).
    Failed(anyhow::Error),
}

fn eprintln_safe(line: &str) {
    let _ = writeln!(io::stderr().lock(), "{line}");
}

/// What the worker threads need to turn a record into output bytes.
struct Layout {
    /// Folder that relative paths in records are taken from: that of the job's input
    /// file when it is local (`$mapreduce_map_input_file`), else the working folder.
    base: Option<std::path::PathBuf>,
    /// Whether ok records also go to the side outputs.
    side: bool,
    /// Whether rows carry the image.
    emit_image: bool,
    key_columns: Option<usize>,
    /// Names of the columns after the key columns (for JSON and typed bytes).
    names: Vec<String>,
    features: usize,
    output: OutputFormat,
    /// Replaces identifiers under --pseudonymize.
    pseudonyms: Option<Pseudonymizer>,
}

fn run_checked(args: Args) -> Result<(), Stop> {
    let recipe = Recipe::preset_or_path(&args.recipe).map_err(|e| Stop::Usage(e.into()))?;
    let limits = Limits {
        max_samples: args.max_samples,
    };
    let pipeline = Pipeline::new(recipe.clone())
        .map_err(|e| Stop::Usage(e.into()))?
        .with_limits(limits);
    let images = if args.emit_image || args.images {
        if recipe.output.images == ImageFormat::None {
            return Err(Stop::Usage(anyhow!(
                "--emit-image and --images need a recipe that writes images; {:?} has \
                 output.images = \"none\"",
                recipe.name
            )));
        }
        recipe.output.images
    } else {
        ImageFormat::None
    };
    let all_columns = stream::columns(&args.key_columns, pipeline.feature_names(), args.emit_image);
    let own = &all_columns[args.key_columns.len()..];
    if let Some(clash) = args
        .key_columns
        .iter()
        .enumerate()
        .find(|(i, k)| own.iter().any(|c| &c.name == *k) || args.key_columns[..*i].contains(k))
    {
        return Err(Stop::Usage(anyhow!(
            "--key-columns: {:?} is already an output column (or named twice); Hive needs \
             distinct names, e.g. {}_in",
            clash.1,
            clash.1
        )));
    }
    if args.schema {
        let text: String = all_columns
            .iter()
            .map(|c| format!("{}\n", c.name))
            .collect();
        return print(&text);
    }
    if let Some(ddl) = &args.hive_ddl {
        let [table, location] = ddl.as_slice() else {
            return Err(Stop::Usage(anyhow!("--hive-ddl takes TABLE and LOCATION")));
        };
        let sql = hive::create_table(table, &all_columns, Storage::TabSeparated, location)
            .map_err(Stop::Usage)?;
        return print(&sql);
    }
    // After --schema and --hive-ddl, which print the same with or without a key.
    let pseudonyms =
        Pseudonymizer::from_options(args.pseudonymize, args.pseudonym_key_file.as_deref())
            .map_err(Stop::Usage)?;
    let task = std::env::var("mapreduce_task_id").ok();
    // Status lines name the task, so a job's log tells its tasks apart.
    let context = match &task {
        Some(task) => format!("medprep {}", crate::sinks::safe_file_name(task)),
        None => "medprep".to_owned(),
    };
    let (device, note) = args.device.open().map_err(|e| Stop::Usage(e.into()))?;
    if let Some(note) = note {
        eprintln_safe(&format!("reporter:status:{context} {note}"));
    }
    let pipeline = pipeline.on_device(device);
    let typed_io = args.io == Some(Io::Typedbytes);
    let output = args.output.unwrap_or(if typed_io {
        OutputFormat::Typedbytes
    } else {
        OutputFormat::Tsv
    });
    let mut side = if args.parquet || args.images {
        let dir = args
            .side_output
            .clone()
            .or_else(|| std::env::var_os("mapreduce_task_output_dir").map(Into::into))
            .ok_or_else(|| {
                Stop::Usage(anyhow!(
                    "--parquet and --images need --side-output DIR (or a Hadoop task's \
                     $mapreduce_task_output_dir)"
                ))
            })?;
        let extension = match (args.images, images) {
            (true, ImageFormat::Npy) => Some("npy"),
            (true, ImageFormat::Png) => Some("png"),
            _ => None,
        };
        Some(
            SideOutputs::create(
                &dir,
                task.as_deref().unwrap_or("local"),
                args.parquet,
                extension,
                pipeline.feature_names(),
                &recipe.to_toml(),
            )
            .map_err(Stop::Usage)?,
        )
    } else {
        None
    };
    let layout = Layout {
        base: local_input_folder(),
        side: side.is_some(),
        emit_image: args.emit_image,
        key_columns: (!args.key_columns.is_empty()).then_some(args.key_columns.len()),
        names: all_columns
            .iter()
            .skip(args.key_columns.len())
            .map(|c| c.name.to_string())
            .collect(),
        features: pipeline.feature_names().len(),
        output,
        pseudonyms,
    };
    let jobs = args.jobs.map_or_else(
        || std::thread::available_parallelism().map_or(1, usize::from),
        usize::from,
    );
    let runner = Runner::new(pipeline).with_workers(jobs).with_images(images);

    let mut reporter = Reporter::start(context, Duration::from_secs(args.status_interval.max(1)));
    let mut stdin = BufReader::with_capacity(1 << 20, io::stdin());
    let typed_input = match (typed_io, args.input) {
        (true, _) | (_, InputFormat::Typedbytes) => true,
        (_, InputFormat::Paths | InputFormat::Base64) => false,
        (_, InputFormat::Auto) => {
            let first = stdin
                .fill_buf()
                .context("cannot read stdin")
                .map_err(Stop::Failed)?;
            first.first().is_some_and(|&b| b <= 8)
        }
    };
    let mut stdout = io::BufWriter::with_capacity(1 << 16, io::stdout());
    let records: Box<dyn Iterator<Item = Result<Record>> + Send> = if typed_input {
        Box::new(TypedRecords::new(stdin))
    } else {
        Box::new(TextRecords {
            reader: stdin,
            buf: Vec::new(),
            cap: args.max_record_bytes,
        })
    };
    let layout = Arc::new(layout);
    let tasks = {
        let layout = Arc::clone(&layout);
        records.map(move |record| record.map(|record| prepare(record, &layout)))
    };
    let finish = move |prepared: Prepared, outcome| prepared.render(outcome, &layout);
    let consume = |handled: Handled, tally: &medprep_runner::Tally, _: &_| -> Result<()> {
        if let (Some(side), Some(rows)) = (&mut side, handled.side) {
            side.write(rows).context("cannot write the side outputs")?;
        }
        write_out(&mut stdout, &handled.bytes)?;
        reporter.record(tally.error_kind.as_deref(), tally.bytes_read);
        Ok(())
    };
    let outcome = if args.record_timeout > 0.0 {
        let budget = Budget {
            limit: Duration::from_secs_f64(args.record_timeout),
            max_abandoned: jobs,
            described_as: format!("the --record-timeout of {} s", args.record_timeout),
        };
        runner.run_with_budget(budget, tasks, finish, consume)
    } else {
        runner.run(tasks, finish, consume)
    }
    .map(drop);
    reporter.finish();
    let outcome = outcome.and_then(|()| match side {
        Some(side) => side.finish().context("cannot finish the side outputs"),
        None => Ok(()),
    });
    match outcome {
        Ok(()) => write_out(&mut stdout, &[])
            .and_then(|()| stdout.flush().map_err(|e| anyhow::Error::new(Output(e))))
            .map_err(classify),
        Err(error) => Err(classify(error)),
    }
}

/// A number of seconds, fractions allowed, not negative.
fn parse_seconds(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(seconds) if seconds >= 0.0 && seconds.is_finite() => Ok(seconds),
        _ => Err(format!(
            "{text:?} is not a number of seconds (0 for no limit)"
        )),
    }
}

/// The folder of the map task's input file when it is a local file: a path list that
/// names images relative to itself then works wherever the task runs. Hadoop sets
/// `mapreduce_map_input_file` (`map_input_file` before Hadoop 2) to a URI such as
/// `file:/data/lists/batch1.txt` or `hdfs://nn/lists/batch1.txt`; only local ones count.
fn local_input_folder() -> Option<std::path::PathBuf> {
    let file = std::env::var("mapreduce_map_input_file")
        .or_else(|_| std::env::var("map_input_file"))
        .ok()?;
    match records::path_payload(&file) {
        Payload::Path { path, .. } if path.is_absolute() => path.parent().map(Into::into),
        _ => None,
    }
}

/// An error writing stdout.
#[derive(Debug)]
struct Output(io::Error);

impl std::fmt::Display for Output {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cannot write stdout: {}", self.0)
    }
}

impl std::error::Error for Output {}

fn classify(error: anyhow::Error) -> Stop {
    match error.downcast_ref::<Output>() {
        Some(Output(e)) if e.kind() == io::ErrorKind::BrokenPipe => Stop::Quiet,
        _ => Stop::Failed(error),
    }
}

fn write_out(stdout: &mut impl Write, bytes: &[u8]) -> Result<()> {
    stdout
        .write_all(bytes)
        .and_then(|()| stdout.flush())
        .map_err(|e| anyhow::Error::new(Output(e)))
}

fn print(text: &str) -> Result<(), Stop> {
    let mut stdout = io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Err(Stop::Quiet),
        Err(e) => Err(Stop::Failed(anyhow::Error::new(Output(e)))),
    }
}

/// A record turned into output.
struct Handled {
    bytes: Vec<u8>,
    side: Option<SideRows>,
}

/// A record's key and image path, which its rows carry whatever its outcome.
#[derive(Clone)]
struct Prepared {
    key: Key,
    fields: Vec<Vec<u8>>,
    image_path: Option<String>,
}

/// Splits a record into what its rows carry and the job it asks for.
fn prepare(record: Record, layout: &Layout) -> Task<'static, Prepared> {
    let mut key = record.key.fields();
    let (image_path, job) = match (layout.key_columns, record.payload) {
        (Some(declared), payload) if declared != key.len() => {
            let path = match payload {
                Payload::Path { name, .. } => Some(name),
                Payload::Invalid { name, .. } => name,
                Payload::Bytes(_) => None,
            };
            let error = format!(
                "the record has {} key field(s) but --key-columns names {declared}",
                key.len()
            );
            key.resize(declared, Vec::new());
            (path, Job::Settled(Outcome::failed("bad_record", error)))
        }
        (_, Payload::Path { path, name }) => {
            let path = match &layout.base {
                Some(base) if path.is_relative() => base.join(path),
                _ => path,
            };
            (
                Some(name.clone()),
                Job::image(name, Source::Path(Cow::Owned(path))),
            )
        }
        (_, Payload::Bytes(bytes)) => {
            // The key names the image in the side tables (`medprep pack` keys are paths).
            let name = key
                .iter()
                .map(|k| String::from_utf8_lossy(k))
                .collect::<Vec<_>>()
                .join("\t");
            (None, Job::image(name, Source::Bytes(Cow::Owned(bytes))))
        }
        (_, Payload::Invalid { name, kind, error }) => {
            (name, Job::Settled(Outcome::failed(kind, error)))
        }
    };
    Task::new(
        Prepared {
            key: record.key,
            fields: key,
            image_path,
        },
        job,
    )
}

impl Prepared {
    /// The record's rows for `outcome`.
    fn render(self, outcome: Outcome, layout: &Layout) -> Handled {
        let Self {
            key: record_key,
            fields: key,
            image_path,
        } = self;
        let outcome = match &layout.pseudonyms {
            Some(pseudonyms) => pseudonyms.outcome(outcome),
            None => outcome,
        };
        let key_cells: Vec<Cell<'_>> = key
            .iter()
            .map(|k| Cell::Text(k.as_slice().into()))
            .collect();
        let path_cell = image_path.as_deref().map_or(Cell::Null, Cell::text);
        let mut rows: Vec<Vec<Cell<'_>>> = Vec::new();
        match &outcome {
            Outcome::Done { scan, frames, .. } => {
                let metadata: Vec<Cell<'_>> = stream::metadata_cells(scan).collect();
                for frame in frames {
                    let mut row = key_cells.clone();
                    row.push(Cell::text("ok"));
                    row.push(path_cell.clone());
                    row.push(Cell::Int(frame.frame.into()));
                    row.extend(metadata.iter().cloned());
                    row.extend(frame.features.iter().map(|&v| Cell::Double(v)));
                    if layout.emit_image {
                        row.push(frame.image.as_deref().map_or(Cell::Null, |b| {
                            Cell::Text(base64::encode(b).into_bytes().into())
                        }));
                    }
                    row.push(Cell::Null);
                    row.push(Cell::Null);
                    rows.push(row);
                }
            }
            Outcome::Failed { kind, error, .. } => {
                let mut row = key_cells.clone();
                row.push(Cell::text("error"));
                row.push(path_cell.clone());
                row.push(Cell::Null);
                row.extend(std::iter::repeat_n(Cell::Null, stream::METADATA_COLUMNS));
                row.extend(std::iter::repeat_n(Cell::Null, layout.features));
                if layout.emit_image {
                    row.push(Cell::Null);
                }
                row.push(Cell::text(kind));
                row.push(Cell::text(error));
                rows.push(row);
            }
        }
        let keys = key_cells.len();
        let mut bytes = Vec::new();
        for row in &rows {
            render(&mut bytes, &record_key, row, keys, layout);
        }
        drop(rows);
        let side = match outcome {
            Outcome::Done {
                scan,
                frames,
                stem,
                multi_frame,
                ..
            } if layout.side => Some(SideRows {
                scan,
                frames,
                stem,
                multi_frame,
            }),
            _ => None,
        };
        Handled { bytes, side }
    }
}

/// Appends one row in the output format.
fn render(out: &mut Vec<u8>, key: &Key, row: &[Cell<'_>], keys: usize, layout: &Layout) {
    match layout.output {
        OutputFormat::Tsv => {
            for (i, cell) in row.iter().enumerate() {
                if i > 0 {
                    out.push(b'\t');
                }
                columns::write_tsv(cell, out);
            }
            out.push(b'\n');
        }
        OutputFormat::Jsonl => {
            let mut object = serde_json::Map::new();
            object.insert(
                "key".into(),
                row[..keys].iter().map(columns::to_json).collect(),
            );
            for (name, cell) in layout.names.iter().zip(&row[keys..]) {
                object.insert(name.clone(), columns::to_json(cell));
            }
            // Serialising a map of strings, numbers and nulls cannot fail.
            if let Ok(text) = serde_json::to_string(&object) {
                out.extend_from_slice(text.as_bytes());
            }
            out.push(b'\n');
        }
        OutputFormat::Typedbytes => {
            let key = match key {
                Key::Typed(value) => value.clone(),
                Key::Fields(fields) => Value::String(
                    fields
                        .iter()
                        .map(|f| String::from_utf8_lossy(f))
                        .collect::<Vec<_>>()
                        .join("\t"),
                ),
            };
            let entries = layout
                .names
                .iter()
                .zip(&row[keys..])
                .filter_map(|(name, cell)| {
                    columns::to_typed(cell).map(|value| (Value::String(name.clone()), value))
                })
                .collect();
            // Writing into a Vec cannot fail.
            let _ = typedbytes::write_value(out, &key);
            let _ = typedbytes::write_value(out, &Value::Map(entries));
        }
    }
}

/// Text records from a reader, one per line.
struct TextRecords<R> {
    reader: R,
    buf: Vec<u8>,
    cap: usize,
}

impl<R: BufRead> Iterator for TextRecords<R> {
    type Item = Result<Record>;

    fn next(&mut self) -> Option<Self::Item> {
        match records::read_line(&mut self.reader, &mut self.buf, self.cap) {
            Ok(None) => None,
            Ok(Some(Line::Complete)) => Some(Ok(records::parse_line(&self.buf))),
            Ok(Some(Line::TooLong { len })) => {
                Some(Ok(records::too_long(&self.buf, len, self.cap)))
            }
            Err(e) => Some(Err(anyhow::Error::new(e).context("cannot read stdin"))),
        }
    }
}

/// Records from a typed bytes stream: one per key/value pair.
struct TypedRecords<R> {
    reader: typedbytes::Reader<R>,
    failed: bool,
}

impl<R: BufRead> TypedRecords<R> {
    fn new(reader: R) -> Self {
        Self {
            reader: typedbytes::Reader::new(reader),
            failed: false,
        }
    }
}

impl<R: BufRead> Iterator for TypedRecords<R> {
    type Item = Result<Record>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        match self.reader.next_pair() {
            Ok(None) => None,
            Ok(Some((key, value))) => Some(Ok(Record {
                key: Key::Typed(key),
                payload: records::typed_payload(value),
            })),
            Err(error) => {
                // The stream cannot be resynchronised after a framing error.
                self.failed = true;
                Some(Err(anyhow::Error::new(error).context(format!(
                    "corrupt typed bytes stream on stdin at byte {}",
                    self.reader.offset()
                ))))
            }
        }
    }
}
