//! `medprep run`: a folder of DICOM files to Parquet tables of metadata and features.
//!
//! Inputs are discovered up front (paths only), then streamed through the runner
//! ([`Runner`]: `--jobs` workers decode and run the recipe, in batches on a GPU) and
//! one writer appends rows in input order. Memory holds the in-flight images and one
//! row group per table, whatever the number of files; the bytes written do not depend
//! on `--jobs`.
//!
//! Every output is written as `NAME.partial` and renamed when complete; `manifest.json`
//! is written last and lets a rerun carry finished inputs over ([`manifest`]).

mod manifest;
mod progress;
mod series;

use std::borrow::Cow;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{anyhow, bail, Context, Result};
use indicatif::ProgressBar;
use medprep::recipe::ImageFormat;
use medprep::{Limits, Pipeline, Recipe};
use medprep_runner::tables::hive::{self, Storage};
use medprep_runner::tables::{arrow, FeatureRow, ScanRow};
use medprep_runner::{Counters, FrameOut, Job, Outcome, Runner, Source, Task};

use self::manifest::{Entry, Manifest, Stamp, Status};
use super::usage;
use crate::device::DeviceArg;
use crate::names::Namer;
use crate::pseudonym::Pseudonymizer;
use crate::sinks;
use crate::sinks::errors::{ErrorRecord, ErrorsWriter};
use crate::sinks::parquet::{TableReader, TableWriter};
use medprep_runner::discover::discover;

const SCANS: &str = "scans.parquet";
const FEATURES: &str = "features.parquet";
const ERRORS: &str = "errors.jsonl";
const TABLES_SQL: &str = "tables.sql";
const PREPROCESSED: &str = "preprocessed";
/// The folder processed when no INPUT is given: the bundled demo images.
const DEMO_INPUT: &str = "fixtures";

/// Process DICOM files into Parquet tables of metadata and features.
///
/// Folders are searched recursively and files are taken by content (the DICOM `DICM`
/// marker), so extensions do not matter; other files in folders are counted as skipped.
/// Files named directly are always processed (a non-DICOM one becomes an error record).
/// Without INPUT, the `fixtures/` folder of the current directory is processed (demo).
///
/// Writes into OUT: `scans.parquet` (one row per image), `features.parquet` (one row
/// per frame), `preprocessed/` (when the recipe writes images), `errors.jsonl` (one
/// JSON object per failed input), `tables.sql` (Hive DDL for both tables; as Hive
/// reads whole folders, each table file is also linked into `hive/<table>/`) and
/// `manifest.json`. Rows are in sorted path order, identical for any --jobs.
///
/// A progress bar shows on an attended terminal; a summary line always ends the run.
/// With MEDPREP_REPORT_PEAK_MEMORY=1 the peak resident memory is printed too.
///
/// A rerun into the same OUT with the same recipe keeps the rows of inputs that
/// succeeded before and have not changed (same path, size and modification time) and
/// processes only new, changed or failed inputs; the tables always cover exactly the
/// current inputs. A different recipe is refused unless --force, which recomputes all.
///
/// With --pseudonymize, the patient ID and the study, series and SOP instance UIDs are
/// replaced in every output by keyed HMAC-SHA256 pseudonyms (patient ID: 64 hex
/// digits; UIDs: `2.25.<decimal>`), and preprocessed images are named after the
/// pseudonymized SOP Instance UID. The key (at least 16 bytes) comes from
/// --pseudonym-key-file or the MEDPREP_PSEUDONYM_KEY environment variable and is never
/// printed; the same key gives the same pseudonyms in every run. Dates, the SOP Class
/// UID and input paths are kept. In series mode the frame of reference UID is replaced
/// too, and montages and volumes are named after the pseudonymized Series Instance UID.
///
/// Exit status: 0 when every input succeeded, 1 when some failed (see errors.jsonl),
/// 2 when the run could not be done (bad recipe, no inputs, unwritable OUT); then the
/// tables of an earlier run in OUT are left as they were.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// DICOM files, or folders to search recursively [default: fixtures].
    inputs: Vec<PathBuf>,
    /// Output folder (created if missing).
    #[arg(long, short, default_value = "out")]
    out: PathBuf,
    /// Preset name (see `medprep recipe list`) or recipe file (TOML, or JSON by extension).
    #[arg(long, short, default_value = "ct-standard")]
    recipe: String,
    /// Compute device: `gpu` runs batches of inputs on any GPU (software adapters
    /// included; exit 2 without one), `auto` a hardware GPU if there is one and else the
    /// CPU (one stderr line says which).
    #[arg(long, value_enum, default_value_t = DeviceArg::Auto)]
    device: DeviceArg,
    /// Worker threads [default: all cores].
    #[arg(long, short, value_parser = clap::value_parser!(u16).range(1..))]
    jobs: Option<u16>,
    /// No progress bar (the final summary line is still printed).
    #[arg(long, short)]
    quiet: bool,
    /// Recompute every input, even when OUT holds results of another recipe.
    #[arg(long)]
    force: bool,
    /// Prefix of the table names in tables.sql, e.g. `mydb.ct_` for `mydb.ct_scans`.
    #[arg(long)]
    table_prefix: Option<String>,
    /// Replace patient IDs and instance UIDs by keyed pseudonyms (HMAC-SHA256).
    #[arg(long)]
    pseudonymize: bool,
    /// File holding the pseudonym key [default: $MEDPREP_PSEUDONYM_KEY].
    #[arg(long, value_name = "FILE")]
    pseudonym_key_file: Option<PathBuf>,
    /// Largest image decoded or resampled, in samples (frames × rows × columns ×
    /// samples per pixel); larger ones, and files that could only hold larger ones, fail as
    /// `too_large` before anything is allocated for them.
    #[arg(long, default_value_t = Limits::default().max_samples)]
    max_samples: u64,
}

