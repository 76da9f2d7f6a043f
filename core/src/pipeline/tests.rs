use super::*;
use crate::recipe::{Normalize, WindowSpec};
use crate::{DicomFile, ErrorKind, Frames, Limits, Window};

fn fixture(name: &str) -> (String, Image) {
    let path = format!("{}/../fixtures/{name}.dcm", env!("CARGO_MANIFEST_DIR"));
    let image = DicomFile::open(&path)
        .and_then(|f| f.image(Frames::All, &Limits::default()))
        .unwrap();
    (path, image)
}

fn recipe(toml: &str) -> Recipe {
    Recipe::from_toml_str(&format!("name = \"test\"\n{toml}")).unwrap()
}

fn output_f32(result: &FrameResult) -> &Array2<f32> {
    match &result.image {
        Some(OutputImage::F32(a)) => a,
        other => panic!("expected an f32 image, got {other:?}"),
    }
}

#[test]
fn ct_standard_names_160_features_map_by_map() {
    let pipeline = Pipeline::new(Recipe::preset("ct-standard").unwrap()).unwrap();
    let names = pipeline.feature_names();
    assert_eq!(names.len(), 160);
    assert_eq!(names[0], "original_mean");
    assert_eq!(names[19], "original_uniformity");
    assert_eq!(names[20], "gaussian_s1_mean");
    assert!(names.contains(&"log_s2_p90".to_string()));
    assert_eq!(names[159], "sobel_uniformity");
}

#[test]
fn results_do_not_depend_on_the_number_of_threads() {
    let pipeline = Pipeline::new(Recipe::preset("ct-lung").unwrap()).unwrap();
    let (path, image) = fixture("ct_slice");
    let run = |threads| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| pipeline.process(&path, &image).unwrap())
    };
    let one = run(1);
    let three = run(3);
    let bits = |r: &[FrameResult]| {
        r[0].features
            .iter()
            .map(|v| v.to_bits())
            .collect::<Vec<_>>()
    };
    assert_eq!(bits(&one), bits(&three));
}

#[test]
fn every_frame_of_a_multi_frame_image_gets_a_result() {
    let pipeline = Pipeline::new(recipe("normalize = { mode = \"min-max\" }")).unwrap();
    let (path, image) = fixture("multiframe_ct");
    let frames = pipeline.process(&path, &image).unwrap();
    assert_eq!(
        frames.iter().map(|f| f.frame).collect::<Vec<_>>(),
        [0, 1, 2, 3]
    );
    // The frames carry different rescale intercepts, so their means in HU differ.
    let plain = Pipeline::new(recipe(""))
        .unwrap()
        .process(&path, &image)
        .unwrap();
    assert_ne!(plain[0].features[0], plain[3].features[0]);
}

#[test]
fn window_output_is_the_design_formula_and_monochrome1_is_inverted() {
    let window = Window {
        center: 1000.0,
        width: 2000.0,
    };
    let pipeline = Pipeline::new(recipe(
        "normalize = { mode = \"window\", window = { center = 1000.0, width = 2000.0 } }\noutput = { images = \"npy\" }",
    ))
    .unwrap();
    for name in ["ct_slice", "mono1_xray"] {
        let (path, image) = fixture(name);
        let result = &pipeline.process(&path, &image).unwrap()[0];
        let invert = image.photometric == "MONOCHROME1";
        let low = window.center - window.width / 2.0;
        for (got, hu) in output_f32(result).iter().zip(&image.pixels) {
            let x = ((f64::from(*hu) - low) / window.width).clamp(0.0, 1.0);
            let want = if invert { 1.0 - x } else { x };
            assert!(
                (f64::from(*got) - want).abs() < 1e-6,
                "{name}: {got} vs {want}"
            );
        }
    }
}

