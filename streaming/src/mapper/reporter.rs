//! Hadoop Streaming's reporter protocol on stderr: `reporter:counter:GROUP,NAME,N` lines
//! add N to a job counter, `reporter:status:MESSAGE` sets the task's status (and resets
//! the task timeout). Counters are sent as increments, batched to at most one set of
//! lines a second; a background thread sends a status line every
//! [`STATUS_INTERVAL`] (by default) even while one slow record is being processed, so the task is
//! never killed for silence (Hadoop's default timeout is 600 s).
//!
//! Status lines carry counts only, never paths or header values.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Counter group of every medprep counter.
pub const GROUP: &str = "medprep";

/// Default time between status lines.
pub const STATUS_INTERVAL: Duration = Duration::from_secs(20);

/// Shortest time between two batches of counter lines.
const COUNTER_INTERVAL: Duration = Duration::from_secs(1);

/// Writes one protocol line; a closed stderr is not worth failing the task for.
fn send(line: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// Running totals, shared with the status thread.
#[derive(Debug, Default)]
struct Totals {
    records: AtomicU64,
    failed: AtomicU64,
    bytes_read: AtomicU64,
}

/// Counts records and reports them as Hadoop counters and status lines.
#[derive(Debug)]
pub struct Reporter {
    totals: Arc<Totals>,
    /// Counter values not yet sent.
    pending: BTreeMap<String, u64>,
    last_sent: Instant,
    status: Option<StatusThread>,
    context: String,
}

impl Reporter {
    /// Starts reporting, with a status line every `interval`; `context` (e.g. the task
    /// attempt) starts status lines.
    pub fn start(context: String, interval: Duration) -> Self {
        let totals = Arc::new(Totals::default());
        send(&format!("reporter:status:{context} starting"));
        let status =
            StatusThread::spawn(Arc::clone(&totals), format!("{context} running"), interval);
        Self {
            totals,
            pending: BTreeMap::new(),
            last_sent: Instant::now(),
            status,
            context,
        }
    }

    /// Counts one handled record: ok, or failed with an error kind label.
    pub fn record(&mut self, error_kind: Option<&str>, bytes_read: u64) {
        self.totals.records.fetch_add(1, Ordering::Relaxed);
        self.totals
            .bytes_read
            .fetch_add(bytes_read, Ordering::Relaxed);
        self.add("bytes_read", bytes_read);
        match error_kind {
            None => self.add("records_ok", 1),
            Some(kind) => {
                self.totals.failed.fetch_add(1, Ordering::Relaxed);
                self.add("records_failed", 1);
                self.add(&format!("error_{kind}"), 1);
            }
        }
        if self.last_sent.elapsed() >= COUNTER_INTERVAL {
            self.send_counters();
        }
    }

    /// Adds to a counter of the medprep group.
    pub fn add(&mut self, name: &str, n: u64) {
        if n > 0 {
            *self.pending.entry(name.to_owned()).or_default() += n;
        }
    }

    fn send_counters(&mut self) {
        for (name, n) in std::mem::take(&mut self.pending) {
            send(&format!("reporter:counter:{GROUP},{name},{n}"));
        }
        self.last_sent = Instant::now();
    }

    /// Sends the last counters and a final status line.
    pub fn finish(mut self) {
        if let Some(status) = self.status.take() {
            status.stop();
        }
        self.send_counters();
        let state = format!("{} done", self.context);
        send(&format!(
            "reporter:status:{}",
            summary(&self.totals, &state)
        ));
    }
}

impl Drop for Reporter {
    fn drop(&mut self) {
        if let Some(status) = self.status.take() {
            status.stop();
        }
        if !self.pending.is_empty() {
            self.send_counters();
        }
    }
}

fn summary(totals: &Totals, state: &str) -> String {
    let records = totals.records.load(Ordering::Relaxed);
    let failed = totals.failed.load(Ordering::Relaxed);
    let mib = totals.bytes_read.load(Ordering::Relaxed) as f64 / (1024.0 * 1024.0);
    format!(
        "{state}: {records} records ({} ok, {failed} failed), {mib:.1} MiB read",
        records - failed
    )
}

/// The thread that sends a status line at a fixed interval.
#[derive(Debug)]
struct StatusThread {
    stop: Arc<(Mutex<bool>, Condvar)>,
    handle: JoinHandle<()>,
}

impl StatusThread {
    fn spawn(totals: Arc<Totals>, state: String, interval: Duration) -> Option<Self> {
        let stop = Arc::new((Mutex::new(false), Condvar::new()));
        let signal = Arc::clone(&stop);
        let handle = std::thread::Builder::new()
            .name("medprep-status".into())
            .spawn(move || {
                let (lock, wake) = &*signal;
                let Ok(mut stopped) = lock.lock() else { return };
                while !*stopped {
                    match wake.wait_timeout(stopped, interval) {
                        Ok((guard, timeout)) => {
                            stopped = guard;
                            if timeout.timed_out() && !*stopped {
                                send(&format!("reporter:status:{}", summary(&totals, &state)));
                            }
                        }
                        Err(_) => return,
                    }
                }
            })
            .ok()?;
        Some(Self { stop, handle })
    }

    fn stop(self) {
        let (lock, wake) = &*self.stop;
        if let Ok(mut stopped) = lock.lock() {
            *stopped = true;
        }
        wake.notify_all();
        let _ = self.handle.join();
    }
}
