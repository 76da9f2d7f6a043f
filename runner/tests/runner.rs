//! The runner against the pipeline called directly: outcomes in input order whatever
//! the number of workers, the features `Pipeline::process` gives, failures in their
//! place, counters that add up, and the time budget.

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use medprep::{DicomFile, Frames, Limits, Pipeline, Recipe};
use medprep_runner::{Budget, Job, Outcome, Runner, Source, Task};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures")
        .join(name)
}

fn pipeline() -> Pipeline {
    Pipeline::new(Recipe::preset("ct-standard").expect("preset")).expect("pipeline")
}

/// The features `Pipeline::process` gives a fixture, frame by frame, as bits.
fn direct(pipeline: &Pipeline, name: &str) -> Vec<Vec<u64>> {
    let path = fixture(name);
    let image = DicomFile::open(&path)
        .and_then(|f| f.image(Frames::All, &Limits::default()))
        .expect("decodes");
    pipeline
        .process(&path.display().to_string(), &image)
        .expect("processes")
        .iter()
        .map(|frame| frame.features.iter().map(|v| v.to_bits()).collect())
        .collect()
}

/// What a test keeps of an outcome: the frames' features as bits, or the error kind.
fn summary(outcome: &Outcome) -> Result<Vec<Vec<u64>>, String> {
    match outcome {
        Outcome::Done { frames, .. } => Ok(frames
            .iter()
            .map(|f| f.features.iter().map(|v| v.to_bits()).collect())
            .collect()),
        Outcome::Failed { kind, .. } => Err(kind.clone()),
    }
}

const INPUTS: [&str; 5] = [
    "multiframe_ct.dcm",
    "missing.dcm",
    "ct_slice.dcm",
    "rgb_secondary_capture.dcm",
    "ct_12bit.dcm",
];

fn tasks(paths: &[PathBuf]) -> Vec<anyhow::Result<Task<'_, usize>>> {
    paths
        .iter()
        .enumerate()
        .map(|(i, path)| {
            let source = Source::Path(Cow::Borrowed(path.as_path()));
            Ok(Task::new(i, Job::image(path.display().to_string(), source)))
        })
        .collect()
}

#[test]
fn outcomes_come_in_input_order_with_the_pipelines_features_for_any_worker_count() {
    let pipeline = Arc::new(pipeline());
    let paths: Vec<PathBuf> = INPUTS.iter().map(|n| fixture(n)).collect();
    let expected: Vec<Result<Vec<Vec<u64>>, String>> = vec![
        Ok(direct(&pipeline, INPUTS[0])),
        Err("io".into()),
        Ok(direct(&pipeline, INPUTS[2])),
        // No pixel spacing to resample to 1 mm.
        Err("missing_attribute".into()),
        Ok(direct(&pipeline, INPUTS[4])),
    ];
    for workers in [1, 3] {
        let runner = Runner::new(Arc::clone(&pipeline)).with_workers(workers);
        let mut seen = Vec::new();
        let counters = runner
            .run(
                tasks(&paths),
                |index, outcome| (index, summary(&outcome)),
                |(index, summary), tally, counters| {
                    assert_eq!(tally.error_kind, summary.as_ref().err().cloned());
                    assert_eq!(counters.ok + counters.failed, index as u64 + 1);
                    seen.push((index, summary));
                    Ok(())
                },
            )
            .expect("the run completes");
        let indices: Vec<usize> = seen.iter().map(|(i, _)| *i).collect();
        assert_eq!(indices, [0, 1, 2, 3, 4], "{workers} workers");
        let summaries: Vec<_> = seen.into_iter().map(|(_, s)| s).collect();
        assert_eq!(summaries, expected, "{workers} workers");
        assert_eq!((counters.ok, counters.failed), (3, 2));
        // The multi-frame fixture has 4 frames.
        assert_eq!(counters.frames, 6);
        assert_eq!(counters.errors.get("io"), Some(&1));
        assert_eq!(counters.errors.get("missing_attribute"), Some(&1));
        assert!(counters.bytes_read > 0);
    }
}

