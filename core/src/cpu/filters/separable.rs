//! The separable engine: a 1-D pass along axis 0 (down the columns), the result rounded
//! to f32, then a 1-D pass along axis 1 (along the rows), exactly the chain
//! `scipy.ndimage.correlate1d(axis=0)` then `correlate1d(axis=1)` on a float32 image.
//!
//! Sums run in f64 in scipy's tap order (centre first, then the outermost pair inwards for
//! symmetric kernels), so results agree with scipy to the last f32 bit in most pixels.
//! Each output row is computed from scratch: the axis-0 pass reads whole input rows (no
//! strided column walks), writes into a padded line buffer whose reflect margins are
//! filled once per row, and the axis-1 pass slides over that buffer. Rows are independent,
//! so rayon splits them into blocks.

use multiversion::multiversion;
use ndarray::{Array2, ArrayView2};
use rayon::prelude::*;

/// Images with fewer pixels than this run on the calling thread.
const PARALLEL_MIN_PIXELS: usize = 128 * 128;
/// Output rows per rayon task.
const ROWS_PER_TASK: usize = 8;
/// Columns a direct 2-D correlation accumulates at a time, so its sums stay in L1.
const COLUMN_BLOCK: usize = 1024;

/// How a kernel's taps pair up around the centre (scipy tests this on odd lengths only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Symmetry {
    Symmetric,
    Antisymmetric,
    None,
}

/// A 1-D correlation kernel; tap `j` multiplies the sample `j - len / 2` away.
#[derive(Debug, Clone)]
pub(crate) struct Taps {
    weights: Vec<f64>,
    symmetry: Symmetry,
}

impl Taps {
    /// Wraps `weights` (never empty: an empty list becomes the identity).
    pub(crate) fn new(weights: Vec<f64>) -> Self {
        if weights.is_empty() {
            return Self::identity();
        }
        let n = weights.len();
        let c = n / 2;
        let pairs = || (1..=c).map(|i| (weights[c + i], weights[c - i]));
        // scipy's tolerance: pairs within DBL_EPSILON count as equal.
        let symmetry = if n.is_multiple_of(2) {
            Symmetry::None
        } else if pairs().all(|(r, l)| (r - l).abs() <= f64::EPSILON) {
            Symmetry::Symmetric
        } else if pairs().all(|(r, l)| (r + l).abs() <= f64::EPSILON) {
            Symmetry::Antisymmetric
        } else {
            Symmetry::None
        };
        Self { weights, symmetry }
    }