#[test]
fn zscore_min_max_and_percentile_clip_normalise_each_frame() {
    let (path, image) = fixture("ct_slice");
    let out = |normalize: &str| {
        let p = Pipeline::new(recipe(&format!(
            "normalize = {normalize}\noutput = {{ images = \"npy\" }}"
        )))
        .unwrap();
        output_f32(&p.process(&path, &image).unwrap()[0]).clone()
    };
    let z = out("{ mode = \"zscore\" }");
    let n = z.len() as f64;
    let mean = z.iter().map(|v| f64::from(*v)).sum::<f64>() / n;
    let var = z
        .iter()
        .map(|v| (f64::from(*v) - mean).powi(2))
        .sum::<f64>()
        / n;
    assert!(
        mean.abs() < 1e-5 && (var - 1.0).abs() < 1e-4,
        "{mean} {var}"
    );

    let m = out("{ mode = \"min-max\" }");
    let (lo, hi) = m
        .iter()
        .fold((f32::MAX, f32::MIN), |(a, b), v| (a.min(*v), b.max(*v)));
    assert_eq!((lo, hi), (0.0, 1.0));

    let p = out("{ mode = \"percentile-clip\", p_lo = 10.0, p_hi = 90.0 }");
    let at_zero = p.iter().filter(|v| **v == 0.0).count() as f64 / n;
    let at_one = p.iter().filter(|v| **v == 1.0).count() as f64 / n;
    assert!(
        (0.1..0.2).contains(&at_zero) && (0.1..0.2).contains(&at_one),
        "{at_zero} {at_one}"
    );
}

#[test]
fn header_values_a_recipe_needs_are_reported_when_missing() {
    let (path, image) = fixture("rgb_secondary_capture");
    let header = Pipeline::new(Recipe {
        normalize: Normalize::Window {
            window: WindowSpec::Header,
        },
        ..recipe("")
    })
    .unwrap();
    let e = header.process(&path, &image).unwrap_err();
    assert!(
        matches!(e.kind(), ErrorKind::MissingAttribute(a) if a.keyword == "WindowCenter"),
        "{e}"
    );
    assert!(e.to_string().starts_with(&path));

    let spacing = Pipeline::new(recipe("resample = { spacing = [1.0, 1.0] }")).unwrap();
    let e = spacing.process(&path, &image).unwrap_err();
    assert!(
        matches!(e.kind(), ErrorKind::MissingAttribute(a) if a.keyword == "PixelSpacing"),
        "{e}"
    );
}

#[test]
fn colour_frames_become_bt601_luma() {
    let (path, image) = fixture("rgb_secondary_capture");
    let p = Pipeline::new(recipe("output = { images = \"npy\" }")).unwrap();
    let grey = output_f32(&p.process(&path, &image).unwrap()[0]).clone();
    assert_eq!(grey.dim(), (image.rows as usize, image.cols as usize));
    for (g, rgb) in grey.iter().zip(image.pixels.chunks_exact(3)) {
        let want = 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2];
        assert!((g - want).abs() < 1e-3);
    }
}

