//! Device limits: a device with deliberately small limits (one storage binding of 1 MiB,
//! 32 workgroups per dimension) forces tiling and 2-D dispatch grids on small inputs,
//! and images that do not fit come back as typed errors.

use std::sync::OnceLock;

use medprep::cpu;
use medprep::gpu::{self, GpuContext, GpuError};
use medprep::{ErrorKind, Pipeline, Recipe, Window};
use ndarray::Array2;

use crate::pipeline::{fixture, synthetic};
use crate::support::{compare, context, device_of, random, scale_of, skip, Tolerance};

const BINDING_BYTES: u64 = 1 << 20;
const WORKGROUPS: u32 = 32;

/// Tiling changes nothing about the arithmetic.
const SAME_AS_UNTILED: Tolerance = Tolerance {
    name: "SAME_AS_UNTILED",
    relative: 0.0,
};

/// A second device on the default adapter, with small limits.
fn small_device(test: &str) -> Option<&'static GpuContext> {
    // Only when the default context exists, so the skip logic is in one place.
    context(test)?;
    static SMALL: OnceLock<Result<GpuContext, String>> = OnceLock::new();
    let small = SMALL.get_or_init(|| {
        let instance =
            wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env());
        let adapter =
            pollster::block_on(instance.request_adapter(&wgpu::RequestAdapterOptions::default()))
                .map_err(|e| e.to_string())?;
        let limits = wgpu::Limits {
            max_storage_buffer_binding_size: BINDING_BYTES,
            max_compute_workgroups_per_dimension: WORKGROUPS,
            ..adapter.limits()
        };
        let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some("small limits"),
            required_limits: limits,
            ..Default::default()
        }))
        .map_err(|e| e.to_string())?;
        Ok(GpuContext::from_device(device, queue))
    });
    match small {
        Ok(ctx) => Some(ctx),
        Err(e) => {
            skip(test, e);
            None
        }
    }
}

#[test]
fn an_injected_device_keeps_its_limits() {
    let Some(ctx) = small_device("an_injected_device_keeps_its_limits") else {
        return;
    };
    assert_eq!(ctx.limits().max_storage_buffer_binding_size, BINDING_BYTES);
    assert_eq!(
        ctx.limits().max_compute_workgroups_per_dimension,
        WORKGROUPS
    );
    assert!(!ctx.adapter_info().is_empty());
    ctx.compile_all().unwrap();
}

#[test]
fn the_window_tiles_inputs_larger_than_a_binding() {
    let Some(small) = small_device("the_window_tiles_inputs_larger_than_a_binding") else {
        return;
    };
    // 2.8 MB: three tiles of at most 1 MiB, each over a 2-D grid of workgroups (a full
    // tile is 1024 groups: 32 x 32).
    let input = random(700, 1000, 11, -1024.0, 3071.0);
    let values = input.as_slice().unwrap();
    let window = Window::CT_LUNG;
    let tiled = gpu::window::window(small, values, &window, false).unwrap();
    let mut expected = values.to_vec();
    window.apply(&mut expected, false);
    let as_image = |v: Vec<f32>| Array2::from_shape_vec((700, 1000), v).unwrap();
    let whole = gpu::window::window(context("").unwrap(), values, &window, false).unwrap();
    compare(
        "window in tiles vs in one binding",
        &input,
        &as_image(whole),
        &as_image(tiled.clone()),
        SAME_AS_UNTILED,
        1.0,
    );
    assert_eq!(tiled.len(), expected.len());
}

#[test]
fn two_dimensional_grids_cover_every_pixel() {
    let Some(small) = small_device("two_dimensional_grids_cover_every_pixel") else {
        return;
    };
    // 513 x 301 = 154 413 pixels = 604 workgroups of 256: a 32 x 19 grid here.
    let input = random(513, 301, 12, -1024.0, 3071.0);
    let big = context("").unwrap();
    let pairs = [
        (
            "gaussian",
            gpu::filters::gaussian(small, input.view(), [2.0, 2.0]).unwrap(),
            gpu::filters::gaussian(big, input.view(), [2.0, 2.0]).unwrap(),
        ),
        (
            "sobel",
            gpu::filters::sobel_magnitude(small, input.view()).unwrap(),
            gpu::filters::sobel_magnitude(big, input.view()).unwrap(),
        ),
    ];
    for (name, on_small, on_big) in &pairs {
        compare(
            &format!("{name} on a 2-D grid vs a 1-D grid"),
            &input,
            on_big,
            on_small,
            SAME_AS_UNTILED,
            scale_of(&input),
        );
    }
    // And nothing is left unwritten: the CPU agrees everywhere.
    let cpu = cpu::filters::sobel_magnitude(input.view());
    assert!(cpu
        .iter()
        .zip(pairs[1].1.iter())
        .all(|(c, g)| (c - g).abs() <= 1e-3 * c.abs().max(1.0)));
}