    /// The kernel `[1]`: copies its input exactly.
    pub(crate) fn identity() -> Self {
        Self {
            weights: vec![1.0],
            symmetry: Symmetry::Symmetric,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.weights.len()
    }

    /// Whether this is [`Taps::identity`], a pass that changes nothing.
    pub(crate) fn is_identity(&self) -> bool {
        self.weights == [1.0]
    }

    /// Samples needed before the output position.
    pub(crate) fn before(&self) -> usize {
        self.weights.len() / 2
    }

    /// The weights, tap 0 first.
    #[cfg(feature = "gpu")]
    pub(crate) fn weights(&self) -> &[f64] {
        &self.weights
    }

    /// How the taps pair up around the centre, which fixes the order of the sums.
    #[cfg(feature = "gpu")]
    pub(crate) fn symmetry(&self) -> Symmetry {
        self.symmetry
    }

    /// Sums `L` outputs from `x` on, over all taps (see [`correlate_into`]). Always
    /// inlined, so that it is compiled for the vector unit of each copy of its caller.
    #[inline(always)]
    fn block<T: Copy + Into<f64>, const L: usize>(
        &self,
        data: &[T],
        starts: &[usize],
        x: usize,
        sums: &mut [f64; L],
    ) {
        let w = &self.weights;
        let n = w.len();
        let c = n / 2;
        let src = |j: usize| &data[starts[j] + x..starts[j] + x + L];
        match self.symmetry {
            Symmetry::Symmetric | Symmetry::Antisymmetric => {
                let centre = src(c);
                for i in 0..L {
                    sums[i] = centre[i].into() * w[c];
                }
                let symmetric = self.symmetry == Symmetry::Symmetric;
                for (j, &wj) in w.iter().enumerate().take(c) {
                    let (a, b) = (src(j), src(n - 1 - j));
                    if symmetric {
                        for i in 0..L {
                            sums[i] += (a[i].into() + b[i].into()) * wj;
                        }
                    } else {
                        for i in 0..L {
                            sums[i] += (a[i].into() - b[i].into()) * wj;
                        }
                    }
                }
            }
            Symmetry::None => {
                let last = src(n - 1);
                for i in 0..L {
                    sums[i] = last[i].into() * w[n - 1];
                }
                for (j, &wj) in w.iter().enumerate().take(n - 1) {
                    let a = src(j);
                    for i in 0..L {
                        sums[i] += a[i].into() * wj;
                    }
                }
            }
        }
    }
}

/// `dst[i] = Σ_j w[j] · data[starts[j] + i]` rounded to f32 (held as f64), in scipy's
/// order of operations. Every `starts[j] + dst.len()` must be within `data`. The samples
/// are f32 or f64 (every f32 widens exactly, so both give the same bits).
///
/// Compiled also for wider vector units and chosen at run time: each output's sum keeps
/// its order of operations (Rust never fuses a multiply and an add), so every copy gives
/// the same bits, only more outputs per instruction.
#[multiversion(targets("x86_64+avx512f+avx512vl+avx2+avx", "x86_64+avx2+avx"))]
pub(crate) fn correlate_into<T: Copy + Into<f64>, D: From<f32>>(
    taps: &Taps,
    data: &[T],
    starts: &[usize],
    dst: &mut [D],
) {
    // Blocks of outputs whose sums stay in registers across all taps.
    const LANES: usize = 16;
    let mut blocks = dst.chunks_exact_mut(LANES);
    let mut x = 0;
    for block in &mut blocks {
        let mut sums = [0.0; LANES];
        taps.block(data, starts, x, &mut sums);
        for (d, s) in block.iter_mut().zip(sums) {
            *d = D::from(s as f32);
        }
        x += LANES;
    }
    for d in blocks.into_remainder() {
        let mut sum = [0.0; 1];
        taps.block(data, starts, x, &mut sum);
        *d = D::from(sum[0] as f32);
        x += 1;
    }
}

/// `sqrt(a^2 + b^2)` rounded to f32, for f32-valued `a` and `b`: their squares are exact
/// in f64 and cannot overflow, so this is numpy's float32 `hypot` (bar double-rounding
/// ties) at a fraction of the cost of libm's.
pub(crate) fn hypot(a: f64, b: f64) -> f32 {
    (a * a + b * b).sqrt() as f32
}

/// Index of sample `i` of a line of `n` samples under scipy's `reflect` boundary
/// (`d c b a | a b c d | d c b a`), repeated as often as a long kernel needs.
pub(crate) fn reflect(i: isize, n: usize) -> usize {
    let n = n as isize;
    let m = i.rem_euclid(2 * n);
    (if m < n { m } else { 2 * n - 1 - m }) as usize
}

/// The input as one row-major slice, copied only when the view is not contiguous.
pub(crate) fn row_major<'a>(input: &'a ArrayView2<'_, f32>, copy: &'a mut Vec<f32>) -> &'a [f32] {
    match input.as_slice() {
        Some(data) => data,
        None => {
            copy.extend(input.iter().copied());
            copy
        }
    }
}

/// The input in row-major order, widened to f64 once so the many passes over each row
/// need no conversions (exact: every f32 is an f64).
pub(crate) fn widened(input: &ArrayView2<'_, f32>) -> Vec<f64> {
    input.iter().map(|&v| f64::from(v)).collect()
}

/// Axis-0 pass for output row `y`: `dst[x] = Σ_j w[j] · input[reflect(y + j - c)][x]`,
/// rounded to f32; `starts` is scratch.
pub(crate) fn vertical_row(
    data: &[f64],
    rows: usize,
    cols: usize,
    y: usize,
    taps: &Taps,
    starts: &mut Vec<usize>,
    dst: &mut [f64],
) {
    vertical_row_with(data, taps, |r| reflect(r, rows) * cols, y, starts, dst);
}

/// [`vertical_row`] under any boundary: `row_start(r)` is where the samples of row `r`
/// (any integer, before or past the ends) begin in `data`.
pub(crate) fn vertical_row_with<T: Copy + Into<f64>, D: From<f32>>(
    data: &[T],
    taps: &Taps,
    row_start: impl Fn(isize) -> usize,
    y: usize,
    starts: &mut Vec<usize>,
    dst: &mut [D],
) {
    let c = taps.before() as isize;
    starts.clear();
    starts.extend((0..taps.len()).map(|j| row_start(y as isize + j as isize - c)));
    correlate_into(taps, data, starts, dst);
}

