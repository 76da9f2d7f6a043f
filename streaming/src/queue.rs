//! A streaming work queue: items go to worker threads through a bounded channel and
//! come back to one consumer in input order, so what the consumer writes does not
//! depend on the number of workers.
//!
//! At most `window` items are between dispatch and consumption at any time (queued,
//! in work, or waiting in the reorder buffer behind a slower item): the consumer hands
//! a credit back for each item it takes, and the dispatcher needs a credit per item.
//! Memory therefore depends on the window, never on the number of items.

use std::collections::BTreeMap;
use std::thread;

use anyhow::{bail, Result};
use crossbeam_channel::{bounded, Receiver, Sender};

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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

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
}