#[test]
fn xray_224_writes_a_padded_8_bit_square() {
    let (path, image) = fixture("mono1_xray");
    let p = Pipeline::new(Recipe::preset("xray-224").unwrap()).unwrap();
    let result = &p.process(&path, &image).unwrap()[0];
    match &result.image {
        Some(OutputImage::U8(a)) => assert_eq!(a.dim(), (224, 224)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn integer_output_dtypes_scale_the_unit_range() {
    let (path, image) = fixture("ct_slice");
    let p = Pipeline::new(recipe(
        "normalize = { mode = \"window\", window = \"ct-soft-tissue\" }\noutput = { images = \"png\", dtype = \"u16\" }",
    ))
    .unwrap();
    let Some(OutputImage::U16(a)) = &p.process(&path, &image).unwrap()[0].image else {
        panic!("expected u16");
    };
    for (got, hu) in a.iter().zip(&image.pixels) {
        let x = ((f64::from(*hu) + 160.0) / 400.0).clamp(0.0, 1.0);
        assert!((f64::from(*got) - x * 65535.0).abs() <= 0.5 + 65535.0 * 1e-6);
    }
}

#[test]
fn a_map_listed_twice_is_refused() {
    let e = Pipeline::new(recipe(
        "maps = [{ kind = \"log\", sigma = 1.0 }, { kind = \"log\", sigma = 1.0 }]",
    ))
    .unwrap_err();
    assert!(e.to_string().contains("\"log_s1\" appears twice"), "{e}");
}

#[test]
fn the_resampled_size_is_bounded_by_the_pipelines_limits() {
    let (path, image) = fixture("ct_slice");
    let sized = || Pipeline::new(recipe("resample = { size = [200, 300] }")).unwrap();
    let limit = |max_samples| Limits { max_samples };
    let e = sized()
        .with_limits(limit(200 * 300 - 1))
        .process(&path, &image)
        .unwrap_err();
    assert_eq!(e.kind().label(), "too_large", "{e}");
    let results = sized()
        .with_limits(limit(200 * 300))
        .process(&path, &image)
        .expect("exactly at the limit");
    assert_eq!(results.len(), 1);
}

#[test]
fn a_resampled_size_beyond_the_limits_is_an_error_not_an_allocation() {
    let (path, image) = fixture("ct_slice");
    let p = Pipeline::new(recipe("resample = { spacing = [0.0001, 0.0001] }")).unwrap();
    let e = p.process(&path, &image).unwrap_err();
    assert_eq!(e.kind().label(), "too_large", "{e}");
}

#[test]
fn device_names_are_auto_cpu_and_gpu() {
    let choice = |name: &str| name.parse::<DeviceChoice>();
    assert_eq!(
        ["auto", "cpu", "gpu"].map(|n| choice(n).unwrap()),
        DeviceChoice::ALL
    );
    assert!(DeviceChoice::ALL
        .iter()
        .all(|c| choice(&c.to_string()) == Ok(*c)));
    let (device, line) = choice("cpu").unwrap().open().unwrap();
    assert_eq!((device.name(), line.as_str()), ("cpu", "device cpu"));
    assert!(!device.batches());
    assert_eq!(
        choice("tpu").unwrap_err(),
        DeviceError::UnknownName("tpu".into())
    );
    let (device, line) = choice("auto").unwrap().open().unwrap();
    assert!(
        line.starts_with(&format!("device auto: {}", device.name())),
        "{line}"
    );
    let pipeline = Pipeline::new(Recipe::preset("ct-standard").unwrap()).unwrap();
    assert_eq!(pipeline.device().name(), "cpu");
}

#[test]
fn a_batch_on_the_cpu_is_process_per_image() {
    let pipeline = Pipeline::new(Recipe::preset("ct-standard").unwrap()).unwrap();
    let (path, image) = fixture("ct_slice");
    let mut no_spacing = image.clone();
    no_spacing.meta.geometry.pixel_spacing = None;
    let results = pipeline.process_batch(&[(&path, &image), ("bad", &no_spacing), (&path, &image)]);
    // Bit for bit (features include NaN).
    let bits = |r: &Result<Vec<FrameResult>, Error>| -> Vec<u64> {
        r.as_ref().unwrap()[0]
            .features
            .iter()
            .map(|v| v.to_bits())
            .collect()
    };
    let want = Ok(pipeline.process(&path, &image).unwrap());
    assert_eq!(bits(&results[0]), bits(&want));
    assert_eq!(bits(&results[2]), bits(&want));
    let error = results[1].as_ref().unwrap_err();
    assert_eq!(error.input(), "bad");
    assert!(
        matches!(error.kind(), ErrorKind::MissingAttribute(_)),
        "{error}"
    );
}

#[test]
fn every_feature_column_is_traced_to_its_ibsi_definition() {
    let pipeline = Pipeline::new(Recipe::preset("radiomics-ibsi").unwrap()).unwrap();
    let columns = pipeline.feature_columns();
    let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, pipeline.feature_names());
    let entropy = columns
        .iter()
        .find(|c| c.name == "original_entropy")
        .unwrap();
    assert_eq!(entropy.feature.symbol, "ih.entropy");
    let joint_max = columns
        .iter()
        .find(|c| c.name == "original_glcm_joint_max")
        .unwrap();
    assert_eq!(joint_max.feature.code, "GYBY");
    assert_eq!(
        joint_max.aggregation.map(|a| a.ibsi_name()),
        Some("2D, averaged")
    );
}
