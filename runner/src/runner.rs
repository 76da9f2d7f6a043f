//! [`Runner`]: tasks in, outcomes out in input order.
//!
//! Each input is decoded under the pipeline's [`medprep::Limits`] and run through the
//! recipe on a rayon pool; a panic costs that input alone (an `internal` failure). On a
//! device that batches ([`medprep::Device::batches`], a GPU), the queue carries batches
//! of up to [`Pipeline::GPU_BATCH_FRAMES`] consecutive inputs instead, two in flight:
//! each batch is decoded in parallel and goes through one
//! [`Pipeline::process_batch`] call, so that one decodes while the other is on the
//! device. Either way at most a window of inputs is in memory, whatever the length of
//! the input ([`crate::queue`]).
//!
//! The adapter's `finish` turns each outcome into what it writes (rows, a pseudonymized
//! outcome), on the worker, so that rendering runs in parallel too; its `consume` then
//! takes those results one at a time, in input order, with the [`Tally`] of the outcome
//! and the run's [`Counters`] so far: that is where progress bars and counters hook in.
//!
//! [`Runner::run_with_budget`] adds a time [`Budget`] per input (per batch on a GPU):
//! an input past it becomes a `timeout` failure, its worker is abandoned and the rayon
//! pool renewed for the inputs after it; too many abandoned inputs end the run.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use anyhow::{anyhow, Context, Result};
use medprep::recipe::ImageFormat;
use medprep::Pipeline;
use rayon::prelude::*;
use rayon::ThreadPool;

use crate::process::{decode, process, process_decoded};
use crate::{queue, Job, Outcome, Task};

/// Batches in flight on a device that batches: one on the device, one being decoded.
const BATCHES_IN_FLIGHT: usize = 2;

/// Runs a recipe's pipeline over tasks (see the module documentation). Cheap to clone:
/// clones share the pipeline and the pool.
#[derive(Debug, Clone)]
pub struct Runner {
    pipeline: Arc<Pipeline>,
    /// How preprocessed images are encoded into outcomes.
    images: ImageFormat,
    /// Inputs in work at once on a device that does not batch; threads of the pool the
    /// runner builds.
    workers: usize,
    /// The pool inputs run on: given, or built on first use. A timeout replaces it, since
    /// the abandoned input keeps one of its threads busy.
    pool: Arc<Mutex<Option<Arc<ThreadPool>>>>,
}

/// The time limit of [`Runner::run_with_budget`].
#[derive(Debug, Clone)]
pub struct Budget {
    /// Longest time one input (one batch on a GPU) may take.
    pub limit: Duration,
    /// Inputs (batches) that may run past the limit before the run fails.
    pub max_abandoned: usize,
    /// How the limit is named in timeout messages, e.g. `the --record-timeout of 300 s`.
    pub described_as: String,
}

/// What one outcome adds to the [`Counters`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    /// The error kind of a failure; `None` for a success.
    pub error_kind: Option<String>,
    /// Frames of a success.
    pub frames: usize,
    /// Bytes of DICOM read.
    pub bytes_read: u64,
}

impl Tally {
    fn of(outcome: &Outcome) -> Self {
        match outcome {
            Outcome::Done {
                frames, bytes_read, ..
            } => Self {
                error_kind: None,
                frames: frames.len(),
                bytes_read: *bytes_read,
            },
            Outcome::Failed {
                kind, bytes_read, ..
            } => Self {
                error_kind: Some(kind.clone()),
                frames: 0,
                bytes_read: *bytes_read,
            },
        }
    }
}

/// Totals of the outcomes consumed so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counters {
    /// Inputs that succeeded.
    pub ok: u64,
    /// Inputs that failed.
    pub failed: u64,
    /// Frames of the inputs that succeeded.
    pub frames: u64,
    /// Bytes of DICOM read.
    pub bytes_read: u64,
    /// Failures by error kind.
    pub errors: BTreeMap<String, u64>,
}

impl Counters {
    fn count(&mut self, tally: &Tally) {
        self.bytes_read += tally.bytes_read;
        match &tally.error_kind {
            None => {
                self.ok += 1;
                self.frames += tally.frames as u64;
            }
            Some(kind) => {
                self.failed += 1;
                *self.errors.entry(kind.clone()).or_default() += 1;
            }
        }
    }
}

/// A finished input on its way to the consumer: the adapter's result and its tally, or
/// the error of an input that could not even be read (which ends the run).
type Finished<R> = Result<(R, Tally)>;

impl Runner {
    /// A runner of `pipeline` on one worker per core, writing no preprocessed images.
    pub fn new(pipeline: impl Into<Arc<Pipeline>>) -> Self {
        Self {
            pipeline: pipeline.into(),
            images: ImageFormat::None,
            workers: std::thread::available_parallelism().map_or(1, usize::from),
            pool: Arc::default(),
        }
    }

    /// The same runner on `workers` threads (at least one) of a pool of its own.
    #[must_use]
    pub fn with_workers(self, workers: usize) -> Self {
        Self {
            workers: workers.max(1),
            pool: Arc::default(),
            ..self
        }
    }

