//! `Pipeline::process_batch` on the GPU device: the features of a batch of 64 CT slices
//! against the CPU's `process` (the tolerance of `pipeline`), the host↔device traffic of
//! that batch (one upload of the stored samples, one readback of statistics' partials),
//! a batch with Gabor maps kept on the device, and an image that cannot be processed
//! failing alone.
//!
//! The recipe is ct-standard at 2 mm (the 128 × 128 slices at 2.8 mm become 179 × 179)
//! so that 64 slices stay quick on a software adapter.

use medprep::gpu::{GpuContext, Transfers};
use medprep::{Device, ErrorKind, FrameResult, Image, OutputImage, Pipeline, Recipe};

use crate::feature_tolerance::{agree, ill_conditioned, ABS, REL};
use crate::pipeline::{fixture, synthetic};
use crate::support::{context, device_of, random};

/// Output side of the recipe's resampling: 128 pixels of 2.8 mm at 2 mm.
const SIDE: u64 = 179;

/// ct-standard resampled to 2 mm.
fn recipe() -> Recipe {
    let mut recipe = Recipe::preset("ct-standard").unwrap();
    recipe.resample.as_mut().unwrap().spacing = Some([2.0, 2.0]);
    recipe
}

/// `count` variations of fixtures/ct_slice.dcm (128 × 128 at 2.8 mm): each slice's HU shifted by a whole number and given
/// integer noise, so every one still has integer stored values.
fn slices(count: usize) -> Vec<Image> {
    let base = fixture("ct_slice");
    (0..count)
        .map(|k| {
            let noise = random(128, 128, 100 + k as u64, -30.0, 30.0);
            let shift = (k as f32 * 13.0 - 400.0).round();
            let mut image = base.clone();
            for (v, n) in image.pixels.iter_mut().zip(noise.iter()) {
                *v += shift + n.round();
            }
            image
        })
        .collect()
}

/// The batch on `device` and `process` on the CPU, feature by feature; returns the
/// number of features compared.
fn compare(
    cpu: &Pipeline,
    names: &[(String, Image)],
    got: &[Result<Vec<FrameResult>, medprep::Error>],
) -> usize {
    let features = cpu.feature_names();
    let mut failures = Vec::new();
    let mut compared = 0;
    let mut worst = (0.0f64, String::new());
    for ((input, image), got) in names.iter().zip(got) {
        let want = cpu.process(input, image).unwrap();
        let got = got.as_ref().unwrap();
        assert_eq!(want.len(), got.len(), "{input}: frames");
        for (w, g) in want.iter().zip(got) {
            assert_eq!(w.frame, g.frame, "{input}");
            assert_eq!(w.spacing, g.spacing, "{input}");
            let by_name = |name: &str| w.features[features.iter().position(|n| n == name).unwrap()];
            for (i, name) in features.iter().enumerate() {
                if ill_conditioned(name, by_name) {
                    continue;
                }
                compared += 1;
                let (gv, wv) = (g.features[i], w.features[i]);
                if !agree(gv, wv) {
                    failures.push(format!(
                        "{input} frame {} {name}: gpu {gv} cpu {wv}",
                        w.frame
                    ));
                }
                let ratio = (gv - wv).abs() / (ABS + REL * wv.abs());
                if ratio.is_finite() && ratio > worst.0 {
                    worst = (ratio, format!("{input} {name}"));
                }
            }
        }
    }
    println!(
        "batch gpu vs cpu: {compared} features, max |gpu - cpu| / (ABS + REL |cpu|) = {:.3e} ({})",
        worst.0, worst.1
    );
    assert!(
        failures.is_empty(),
        "{} features differ beyond {ABS} + {REL} |cpu|:\n{}",
        failures.len(),
        failures.join("\n")
    );
    compared
}

