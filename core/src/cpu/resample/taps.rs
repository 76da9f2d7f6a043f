//! Kernels and the per-axis taps built from them once per call.

use std::f64::consts::PI;

/// A kernel: for coordinate `x`, the (integral) position of its first tap and the `K`
/// weights of taps `first, first + 1, …`.
pub(super) type Kernel<const K: usize> = fn(f64) -> (f64, [f64; K]);

/// Nearest neighbour, ties up: the pixel `floor(x + 0.5)`.
pub(super) fn nearest(x: f64) -> (f64, [f64; 1]) {
    ((x + 0.5).floor(), [1.0])
}

/// Linear interpolation between `floor(x)` and the pixel after it.
pub(super) fn linear(x: f64) -> (f64, [f64; 2]) {
    let f = x.floor();
    let t = x - f;
    (f, [1.0 - t, t])
}

/// Keys cubic convolution with a = -0.5 over `floor(x) - 1 ..= floor(x) + 2`.
pub(super) fn cubic(x: f64) -> (f64, [f64; 4]) {
    let f = x.floor();
    let t = x - f;
    (
        f - 1.0,
        [keys(t + 1.0), keys(t), keys(1.0 - t), keys(2.0 - t)],
    )
}

/// Lanczos-3 over `floor(x) - 2 ..= floor(x) + 3`, weights normalised to sum to 1.
pub(super) fn lanczos3(x: f64) -> (f64, [f64; 6]) {
    let f = x.floor();
    let t = x - f;
    // sin(k π) is not exactly 0 in floating point; on a pixel centre the kernel is exactly
    // the identity.
    if t == 0.0 {
        return (f - 2.0, [0.0, 0.0, 1.0, 0.0, 0.0, 0.0]);
    }
    let mut w = [0.0; 6];
    for (k, w) in w.iter_mut().enumerate() {
        let d = t + 2.0 - k as f64;
        *w = sinc(d) * sinc(d / 3.0);
    }
    let sum: f64 = w.iter().sum();
    (f - 2.0, w.map(|w| w / sum))
}

fn keys(d: f64) -> f64 {
    const A: f64 = -0.5;
    let d = d.abs();
    if d <= 1.0 {
        ((A + 2.0) * d - (A + 3.0)) * d * d + 1.0
    } else if d < 2.0 {
        ((A * d - 5.0 * A) * d + 8.0 * A) * d - 4.0 * A
    } else {
        0.0
    }
}

fn sinc(d: f64) -> f64 {
    if d == 0.0 {
        1.0
    } else {
        (PI * d).sin() / (PI * d)
    }
}

/// The taps of one axis: for every output index, where its `K` taps start and their weights.
#[derive(Debug)]
pub(super) struct AxisTaps<const K: usize> {
    /// First tap of each output index in the input padded with `K` copies of the edge pixel
    /// on each side, so in `0..=n + K` and every tap below `n + 2K`.
    pub first: Vec<usize>,
    /// Weights of the `K` taps of each output index.
    pub weights: Vec<[f32; K]>,
    /// Whether each output index lies outside the input; empty when nothing is filled.
    pub outside: Vec<bool>,
}

impl<const K: usize> AxisTaps<K> {
    /// Taps of `count` outputs at `offset + i * step` over `n >= 1` input pixels.
    pub fn new(
        kernel: Kernel<K>,
        n: usize,
        count: usize,
        offset: f64,
        step: f64,
        fill: bool,
    ) -> Self {
        let mut first = Vec::with_capacity(count);
        let mut weights = Vec::with_capacity(count);
        let mut outside = Vec::with_capacity(if fill { count } else { 0 });
        let n_f = n as f64;
        for i in 0..count {
            let x = offset + i as f64 * step;
            let (start, w) = kernel(x);
            // Taps wholly past an edge all read the edge pixel, wherever they start; the
            // clamp keeps them in the padded row (and maps a NaN start to 0).
            first.push((start.clamp(-(K as f64), n_f) + K as f64) as usize);
            weights.push(w.map(|w| w as f32));
            if fill {
                outside.push(!(x >= -0.5 && x < n_f - 0.5));
            }
        }
        Self {
            first,
            weights,
            outside,
        }
    }

    /// Input index (clamped to `0..n`) of tap `k` of output `i`.
    pub fn index(&self, i: usize, k: usize, n: usize) -> usize {
        (self.first[i] + k).saturating_sub(K).min(n - 1)
    }

    /// Whether output `i` takes the fill value.
    pub fn is_outside(&self, i: usize) -> bool {
        self.outside.get(i).copied().unwrap_or(false)
    }
}
