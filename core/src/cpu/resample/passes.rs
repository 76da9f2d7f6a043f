//! The two separable passes over output rows, on all cores when the image is large.
//!
//! Rows first: for each output row, combine its `K` input rows into one row, then gather
//! along columns. Columns first: gather every input row along columns, then combine rows.
//! The first costs `n' (m + m')` multiply-adds per tap, the second `(n + n') m'`.

use rayon::prelude::*;

use super::taps::{AxisTaps, Kernel};
use super::Grid;

/// Multiply-adds below which one thread does the whole pass (about a millisecond of work):
/// handing rows to other threads costs tens of microseconds, a large share of the ~0.1 ms a
/// 512×512 CT slice takes, and batches already run images in parallel.
const PARALLEL_WORK: usize = 1 << 21;
/// Multiply-adds per rayon task.
const TASK_WORK: usize = 1 << 17;

/// Resamples the `[n, m]` row-major `src` (not empty) into `out` (`grid.size`, row-major).
pub(super) fn run<const K: usize>(
    src: &[f32],
    [n, m]: [usize; 2],
    grid: &Grid,
    kernel: Kernel<K>,
    out: &mut [f32],
) {
    let [n_out, m_out] = grid.size;
    if out.is_empty() {
        return;
    }
    let filled = grid.fill.is_some();
    let rows = AxisTaps::new(kernel, n, n_out, grid.offset[0], grid.step[0], filled);
    let cols = AxisTaps::new(kernel, m, m_out, grid.offset[1], grid.step[1], filled);
    let fill = grid.fill.unwrap_or(0.0);
    // Only the input rows some tap reads need a column pass.
    let (lo, hi) = (0..n_out)
        .flat_map(|i| (0..K).map(move |k| (i, k)))
        .map(|(i, k)| rows.index(i, k, n))
        .fold((n - 1, 0), |(lo, hi), r| (lo.min(r), hi.max(r)));
    let used = hi.saturating_sub(lo) + 1;
    if n_out * m <= used * m_out {
        rows_first(src, [n, m], &rows, &cols, fill, out);
    } else {
        cols_first(src, [n, m], lo..lo + used, &rows, &cols, fill, out);
    }
}

fn rows_first<const K: usize>(
    src: &[f32],
    [n, m]: [usize; 2],
    rows: &AxisTaps<K>,
    cols: &AxisTaps<K>,
    fill: f32,
    out: &mut [f32],
) {
    let m_out = cols.first.len();
    let init = || vec![0.0_f32; m + 2 * K];
    for_rows(out, m_out, K * (m + m_out), init, |padded, i, row| {
        if rows.is_outside(i) {
            row.fill(fill);
            return;
        }
        combine(src, m, 0, n, rows, i, &mut padded[K..K + m]);
        pad::<K>(padded);
        gather(padded, cols, row, fill);
    });
}

fn cols_first<const K: usize>(
    src: &[f32],
    [n, m]: [usize; 2],
    used: std::ops::Range<usize>,
    rows: &AxisTaps<K>,
    cols: &AxisTaps<K>,
    fill: f32,
    out: &mut [f32],
) {
    let m_out = cols.first.len();
    let mut mid = vec![0.0_f32; used.len() * m_out];
    let init = || vec![0.0_f32; m + 2 * K];
    let first_row = used.start;
    for_rows(&mut mid, m_out, m + K * m_out, init, |padded, r, row| {
        let start = (first_row + r) * m;
        padded[K..K + m].copy_from_slice(&src[start..start + m]);
        pad::<K>(padded);
        gather(padded, cols, row, fill);
    });
    for_rows(
        out,
        m_out,
        K * m_out,
        || (),
        |(), i, row| {
            if rows.is_outside(i) {
                row.fill(fill);
                return;
            }
            combine(&mid, m_out, first_row, n, rows, i, row);
            for (o, &outside) in row.iter_mut().zip(&cols.outside) {
                if outside {
                    *o = fill;
                }
            }
        },
    );
}

/// `dst = Σ_k w_k · src[row_k]`, where `src` holds input rows `first_row..` of `width`
/// values. Zero weights are skipped, so a sample on a pixel centre copies it exactly.
fn combine<const K: usize>(
    src: &[f32],
    width: usize,
    first_row: usize,
    n: usize,
    rows: &AxisTaps<K>,
    i: usize,
    dst: &mut [f32],
) {
    let mut assigned = false;
    for (k, &w) in rows.weights[i].iter().enumerate() {
        if w == 0.0 {
            continue;
        }
        let start = (rows.index(i, k, n) - first_row) * width;
        let line = &src[start..start + width];
        if assigned {
            for (d, &s) in dst.iter_mut().zip(line) {
                *d += w * s;
            }
        } else {
            for (d, &s) in dst.iter_mut().zip(line) {
                *d = w * s;
            }
            assigned = true;
        }
    }
    if !assigned {
        dst.fill(0.0);
    }
}

/// Copies the edge values into the `K` pad cells on each side of `padded`.
fn pad<const K: usize>(padded: &mut [f32]) {
    let len = padded.len();
    let (head, tail) = (padded[K], padded[len - K - 1]);
    padded[..K].fill(head);
    padded[len - K..].fill(tail);
}

/// `row[j] = Σ_k w_jk · padded[first_j + k]`, or `fill` where column `j` is outside.
fn gather<const K: usize>(padded: &[f32], cols: &AxisTaps<K>, row: &mut [f32], fill: f32) {
    for ((o, &first), w) in row.iter_mut().zip(&cols.first).zip(&cols.weights) {
        let taps = &padded[first..first + K];
        *o = taps.iter().zip(w).map(|(&s, &w)| w * s).sum();
    }
    for (o, &outside) in row.iter_mut().zip(&cols.outside) {
        if outside {
            *o = fill;
        }
    }
}

/// Calls `f(state, i, row)` for every `width`-long row of `out`, on rayon when the rows
/// cost more than [`PARALLEL_WORK`] in total at `row_work` each.
fn for_rows<T, I, F>(out: &mut [f32], width: usize, row_work: usize, init: I, f: F)
where
    I: Fn() -> T + Sync + Send,
    F: Fn(&mut T, usize, &mut [f32]) + Sync + Send,
{
    let count = out.len() / width;
    if count * row_work < PARALLEL_WORK {
        let mut state = init();
        for (i, row) in out.chunks_mut(width).enumerate() {
            f(&mut state, i, row);
        }
        return;
    }
    let rows_per_task = (TASK_WORK / row_work.max(1)).max(1);
    out.par_chunks_mut(width * rows_per_task)
        .enumerate()
        .for_each_init(init, |state, (c, chunk)| {
            for (r, row) in chunk.chunks_mut(width).enumerate() {
                f(state, c * rows_per_task + r, row);
            }
        });
}
