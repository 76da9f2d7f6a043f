//! A streaming work queue: items go to worker threads through a bounded channel and
//! come back to one consumer in input order, so what the consumer writes does not
//! depend on the number of workers.
//!
//! At most `window` items are between dispatch and consumption at any time (queued,
//! in work, or waiting in the reorder buffer behind a slower item): the consumer hands
//! a credit back for each item it takes, and the dispatcher needs a credit per item.
//! Memory therefore depends on the window, never on the number of items.
//!
//! [`run_ordered_with_deadline`] adds a time budget per item. Threads cannot be
//! killed, so an item in work past its budget is given up on: the consumer takes a
//! substitute result for it and moves on, its worker is left running detached (its
//! late result is dropped) and a replacement worker keeps the throughput. Too many
//! abandoned workers end the run with an error, so that the task is retried elsewhere.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use crossbeam_channel::{bounded, Receiver, RecvTimeoutError, Sender};

/// Runs `work` on every item on `workers` threads and calls `consume` with the results
/// in item order. Items are pulled from the iterator only as the window allows, so an
/// endless input (a stream on stdin) is processed in bounded memory. Stops early (and
/// returns the error) when `consume` fails.
pub fn run_ordered<I, R, W, C>(
    items: I,
    workers: usize,
    window: usize,
    work: W,
    consume: C,
) -> Result<()>
where
    I: IntoIterator,
    I::IntoIter: Send,
    I::Item: Send,
    R: Send,
    W: Fn(I::Item) -> R + Sync,
    C: FnMut(R) -> Result<()>,
{
    let workers = workers.max(1);
    let window = window.max(1);
    let items = items.into_iter();
    let (task_tx, task_rx) = bounded::<(usize, I::Item)>(window);
    let (done_tx, done_rx) = bounded::<(usize, R)>(window);
    let (credit_tx, credit_rx) = bounded::<()>(window);
    for _ in 0..window {
        // The channel has room for exactly `window` credits.
        let _ = credit_tx.send(());
    }
    let work = &work;
    thread::scope(|scope| {
        scope.spawn(move || {
            for task in items.enumerate() {
                if credit_rx.recv().is_err() || task_tx.send(task).is_err() {
                    break;
                }
            }
        });
        for _ in 0..workers {
            let tasks = task_rx.clone();
            let done = done_tx.clone();
            scope.spawn(move || {
                for (index, item) in tasks {
                    if done.send((index, work(item))).is_err() {
                        break;
                    }
                }
            });
        }
        drop(task_rx);
        drop(done_tx);
        // Returning drops the consumer's channel ends, which stops the other threads.
        consume_in_order(done_rx, credit_tx, consume)
    })
}

/// Groups consecutive items into batches of at most `size` (the last may be smaller);
/// an item for which `ends` holds closes its batch, so that a batch ends at it rather
/// than waiting for items after it.
pub fn batches<I, F>(items: I, size: usize, ends: F) -> Batches<I::IntoIter, F>
where
    I: IntoIterator,
    F: Fn(&I::Item) -> bool,
{
    Batches {
        items: items.into_iter(),
        size: size.max(1),
        ends,
    }
}

/// The iterator of [`batches`].
#[derive(Debug)]
pub struct Batches<I, F> {
    items: I,
    size: usize,
    ends: F,
}

impl<I: Iterator, F: Fn(&I::Item) -> bool> Iterator for Batches<I, F> {
    type Item = Vec<I::Item>;

    fn next(&mut self) -> Option<Self::Item> {
        let mut batch = Vec::new();
        while batch.len() < self.size {
            let Some(item) = self.items.next() else { break };
            let last = (self.ends)(&item);
            batch.push(item);
            if last {
                break;
            }
        }
        (!batch.is_empty()).then_some(batch)
    }
}

fn consume_in_order<R>(
    done: Receiver<(usize, R)>,
    credits: Sender<()>,
    mut consume: impl FnMut(R) -> Result<()>,
) -> Result<()> {
    let mut waiting = BTreeMap::new();
    let mut next = 0;
    for (index, result) in &done {
        waiting.insert(index, result);
        while let Some(result) = waiting.remove(&next) {
            next += 1;
            consume(result)?;
            let _ = credits.send(());
        }
    }
    // Every sender is gone: the input ended and each worker finished its items.
    if !waiting.is_empty() {
        bail!("a worker stopped before finishing its input");
    }
    Ok(())
}