/// `recipe` on a device of its own (so no other test's traffic is counted), with the
/// traffic of one `process_batch` over `images`.
fn run_batch(
    ctx: &GpuContext,
    recipe: Recipe,
    images: &[(String, Image)],
) -> (Vec<Result<Vec<FrameResult>, medprep::Error>>, Transfers) {
    let device = device_of(ctx);
    let Device::Gpu(own) = &device else {
        unreachable!("device_of gives a GPU device")
    };
    let own = std::sync::Arc::clone(own);
    let pipeline = Pipeline::with_device(recipe, device).unwrap();
    let inputs: Vec<(&str, &Image)> = images.iter().map(|(n, i)| (n.as_str(), i)).collect();
    let before = own.transfers();
    let results = pipeline.process_batch(&inputs);
    (results, own.transfers().since(&before))
}

#[test]
fn a_batch_of_64_slices_matches_the_cpu_with_one_pixel_upload_and_one_readback() {
    let Some(ctx) =
        context("a_batch_of_64_slices_matches_the_cpu_with_one_pixel_upload_and_one_readback")
    else {
        return;
    };
    let images: Vec<(String, Image)> = slices(Pipeline::GPU_BATCH_FRAMES)
        .into_iter()
        .enumerate()
        .map(|(k, image)| (format!("slice {k}"), image))
        .collect();
    let start = std::time::Instant::now();
    let (results, traffic) = run_batch(ctx, recipe(), &images);
    println!(
        "64 slices on the device in {:.1?}: {traffic:?}",
        start.elapsed()
    );
    let cpu = Pipeline::new(recipe()).unwrap();
    assert!(compare(&cpu, &images, &results) > 0);

    let frames = Pipeline::GPU_BATCH_FRAMES as u64;
    // The stored samples, 128 × 128 int16 per slice, in one upload and nothing else.
    let pixel_bytes = frames * 128 * 128 * 2;
    assert_eq!(traffic.data_uploads, 1, "{traffic:?}");
    assert_eq!(traffic.data_upload_bytes, pixel_bytes, "{traffic:?}");
    // One readback: per map, partial sums of each block of 4096 values (the device's
    // reduction), a few order statistics and the 64 histogram bins; far below the maps.
    assert_eq!(traffic.readbacks, 1, "{traffic:?}");
    let maps = 8;
    let blocks = (SIDE * SIDE).div_ceil(4096);
    let words_per_map = blocks * 32 + 64 + 64;
    assert!(
        traffic.readback_bytes <= frames * maps * words_per_map * 4,
        "{traffic:?}"
    );
    let map_bytes = frames * maps * SIDE * SIDE * 4;
    assert!(traffic.readback_bytes * 100 <= map_bytes, "{traffic:?}");
    println!(
        "readback {} bytes: {:.2} % of the maps' {map_bytes} bytes",
        traffic.readback_bytes,
        100.0 * traffic.readback_bytes as f64 / map_bytes as f64
    );
}

#[test]
fn an_image_without_pixel_spacing_fails_alone() {
    let Some(ctx) = context("an_image_without_pixel_spacing_fails_alone") else {
        return;
    };
    let mut images: Vec<(String, Image)> = slices(3)
        .into_iter()
        .enumerate()
        .map(|(k, image)| (format!("slice {k}"), image))
        .collect();
    let mut bad = synthetic(96, 80, [0.8, 0.8], 31);
    bad.meta.geometry.pixel_spacing = None;
    images.insert(1, ("no spacing".into(), bad));
    let (results, traffic) = run_batch(ctx, recipe(), &images);
    let error = results[1].as_ref().unwrap_err();
    assert_eq!(error.input(), "no spacing");
    assert!(
        matches!(error.kind(), ErrorKind::MissingAttribute(a) if a.keyword == "PixelSpacing"),
        "{error}"
    );
    // The others are batched without it (one readback) and agree with the CPU.
    assert_eq!(traffic.readbacks, 1, "{traffic:?}");
    let cpu = Pipeline::new(recipe()).unwrap();
    let good: Vec<(String, Image)> = images
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 1)
        .map(|(_, x)| x.clone())
        .collect();
    let good_results: Vec<_> = results
        .into_iter()
        .enumerate()
        .filter(|(i, _)| *i != 1)
        .map(|(_, r)| r)
        .collect();
    compare(&cpu, &good, &good_results);
}