/// One discovered input.
#[derive(Debug)]
struct Input {
    path: PathBuf,
    /// `path` as text: the `image_path` column and the name in error records.
    name: String,
    stamp: Option<Stamp>,
    /// Its entry from the previous run, when its rows can be carried over.
    carried: Option<Entry>,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let started = Instant::now();
    let recipe = Recipe::preset_or_path(&args.recipe).map_err(usage)?;
    let limits = Limits {
        max_samples: args.max_samples,
    };
    if let Some(settings) = &recipe.series {
        return series::run(&args, &recipe, settings, limits, started);
    }
    let pipeline = Pipeline::new(recipe.clone())
        .map_err(usage)?
        .with_limits(limits);
    let prefix = args.table_prefix.as_deref().unwrap_or_default();
    let scans_table = format!("{prefix}scans");
    let features_table = format!("{prefix}features");
    hive::check_table_name(&scans_table).map_err(usage)?;
    let pseudonyms =
        Pseudonymizer::from_options(args.pseudonymize, args.pseudonym_key_file.as_deref())
            .map_err(usage)?;
    let key_id = pseudonyms.as_ref().map(Pseudonymizer::key_id);
    let (device, note) = args.device.open().map_err(usage)?;
    if let Some(note) = note {
        eprintln!("medprep: {note}");
    }
    let pipeline = pipeline.on_device(device);

    let inputs = input_paths(&args)?;
    let found = discover(&inputs).map_err(usage)?;
    if found.files.is_empty() {
        return Err(usage(anyhow!(
            "no DICOM files found in {} ({} other file(s) skipped)",
            list_paths(&inputs),
            found.skipped
        )));
    }

