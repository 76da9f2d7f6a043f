//! The GPU backend against the CPU, stage by stage and end to end (ct-standard).
//!
//! Input: the synthetic 512×512 CT slice of `medprep_benches::synthetic_ct_slice`
//! (0.7 mm pixels), decoded once before timing. Each stage sees what it sees in the
//! pipeline: the window on 512×512 HU, resampling 512×512 → 358×358, filters and
//! statistics on the 358×358 resampled image.
//!
//! Names say what is timed:
//! - `cpu/<stage>`: the CPU function (rayon's pool, all cores unless `RAYON_NUM_THREADS`);
//! - `gpu/<stage>/with-transfers`: the one-shot GPU function, so upload, dispatches,
//!   readback and the wait for the device are all inside the time;
//! - `pipeline/ct-standard/cpu`: `Pipeline::process` on the CPU device;
//! - `pipeline/ct-standard/gpu-per-frame/with-transfers`: `Pipeline::process` on the GPU
//!   device (each GPU stage uploads its input and reads its output back);
//! - `pipeline/ct-standard/gpu-batch-64/with-transfers`: `Pipeline::process_batch` over 64
//!   slices (one upload, one readback, checked), 64 elements per iteration.
//!
//! After each end-to-end GPU benchmark a line gives its host↔device traffic per call.
//!
//! Stages report bytes/s of their f32 input (one image per iteration, so images/s is the
//! reciprocal of the time); the pipelines report images/s (elem/s). Without a GPU adapter
//! the GPU benchmarks are skipped with one line and the CPU ones still run. On a software
//! adapter (lavapipe, llvmpipe, WARP) a banner says the numbers are not GPU speed.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, SamplingMode, Throughput};
use medprep::cpu::stats::Discretisation;
use medprep::cpu::{filters, resample, stats};
use medprep::gpu::{self, GpuContext, Transfers};
use medprep::recipe::Family;
use medprep::{Device, DicomFile, Frames, Image, Limits, Pipeline, Recipe, Window};
use medprep_benches::synthetic_ct_slice;
use ndarray::Array2;

/// Gaussian and LoG scales of ct-standard, in output pixels.
const SIGMAS: [f64; 3] = [1.0, 2.0, 4.0];
/// Histogram bins of ct-standard.
const BINS: u32 = 64;
/// Slices per `process_batch` call: one full GPU batch.
const BATCH: usize = Pipeline::GPU_BATCH_FRAMES;
/// Printed before and after the GPU benchmarks on a CPU implementation of a GPU.
const SOFTWARE_WARNING: &str =
    "software adapter: these numbers measure a CPU emulating a GPU, not GPU speed";

/// The stage inputs, computed once on the CPU.
struct Inputs {
    image: Image,
    hu: Vec<f32>,
    windowed: Array2<f32>,
    grid: resample::Grid,
    resampled: Array2<f32>,
}

impl Inputs {
    fn new() -> Self {
        let bytes = synthetic_ct_slice();
        let image = DicomFile::from_bytes("synthetic", &bytes)
            .and_then(|f| f.image(Frames::All, &Limits::default()))
            .expect("synthetic slice decodes");
        let size = [image.rows as usize, image.cols as usize];
        let spacing = image.meta.geometry.pixel_spacing.unwrap_or([0.7, 0.7]);
        let hu = image.pixels.clone();
        let mut windowed = hu.clone();
        Window::CT_SOFT_TISSUE.apply(&mut windowed, false);
        let windowed = Array2::from_shape_vec((size[0], size[1]), windowed).expect("shape");
        let grid = resample::Grid::to_spacing(size, spacing, [1.0, 1.0]);
        let resampled = resample::resample(windowed.view(), &grid, resample::Interpolator::Linear);
        Self {
            image,
            hu,
            windowed,
            grid,
            resampled,
        }
    }
}

/// Few samples and short warm-ups, so that a run on a software adapter stays in minutes.
fn configure(group: &mut BenchmarkGroup<'_, WallTime>) {
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(5));
}

