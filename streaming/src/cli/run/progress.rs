//! The progress bar on stderr: count, rate and ETA. Hidden when stderr is not a
//! terminal (logs, pipes, CI) or with `--quiet`; the final summary is printed anyway.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

/// A bar over `total` images, drawn only on an attended terminal.
pub fn bar(total: usize, quiet: bool) -> ProgressBar {
    let target = if quiet || !std::io::stderr().is_terminal() {
        ProgressDrawTarget::hidden()
    } else {
        ProgressDrawTarget::stderr()
    };
    let style = ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} images, {rate}, ETA {eta} {msg}",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar())
    .with_key(
        "rate",
        |state: &ProgressState, w: &mut dyn std::fmt::Write| {
            // A failed write only loses one frame of the bar.
            let _ = write!(w, "{:.1} images/s", state.per_sec());
        },
    );
    ProgressBar::with_draw_target(Some(total as u64), target).with_style(style)
}