#[test]
fn reductions_add_up_across_tiles() {
    let Some(small) = small_device("reductions_add_up_across_tiles") else {
        return;
    };
    let input = random(700, 1000, 13, -1024.0, 3071.0);
    let values = input.as_slice().unwrap();
    let tiled = gpu::stats::moments(small, values).unwrap().unwrap();
    let whole = gpu::stats::moments(context("").unwrap(), values)
        .unwrap()
        .unwrap();
    // Tiles hold whole blocks, so the partials and their f64 sum are the same.
    assert_eq!(tiled, whole);
    let cpu = cpu::stats::histogram(
        input.view().into_dyn(),
        None,
        cpu::stats::Discretisation::Bins(64),
    )
    .unwrap();
    assert_eq!(
        gpu::stats::histogram(small, values, 64).unwrap().unwrap(),
        cpu
    );
}

#[test]
fn an_image_beyond_one_binding_is_a_typed_error() {
    let Some(small) = small_device("an_image_beyond_one_binding_is_a_typed_error") else {
        return;
    };
    let input = Array2::<f32>::zeros((600, 600));
    let error = gpu::filters::gaussian(small, input.view(), [1.0, 1.0]).unwrap_err();
    assert!(
        matches!(
            error,
            GpuError::TooLarge {
                limit: "max_storage_buffer_binding_size",
                needed: 1_440_000,
                ..
            }
        ),
        "{error}"
    );
    // The context stays usable.
    let ok = gpu::filters::gaussian(small, input.slice(ndarray::s![..100, ..]), [1.0, 1.0]);
    assert!(ok.is_ok());
}

#[test]
fn a_pipeline_image_beyond_the_device_fails_with_the_gpu_message() {
    let Some(ctx) = small_device("a_pipeline_image_beyond_the_device_fails_with_the_gpu_message")
    else {
        return;
    };
    let recipe = Recipe::preset("ct-standard").unwrap();
    let pipeline = Pipeline::with_device(recipe, device_of(ctx)).unwrap();
    // 1024 x 1024 f32 is 4 MiB, beyond one 1 MiB binding: the window tiles, resampling
    // cannot.
    let image = synthetic(1024, 1024, [1.0, 1.0], 21);
    let error = pipeline.process("big", &image).unwrap_err();
    assert!(
        matches!(error.kind(), ErrorKind::Pipeline(m) if m.starts_with("GPU: ")
            && m.contains("max_storage_buffer_binding_size")),
        "{error}"
    );
    // The CPU runs it.
    let cpu = Pipeline::new(Recipe::preset("ct-standard").unwrap()).unwrap();
    assert_eq!(cpu.process("big", &image).unwrap().len(), 1);
}

#[test]
fn a_batch_image_beyond_the_device_fails_alone() {
    let Some(ctx) = small_device("a_batch_image_beyond_the_device_fails_alone") else {
        return;
    };
    let mut recipe = Recipe::preset("ct-standard").unwrap();
    recipe.resample.as_mut().unwrap().spacing = Some([2.0, 2.0]);
    let pipeline = Pipeline::with_device(recipe, device_of(ctx)).unwrap();
    // 128 x 128 at 2.8 mm: 8 maps of 179 x 179 f32 in one slot, within 1 MiB. 1024 x 1024
    // f32 is 4 MiB, beyond one binding: `process` runs it on its own and fails it.
    let small = fixture("ct_slice");
    let big = synthetic(1024, 1024, [1.0, 1.0], 22);
    let results = pipeline.process_batch(&[("small", &small), ("big", &big), ("small", &small)]);
    assert!(results[0].is_ok() && results[2].is_ok(), "{results:?}");
    let error = results[1].as_ref().unwrap_err();
    assert_eq!(error.input(), "big");
    assert!(
        matches!(error.kind(), ErrorKind::Pipeline(m) if m.starts_with("GPU: ")
            && m.contains("max_storage_buffer_binding_size")),
        "{error}"
    );
}
