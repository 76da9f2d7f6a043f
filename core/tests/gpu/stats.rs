//! Statistics on the GPU against the CPU's IBSI statistics: the moments behind mean,
//! energy, minimum and maximum, the histogram features over fixed bins, and every
//! first-order and histogram statistic of batches of maps kept on the device, and the
//! GLCM features from co-occurrences counted on the device.

use medprep::cpu::stats::{
    first_order, histogram, Discretisation, StatsError, FIRST_ORDER_NAMES, HISTOGRAM_NAMES,
};
use medprep::gpu::stats::{self, MAX_GPU_BINS};
use medprep::gpu::GpuError;
use medprep::recipe::Family;
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

/// How a statistic of [`stats::statistics`] may differ from the CPU's.
#[derive(Debug, Clone, Copy)]
enum Check {
    /// Exactly: order statistics and what the same host arithmetic makes of them.
    Exact,
    /// `|gpu - cpu| <= tolerance * |cpu|` (or the tolerance itself when `cpu` is 0).
    Relative(f64),
    /// `|gpu - cpu| <= tolerance * scale`, the scale being the map's largest magnitude.
    Magnitude(f64),
    /// `|gpu - cpu| <= tolerance * spread`, the spread being the map's range (1 when 0).
    Spread(f64),
    /// `|gpu - cpu| <= tolerance`.
    Absolute(f64),
    /// cov = sd / mean: `|gpu - cpu| <= tolerance * |cpu| * (1 + scale / |mean|)`, the
    /// mean's error (bounded by the largest magnitude) over the mean itself.
    Ratio(f64),
    /// Histogram features when up to this many of the `n` values fall in a neighbouring
    /// bin: one such value changes entropy by under (2 + log2 n) / n and uniformity by
    /// under 2 / n, so `|gpu - cpu| <= values * (2 + log2 n) / n`.
    Moved(f64),
}

// The device sums in f32 over blocks of 4096 values (16 in sequence per invocation, then
// 8 halvings), the host in f64 across blocks: at worst 24 roundings, 1.4e-6 of the sum of
// the terms' magnitudes; the roundings mostly cancel, so errors are ~1e-8 to 1e-7. The
// observed values are the largest over every input of these tests on lavapipe.

/// Mean: a + Σ (x - a) / n, `a` the device's estimate; relative to the largest
/// magnitude (lavapipe: 1.9e-8).
const MEAN: Check = Check::Magnitude(1e-6);
/// Variance from Σ (x - a)² and Σ (x - a): positive terms, and a ≈ mean keeps the
/// correction small (lavapipe: 8.9e-8).
const VARIANCE: Check = Check::Relative(2e-6);
/// Skewness and kurtosis: Σ (x - a)³ cancels, so the error is the sums' rounding over σ³
/// (σ⁴), absolute (lavapipe: 1.6e-7 and 2.3e-7).
const SHAPE: Check = Check::Absolute(1e-5);
/// Energy: Σ x², positive terms (lavapipe: 9.9e-8); rms its square root (5.0e-8).
const ENERGY: Check = Check::Relative(1.5e-6);
/// mad, rmad, medad: f32 sums of |x - s| about a split s corrected exactly on the host
/// (exact order statistics; the device's mean and robust mean estimates, where only
/// values strictly between estimate and mean could add up to 2 |mean - s| each); relative
/// to the range (lavapipe: 4.0e-8, 1.7e-8, 1.9e-8).
const DEVIATION: Check = Check::Spread(1e-6);
/// cov = sd / mean: the variance's error halved plus the mean's relative error, which is
/// large for a mean near 0 (lavapipe: 1.0e-4 relative on a map of mean -1.3e-4 in [-1, 1];
/// 1.6e-8 once divided by 1 + scale / |mean|).
const COV: Check = Check::Ratio(2e-6);
/// Entropy and uniformity: the device computes each bin edge in float-float arithmetic
/// from its min and max and rounds it up to an f32 threshold, numpy in f64; they differ
/// only where an edge is an f32 that numpy's f64 rounding moves (about 1 in 40000 edges
/// of random ranges), and a value exactly there falls one bin up (lavapipe: exact on
/// every input but "edge rounded by f64", built with one such value: 0.047 of a value's
/// worth on entropy).
const HISTOGRAM_FEATURES: Check = Check::Moved(2.0);

fn check_of(name: &str) -> Check {
    match name {
        "mean" => MEAN,
        "variance" => VARIANCE,
        "skewness" | "kurtosis" => SHAPE,
        "energy" | "rms" => ENERGY,
        "mad" | "rmad" | "medad" => DEVIATION,
        "cov" => COV,
        "entropy" | "uniformity" => HISTOGRAM_FEATURES,
        _ => Check::Exact,
    }
}

