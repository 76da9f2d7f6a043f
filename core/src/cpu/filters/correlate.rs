//! Correlation with a 2-D kernel, `scipy.ndimage.correlate(x, kernel, mode="reflect")`.
//!
//! The kernel centre is `(rows / 2, cols / 2)` as in scipy (origin 0), so an even-sized
//! kernel reaches one sample further before the centre than after it. A rank-1 kernel runs
//! as two 1-D passes; any other runs directly, summing in f64 in scipy's order.

use ndarray::{Array2, ArrayView2};

use super::separable::{for_each_row, pad_line, reflect, row_major, separable, Scratch, Taps};

/// A kernel whose entries match an outer product to within this many f32 epsilons of its
/// largest magnitude is treated as separable.
const RANK_ONE_EPSILONS: f32 = 4.0;

/// Correlation with `kernel`, as `scipy.ndimage.correlate(x, kernel, mode="reflect")`.
///
/// Separable (rank-1) kernels use two 1-D passes, with the intermediate rounded to f32;
/// other kernels are summed directly. An empty kernel returns zeros.
///
/// Boundary: scipy's 2-D `correlate` misreads samples when the kernel reaches four image
/// lengths or more beyond the border; this function keeps reflecting (period twice the
/// length), as scipy's 1-D filters do.
pub fn correlate(input: ArrayView2<'_, f32>, kernel: ArrayView2<'_, f32>) -> Array2<f32> {
    if kernel.is_empty() {
        return Array2::zeros(input.dim());
    }
    match rank_one(kernel) {
        Some((vertical, horizontal)) => separable(input, &vertical, &horizontal),
        None => direct(input, kernel),
    }
}

/// `(u, v)` with `kernel ≈ u vᵀ`, when the kernel is rank 1 (the GPU twin takes the
/// same two passes).
pub(crate) fn rank_one(kernel: ArrayView2<'_, f32>) -> Option<(Taps, Taps)> {
    let (mut p, mut q, mut peak) = (0, 0, 0.0f32);
    for ((i, j), &k) in kernel.indexed_iter() {
        if !k.is_finite() {
            return None;
        }
        if k.abs() > peak {
            (p, q, peak) = (i, j, k.abs());
        }
    }
    if peak == 0.0 {
        return None;
    }
    let pivot = f64::from(kernel[(p, q)]);
    let u: Vec<f64> = kernel.column(q).iter().map(|&k| f64::from(k)).collect();
    let v: Vec<f64> = kernel
        .row(p)
        .iter()
        .map(|&k| f64::from(k) / pivot)
        .collect();
    let tolerance = f64::from(RANK_ONE_EPSILONS * f32::EPSILON * peak);
    let fits = kernel
        .indexed_iter()
        .all(|((i, j), &k)| (f64::from(k) - u[i] * v[j]).abs() <= tolerance);
    fits.then(|| (Taps::new(u), Taps::new(v)))
}

/// The kernel's taps `(row, column, weight)` in row-major order, without the weights
/// within DBL_EPSILON of zero, which scipy drops from the footprint (the GPU twin sums
/// the same taps in the same order).
pub(crate) fn footprint(kernel: ArrayView2<'_, f32>) -> Vec<(usize, usize, f64)> {
    kernel
        .indexed_iter()
        .map(|((a, b), &w)| (a, b, f64::from(w)))
        .filter(|&(_, _, w)| w.abs() > f64::EPSILON)
        .collect()
}

/// Direct 2-D correlation: every output sums `w · sample` over the kernel's non-zero
/// entries in row-major order, starting from 0, as scipy's `NI_Correlate` does.
fn direct(input: ArrayView2<'_, f32>, kernel: ArrayView2<'_, f32>) -> Array2<f32> {
    let (rows, cols) = input.dim();
    let (kh, kw) = kernel.dim();
    let (ch, cw) = (kh / 2, kw / 2);
    let mut copy = Vec::new();
    let data = row_major(&input, &mut copy);
    // Every input row once, padded with reflected margins, so the inner loop slides over
    // contiguous samples.
    let width = cols + kw - 1;
    let mut padded = vec![0.0f32; rows * width];
    if cols > 0 {
        for (line, src) in padded.chunks_exact_mut(width).zip(data.chunks_exact(cols)) {
            line[cw..cw + cols].copy_from_slice(src);
            pad_line(line, cw, cols);
        }
    }
    let taps = footprint(kernel);
    let mut out = for_each_row(
        (rows, cols),
        1,
        || Scratch::new(cols, 0, 0),
        |y, s, outs| {
            let acc = &mut s.acc;
            let dst = &mut *outs[0];
            let mut x0 = 0;
            while x0 < cols {
                let x1 = (x0 + acc.len()).min(cols);
                let acc = &mut acc[..x1 - x0];
                acc.fill(0.0);
                for &(a, b, w) in &taps {
                    let r = reflect(y as isize + a as isize - ch as isize, rows);
                    let src = &padded[r * width + x0 + b..r * width + x1 + b];
                    for (s, &v) in acc.iter_mut().zip(src) {
                        *s += f64::from(v) * w;
                    }
                }
                for (d, &s) in dst[x0..x1].iter_mut().zip(acc.iter()) {
                    *d = s as f32;
                }
                x0 = x1;
            }
        },
    );
    out.pop().unwrap_or_default()
}