#[test]
fn bytes_settled_outcomes_and_an_unreadable_input_keep_their_place() {
    let runner = Runner::new(pipeline()).with_workers(2);
    let bytes = std::fs::read(fixture("ct_slice.dcm")).expect("fixture");
    let items: Vec<anyhow::Result<Task<'_, &str>>> = vec![
        Ok(Task::new(
            "bytes",
            Job::image("<bytes>", Source::Bytes(Cow::Owned(bytes))),
        )),
        Ok(Task::new(
            "settled",
            Job::Settled(Outcome::failed("bad_record", "a record without a path")),
        )),
        Err(anyhow::anyhow!("stdin went away")),
        Ok(Task::new(
            "never",
            Job::image("junk", Source::Bytes(Cow::Borrowed(b"junk"))),
        )),
    ];
    let mut seen = Vec::new();
    let error = runner
        .run(
            items,
            |context, outcome| (context, outcome.error_kind().map(str::to_owned)),
            |result, _, _| {
                seen.push(result);
                Ok(())
            },
        )
        .expect_err("an unreadable input ends the run");
    assert_eq!(error.to_string(), "stdin went away");
    assert_eq!(
        seen,
        [("bytes", None), ("settled", Some("bad_record".to_owned()))]
    );
}

#[test]
fn a_consumer_error_stops_the_run() {
    let runner = Runner::new(pipeline()).with_workers(2);
    let paths: Vec<PathBuf> = (0..40).map(|_| fixture("ct_slice.dcm")).collect();
    let mut consumed = 0;
    let error = runner
        .run(
            tasks(&paths),
            |index, _| index,
            |_, _, _| {
                consumed += 1;
                anyhow::ensure!(consumed < 3, "disk full");
                Ok(())
            },
        )
        .expect_err("the consumer stops the run");
    assert_eq!(error.to_string(), "disk full");
    assert_eq!(consumed, 3);
}

#[test]
fn an_input_past_the_budget_becomes_a_timeout_in_its_place() {
    // A FIFO nobody writes to is refused without being opened, so the slow input is a
    // large image instead: the four frames of the multi-frame fixture resampled to
    // 0.2 mm (1792 × 1792) with the ct-standard maps, seconds of work, against a budget
    // of a microsecond. The consumer looks at the clock at least every 50 ms.
    let mut recipe = Recipe::preset("ct-standard").expect("preset");
    let resample = recipe.resample.as_mut().expect("ct-standard resamples");
    resample.spacing = Some([0.2, 0.2]);
    let slow = Pipeline::new(recipe).expect("pipeline");
    let runner = Runner::new(slow).with_workers(1);
    let started = Instant::now();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let bytes = std::fs::read(fixture("multiframe_ct.dcm")).expect("fixture");
    let items = (0..3).map(move |i| {
        Ok(Task::new(
            i,
            Job::image(
                format!("input {i}"),
                Source::Bytes(Cow::Owned(bytes.clone())),
            ),
        ))
    });
    let budget = Budget {
        limit: Duration::from_micros(1),
        max_abandoned: 5,
        described_as: "the test budget".into(),
    };
    let result = runner.run_with_budget(
        budget,
        items,
        |i, outcome| match outcome {
            Outcome::Failed { kind, error, .. } => (i, kind, error),
            Outcome::Done { .. } => (i, "ok".to_owned(), String::new()),
        },
        |row, _, _| {
            seen.lock().expect("lock").push(row);
            Ok(())
        },
    );
    let counters = result.expect("within the number of abandoned inputs allowed");
    let seen = seen.lock().expect("lock");
    assert_eq!(seen.iter().map(|r| r.0).collect::<Vec<_>>(), [0, 1, 2]);
    for (_, kind, error) in seen.iter() {
        assert_eq!(kind, "timeout");
        assert!(
            error.starts_with("processing took longer than the test budget; abandoned after"),
            "{error}"
        );
    }
    assert_eq!(counters.errors.get("timeout"), Some(&3));
    assert!(started.elapsed() < Duration::from_secs(30));
}