    let out = args.out.as_path();
    std::fs::create_dir_all(out)
        .with_context(|| format!("cannot create output folder {}", out.display()))
        .map_err(usage)?;
    let extension = match recipe.output.images {
        ImageFormat::None => None,
        ImageFormat::Npy => Some("npy"),
        ImageFormat::Png => Some("png"),
    };
    if extension.is_some() {
        let dir = out.join(PREPROCESSED);
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))
            .map_err(usage)?;
    }

    let toml = recipe.to_toml();
    let fingerprint = manifest::fingerprint(&toml);
    let previous = match Manifest::load(&out.join(manifest::FILE_NAME)) {
        Ok(previous) => previous,
        Err(error) => {
            eprintln!("medprep: note: ignoring the previous run: {error:#}");
            None
        }
    };
    let reusable = match &previous {
        Some(p) if p.recipe_fingerprint != fingerprint && !args.force => {
            return Err(usage(anyhow!(
                "{} holds results of another recipe ({:?} as it was then) than this run's {:?}; \
                 use --force to recompute everything there, or choose another --out",
                out.display(),
                p.recipe,
                recipe.name
            )));
        }
        Some(p) if !args.force && p.pseudonym_key != key_id => {
            eprintln!(
                "medprep: note: the tables in {} were written {}; processing every input again",
                out.display(),
                match &p.pseudonym_key {
                    Some(_) if key_id.is_some() => "with another pseudonym key",
                    Some(_) => "with --pseudonymize",
                    None => "without --pseudonymize",
                }
            );
            None
        }
        Some(p) if !args.force && tables_match(out, p) => Some(p),
        Some(_) if !args.force => {
            eprintln!(
                "medprep: note: the tables in {} do not match its {}; processing every input again",
                out.display(),
                manifest::FILE_NAME
            );
            None
        }
        _ => None,
    };
    let inputs = plan_inputs(found.files, reusable, out);

    let mut writer = Writer::create(
        out,
        &pipeline,
        &toml,
        &inputs,
        reusable.is_some(),
        extension,
    )
    .map_err(usage)?;
    let todo: Vec<usize> = (0..inputs.len())
        .filter(|i| inputs[*i].carried.is_none())
        .collect();
    writer.bar = progress::bar(todo.len(), args.quiet);
    let jobs = args.jobs.map_or_else(
        || std::thread::available_parallelism().map_or(1, usize::from),
        usize::from,
    );
    let runner = Runner::new(pipeline)
        .with_workers(jobs)
        .with_images(recipe.output.images);
    let processing = Instant::now();
    let tasks = todo.iter().map(|&index| {
        let input = &inputs[index];
        let source = Source::Path(Cow::Borrowed(input.path.as_path()));
        Ok(Task::new(index, Job::image(input.name.clone(), source)))
    });
    let counters = runner
        .run(
            tasks,
            |index, outcome| match &pseudonyms {
                Some(p) => (index, p.outcome(outcome)),
                None => (index, outcome),
            },
            |(index, outcome), _, counters| writer.write(index, outcome, counters),
        )
        .map_err(usage)?;
    let processing = processing.elapsed();
    let carried = writer
        .finish(key_id, &scans_table, &features_table)
        .map_err(usage)?;

    let processed = counters.ok + counters.failed;
    let rate = if processing.as_secs_f64() > 0.0 {
        processed as f64 / processing.as_secs_f64()
    } else {
        0.0
    };
    let errors_note = if counters.failed > 0 {
        format!("; errors in {}", out.join(ERRORS).display())
    } else {
        String::new()
    };
    eprintln!(
        "medprep run: {} images ({} frames) ok, {} failed, {} skipped (not DICOM), {} done earlier; \
         {rate:.1} images/s; outputs in {}{errors_note}",
        counters.ok,
        counters.frames,
        counters.failed,
        found.skipped,
        carried,
        out.display()
    );
    report_peak_memory(started);
    Ok(if counters.failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The INPUTs, or the demo folder when none is given.
fn input_paths(args: &Args) -> Result<Vec<PathBuf>> {
    if !args.inputs.is_empty() {
        return Ok(args.inputs.clone());
    }
    if !Path::new(DEMO_INPUT).is_dir() {
        return Err(usage(anyhow!(
            "no INPUT given and no `{DEMO_INPUT}/` folder here to run the demo on"
        )));
    }
    Ok(vec![PathBuf::from(DEMO_INPUT)])
}

fn list_paths(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether the tables in `out` are the ones `previous` describes.
fn tables_match(out: &Path, previous: &Manifest) -> bool {
    let size = |name| std::fs::metadata(out.join(name)).map(|m| m.len()).ok();
    size(SCANS) == Some(previous.scans_bytes) && size(FEATURES) == Some(previous.features_bytes)
}

/// Stamps every file and marks those that `previous` finished and that are unchanged
/// (with their preprocessed images still present).
fn plan_inputs(files: Vec<PathBuf>, previous: Option<&Manifest>, out: &Path) -> Vec<Input> {
    let finished = previous.map(Manifest::finished).unwrap_or_default();
    files
        .into_iter()
        .map(|path| {
            let name = path.to_string_lossy().into_owned();
            let stamp = Stamp::of(&path).ok();
            let carried = finished
                .get(name.as_str())
                .filter(|entry| Some(entry.stamp) == stamp)
                .filter(|entry| {
                    entry
                        .images
                        .iter()
                        .all(|i| out.join(PREPROCESSED).join(i).is_file())
                })
                .map(|entry| (*entry).clone());
            Input {
                path,
                name,
                stamp,
                carried,
            }
        })
        .collect()
}

/// The one thread that writes: rows in input order, carried-over rows merged in.
struct Writer<'a> {
    out: &'a Path,
    inputs: &'a [Input],
    /// The next input (index into `inputs`) whose rows are due.
    next: usize,
    recipe_name: String,
    feature_names: Vec<String>,
    fingerprint: String,
    scans: TableWriter<ScanRow>,
    features: TableWriter<FeatureRow>,
    errors: ErrorsWriter,
    old_scans: Option<TableReader<ScanRow>>,
    old_features: Option<TableReader<FeatureRow>>,
    namer: Namer,
    extension: Option<&'static str>,
    entries: Vec<Entry>,
    /// Inputs whose rows were carried over from the earlier tables.
    carried: usize,
    bar: ProgressBar,
}

impl<'a> Writer<'a> {
    fn create(
        out: &'a Path,
        pipeline: &Pipeline,
        toml: &str,
        inputs: &'a [Input],
        carry: bool,
        extension: Option<&'static str>,
    ) -> Result<Self> {
        let metadata = vec![
            (
                "medprep.version".to_owned(),
                env!("CARGO_PKG_VERSION").to_owned(),
            ),
            ("medprep.recipe".to_owned(), toml.to_owned()),
        ];
        let (old_scans, old_features) = if carry && inputs.iter().any(|i| i.carried.is_some()) {
            (
                Some(TableReader::open(&out.join(SCANS))?),
                Some(TableReader::open(&out.join(FEATURES))?),
            )
        } else {
            (None, None)
        };
        let mut namer = Namer::default();
        // Carried images keep their names, so new images must not take them.
        for input in inputs {
            if let Some(entry) = &input.carried {
                namer.reserve(&entry.images);
            }
        }
        Ok(Self {
            out,
            inputs,
            next: 0,
            recipe_name: pipeline.recipe().name.clone(),
            feature_names: pipeline.feature_names().to_vec(),
            fingerprint: manifest::fingerprint(toml),
            scans: TableWriter::create(
                &out.join(SCANS),
                arrow::schema(&ScanRow::specs()),
                metadata.clone(),
            )?,
            features: TableWriter::create(
                &out.join(FEATURES),
                arrow::with_provenance(
                    arrow::schema(&FeatureRow::specs(pipeline.feature_names())),
                    FeatureRow::COLUMNS.len(),
                    &pipeline.feature_columns(),
                ),
                metadata,
            )?,
            errors: ErrorsWriter::create(&out.join(ERRORS))?,
            old_scans,
            old_features,
            namer,
            extension,
            entries: Vec::with_capacity(inputs.len()),
            carried: 0,
            bar: ProgressBar::hidden(),
        })
    }

    /// Writes the outcome of input `index`, after the carried inputs before it;
    /// `counters` are the run's so far, this outcome included.
    fn write(&mut self, index: usize, outcome: Outcome, counters: &Counters) -> Result<()> {
        self.carry_until(index)?;
        let input = &self.inputs[index];
        let stamp = input.stamp.unwrap_or(Stamp {
            size: 0,
            modified_ns: 0,
        });
        match outcome {
            Outcome::Done {
                scan,
                frames,
                multi_frame,
                stem,
                ..
            } => {
                let images = self.write_images(&stem, &frames, multi_frame)?;
                let frame_count = frames.len();
                for frame in frames {
                    self.features.push(FeatureRow::of(&scan, frame))?;
                }
                self.scans.push(*scan)?;
                self.entries.push(Entry {
                    path: input.name.clone(),
                    stamp,
                    status: Status::Ok,
                    frames: u32::try_from(frame_count).unwrap_or(u32::MAX),
                    images,
                });
            }
            Outcome::Failed { kind, error, .. } => {
                self.errors.write(&ErrorRecord {
                    image_path: input.name.clone(),
                    kind,
                    error,
                })?;
                self.entries.push(Entry {
                    path: input.name.clone(),
                    stamp,
                    status: Status::Failed,
                    frames: 0,
                    images: Vec::new(),
                });
                self.bar
                    .set_message(format!("({} failed)", counters.failed));
            }
        }
        self.next = index + 1;
        self.bar.inc(1);
        Ok(())
    }

    fn write_images(
        &mut self,
        stem: &str,
        frames: &[FrameOut],
        multi_frame: bool,
    ) -> Result<Vec<String>> {
        let Some(extension) = self.extension else {
            return Ok(Vec::new());
        };
        let with_image: Vec<&FrameOut> = frames.iter().filter(|f| f.image.is_some()).collect();
        let indices: Vec<u32> = with_image.iter().map(|f| f.frame).collect();
        let names = self.namer.allocate(stem, &indices, multi_frame, extension);
        let dir = self.out.join(PREPROCESSED);
        for (frame, name) in with_image.iter().zip(&names) {
            if let Some(bytes) = &frame.image {
                sinks::write_atomically(&dir.join(name), bytes)?;
            }
        }
        Ok(names)
    }

    /// Copies the rows of carried inputs before `end` from the previous tables.
    fn carry_until(&mut self, end: usize) -> Result<()> {
        while self.next < end {
            if let Some(entry) = &self.inputs[self.next].carried {
                let path = entry.path.as_str();
                let hint = || format!("the earlier tables lack rows of {path}; rerun with --force");
                let old_scans = self.old_scans.as_mut().context("no earlier scans table")?;
                let scan = loop {
                    let row = old_scans.next_row()?.with_context(hint)?;
                    if row.image_path == path {
                        break row;
                    }
                };
                self.scans.push(scan)?;
                let old_features = self
                    .old_features
                    .as_mut()
                    .context("no earlier features table")?;
                for k in 0..entry.frames {
                    let row = loop {
                        let row = old_features.next_row()?.with_context(hint)?;
                        if row.image_path == path {
                            break row;
                        }
                        if k > 0 {
                            bail!(hint());
                        }
                    };
                    self.features.push(row)?;
                }
                self.entries.push(entry.clone());
                self.carried += 1;
            }
            self.next += 1;
        }
        Ok(())
    }

    /// Completes the tables, links them for Hive, writes `tables.sql` and the manifest,
    /// and removes preprocessed images that the manifest does not list. Returns the
    /// number of inputs carried over.
    ///
    /// The earlier manifest is deleted before the first table is renamed into place and
    /// the new one written after the last, so however the run is stopped, a manifest in
    /// OUT describes the tables beside it (or there is none and a rerun redoes all).
    fn finish(
        mut self,
        pseudonym_key: Option<String>,
        scans_table: &str,
        features_table: &str,
    ) -> Result<usize> {
        self.carry_until(self.inputs.len())?;
        self.bar.finish_and_clear();
        // Release the earlier tables before they are replaced.
        self.old_scans = None;
        self.old_features = None;
        let manifest_path = self.out.join(manifest::FILE_NAME);
        match std::fs::remove_file(&manifest_path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(e)
                    .with_context(|| format!("cannot remove {}", manifest_path.display()));
            }
            _ => {}
        }
        self.scans.finish()?;
        self.features.finish()?;
        self.errors.finish()?;
        let out = self.out;
        write_tables_sql(
            out,
            &self.recipe_name,
            [
                (scans_table, ScanRow::specs(), SCANS),
                (
                    features_table,
                    FeatureRow::specs(&self.feature_names),
                    FEATURES,
                ),
            ],
        )?;

        let size = |name| std::fs::metadata(out.join(name)).map(|m| m.len());
        let manifest = Manifest {
            medprep_version: env!("CARGO_PKG_VERSION").to_owned(),
            recipe: self.recipe_name.clone(),
            recipe_fingerprint: self.fingerprint.clone(),
            scans_bytes: size(SCANS)?,
            features_bytes: size(FEATURES)?,
            pseudonym_key,
            inputs: std::mem::take(&mut self.entries),
        };
        manifest.save(&manifest_path)?;
        remove_unlisted_images(out, &manifest);
        Ok(self.carried)
    }
}

