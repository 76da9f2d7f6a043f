//! Grey conversion and intensity normalisation of one frame.

use ndarray::ArrayView1;

use crate::cpu::stats;
use crate::decode::attributes::WINDOW_CENTER;
use crate::error::ErrorKind;
use crate::recipe::{Normalize, WindowSpec};
use crate::{Image, Window};

/// One grey value per pixel: colour frames become ITU-R BT.601 luma
/// (`0.299 R + 0.587 G + 0.114 B`, as PIL's "L" mode), grey frames are copied.
pub(super) fn grey(samples: &[f32], samples_per_pixel: usize) -> Vec<f32> {
    if samples_per_pixel != 3 {
        return samples.to_vec();
    }
    samples
        .chunks_exact(3)
        .map(|rgb| 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2])
        .collect()
}

/// Normalises `values` in place. MONOCHROME1 frames come out with MONOCHROME2 meaning.
pub(super) fn apply(
    normalize: &Normalize,
    values: &mut [f32],
    image: &Image,
) -> Result<(), ErrorKind> {
    let invert = inverted(image);
    match normalize {
        Normalize::None => return Ok(()),
        Normalize::Window { window } => {
            let window = resolve(window, image)?;
            // The window inverts MONOCHROME1 itself.
            window.apply(values, invert);
            return Ok(());
        }
        Normalize::Zscore => {
            let (mean, sd) = mean_sd(values);
            let scale = if sd > 0.0 { 1.0 / sd } else { 0.0 };
            let sign = if invert { -1.0 } else { 1.0 };
            for v in values.iter_mut() {
                *v = (sign * (f64::from(*v) - mean) * scale) as f32;
            }
            return Ok(());
        }
        Normalize::MinMax => {
            let (lo, hi) = values
                .iter()
                .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), v| {
                    (lo.min(*v), hi.max(*v))
                });
            rescale(values, f64::from(lo), f64::from(hi));
        }
        Normalize::PercentileClip { p_lo, p_hi } => {
            let q =
                stats::percentiles(ArrayView1::from(&*values).into_dyn(), None, &[*p_lo, *p_hi])
                    .map_err(|e| ErrorKind::Pipeline(format!("percentile-clip: {e}")))?;
            rescale(values, q[0], q[1]);
        }
    }
    if invert {
        values.iter_mut().for_each(|v| *v = 1.0 - *v);
    }
    Ok(())
}

/// Whether `image` is MONOCHROME1 (bright means low values), which normalisation flips.
pub(super) fn inverted(image: &Image) -> bool {
    image.photometric == "MONOCHROME1"
}

/// The window a recipe asks for: its own, or the first one of the image's header.
pub(super) fn resolve(window: &WindowSpec, image: &Image) -> Result<Window, ErrorKind> {
    match window {
        WindowSpec::Explicit(w) => Ok(*w),
        WindowSpec::Header => {
            Window::from_header(&image.meta).ok_or(ErrorKind::MissingAttribute(WINDOW_CENTER))
        }
    }
}

/// Maps `lo..hi` to 0..1, clamping outside; a zero range maps everything to 0.
fn rescale(values: &mut [f32], lo: f64, hi: f64) {
    let scale = if hi > lo { 1.0 / (hi - lo) } else { 0.0 };
    for v in values.iter_mut() {
        *v = ((f64::from(*v) - lo) * scale).clamp(0.0, 1.0) as f32;
    }
}

/// Mean and population standard deviation, summed in f64 in a fixed order.
fn mean_sd(values: &[f32]) -> (f64, f64) {
    let n = values.len().max(1) as f64;
    let mean = values.iter().map(|v| f64::from(*v)).sum::<f64>() / n;
    let var = values
        .iter()
        .map(|v| (f64::from(*v) - mean).powi(2))
        .sum::<f64>()
        / n;
    (mean, var.sqrt())
}