#[test]
fn gabor_maps_stay_on_the_device() {
    let Some(ctx) = context("gabor_maps_stay_on_the_device") else {
        return;
    };
    let mut gabor = recipe();
    // 0° factors into two 1-D passes; 60° and 120° are correlated directly.
    gabor.maps = vec![medprep::recipe::MapSpec::Gabor {
        orientations: 3,
        wavelengths: vec![4.0],
        sigma_per_wavelength: 0.56,
    }];
    let images: Vec<(String, Image)> = slices(4)
        .into_iter()
        .enumerate()
        .map(|(k, image)| (format!("slice {k}"), image))
        .collect();
    let (results, traffic) = run_batch(ctx, gabor.clone(), &images);
    // The whole batch in one readback: the Gabor maps no longer send it through `process`.
    assert_eq!(traffic.readbacks, 1, "{traffic:?}");
    assert_eq!(traffic.data_uploads, 1, "{traffic:?}");
    let cpu = Pipeline::new(gabor).unwrap();
    assert!(compare(&cpu, &images, &results) > 0);
}

/// Largest |gpu - cpu| of an output image (window values in [0, 1], linear resampling:
/// the stage tolerances of `parity` are 1e-6; lavapipe shows 6e-8).
const IMAGE_TOLERANCE: f32 = 1e-5;

#[test]
fn a_mixed_batch_gives_what_process_gives() {
    let Some(ctx) = context("a_mixed_batch_gives_what_process_gives") else {
        return;
    };
    let mut monochrome1 = fixture("ct_slice");
    monochrome1.photometric = "MONOCHROME1".into();
    let images: Vec<(String, Image)> = vec![
        ("ct_12bit".into(), fixture("ct_12bit")),
        // Four frames in one image.
        ("multiframe_ct".into(), fixture("multiframe_ct")),
        // Fractional HU: not stored integers, so `process` runs it.
        ("fractional".into(), synthetic(96, 80, [0.8, 0.8], 32)),
        ("monochrome1".into(), monochrome1),
        ("ct_rle".into(), fixture("ct_rle")),
    ];
    let mut with_images = recipe();
    with_images.output.images = medprep::recipe::ImageFormat::Npy;
    with_images.output.dtype = medprep::recipe::OutputDtype::F32;
    let gpu = Pipeline::with_device(with_images.clone(), device_of(ctx)).unwrap();
    let inputs: Vec<(&str, &Image)> = images.iter().map(|(n, i)| (n.as_str(), i)).collect();
    let results = gpu.process_batch(&inputs);
    assert_eq!(results.len(), images.len());
    let cpu = Pipeline::new(with_images).unwrap();
    compare(&cpu, &images, &results);
    let mut worst = 0.0f32;
    for ((input, image), got) in images.iter().zip(&results) {
        for (w, g) in cpu
            .process(input, image)
            .unwrap()
            .iter()
            .zip(got.as_ref().unwrap())
        {
            let (Some(OutputImage::F32(w)), Some(OutputImage::F32(g))) = (&w.image, &g.image)
            else {
                panic!(
                    "{input}: f32 images expected, got {:?} and {:?}",
                    w.image, g.image
                );
            };
            assert_eq!(w.dim(), g.dim(), "{input}");
            for (a, b) in w.iter().zip(g) {
                worst = worst.max((a - b).abs());
            }
        }
    }
    println!("mixed batch: output images within {worst:.3e}");
    assert!(worst <= IMAGE_TOLERANCE, "{worst} > {IMAGE_TOLERANCE}");
}