/// Bytes of f32 values, for `Throughput::Bytes`.
fn f32_bytes(len: usize) -> Throughput {
    Throughput::Bytes((len * size_of::<f32>()) as u64)
}

fn cpu_stages(c: &mut Criterion, inputs: &Inputs) {
    let mut group = c.benchmark_group("cpu");
    configure(&mut group);
    group.throughput(f32_bytes(inputs.hu.len()));
    group.bench_function("window", |b| {
        b.iter(|| {
            let mut v = black_box(&inputs.hu).clone();
            Window::CT_SOFT_TISSUE.apply(&mut v, false);
            v
        })
    });
    group.throughput(f32_bytes(inputs.windowed.len()));
    group.bench_function("resample-linear", |b| {
        b.iter(|| {
            resample::resample(
                black_box(inputs.windowed.view()),
                &inputs.grid,
                resample::Interpolator::Linear,
            )
        })
    });
    let map = inputs.resampled.view();
    group.throughput(f32_bytes(map.len()));
    for sigma in SIGMAS {
        group.bench_function(format!("gaussian-s{sigma}"), |b| {
            b.iter(|| filters::gaussian(black_box(map), [sigma, sigma]))
        });
        group.bench_function(format!("log-s{sigma}"), |b| {
            b.iter(|| filters::gaussian_laplace(black_box(map), sigma))
        });
    }
    group.bench_function("sobel", |b| {
        b.iter(|| filters::sobel_magnitude(black_box(map)))
    });
    let values = map.into_dyn();
    group.bench_function("histogram", |b| {
        b.iter(|| stats::histogram(black_box(values.view()), None, Discretisation::Bins(BINS)))
    });
    group.bench_function("statistics", |b| {
        b.iter(|| {
            let v = black_box(values.view());
            let first = stats::first_order(v.view(), None).expect("statistics");
            let hist = stats::histogram(v, None, Discretisation::Bins(BINS)).expect("histogram");
            (first, hist)
        })
    });
    group.finish();
}

fn gpu_stages(c: &mut Criterion, inputs: &Inputs, ctx: &GpuContext) {
    let mut group = c.benchmark_group("gpu");
    configure(&mut group);
    group.throughput(f32_bytes(inputs.hu.len()));
    group.bench_function("window/with-transfers", |b| {
        b.iter(|| {
            gpu::window::window(ctx, black_box(&inputs.hu), &Window::CT_SOFT_TISSUE, false)
                .expect("GPU window")
        })
    });
    group.throughput(f32_bytes(inputs.windowed.len()));
    group.bench_function("resample-linear/with-transfers", |b| {
        b.iter(|| {
            gpu::resample::resample(
                ctx,
                black_box(inputs.windowed.view()),
                &inputs.grid,
                resample::Interpolator::Linear,
            )
            .expect("GPU resample")
        })
    });
    let map = inputs.resampled.view();
    group.throughput(f32_bytes(map.len()));
    for sigma in SIGMAS {
        group.bench_function(format!("gaussian-s{sigma}/with-transfers"), |b| {
            b.iter(|| gpu::filters::gaussian(ctx, black_box(map), [sigma, sigma]).expect("GPU"))
        });
        group.bench_function(format!("log-s{sigma}/with-transfers"), |b| {
            b.iter(|| gpu::filters::gaussian_laplace(ctx, black_box(map), sigma).expect("GPU"))
        });
    }
    group.bench_function("sobel/with-transfers", |b| {
        b.iter(|| gpu::filters::sobel_magnitude(ctx, black_box(map)).expect("GPU sobel"))
    });
    let values = map.as_slice().expect("a fresh array is contiguous");
    group.bench_function("histogram/with-transfers", |b| {
        b.iter(|| gpu::stats::histogram(ctx, black_box(values), BINS).expect("GPU histogram"))
    });
    let families = [Family::FirstOrder, Family::Histogram];
    group.bench_function("statistics/with-transfers", |b| {
        b.iter(|| {
            gpu::stats::statistics(
                ctx,
                &[black_box(values)],
                &families,
                Discretisation::Bins(BINS),
            )
            .expect("GPU statistics")
        })
    });
    group.finish();
}