/// Writes `tables.sql` in `out`: Hive DDL for each `(table, columns, file)`, with the
/// file linked into its own `hive/<table>/` folder, since Hive reads whole folders.
fn write_tables_sql(
    out: &Path,
    recipe_name: &str,
    tables: [(&str, Vec<medprep_runner::tables::Spec>, &str); 2],
) -> Result<()> {
    let absolute = out
        .canonicalize()
        .with_context(|| format!("cannot resolve {}", out.display()))?;
    let mut sql = format!(
        "-- Hive tables over the output of `medprep run` (recipe {recipe_name:?}).\n\
         -- Hive reads every file under a table's LOCATION, so each table has its own folder:\n\
         -- hive/scans and hive/features hold links to (or copies of) {SCANS} and {FEATURES}.\n\
         -- Change the LOCATIONs after copying this folder elsewhere (e.g. to HDFS).\n\n"
    );
    for (table, columns, file) in tables {
        let folder = out.join("hive").join(file.trim_end_matches(".parquet"));
        link_table(&out.join(file), &folder, file)?;
        let location = absolute
            .join("hive")
            .join(file.trim_end_matches(".parquet"));
        sql.push_str(&hive::create_table(
            table,
            &columns,
            Storage::Parquet,
            &location.to_string_lossy(),
        )?);
        sql.push('\n');
    }
    sinks::write_atomically(&out.join(TABLES_SQL), sql.as_bytes())
}