    /// The same runner on `pool`, with one worker per thread of it.
    #[must_use]
    pub fn with_pool(self, pool: Arc<ThreadPool>) -> Self {
        Self {
            workers: pool.current_num_threads().max(1),
            pool: Arc::new(Mutex::new(Some(pool))),
            ..self
        }
    }

    /// The same runner, encoding each frame's preprocessed image (when the recipe makes
    /// one) as `images` into its [`crate::FrameOut`].
    #[must_use]
    pub fn with_images(self, images: ImageFormat) -> Self {
        Self { images, ..self }
    }

    /// The pipeline this runner runs.
    pub fn pipeline(&self) -> &Pipeline {
        &self.pipeline
    }

    /// Inputs in work at once on a device that does not batch.
    pub fn workers(&self) -> usize {
        self.workers
    }

    /// Runs every task and hands the results to `consume` in task order (see the module
    /// documentation). An `Err` task (an input that could not be read) ends the run with
    /// its error once the tasks before it are consumed; so does an error of `consume`.
    /// Returns the counters of the whole run.
    pub fn run<'a, C, R, I, F, W>(&self, tasks: I, finish: F, mut consume: W) -> Result<Counters>
    where
        I: IntoIterator<Item = Result<Task<'a, C>>>,
        I::IntoIter: Send,
        C: Send,
        R: Send,
        F: Fn(C, Outcome) -> R + Sync,
        W: FnMut(R, &Tally, &Counters) -> Result<()>,
    {
        let pool = self.pool()?;
        let mut counters = Counters::default();
        {
            let mut take = |finished: Finished<R>| -> Result<()> {
                let (result, tally) = finished?;
                counters.count(&tally);
                consume(result, &tally, &counters)
            };
            if self.pipeline.device().batches() {
                queue::run_ordered(
                    queue::batches(tasks, Pipeline::GPU_BATCH_FRAMES, Result::is_err),
                    BATCHES_IN_FLIGHT,
                    BATCHES_IN_FLIGHT,
                    |batch| self.work_batch(&pool, batch, &finish),
                    |finished: Vec<Finished<R>>| finished.into_iter().try_for_each(&mut take),
                )?;
            } else {
                queue::run_ordered(
                    tasks,
                    self.workers,
                    2 * self.workers,
                    |task: Result<Task<'a, C>>| {
                        task.map(|task| self.work_one(&pool, task, &finish))
                    },
                    &mut take,
                )?;
            }
        }
        Ok(counters)
    }

    /// [`Runner::run`] with a time budget per input (per batch on a device that
    /// batches): an input past `budget.limit` becomes a `timeout` failure in its place
    /// and the run goes on; more than `budget.max_abandoned` such inputs end the run with
    /// an error, so that the work is retried elsewhere. Workers are detached threads
    /// (one past the limit cannot be stopped), hence the `'static` bounds.
    pub fn run_with_budget<C, R, I, F, W>(
        &self,
        budget: Budget,
        tasks: I,
        finish: F,
        mut consume: W,
    ) -> Result<Counters>
    where
        I: IntoIterator<Item = Result<Task<'static, C>>>,
        I::IntoIter: Send,
        C: Clone + Send + 'static,
        R: Send + 'static,
        F: Fn(C, Outcome) -> R + Send + Sync + 'static,
        W: FnMut(R, &Tally, &Counters) -> Result<()>,
    {
        let Budget {
            limit,
            max_abandoned,
            described_as,
        } = budget;
        let finish = Arc::new(finish);
        let mut counters = Counters::default();
        {
            let mut take = |finished: Finished<R>| -> Result<()> {
                let (result, tally) = finished?;
                counters.count(&tally);
                consume(result, &tally, &counters)
            };
            // What a timeout result needs of a task, taken when work on it starts.
            let context =
                |task: &Result<Task<'static, C>>| task.as_ref().ok().map(|t| t.context.clone());
            let timed_out = {
                let finish = Arc::clone(&finish);
                let described_as = described_as.clone();
                move |context: Option<C>, message: String| -> Finished<R> {
                    let context = context.ok_or_else(|| {
                        anyhow!("reading the next input took longer than {described_as}")
                    })?;
                    let outcome = Outcome::failed("timeout", message);
                    let tally = Tally::of(&outcome);
                    Ok((finish(context, outcome), tally))
                }
            };
            if self.pipeline.device().batches() {
                let deadline = queue::Deadline {
                    budget: Some(limit),
                    max_abandoned,
                    describe: move |batch: &Vec<Result<Task<'static, C>>>| {
                        batch.iter().map(context).collect::<Vec<_>>()
                    },
                    on_timeout: {
                        let runner = self.clone();
                        let described_as = described_as.clone();
                        move |contexts: Vec<Option<C>>, elapsed: Duration| -> Vec<Finished<R>> {
                            if let Err(error) = runner.renew_pool() {
                                return vec![Err(error)];
                            }
                            let inputs = contexts.len();
                            contexts
                                .into_iter()
                                .map(|context| {
                                    timed_out(
                                        context,
                                        format!(
                                            "processing its batch of {inputs} inputs on the GPU took \
                                             longer than {described_as}; abandoned after {:.3} s",
                                            elapsed.as_secs_f64()
                                        ),
                                    )
                                })
                                .collect()
                        }
                    },
                };
                let runner = self.clone();
                queue::run_ordered_with_deadline(
                    queue::batches(tasks, Pipeline::GPU_BATCH_FRAMES, Result::is_err),
                    BATCHES_IN_FLIGHT,
                    BATCHES_IN_FLIGHT,
                    move |batch| match runner.pool() {
                        Ok(pool) => runner.work_batch(&pool, batch, &*finish),
                        Err(error) => vec![Err(error)],
                    },
                    deadline,
                    |finished: Vec<Finished<R>>| finished.into_iter().try_for_each(&mut take),
                )?;
            } else {
                let deadline = queue::Deadline {
                    budget: Some(limit),
                    max_abandoned,
                    describe: context,
                    on_timeout: {
                        let runner = self.clone();
                        move |context: Option<C>, elapsed: Duration| -> Finished<R> {
                            runner.renew_pool()?;
                            timed_out(
                                context,
                                format!(
                                    "processing took longer than {described_as}; abandoned after \
                                     {:.3} s",
                                    elapsed.as_secs_f64()
                                ),
                            )
                        }
                    },
                };
                let runner = self.clone();
                let workers = self.workers;
                queue::run_ordered_with_deadline(
                    tasks,
                    workers,
                    2 * workers,
                    move |task: Result<Task<'static, C>>| {
                        let pool = runner.pool()?;
                        task.map(|task| runner.work_one(&pool, task, &*finish))
                    },
                    deadline,
                    &mut take,
                )?;
            }
        }
        Ok(counters)
    }
}

