//! Every preset recipe, and recipes that use what the presets leave out, run on small
//! images whose size, pixel spacing, window, colour
//! and pixel values come from the input: the numeric stages after decoding
//! (normalisation, resampling, filter maps, statistics, output images) on the values a
//! hostile header can bring, such as a spacing of 1e-300 mm or 1e300 mm, a window of
//! width 1e-300, or a rescale that overflows f32 to infinity. `Image`'s fields are
//! public, so the target also passes what a header cannot (NaN or negative spacing,
//! fewer pixels than the size says). Errors are expected; a panic is a finding.
//!
//! Input layout: byte 0 picks the recipe, bytes 1 and 2 give rows and columns (1 to
//! 48), byte 3 holds flags, then pixel spacing, window centre and width as eight
//! little-endian f64s each, then the pixel values (f32 bits or i16, by a flag), cycled
//! when the input holds fewer than the image needs.

#![no_main]

use libfuzzer_sys::fuzz_target;
use medprep::{recipe::presets, DicomFile, Frames, Image, Limits, Pipeline, Recipe};
use std::sync::OnceLock;

/// The resampled image may hold at most this many samples, so a tiny target spacing
/// is refused by the limit rather than exhausting the fuzzer's memory.
const LIMITS: Limits = Limits {
    max_samples: 1 << 16,
};

/// Recipes for what no preset uses: the other normalisations and interpolators,
/// resizing with padding and cropping, anti-aliasing, Gabor banks, the scale-normalised
/// LoG, bin widths, no discretisation, and every output image type.
const MORE_RECIPES: [&str; 4] = [
    r#"
name = "zscore-pad"
[normalize]
mode = "zscore"
[resample]
size = [40, 24]
keep_aspect = "pad"
fill = -1.0
interpolator = "lanczos3"
antialias = true
[[maps]]
kind = "gabor"
orientations = 3
wavelengths = [4.0, 9.5]
[[maps]]
kind = "log"
sigma = 0.5
normalised = true
[features]
families = ["first-order", "histogram", "glcm"]
discretisation = { bin-width = 0.1 }
[output]
images = "png"
dtype = "u8"
"#,
    r#"
name = "min-max-crop"
[normalize]
mode = "min-max"
[resample]
size = [20, 30]
keep_aspect = "crop"
interpolator = "nearest"
[[maps]]
kind = "original"
[[maps]]
kind = "sobel"
[features]
families = ["first-order"]
discretisation = "none"
[output]
images = "npy"
dtype = "u16"
"#,
    r#"
name = "percentile-cubic"
[normalize]
mode = "percentile-clip"
p_lo = 1.0
p_hi = 99.0
[resample]
spacing = [0.5, 2.0]
interpolator = "cubic"
antialias = true
[[maps]]
kind = "gaussian"
sigma = 0.3
[features]
families = ["first-order", "histogram", "glcm"]
discretisation = { bins = 8 }
[output]
images = "npy"
dtype = "f32"
"#,
    r#"
name = "header-window"
[normalize]
mode = "window"
window = "header"
[output]
images = "png"
dtype = "u16"
"#,
];

const HEADER_BYTES: usize = 4 + 4 * 8;

const RGB: u8 = 1;
const MONOCHROME1: u8 = 1 << 1;
const NO_SPACING: u8 = 1 << 2;
const TWO_FRAMES: u8 = 1 << 3;
const NO_WINDOW: u8 = 1 << 4;
const FLOAT_PIXELS: u8 = 1 << 5;
const TOO_FEW_PIXELS: u8 = 1 << 6;

struct Setup {
    pipelines: Vec<Pipeline>,
    template: Image,
}

fn setup() -> &'static Setup {
    static SETUP: OnceLock<Setup> = OnceLock::new();
    SETUP.get_or_init(|| {
        // One worker thread: the same input always takes the same path.
        std::env::set_var("RAYON_NUM_THREADS", "1");
        let recipes = presets::NAMES
            .iter()
            .map(|name| Recipe::preset(name))
            .chain(MORE_RECIPES.iter().map(|text| Recipe::from_toml_str(text)));
        let pipelines = recipes
            .map(|recipe| {
                Pipeline::new(recipe.expect("the recipes parse"))
                    .expect("the recipes build")
                    .with_limits(LIMITS)
            })
            .collect();
        let fixture = include_bytes!("../../fixtures/ct_slice.dcm");
        let mut template = DicomFile::from_vec("ct_slice.dcm", fixture.to_vec())
            .and_then(|file| file.image(Frames::All, &Limits::default()))
            .expect("the fixture decodes");
        // Only its metadata is wanted: every input brings its own pixels.
        template.pixels = Vec::new();
        Setup {
            pipelines,
            template,
        }
    })
}

fn f64_at(data: &[u8], at: usize) -> f64 {
    f64::from_le_bytes(data[at..at + 8].try_into().unwrap())
}

fuzz_target!(|data: &[u8]| {
    if data.len() < HEADER_BYTES {
        return;
    }
    let setup = setup();
    let flags = data[3];
    let samples_per_pixel: u16 = if flags & RGB != 0 { 3 } else { 1 };
    let mut image = setup.template.clone();
    image.rows = u32::from(data[1] % 48) + 1;
    image.cols = u32::from(data[2] % 48) + 1;
    image.frames = if flags & TWO_FRAMES != 0 { 2 } else { 1 };
    image.samples_per_pixel = samples_per_pixel;
    image.photometric = match (samples_per_pixel, flags & MONOCHROME1 != 0) {
        (3, _) => "RGB",
        (_, true) => "MONOCHROME1",
        (_, false) => "MONOCHROME2",
    }
    .to_owned();
    image.meta.rows = image.rows;
    image.meta.cols = image.cols;
    image.meta.frames = image.frames;
    image.meta.samples_per_pixel = samples_per_pixel;
    image.meta.geometry.pixel_spacing =
        (flags & NO_SPACING == 0).then(|| [f64_at(data, 4), f64_at(data, 12)]);
    (image.meta.window_center, image.meta.window_width) = if flags & NO_WINDOW != 0 {
        (Vec::new(), Vec::new())
    } else {
        (vec![f64_at(data, 20)], vec![f64_at(data, 28)])
    };

    let values = &data[HEADER_BYTES..];
    let wanted = image.frames as usize * image.frame_len();
    let count = if flags & TOO_FEW_PIXELS != 0 {
        wanted / 2
    } else {
        wanted
    };
    image.pixels = if values.len() < 4 {
        vec![0.0; count]
    } else if flags & FLOAT_PIXELS != 0 {
        values
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
            .cycle()
            .take(count)
            .collect()
    } else {
        values
            .chunks_exact(2)
            .map(|b| f32::from(i16::from_le_bytes([b[0], b[1]])))
            .cycle()
            .take(count)
            .collect()
    };

    let pipeline = &setup.pipelines[usize::from(data[0]) % setup.pipelines.len()];
    let _ = pipeline.process("fuzz.dcm", &image);
});
