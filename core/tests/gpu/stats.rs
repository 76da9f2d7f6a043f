//! Statistics on the GPU against the CPU's IBSI statistics: the moments behind mean,
//! energy, minimum and maximum, and the histogram features over fixed bins.

use medprep::cpu::stats::{first_order, histogram, Discretisation};
use medprep::gpu::stats::{self, MAX_GPU_BINS};
use medprep::gpu::GpuError;
use medprep::Window;
use ndarray::Array2;

use crate::support::{context, ct_slice, random};

/// Mean: sums in f32 within a workgroup's block of 4096 values, in f64 across blocks;
/// relative to the largest magnitude (lavapipe: 2.0e-8).
const MEAN_TOLERANCE: f64 = 1e-6;
/// Energy: the same sums of squares, all terms positive, relative to the energy itself
/// (lavapipe: 4.7e-8, the rounding of one f32 square).
const ENERGY_TOLERANCE: f64 = 1e-6;

fn inputs() -> Vec<(&'static str, Array2<f32>)> {
    let ct = ct_slice();
    let mut windowed = ct.clone();
    Window::CT_SOFT_TISSUE.apply(windowed.as_slice_mut().unwrap(), false);
    vec![
        ("random 513x301", random(513, 301, 21, -1024.0, 3071.0)),
        ("random 1x1", random(1, 1, 22, -3.0, 3.0)),
        ("random 7x3", random(7, 3, 23, 0.0, 1.0)),
        ("constant 40x40", Array2::from_elem((40, 40), 17.25)),
        ("ct_slice.dcm", ct),
        // Many values on the window's edges: the last bin is closed.
        ("ct_slice.dcm soft-tissue window", windowed),
    ]
}

fn stat(stats: &[(&str, f64)], name: &str) -> f64 {
    stats.iter().find(|(n, _)| *n == name).unwrap().1
}

#[test]
fn moments_match_the_first_order_statistics() {
    let Some(ctx) = context("moments_match_the_first_order_statistics") else {
        return;
    };
    for (name, image) in inputs() {
        let values = image.as_slice().unwrap();
        let cpu = first_order(image.view().into_dyn(), None).unwrap();
        let gpu = stats::moments(ctx, values).unwrap().unwrap();
        assert_eq!(gpu.count, values.len(), "{name}");
        assert_eq!(f64::from(gpu.min), stat(&cpu, "minimum"), "{name}: minimum");
        assert_eq!(f64::from(gpu.max), stat(&cpu, "maximum"), "{name}: maximum");
        let scale = values
            .iter()
            .fold(1.0f64, |m, &v| m.max(f64::from(v.abs())));
        let mean_error = (gpu.mean() - stat(&cpu, "mean")).abs() / scale;
        let energy = stat(&cpu, "energy");
        let energy_error = (gpu.energy - energy).abs() / energy.max(f64::MIN_POSITIVE);
        println!("moments on {name}: mean error {mean_error:.3e}, energy error {energy_error:.3e}");
        assert!(
            mean_error <= MEAN_TOLERANCE,
            "{name}: mean {} vs {} beyond MEAN_TOLERANCE",
            gpu.mean(),
            stat(&cpu, "mean")
        );
        assert!(
            energy_error <= ENERGY_TOLERANCE,
            "{name}: energy {} vs {energy} beyond ENERGY_TOLERANCE",
            gpu.energy
        );
    }
    assert_eq!(stats::moments(ctx, &[]).unwrap(), None);
}

#[test]
fn histogram_features_are_exactly_the_cpus() {
    let Some(ctx) = context("histogram_features_are_exactly_the_cpus") else {
        return;
    };
    for (name, image) in inputs() {
        for bins in [1, 2, 64, 1000, MAX_GPU_BINS] {
            let cpu = histogram(image.view().into_dyn(), None, Discretisation::Bins(bins)).unwrap();
            let gpu = stats::histogram(ctx, image.as_slice().unwrap(), bins)
                .unwrap()
                .unwrap();
            // Same bins, same counts, same host arithmetic: bit for bit.
            assert_eq!(gpu, cpu, "{name}, {bins} bins");
        }
    }
    assert_eq!(stats::histogram(ctx, &[], 64).unwrap(), None);
    for bins in [0, MAX_GPU_BINS + 1] {
        assert!(matches!(
            stats::histogram(ctx, &[1.0, 2.0], bins),
            Err(GpuError::Unsupported { .. })
        ));
    }
}