/// Fills the reflect margins of `line`, whose samples sit at `before..before + n`.
pub(crate) fn pad_line<T: Copy>(line: &mut [T], before: usize, n: usize) {
    for k in (0..before).chain(before + n..line.len()) {
        line[k] = line[before + reflect(k as isize - before as isize, n)];
    }
}

/// Axis-1 pass over a padded line (`taps.before()` margin samples in front):
/// `dst[x] = Σ_j w[j] · line[x + j]`, rounded to f32; `starts` is scratch.
pub(crate) fn horizontal_row<T: Copy + Into<f64>>(
    line: &[T],
    taps: &Taps,
    starts: &mut Vec<usize>,
    dst: &mut [f32],
) {
    starts.clear();
    starts.extend(0..taps.len());
    correlate_into(taps, line, starts, dst);
}

/// Per-task buffers: accumulators, tap offsets, padded lines (f32 values held as f64)
/// and a row.
pub(crate) struct Scratch {
    pub(crate) acc: Vec<f64>,
    pub(crate) starts: Vec<usize>,
    pub(crate) lines: Vec<Vec<f64>>,
    pub(crate) row: Vec<f32>,
}

impl Scratch {
    /// `lines` padded lines of `cols + margin` samples and accumulators for `cols`.
    pub(crate) fn new(cols: usize, lines: usize, margin: usize) -> Self {
        Self {
            acc: vec![0.0; cols.min(COLUMN_BLOCK)],
            starts: Vec::new(),
            lines: vec![vec![0.0; cols + margin]; lines],
            row: vec![0.0; cols],
        }
    }
}

/// Runs `row(y, scratch, outputs)` for every output row, writing row `y` of each of the
/// `count` outputs (all shaped like the input), in parallel for large images.
pub(crate) fn for_each_row<F>(
    shape: (usize, usize),
    count: usize,
    make_scratch: impl Fn() -> Scratch + Sync,
    row: F,
) -> Vec<Array2<f32>>
where
    F: Fn(usize, &mut Scratch, &mut [&mut [f32]]) + Sync,
{
    let (rows, cols) = shape;
    let mut outputs: Vec<Vec<f32>> = (0..count).map(|_| vec![0.0; rows * cols]).collect();
    if rows > 0 && cols > 0 {
        let block = ROWS_PER_TASK * cols;
        // One task = the same block of rows in every output.
        let mut tasks: Vec<Vec<&mut [f32]>> = Vec::new();
        for output in outputs.iter_mut() {
            for (t, chunk) in output.chunks_mut(block).enumerate() {
                if tasks.len() <= t {
                    tasks.push(Vec::with_capacity(count));
                }
                tasks[t].push(chunk);
            }
        }
        let run = |scratch: &mut Scratch, (t, mut chunks): (usize, Vec<&mut [f32]>)| {
            let first = t * ROWS_PER_TASK;
            let n = chunks.first().map_or(0, |c| c.len() / cols);
            for r in 0..n {
                let mut views: Vec<&mut [f32]> = chunks
                    .iter_mut()
                    .map(|c| &mut c[r * cols..(r + 1) * cols])
                    .collect();
                row(first + r, scratch, &mut views);
            }
        };
        if rows * cols >= PARALLEL_MIN_PIXELS {
            tasks
                .into_par_iter()
                .enumerate()
                .for_each_init(&make_scratch, run);
        } else {
            let mut scratch = make_scratch();
            tasks
                .into_iter()
                .enumerate()
                .for_each(|task| run(&mut scratch, task));
        }
    }
    outputs
        .into_iter()
        .map(|data| Array2::from_shape_vec((rows, cols), data).unwrap_or_default())
        .collect()
}

/// `correlate1d(correlate1d(input, vertical, axis=0), horizontal, axis=1)`.
pub(crate) fn separable(
    input: ArrayView2<'_, f32>,
    vertical: &Taps,
    horizontal: &Taps,
) -> Array2<f32> {
    let (rows, cols) = input.dim();
    let data = widened(&input);
    let data = &data[..];
    let before = horizontal.before();
    let margin = horizontal.len() - 1;
    let mut out = for_each_row(
        (rows, cols),
        1,
        || Scratch::new(cols, 1, margin),
        |y, s, outs| {
            let line = &mut s.lines[0];
            vertical_row(
                data,
                rows,
                cols,
                y,
                vertical,
                &mut s.starts,
                &mut line[before..before + cols],
            );
            pad_line(line, before, cols);
            horizontal_row(line, horizontal, &mut s.starts, outs[0]);
        },
    );
    out.pop().unwrap_or_default()
}