/// The worst error seen per statistic, for the record.
#[derive(Default)]
struct Worst(Vec<(&'static str, f64, String)>);

impl Worst {
    fn note(&mut self, name: &'static str, error: f64, case: &str) {
        match self.0.iter_mut().find(|(n, _, _)| *n == name) {
            Some(w) if error > w.1 => *w = (name, error, case.to_string()),
            Some(_) => {}
            None => self.0.push((name, error, case.to_string())),
        }
    }

    fn print(&self, test: &str) {
        for (name, error, case) in &self.0 {
            println!("{test}: {name} worst error {error:.3e} ({case})");
        }
    }
}

/// Compares the GPU's values of one map with the CPU's, statistic by statistic.
fn compare_statistics(
    case: &str,
    map: &[f32],
    cpu: &[(&'static str, f64)],
    gpu: &[f64],
    worst: &mut Worst,
) {
    assert_eq!(gpu.len(), cpu.len(), "{case}: number of statistics");
    let scale = map.iter().fold(0.0f64, |m, &v| m.max(f64::from(v.abs())));
    let (lo, hi) = map
        .iter()
        .fold((f32::MAX, f32::MIN), |(l, h), &v| (l.min(v), h.max(v)));
    let spread = f64::from(hi) - f64::from(lo);
    let spread = if spread > 0.0 { spread } else { 1.0 };
    for (&(name, c), &g) in cpu.iter().zip(gpu) {
        let check = check_of(name);
        if let Check::Exact = check {
            // Equal as numbers: which of -0 and +0 a minimum keeps is the order of its
            // reduction, on either backend.
            assert!(
                g == c || (g.is_nan() && c.is_nan()),
                "{case}: {name} gpu {g} cpu {c}"
            );
            continue;
        }
        if c.is_nan() || g.is_nan() {
            assert!(c.is_nan() && g.is_nan(), "{case}: {name} gpu {g} cpu {c}");
            continue;
        }
        let (error, bound) = match check {
            Check::Relative(t) => {
                let e = (g - c).abs();
                if c == 0.0 {
                    (e, t)
                } else {
                    (e / c.abs(), t)
                }
            }
            Check::Magnitude(t) => ((g - c).abs() / scale.max(f64::MIN_POSITIVE), t),
            Check::Spread(t) => ((g - c).abs() / spread, t),
            Check::Absolute(t) => ((g - c).abs(), t),
            Check::Moved(t) => {
                let n = map.len() as f64;
                ((g - c).abs() / ((2.0 + n.log2()) / n), t)
            }
            Check::Ratio(t) => {
                let mean = cpu.first().map_or(1.0, |m| m.1.abs());
                let amplification = 1.0 + scale / mean.max(f64::MIN_POSITIVE);
                (
                    (g - c).abs() / c.abs().max(f64::MIN_POSITIVE) / amplification,
                    t,
                )
            }
            Check::Exact => unreachable!(),
        };
        worst.note(name, error, case);
        assert!(
            error <= bound,
            "{case}: {name} gpu {g} cpu {c}, error {error:e} beyond {check:?}"
        );
    }
}

/// The CPU's first-order then histogram statistics of `map`.
fn cpu_statistics(map: &[f32], bins: u32) -> Vec<(&'static str, f64)> {
    let view = ndarray::ArrayView1::from(map).into_dyn();
    let mut all = first_order(view.clone(), None).unwrap();
    all.extend(histogram(view, None, Discretisation::Bins(bins)).unwrap());
    all
}

const BOTH: [Family; 2] = [Family::FirstOrder, Family::Histogram];

#[test]
fn batch_statistics_match_the_cpu() {
    let Some(ctx) = context("batch_statistics_match_the_cpu") else {
        return;
    };
    let mut cases = inputs();
    // Few distinct values, with ties at every percentile.
    cases.push((
        "few distinct values 64x61",
        Array2::from_shape_fn((64, 61), |(r, c)| ((r * 7 + c * 3) % 5) as f32 * 0.5 - 1.0),
    ));
    // Signed zeros: distinct keys, equal values.
    cases.push((
        "signed zeros 33x40",
        Array2::from_shape_fn((33, 40), |(r, c)| [-0.0, 0.0, 2.5][(r * c + r) % 3]),
    ));
    // Values on numpy's edges for 10 bins over [0, 1]: k / 10 in f32 against k * 0.1 + 0
    // in f64, which round apart.
    cases.push((
        "tenths 50x30",
        Array2::from_shape_fn((50, 30), |(r, c)| ((r * 30 + c) % 11) as f32 / 10.0),
    ));
    // -0.25 is edge 25 of 100 over [-1024, 3071] exactly, but numpy's f64 edge
    // 25 * 40.95 - 1024 rounds to just above it: the one value the device bins differently.
    let mut on_f64_edge = random(20, 50, 24, -1024.0, 3071.0);
    on_f64_edge[[0, 0]] = -1024.0;
    on_f64_edge[[0, 1]] = 3071.0;
    on_f64_edge[[0, 2]] = -0.25;
    cases.push(("edge rounded by f64 20x50", on_f64_edge));
    let mut worst = Worst::default();
    for (name, image) in &cases {
        let map = image.as_slice().unwrap();
        let gpu = stats::statistics(ctx, &[map], &BOTH, Discretisation::Bins(64)).unwrap();
        assert_eq!(gpu.len(), 1);
        let gpu = gpu[0].as_ref().unwrap();
        compare_statistics(name, map, &cpu_statistics(map, 64), gpu, &mut worst);
        for bins in [1, 7, 10, 100, 1000, MAX_GPU_BINS] {
            let families = [Family::Histogram];
            let gpu = stats::statistics(ctx, &[map], &families, Discretisation::Bins(bins));
            let view = image.view().into_dyn();
            let cpu = histogram(view, None, Discretisation::Bins(bins)).unwrap();
            let case = format!("{name}, {bins} bins");
            compare_statistics(
                &case,
                map,
                &cpu,
                gpu.unwrap()[0].as_ref().unwrap(),
                &mut worst,
            );
        }
    }
    worst.print("batch_statistics_match_the_cpu");
}

#[test]
fn many_maps_in_one_call_match_the_cpu() {
    let Some(ctx) = context("many_maps_in_one_call_match_the_cpu") else {
        return;
    };
    // 4100 values: two blocks per map, the second nearly empty.
    let maps: Vec<Array2<f32>> = vec![
        random(41, 100, 31, -1024.0, 3071.0),
        random(41, 100, 32, 0.0, 1.0),
        Array2::from_elem((41, 100), -3.5),
        random(41, 100, 33, 1e4, 1e4 + 1.0),
        Array2::from_shape_fn((41, 100), |(r, c)| ((r + c) % 3) as f32),
    ];
    let slices: Vec<&[f32]> = maps.iter().map(|m| m.as_slice().unwrap()).collect();
    let mut worst = Worst::default();
    for (families, bins) in [(&BOTH[..], 64), (&BOTH[..], 1), (&BOTH[..], 1024)] {
        let gpu = stats::statistics(ctx, &slices, families, Discretisation::Bins(bins)).unwrap();
        assert_eq!(gpu.len(), maps.len());
        for (i, (map, gpu)) in slices.iter().zip(&gpu).enumerate() {
            let case = format!("map {i} of 5, {bins} bins");
            compare_statistics(
                &case,
                map,
                &cpu_statistics(map, bins),
                gpu.as_ref().unwrap(),
                &mut worst,
            );
        }
    }
    // The families in the order asked, each alone too.
    let cpu = cpu_statistics(slices[0], 8);
    let histogram_first = [Family::Histogram, Family::FirstOrder];
    let gpu =
        stats::statistics(ctx, &slices[..1], &histogram_first, Discretisation::Bins(8)).unwrap();
    let gpu = gpu[0].as_ref().unwrap();
    let n = FIRST_ORDER_NAMES.len();
    let reordered: Vec<f64> = gpu[HISTOGRAM_NAMES.len()..]
        .iter()
        .chain(&gpu[..HISTOGRAM_NAMES.len()])
        .copied()
        .collect();
    compare_statistics("histogram first", slices[0], &cpu, &reordered, &mut worst);
    let only = stats::statistics(
        ctx,
        &slices[..1],
        &[Family::Histogram],
        Discretisation::Bins(8),
    )
    .unwrap();
    assert_eq!(only[0].as_ref().unwrap()[..], gpu[..HISTOGRAM_NAMES.len()]);
    let only = stats::statistics(
        ctx,
        &slices[..1],
        &[Family::FirstOrder],
        Discretisation::BinWidth(3.0),
    )
    .unwrap();
    assert_eq!(only[0].as_ref().unwrap()[..], gpu[HISTOGRAM_NAMES.len()..]);
    assert_eq!(only[0].as_ref().unwrap().len(), n);
    worst.print("many_maps_in_one_call_match_the_cpu");
}

#[test]
fn non_finite_maps_and_glcm_are_typed_errors() {
    let Some(ctx) = context("non_finite_maps_and_glcm_are_typed_errors") else {
        return;
    };
    let good = random(30, 200, 41, -5.0, 5.0);
    let mut bad = good.clone();
    bad[[20, 150]] = f32::INFINITY;
    bad[[25, 3]] = f32::NAN;
    let maps = [good.as_slice().unwrap(), bad.as_slice().unwrap()];
    let gpu = stats::statistics(ctx, &maps, &BOTH, Discretisation::Bins(16)).unwrap();
    let cpu = first_order(bad.view().into_dyn(), None).unwrap_err();
    assert_eq!(gpu[1], Err(cpu.clone()), "the CPU's error, first bad value");
    assert!(matches!(cpu, StatsError::NonFinite { index: 4150, .. }));
    compare_statistics(
        "good beside bad",
        maps[0],
        &cpu_statistics(maps[0], 16),
        gpu[0].as_ref().unwrap(),
        &mut Worst::default(),
    );
    // Histogram only: the same check.
    let gpu =
        stats::statistics(ctx, &maps, &[Family::Histogram], Discretisation::Bins(16)).unwrap();
    assert_eq!(gpu[1], Err(cpu));
    for (families, discretisation) in [
        (
            &[Family::FirstOrder, Family::Glcm][..],
            Discretisation::Bins(16),
        ),
        (&[Family::Histogram][..], Discretisation::BinWidth(0.5)),
        (
            &[Family::Histogram][..],
            Discretisation::Bins(MAX_GPU_BINS + 1),
        ),
        (&[Family::Histogram][..], Discretisation::Bins(0)),
    ] {
        assert!(
            matches!(
                stats::statistics(ctx, &maps, families, discretisation),
                Err(GpuError::Unsupported { .. })
            ),
            "{families:?} {discretisation:?}"
        );
    }
    // Finite values whose squares overflow f32: the CPU computes them.
    let huge = random(10, 10, 42, -1e20, 1e20);
    assert!(first_order(huge.view().into_dyn(), None).is_ok());
    assert!(matches!(
        stats::statistics(
            ctx,
            &[huge.as_slice().unwrap()],
            &BOTH,
            Discretisation::Bins(16)
        ),
        Err(GpuError::Unsupported { .. })
    ));
    let empty: [&[f32]; 2] = [&[], &[]];
    let gpu = stats::statistics(ctx, &empty, &BOTH, Discretisation::Bins(16)).unwrap();
    assert_eq!(
        gpu,
        vec![Err(StatsError::EmptyRoi), Err(StatsError::EmptyRoi)]
    );
    assert_eq!(
        stats::statistics(ctx, &[], &BOTH, Discretisation::Bins(16)).unwrap(),
        vec![]
    );
}

#[test]
fn glcm_is_exactly_the_cpus() {
    let Some(ctx) = context("glcm_is_exactly_the_cpus") else {
        return;
    };
    // The grey levels are the CPU's (computed on the host) and the counts integers, so
    // every feature must be equal bit for bit, whatever the values.
    let integers = random(67, 45, 51, 0.0, 12.0).mapv(f32::floor);
    let cases = [
        (
            "integers, no discretisation",
            integers.clone(),
            Discretisation::None,
        ),
        ("integers, 5 bins", integers, Discretisation::Bins(5)),
        (
            "random 97x130, 32 bins",
            random(97, 130, 52, -1000.0, 2000.0),
            Discretisation::Bins(32),
        ),
        (
            "random 1x9, width 0.5",
            random(1, 9, 53, 0.0, 4.0),
            Discretisation::BinWidth(0.5),
        ),
        (
            "constant 4x4",
            Array2::from_elem((4, 4), 3.0f32),
            Discretisation::Bins(8),
        ),
        (
            "ct_slice.dcm, 64 bins",
            ct_slice(),
            Discretisation::Bins(64),
        ),
        (
            "ct_slice.dcm, width 25",
            ct_slice(),
            Discretisation::BinWidth(25.0),
        ),
    ];
    for (case, values, discretisation) in cases {
        let cpu =
            medprep::cpu::stats::glcm(values.view().into_dyn(), None, discretisation).unwrap();
        let gpu = stats::glcm(ctx, values.view(), discretisation)
            .unwrap_or_else(|e| panic!("{case}: {e}"));
        assert_eq!(cpu.len(), gpu.len(), "{case}");
        for ((name, c), (gname, g)) in cpu.iter().zip(&gpu) {
            assert_eq!(name, gname, "{case}");
            assert!(
                c.to_bits() == g.to_bits() || (c.is_nan() && g.is_nan()),
                "{case} {name}: gpu {g} cpu {c}"
            );
        }
    }
    // The CPU's errors come back as typed errors.
    let mut bad = random(5, 5, 54, 0.0, 1.0);
    bad[[2, 2]] = f32::NAN;
    for values in [bad, Array2::zeros((0, 3))] {
        assert!(matches!(
            stats::glcm(ctx, values.view(), Discretisation::Bins(4)),
            Err(GpuError::Unsupported { .. })
        ));
    }
}