fn pipelines(c: &mut Criterion, inputs: &Inputs, ctx: Option<&Arc<GpuContext>>) {
    let recipe = || Recipe::preset("ct-standard").expect("preset");
    let image = &inputs.image;
    let mut group = c.benchmark_group("pipeline/ct-standard");
    configure(&mut group);
    group.throughput(Throughput::Elements(1));
    let cpu = Pipeline::with_device(recipe(), Device::Cpu).expect("pipeline");
    group.bench_function("cpu", |b| {
        b.iter(|| cpu.process("synthetic", black_box(image)).expect("process"))
    });
    let Some(ctx) = ctx else {
        group.finish();
        return;
    };
    let device = Device::Gpu(Arc::clone(ctx));
    let gpu = Pipeline::with_device(recipe(), device).expect("pipeline");
    let (before, mut calls) = (ctx.transfers(), 0);
    group.bench_function("gpu-per-frame/with-transfers", |b| {
        b.iter(|| {
            calls += 1;
            gpu.process("synthetic", black_box(image))
                .expect("process on the GPU")
        })
    });
    report_transfers(
        "gpu-per-frame, per slice",
        ctx.transfers().since(&before),
        calls,
    );
    let batch: Vec<(&str, &Image)> = vec![("synthetic", image); BATCH];
    // One iteration is a whole batch (about 45 s on lavapipe on two cores), so a fixed
    // ten iterations rather than criterion's growing series.
    group.sampling_mode(SamplingMode::Flat);
    group.throughput(Throughput::Elements(BATCH as u64));
    let (before, mut calls) = (ctx.transfers(), 0);
    group.bench_function(format!("gpu-batch-{BATCH}/with-transfers"), |b| {
        b.iter(|| {
            calls += 1;
            let results = gpu.process_batch(black_box(&batch));
            assert!(results.iter().all(Result::is_ok), "a batched slice failed");
            results
        })
    });
    let batched = ctx.transfers().since(&before);
    report_transfers(&format!("gpu-batch-{BATCH}, per batch"), batched, calls);
    // Otherwise the name would be wrong: some slices left the device path.
    assert_eq!(
        (batched.data_uploads, batched.readbacks),
        (calls, calls),
        "process_batch did not make one upload and one readback per batch"
    );
    group.finish();
}

/// Prints the host↔device traffic of one call, averaged over `calls` (none when a filter
/// left the benchmark out).
fn report_transfers(what: &str, total: Transfers, calls: u64) {
    if calls == 0 {
        return;
    }
    println!(
        "transfers of {what}: {} data uploads, {} bytes; {} readbacks, {} bytes",
        total.data_uploads / calls,
        total.data_upload_bytes / calls,
        total.readbacks / calls,
        total.readback_bytes / calls
    );
}

fn main() {
    // Mesa's Vulkan device-selection layer connects to a Wayland display when a device is
    // opened and prints errors on hosts without one; wgpu picks the adapter itself.
    if std::env::var_os("NODEVICE_SELECT").is_none() {
        std::env::set_var("NODEVICE_SELECT", "1");
    }
    let inputs = Inputs::new();
    let ctx = match GpuContext::new() {
        Ok(ctx) => {
            println!("GPU benchmarks on: {}", ctx.adapter_info());
            if ctx.is_software() {
                println!("{SOFTWARE_WARNING}");
            }
            Some(Arc::new(ctx))
        }
        Err(e) => {
            println!("SKIPPED gpu benchmarks: {e} (the CPU benchmarks still run)");
            None
        }
    };
    let mut c = Criterion::default().configure_from_args();
    cpu_stages(&mut c, &inputs);
    if let Some(ctx) = &ctx {
        gpu_stages(&mut c, &inputs, ctx);
    }
    pipelines(&mut c, &inputs, ctx.as_ref());
    c.final_summary();
    if let Some(ctx) = ctx.filter(|ctx| ctx.is_software()) {
        println!(
            "GPU benchmarks ran on {}\n{SOFTWARE_WARNING}",
            ctx.adapter_info()
        );
    }
}