/// The time budget of [`run_ordered_with_deadline`].
#[derive(Debug)]
pub struct Deadline<D, T> {
    /// Longest time an item may spend in work; `None` for no limit.
    pub budget: Option<Duration>,
    /// Workers that may be abandoned before the run fails.
    pub max_abandoned: usize,
    /// What the substitute result needs to know about an item, taken when work on it
    /// starts (the item itself goes to the worker).
    pub describe: D,
    /// The substitute result of an item that ran past the budget, from its
    /// description and the time it had been in work.
    pub on_timeout: T,
}

/// How often the consumer looks at the clock while the next item has not started.
const POLL: Duration = Duration::from_millis(50);

/// State shared with the (detached) workers.
struct Shared<W, D, S> {
    work: W,
    describe: D,
    /// Items in work: when they started and their description. The consumer removes
    /// an entry to give up on the item; a worker that finds its entry gone drops its
    /// result and stops, since a replacement has taken its place.
    started: Mutex<HashMap<usize, (Instant, S)>>,
    /// Worker threads still running, abandoned ones included.
    alive: AtomicUsize,
}

/// Counts a worker out when its thread ends, by return or by panic.
struct Alive<'a>(&'a AtomicUsize);

impl Drop for Alive<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl<W, D, S> Shared<W, D, S> {
    fn started(&self) -> std::sync::MutexGuard<'_, HashMap<usize, (Instant, S)>> {
        // The map stays consistent whatever a panicking holder was doing.
        self.started.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// [`run_ordered`] with a time budget per item (see the module documentation). Workers
/// are detached threads, hence the `'static` bounds; the consumer runs on the calling
/// thread. Fails when more than `deadline.max_abandoned` items run past the budget.
pub fn run_ordered_with_deadline<I, S, R, W, D, T, C>(
    items: I,
    workers: usize,
    window: usize,
    work: W,
    deadline: Deadline<D, T>,
    consume: C,
) -> Result<()>
where
    I: IntoIterator,
    I::IntoIter: Send,
    I::Item: Send + 'static,
    S: Send + 'static,
    R: Send + 'static,
    W: Fn(I::Item) -> R + Send + Sync + 'static,
    D: Fn(&I::Item) -> S + Send + Sync + 'static,
    T: FnMut(S, Duration) -> R,
    C: FnMut(R) -> Result<()>,
{
    let Deadline {
        budget,
        max_abandoned,
        describe,
        on_timeout,
    } = deadline;
    let workers = workers.max(1);
    let window = window.max(1);
    let items = items.into_iter();
    let (task_tx, task_rx) = bounded::<(usize, I::Item)>(window);
    let (done_tx, done_rx) = bounded::<(usize, R)>(window);
    let (credit_tx, credit_rx) = bounded::<()>(window);
    for _ in 0..window {
        let _ = credit_tx.send(());
    }
    let shared = Arc::new(Shared {
        work,
        describe,
        started: Mutex::new(HashMap::new()),
        alive: AtomicUsize::new(0),
    });
    // Set once the input is exhausted: abandoned workers keep the result channel open,
    // so its closing cannot be what ends the run.
    let total = Arc::new(AtomicUsize::new(usize::MAX));
    let spawn_worker = {
        let shared = Arc::clone(&shared);
        move || {
            let tasks = task_rx.clone();
            let done = done_tx.clone();
            let shared = Arc::clone(&shared);
            shared.alive.fetch_add(1, Ordering::SeqCst);
            thread::spawn(move || {
                let _alive = Alive(&shared.alive);
                for (index, item) in tasks {
                    let description = (shared.describe)(&item);
                    shared
                        .started()
                        .insert(index, (Instant::now(), description));
                    let result = (shared.work)(item);
                    let abandoned = shared.started().remove(&index).is_none();
                    if abandoned || done.send((index, result)).is_err() {
                        break;
                    }
                }
            });
        }
    };
    for _ in 0..workers {
        spawn_worker();
    }
    thread::scope(|scope| {
        let total_set = Arc::clone(&total);
        scope.spawn(move || {
            let mut count = 0;
            for task in items.enumerate() {
                if credit_rx.recv().is_err() || task_tx.send(task).is_err() {
                    return;
                }
                count += 1;
            }
            total_set.store(count, Ordering::SeqCst);
        });
        let watch = Watch {
            budget,
            max_abandoned,
            on_timeout,
            spawn_worker,
            started: &shared.started,
            alive: &shared.alive,
            total: &total,
        };
        // Returning drops the consumer's channel ends, which stops the dispatcher.
        watch.consume(done_rx, credit_tx, consume)
    })
}

/// The consumer side of [`run_ordered_with_deadline`].
struct Watch<'a, T, F, S> {
    budget: Option<Duration>,
    max_abandoned: usize,
    on_timeout: T,
    spawn_worker: F,
    started: &'a Mutex<HashMap<usize, (Instant, S)>>,
    alive: &'a AtomicUsize,
    total: &'a AtomicUsize,
}

