//! The ct-standard workload on the CPU backend, stage by stage and end to end.
//!
//! Input: one synthetic 512×512 CT slice with 0.7 mm pixels (the benchmark corpus's
//! geometry), decoded once before timing. Stages see what they see inside the pipeline:
//! the window on 512×512 HU, resampling 512×512 → 358×358, filters and statistics on
//! the 358×358 resampled image. `end_to_end_from_memory` runs decode + the whole recipe
//! from the file's bytes. Throughput is one element per image, so elem/s reads as
//! images/s. Threads: rayon's default pool (all cores) unless `RAYON_NUM_THREADS` is set.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use medprep::cpu::{filters, resample, stats};
use medprep::{DicomFile, Frames, Limits, Pipeline, Recipe, Window};
use medprep_benches::synthetic_ct_slice;
use ndarray::Array2;

fn stages(c: &mut Criterion) {
    let bytes = synthetic_ct_slice();
    let image = DicomFile::from_bytes("synthetic", &bytes)
        .and_then(|f| f.image(Frames::All, &Limits::default()))
        .expect("synthetic slice decodes");
    let size = [image.rows as usize, image.cols as usize];
    let spacing = image.meta.geometry.pixel_spacing.unwrap_or([0.7, 0.7]);
    let mut windowed = image.pixels.clone();
    Window::CT_SOFT_TISSUE.apply(&mut windowed, false);
    let windowed = Array2::from_shape_vec((size[0], size[1]), windowed).expect("shape");
    let grid = resample::Grid::to_spacing(size, spacing, [1.0, 1.0]);
    let resampled = resample::resample(windowed.view(), &grid, resample::Interpolator::Linear);

    let mut group = c.benchmark_group("ct_standard_cpu");
    group.throughput(Throughput::Elements(1));
    group.measurement_time(Duration::from_secs(4));
    group.bench_function("window_512", |b| {
        b.iter(|| {
            let mut v = image.pixels.clone();
            Window::CT_SOFT_TISSUE.apply(&mut v, false);
            black_box(v)
        })
    });
    group.bench_function("resample_linear_512_to_358", |b| {
        b.iter(|| {
            resample::resample(
                black_box(windowed.view()),
                &grid,
                resample::Interpolator::Linear,
            )
        })
    });
    for sigma in [1.0, 2.0, 4.0] {
        group.bench_function(format!("gaussian_and_log_s{sigma}_358"), |b| {
            b.iter(|| filters::gaussian_and_laplace(black_box(resampled.view()), sigma))
        });
    }
    group.bench_function("sobel_358", |b| {
        b.iter(|| filters::sobel_magnitude(black_box(resampled.view())))
    });
    group.bench_function("first_order_and_histogram_358", |b| {
        b.iter(|| statistics_of_maps(std::slice::from_ref(black_box(&resampled))))
    });
    let maps = ct_standard_maps(&resampled);
    group.bench_function("first_order_and_histogram_8_maps_358", |b| {
        b.iter(|| statistics_of_maps(black_box(&maps)))
    });
    group.bench_function("statistics_8_maps_358", |b| {
        b.iter(|| fused_statistics_of_maps(black_box(&maps)))
    });

    let pipeline = Pipeline::new(Recipe::preset("ct-standard").expect("preset")).expect("pipeline");
    group.bench_function("recipe_from_decoded_image", |b| {
        b.iter(|| {
            pipeline
                .process("synthetic", black_box(&image))
                .expect("process")
        })
    });
    group.bench_function("end_to_end_from_memory", |b| {
        b.iter(|| {
            let image = DicomFile::from_bytes("synthetic", black_box(&bytes))
                .and_then(|f| f.image(Frames::All, &Limits::default()))
                .expect("decode");
            pipeline.process("synthetic", &image).expect("process")
        })
    });
    group.finish();
}

/// The eight ct-standard maps of the resampled image: original, Gaussian and LoG at
/// σ 1, 2 and 4, Sobel magnitude.
fn ct_standard_maps(resampled: &Array2<f32>) -> Vec<Array2<f32>> {
    let mut gaussians = Vec::new();
    let mut logs = Vec::new();
    for sigma in [1.0, 2.0, 4.0] {
        let (g, l) = filters::gaussian_and_laplace(resampled.view(), sigma);
        gaussians.push(g);
        logs.push(l);
    }
    let mut maps = vec![resampled.clone()];
    maps.extend(gaussians);
    maps.extend(logs);
    maps.push(filters::sobel_magnitude(resampled.view()));
    maps
}

/// First-order and histogram (64 bins) statistics of each map, as ct-standard asks.
/// Not inlined, so that instruction counts (callgrind) can be read per call.
#[inline(never)]
fn statistics_of_maps(maps: &[Array2<f32>]) -> Vec<Vec<(&'static str, f64)>> {
    maps.iter()
        .map(|map| {
            let v = map.view().into_dyn();
            let mut out = stats::first_order(v.clone(), None).expect("stats");
            out.extend(
                stats::histogram(v, None, stats::Discretisation::Bins(64)).expect("histogram"),
            );
            out
        })
        .collect()
}

/// The same through `stats::compute` on each map as a 1-D array (no GLCM): the path the
/// pipeline takes, one pass structure for both families.
#[inline(never)]
fn fused_statistics_of_maps(maps: &[Array2<f32>]) -> Vec<Vec<(&'static str, f64)>> {
    maps.iter()
        .map(|map| {
            let flat = map
                .view()
                .into_shape_with_order(map.len())
                .expect("contiguous map");
            stats::compute(flat.into_dyn(), None, stats::Discretisation::Bins(64)).expect("stats")
        })
        .collect()
}

criterion_group!(benches, stages);
criterion_main!(benches);