impl Runner {
    /// The pool inputs run on, built on first use.
    fn pool(&self) -> Result<Arc<ThreadPool>> {
        let mut pool = self.pool.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(pool) = pool.as_ref() {
            return Ok(Arc::clone(pool));
        }
        let built = Arc::new(self.build_pool()?);
        *pool = Some(Arc::clone(&built));
        Ok(built)
    }

    /// Replaces the pool by a fresh one; the old one ends with its last job.
    fn renew_pool(&self) -> Result<()> {
        let fresh = Arc::new(self.build_pool()?);
        *self.pool.lock().unwrap_or_else(PoisonError::into_inner) = Some(fresh);
        Ok(())
    }

    fn build_pool(&self) -> Result<ThreadPool> {
        rayon::ThreadPoolBuilder::new()
            .num_threads(self.workers)
            .thread_name(|i| format!("medprep-{i}"))
            .build()
            .context("cannot start worker threads")
    }

    /// One task's outcome, finished.
    fn work_one<C: Send, R: Send>(
        &self,
        pool: &ThreadPool,
        task: Task<'_, C>,
        finish: &(impl Fn(C, Outcome) -> R + Sync),
    ) -> (R, Tally) {
        pool.install(|| {
            let outcome = match task.job {
                Job::Image { name, source } => process(
                    source,
                    &name,
                    &self.pipeline,
                    self.images,
                    self.pipeline.limits(),
                ),
                Job::Settled(outcome) => outcome,
            };
            let tally = Tally::of(&outcome);
            (finish(task.context, outcome), tally)
        })
    }

    /// A batch of tasks: decoded in parallel, through one [`Pipeline::process_batch`]
    /// call, then finished in parallel. An `Err` task stays in its place.
    fn work_batch<'a, C: Send, R: Send>(
        &self,
        pool: &ThreadPool,
        batch: Vec<Result<Task<'a, C>>>,
        finish: &(impl Fn(C, Outcome) -> R + Sync),
    ) -> Vec<Finished<R>> {
        let limits = self.pipeline.limits();
        pool.install(|| {
            let decoded: Vec<Result<_>> = batch
                .into_par_iter()
                .map(|task| {
                    task.map(|task| {
                        let input = match task.job {
                            Job::Image { name, source } => decode(source, &name, limits),
                            Job::Settled(outcome) => Err(outcome),
                        };
                        (task.context, input)
                    })
                })
                .collect();
            let mut contexts = Vec::with_capacity(decoded.len());
            let mut inputs = Vec::with_capacity(decoded.len());
            for item in decoded {
                match item {
                    Ok((context, input)) => {
                        contexts.push(Ok(context));
                        inputs.push(input);
                    }
                    Err(error) => contexts.push(Err(error)),
                }
            }
            let mut outcomes = process_decoded(inputs, &self.pipeline, self.images).into_iter();
            let paired: Vec<_> = contexts
                .into_iter()
                .map(|context| context.map(|context| (context, outcomes.next())))
                .collect();
            paired
                .into_par_iter()
                .map(|item| {
                    let (context, outcome) = item?;
                    let outcome = outcome.unwrap_or_else(|| {
                        Outcome::failed("internal", "internal error: a batch lost an input")
                    });
                    let tally = Tally::of(&outcome);
                    Ok((finish(context, outcome), tally))
                })
                .collect()
        })
    }
}