impl<T, F, S> Watch<'_, T, F, S> {
    fn consume<R>(
        mut self,
        done: Receiver<(usize, R)>,
        credits: Sender<()>,
        mut consume: impl FnMut(R) -> Result<()>,
    ) -> Result<()>
    where
        T: FnMut(S, Duration) -> R,
        F: Fn(),
    {
        let mut waiting = BTreeMap::new();
        let mut next = 0;
        let mut abandoned = 0;
        loop {
            while let Some(result) = waiting.remove(&next) {
                next += 1;
                consume(result)?;
                let _ = credits.send(());
            }
            if next == self.total.load(Ordering::SeqCst) {
                return Ok(());
            }
            let started = self.started.lock().unwrap_or_else(PoisonError::into_inner);
            let wait = match (self.budget, started.get(&next)) {
                (Some(budget), Some((start, _))) => budget.saturating_sub(start.elapsed()),
                _ => POLL,
            };
            drop(started);
            match done.recv_timeout(wait) {
                Ok((index, result)) => {
                    waiting.insert(index, result);
                }
                Err(RecvTimeoutError::Timeout) => {
                    // Workers end only after the input is exhausted (and `total` set),
                    // or by panic: then an item is missing and will never come.
                    if self.alive.load(Ordering::SeqCst) == 0 && done.is_empty() {
                        if next == self.total.load(Ordering::SeqCst) {
                            return Ok(());
                        }
                        bail!("a worker stopped before finishing its input");
                    }
                    let Some(budget) = self.budget else {
                        continue;
                    };
                    let expired = {
                        let mut started =
                            self.started.lock().unwrap_or_else(PoisonError::into_inner);
                        match started.get(&next) {
                            Some((start, _)) if start.elapsed() >= budget => started.remove(&next),
                            _ => None,
                        }
                    };
                    if let Some((start, description)) = expired {
                        abandoned += 1;
                        if abandoned > self.max_abandoned {
                            bail!(
                                "{abandoned} items ran past the time budget of {budget:?}; \
                                 giving up so that the work is retried elsewhere"
                            );
                        }
                        waiting.insert(next, (self.on_timeout)(description, start.elapsed()));
                        (self.spawn_worker)();
                    }
                }
                // The consumer holds no sender, but every worker may hold one.
                Err(RecvTimeoutError::Disconnected) => {
                    bail!("every worker stopped before finishing its input")
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[test]
    fn batches_keep_order_and_end_at_their_size_or_at_a_marked_item() {
        let grouped: Vec<Vec<u32>> = batches(1..=10, 4, |_| false).collect();
        assert_eq!(
            grouped,
            vec![vec![1, 2, 3, 4], vec![5, 6, 7, 8], vec![9, 10]]
        );
        let grouped: Vec<Vec<u32>> = batches(1..=7, 4, |&i| i == 2).collect();
        assert_eq!(grouped, vec![vec![1, 2], vec![3, 4, 5, 6], vec![7]]);
        assert_eq!(batches(0..0, 4, |_: &u32| false).count(), 0);
    }

    #[test]
    fn results_come_in_input_order_whatever_the_timing() {
        let items: Vec<u64> = (0..200).collect();
        for workers in [1, 2, 7] {
            let mut seen = Vec::new();
            run_ordered(
                items.iter().copied(),
                workers,
                2 * workers,
                |i| {
                    // Later items finish first within each group, forcing reordering.
                    thread::sleep(Duration::from_micros((7 - i % 7) * 50));
                    i * 10
                },
                |r| {
                    seen.push(r);
                    Ok(())
                },
            )
            .expect("queue runs");
            assert_eq!(seen, items.iter().map(|i| i * 10).collect::<Vec<_>>());
        }
    }

    #[test]
    fn no_more_than_the_window_is_in_flight() {
        let items: Vec<usize> = (0..100).collect();
        let started = AtomicUsize::new(0);
        let consumed = AtomicUsize::new(0);
        let most = AtomicUsize::new(0);
        let window = 5;
        run_ordered(
            items.iter(),
            4,
            window,
            |i| {
                let in_flight =
                    started.fetch_add(1, Ordering::SeqCst) + 1 - consumed.load(Ordering::SeqCst);
                most.fetch_max(in_flight, Ordering::SeqCst);
                // Item 0 is slow, so the others pile up behind it in the reorder buffer.
                if *i == 0 {
                    thread::sleep(Duration::from_millis(30));
                }
                *i
            },
            |_| {
                consumed.fetch_add(1, Ordering::SeqCst);
                Ok(())
            },
        )
        .expect("queue runs");
        assert!(
            most.load(Ordering::SeqCst) <= window,
            "{} in flight",
            most.load(Ordering::SeqCst)
        );
        assert_eq!(consumed.load(Ordering::SeqCst), 100);
    }

    #[test]
    fn a_consumer_error_stops_the_run() {
        let items: Vec<usize> = (0..10_000).collect();
        let done = AtomicUsize::new(0);
        let result = run_ordered(
            items.iter(),
            3,
            6,
            |i| {
                done.fetch_add(1, Ordering::SeqCst);
                *i
            },
            |r| if r == 10 { bail!("disk full") } else { Ok(()) },
        );
        assert_eq!(
            result.expect_err("the consumer stops the run").to_string(),
            "disk full"
        );
        assert!(done.load(Ordering::SeqCst) < 100);
    }

    fn slow_on(slow: &'static [u64], pause: Duration) -> impl Fn(u64) -> String + Send + Sync {
        move |i| {
            if slow.contains(&i) {
                thread::sleep(pause);
            }
            format!("done {i}")
        }
    }

    type Marker = Deadline<fn(&u64) -> u64, fn(u64, Duration) -> String>;

    fn timeout_marker() -> Marker {
        Deadline {
            budget: Some(Duration::from_millis(100)),
            max_abandoned: 2,
            describe: |i| *i,
            on_timeout: |i, elapsed| {
                assert!(elapsed >= Duration::from_millis(100));
                format!("timeout {i}")
            },
        }
    }

    #[test]
    fn an_item_past_its_budget_is_replaced_by_its_timeout_result_in_place() {
        let started = Instant::now();
        let mut seen = Vec::new();
        run_ordered_with_deadline(
            0..20u64,
            2,
            4,
            slow_on(&[3], Duration::from_secs(3)),
            timeout_marker(),
            |r| {
                seen.push(r);
                Ok(())
            },
        )
        .expect("one slow item is within the cap");
        let expected: Vec<String> = (0..20)
            .map(|i| match i {
                3 => "timeout 3".to_owned(),
                i => format!("done {i}"),
            })
            .collect();
        assert_eq!(seen, expected);
        // The run does not wait for the abandoned worker.
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
    }

    #[test]
    fn more_abandoned_workers_than_allowed_fail_the_run() {
        let error = run_ordered_with_deadline(
            0..10u64,
            2,
            4,
            slow_on(&[1, 2, 5, 7], Duration::from_secs(3)),
            timeout_marker(),
            |_| Ok(()),
        )
        .expect_err("three slow items with a cap of two");
        assert!(
            error
                .to_string()
                .contains("3 items ran past the time budget"),
            "{error}"
        );
    }

    #[test]
    fn without_a_budget_slow_items_are_waited_for() {
        let mut seen = Vec::new();
        let mut deadline = timeout_marker();
        deadline.budget = None;
        run_ordered_with_deadline(
            0..6u64,
            3,
            3,
            slow_on(&[0], Duration::from_millis(300)),
            deadline,
            |r| {
                seen.push(r);
                Ok(())
            },
        )
        .expect("queue runs");
        assert_eq!(
            seen,
            (0..6).map(|i| format!("done {i}")).collect::<Vec<_>>()
        );
    }

    #[test]
    fn an_empty_input_that_ends_late_is_a_clean_end() {
        let (tx, rx) = bounded::<u64>(1);
        let ender = thread::spawn(move || {
            // Longer than the consumer's polling interval.
            thread::sleep(POLL * 4);
            drop(tx);
        });
        let mut deadline = timeout_marker();
        deadline.budget = None;
        run_ordered_with_deadline(rx, 2, 4, |i| format!("{i}"), deadline, |_| Ok(()))
            .expect("no items is no error");
        ender.join().expect("joins");
    }

    #[test]
    fn a_worker_that_panics_without_a_budget_fails_the_run_instead_of_hanging() {
        let mut deadline = timeout_marker();
        deadline.budget = None;
        let result = run_ordered_with_deadline(
            0..4u64,
            1,
            2,
            |i| {
                assert_ne!(i, 2, "a bug on item 2");
                format!("done {i}")
            },
            deadline,
            |_| Ok(()),
        );
        assert!(result
            .expect_err("item 2 never comes")
            .to_string()
            .contains("a worker stopped"));
    }
}