/// Puts `file` into `folder` as a hard link (a copy where links are not possible).
fn link_table(file: &Path, folder: &Path, name: &str) -> Result<()> {
    std::fs::create_dir_all(folder)
        .with_context(|| format!("cannot create {}", folder.display()))?;
    let target = folder.join(name);
    let partial = sinks::partial_path(&target);
    let _ = std::fs::remove_file(&partial);
    if std::fs::hard_link(file, &partial).is_err() {
        std::fs::copy(file, &partial)
            .with_context(|| format!("cannot write {}", partial.display()))?;
    }
    sinks::finish(&target)
}

/// Deletes the files in `preprocessed/` that `current` does not list and that medprep
/// may have written there: images of inputs that no longer have rows, images and
/// `.partial` files of an interrupted run. Other files are left alone.
fn remove_unlisted_images(out: &Path, current: &Manifest) {
    let keep: HashSet<&str> = current
        .inputs
        .iter()
        .flat_map(|e| &e.images)
        .map(String::as_str)
        .collect();
    let dir = out.join(PREPROCESSED);
    let Ok(listing) = std::fs::read_dir(&dir) else {
        return;
    };
    for entry in listing.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let ours = [".npy", ".png", ".npy.partial", ".png.partial"]
            .iter()
            .any(|suffix| name.ends_with(suffix));
        if ours && !keep.contains(name) && entry.file_type().is_ok_and(|t| t.is_file()) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// With `MEDPREP_REPORT_PEAK_MEMORY=1`, prints the peak resident memory of the process
/// (VmHWM, Linux) on stderr, for measuring how memory scales with the input count.
fn report_peak_memory(started: Instant) {
    if std::env::var_os("MEDPREP_REPORT_PEAK_MEMORY").is_none_or(|v| v != "1") {
        return;
    }
    let peak = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .map(|v| v.trim().to_owned())
        })
        .unwrap_or_else(|| "unavailable".into());
    eprintln!(
        "medprep run: peak memory (VmHWM) {peak}; wall time {:.2} s",
        started.elapsed().as_secs_f64()
    );
}
