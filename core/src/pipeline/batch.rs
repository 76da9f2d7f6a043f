//! The batched device path of [`Pipeline::process_batch`]: frames stay on the GPU from
//! upload to features.
//!
//! Each image is first checked on the host, in the order `process` checks it (frame,
//! window, resampling grid), so an image's error is the one `process` gives and fails
//! only that image. Frames whose every stage has a GPU twin are then taken up to
//! [`Pipeline::GPU_BATCH_FRAMES`] at a time (fewer when their samples would exceed one
//! storage binding): their stored integer samples are packed, word-aligned per frame,
//! into one upload; per frame, modality rescale and window, resampling and the maps are
//! recorded in the batch's one command encoder, each frame's maps contiguous in one slot;
//! then each frame's statistics (`gpu::stats::record_statistics`), after which its maps'
//! memory serves the next frame; then one readback of the statistics' partials (and the
//! resampled images when the recipe writes images), which the host finishes in f64.
//! Images with a stage that has no GPU twin run through [`Pipeline::process`], and so
//! does a frame whose statistics the device cannot finish (sums beyond f32's range).

use ndarray::Array2;
use rayon::prelude::*;

use super::{normalize, output, FrameResult, Pipeline};
use crate::cpu::resample::Grid;
use crate::cpu::stats::Discretisation;
use crate::error::{Error, ErrorKind};
use crate::gpu::resample::record_resample;
use crate::gpu::stats::batch::{record_statistics, PendingStatistics};
use crate::gpu::stats::MAX_GPU_BINS;
use crate::gpu::window::{record_modality_window, StoredFormat};
use crate::gpu::{GpuContext, GpuError};
use crate::recipe::{Family, Normalize};
use crate::{Image, Rescale, Window};

/// One frame checked for the device.
#[derive(Debug)]
struct Frame<'a> {
    /// Index of its image in the batch's input.
    input: usize,
    image: &'a Image,
    frame: u32,
    values: &'a [f32],
    /// Rows and columns.
    shape: [usize; 2],
    /// How `values` are stored as integers, and the rescale back to them.
    stored: Stored,
    window: Window,
    invert: bool,
    /// The resampling grid, when the recipe resamples.
    grid: Option<Grid>,
    /// Pixel spacing of the output.
    spacing: Option<[f64; 2]>,
}

/// Integers that give a frame's values back exactly through `rescale`, as the modality
/// LUT does: `value = f32(stored * slope + intercept)` (identity without a rescale).
#[derive(Debug, Clone, Copy)]
struct Stored {
    format: StoredFormat,
    rescale: Option<Rescale>,
}

/// Where an image goes.
#[derive(Debug)]
enum Plan<'a> {
    /// Every frame to the device.
    Device(Vec<Frame<'a>>),
    /// Through [`Pipeline::process`].
    Process,
    /// This error, the one `process` gives.
    Failed(ErrorKind),
}

/// What a frame's stages left for the batch's readback.
#[derive(Debug)]
struct Recorded {
    statistics: PendingStatistics,
    /// Words of the statistics' partials, then of the image when the recipe writes one.
    words: usize,
    shape: [usize; 2],
}

/// [`Pipeline::process_batch`] on `ctx`.
pub(super) fn process(
    pipeline: &Pipeline,
    ctx: &GpuContext,
    images: &[(&str, &Image)],
) -> Vec<Result<Vec<FrameResult>, Error>> {
    let mut results: Vec<Option<Result<Vec<FrameResult>, Error>>> =
        images.iter().map(|_| None).collect();
    let mut frames = Vec::new();
    let max_binding = ctx.max_binding_bytes();
    // Planning reads every value (the stored integers): one image per task.
    let plans: Vec<Plan<'_>> = if on_device(pipeline) {
        images
            .par_iter()
            .enumerate()
            .map(|(index, (_, image))| plan(pipeline, index, image, max_binding))
            .collect()
    } else {
        images.iter().map(|_| Plan::Process).collect()
    };
    for (index, ((input, image), plan)) in images.iter().zip(plans).enumerate() {
        match plan {
            Plan::Device(planned) => frames.extend(planned),
            Plan::Process => results[index] = Some(pipeline.process(input, image)),
            Plan::Failed(kind) => results[index] = Some(Err(Error::new(*input, kind))),
        }
    }
    let mut done: Vec<Vec<Result<FrameResult, ErrorKind>>> =
        images.iter().map(|_| Vec::new()).collect();
    for batch in batches(&frames, max_binding) {
        match run(pipeline, ctx, batch) {
            Ok(outcomes) => {
                for (frame, outcome) in batch.iter().zip(outcomes) {
                    done[frame.input].push(outcome);
                }
            }
            Err(e) => {
                for frame in batch {
                    done[frame.input].push(Err(ErrorKind::Pipeline(format!(
                        "GPU: {e} (in a batch of {} frames)",
                        batch.len()
                    ))));
                }
            }
        }
    }
    results
        .into_iter()
        .zip(done)
        .zip(images)
        .map(|((result, outcomes), (input, _))| {
            result.unwrap_or_else(|| {
                outcomes
                    .into_iter()
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|kind| Error::new(*input, kind))
            })
        })
        .collect()
}

/// Whether the recipe's stages all have a GPU twin: a window, resampling (anti-aliasing
/// is decided per frame), original, Gaussian, LoG, Sobel, Gabor and kernel maps
/// (kernels up to 255 × 255), first-order statistics
/// and histograms of at most [`MAX_GPU_BINS`] bins.
fn on_device(pipeline: &Pipeline) -> bool {
    let features = &pipeline.recipe.features;
    let histogram = match features.discretisation {
        Discretisation::Bins(bins) => (1..=MAX_GPU_BINS).contains(&bins),
        _ => false,
    };
    matches!(pipeline.recipe.normalize, Normalize::Window { .. })
        && pipeline.maps.on_device()
        && !features.families.contains(&Family::Glcm)
        && (histogram || !features.families.contains(&Family::Histogram))
}

/// Checks every frame of `image` in the order of `process`. A frame whose buffers would
/// not fit one storage binding of `max_binding` bytes sends its image to `process`, which
/// runs or fails it on its own rather than failing a whole batch.
fn plan<'a>(pipeline: &Pipeline, input: usize, image: &'a Image, max_binding: u64) -> Plan<'a> {
    let Normalize::Window { window } = &pipeline.recipe.normalize else {
        return Plan::Process;
    };
    if image.samples_per_pixel != 1 {
        return Plan::Process;
    }
    let shape = [image.rows as usize, image.cols as usize];
    if shape.contains(&0) {
        return Plan::Process;
    }
    let mut frames = Vec::with_capacity(image.frames as usize);
    for frame in 0..image.frames {
        let Some(values) = image.frame(frame) else {
            return Plan::Failed(ErrorKind::FrameOutOfRange {
                frame,
                frames: image.frames,
            });
        };
        let window = match normalize::resolve(window, image) {
            Ok(window) => window,
            Err(kind) => return Plan::Failed(kind),
        };
        let input_spacing = image.meta.geometry.pixel_spacing;
        let (grid, spacing) = match pipeline.grid(shape, input_spacing) {
            Err(kind) => return Plan::Failed(kind),
            Ok(None) => (None, input_spacing),
            Ok(Some((_, true))) => return Plan::Process,
            Ok(Some((grid, false))) => {
                if grid.size.contains(&0) {
                    return Plan::Process;
                }
                let spacing = input_spacing.map(|s| grid.output_spacing(s));
                (Some(grid), spacing)
            }
        };
        let out = grid.as_ref().map_or(shape, |g| g.size);
        let maps = pipeline.maps.names().len().max(1) as u64;
        let largest = (values.len() as u64).max(out[0] as u64 * out[1] as u64 * maps) * 4;
        if largest > max_binding {
            return Plan::Process;
        }
        let Some(stored) = stored(values, image.meta.rescale) else {
            return Plan::Process;
        };
        frames.push(Frame {
            input,
            image,
            frame,
            values,
            shape,
            stored,
            window,
            invert: normalize::inverted(image),
            grid,
            spacing,
        });
    }
    Plan::Device(frames)
}

/// The narrowest integers that give `values` back exactly: the values themselves when
/// they are integers, else the header's rescale inverted; `None` when neither does.
fn stored(values: &[f32], rescale: Option<Rescale>) -> Option<Stored> {
    let integers = |rescale: Option<Rescale>| {
        let mut range = (f64::INFINITY, f64::NEG_INFINITY);
        for &v in values {
            let s = to_stored(v, rescale);
            if from_stored(s, rescale) != v {
                return None;
            }
            range = (range.0.min(s), range.1.max(s));
        }
        format_of(range).map(|format| Stored { format, rescale })
    };
    integers(None).or_else(|| {
        rescale
            .filter(|r| r.slope != 0.0 && r.slope.is_finite() && r.intercept.is_finite())
            .and_then(|r| integers(Some(r)))
    })
}

/// The integer that `v` is stored as under `rescale`.
fn to_stored(v: f32, rescale: Option<Rescale>) -> f64 {
    match rescale {
        None => f64::from(v).round(),
        Some(Rescale { slope, intercept }) => ((f64::from(v) - intercept) / slope).round(),
    }
}

/// The modality LUT's value of `stored`: f64, rounded once to f32.
fn from_stored(stored: f64, rescale: Option<Rescale>) -> f32 {
    match rescale {
        None => stored as f32,
        Some(Rescale { slope, intercept }) => (stored * slope + intercept) as f32,
    }
}

/// The narrowest packing of integers in `low..=high`; 32-bit ones only up to 2^24, which
/// the shader's f32 conversion keeps exact.
fn format_of((low, high): (f64, f64)) -> Option<StoredFormat> {
    let fits = |min: f64, max: f64| low >= min && high <= max;
    let (bits, signed) = if fits(0.0, 255.0) {
        (8, false)
    } else if fits(-32768.0, 32767.0) {
        (16, true)
    } else if fits(0.0, 65535.0) {
        (16, false)
    } else if fits(-16_777_216.0, 16_777_216.0) {
        (32, true)
    } else {
        return None;
    };
    Some(StoredFormat { bits, signed })
}

/// Writes the stored integers of `frame`, little-endian, into the start of `out` (at
/// least [`packed_bytes`] long; the padding to a whole word is left as it is).
fn pack(frame: &Frame<'_>, out: &mut [u8]) {
    let Stored { format, rescale } = frame.stored;
    let width = format.bits as usize / 8;
    let samples = out.chunks_exact_mut(width).zip(frame.values);
    match (format.bits, format.signed) {
        (8, _) => samples.for_each(|(o, &v)| o[0] = to_stored(v, rescale) as u8),
        (16, true) => samples
            .for_each(|(o, &v)| o.copy_from_slice(&(to_stored(v, rescale) as i16).to_le_bytes())),
        (16, false) => samples
            .for_each(|(o, &v)| o.copy_from_slice(&(to_stored(v, rescale) as u16).to_le_bytes())),
        _ => samples
            .for_each(|(o, &v)| o.copy_from_slice(&(to_stored(v, rescale) as i32).to_le_bytes())),
    }
}

/// The stored samples of `frames` packed one after the other, each from a word boundary,
/// with each frame's first word.
fn pack_all(frames: &[Frame<'_>]) -> (Vec<u8>, Vec<usize>) {
    let sizes: Vec<usize> = frames.iter().map(|f| packed_bytes(f) as usize).collect();
    let mut packed = vec![0u8; sizes.iter().sum()];
    let mut parts = Vec::with_capacity(frames.len());
    let mut bases = Vec::with_capacity(frames.len());
    let mut rest = packed.as_mut_slice();
    let mut base = 0;
    for size in &sizes {
        let (part, tail) = std::mem::take(&mut rest).split_at_mut(*size);
        parts.push(part);
        bases.push(base / 4);
        base += size;
        rest = tail;
    }
    parts
        .into_par_iter()
        .zip(frames)
        .for_each(|(part, frame)| pack(frame, part));
    (packed, bases)
}

/// Bytes of `frame` packed.
fn packed_bytes(frame: &Frame<'_>) -> u64 {
    (frame.values.len() as u64 * u64::from(frame.stored.format.bits) / 8).next_multiple_of(4)
}

/// Consecutive runs of at most [`Pipeline::GPU_BATCH_FRAMES`] frames whose packed samples
/// fit one binding of `max_binding` bytes (a frame alone beyond it is a batch of its own,
/// which fails with the device's limit).
fn batches<'f, 'a>(frames: &'f [Frame<'a>], max_binding: u64) -> Vec<&'f [Frame<'a>]> {
    let mut out = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (i, frame) in frames.iter().enumerate() {
        let size = packed_bytes(frame);
        if i > start && (i - start == Pipeline::GPU_BATCH_FRAMES || bytes + size > max_binding) {
            out.push(&frames[start..i]);
            (start, bytes) = (i, 0);
        }
        bytes += size;
    }
    if start < frames.len() {
        out.push(&frames[start..]);
    }
    out
}

/// Runs one batch on the device: one upload, every stage in one encoder, one readback.
fn run(
    pipeline: &Pipeline,
    ctx: &GpuContext,
    frames: &[Frame<'_>],
) -> Result<Vec<Result<FrameResult, ErrorKind>>, GpuError> {
    let (packed, bases) = pack_all(frames);
    let images = pipeline.recipe.output.images != crate::recipe::ImageFormat::None;
    let map_count = pipeline.maps.names().len();
    let features = &pipeline.recipe.features;
    let (words, recorded) = ctx.run("batch", |job| {
        let samples = job.upload_bytes("stored samples", &packed)?;
        let mut recorded = Vec::with_capacity(frames.len());
        let mut outputs = Vec::new();
        for (frame, base) in frames.iter().zip(bases) {
            let len = frame.shape[0] * frame.shape[1];
            let Stored { format, rescale } = frame.stored;
            let normalised = record_modality_window(
                job,
                &samples,
                base,
                len,
                format,
                rescale,
                &frame.window,
                frame.invert,
            )?;
            let (image, shape) = match (&frame.grid, &pipeline.recipe.resample) {
                (Some(grid), Some(recipe)) => {
                    let resampled =
                        record_resample(job, &normalised, frame.shape, grid, recipe.interpolator)?;
                    job.recycle(normalised);
                    (resampled, grid.size)
                }
                _ => (normalised, frame.shape),
            };
            let map_len = shape[0] * shape[1];
            let maps = pipeline.maps.record(job, &image, shape)?;
            let statistics = record_statistics(
                job,
                &maps,
                map_count,
                map_len,
                &features.families,
                features.discretisation,
            )?;
            // Recorded commands run in order: the next frame may overwrite these.
            job.recycle(maps);
            let mut words: u64 = statistics.slots().iter().map(|s| s.words()).sum();
            if images {
                words += image.words();
                outputs.push(image);
            } else {
                job.recycle(image);
            }
            recorded.push(Recorded {
                statistics,
                words: words as usize,
                shape,
            });
        }
        let mut slots = Vec::new();
        let mut outputs = outputs.iter();
        for r in &recorded {
            slots.extend(r.statistics.slots());
            if images {
                slots.extend(outputs.next());
            }
        }
        let words: Vec<u32> = job.read(&slots)?;
        Ok((words, recorded))
    })?;
    let mut parts = Vec::with_capacity(frames.len());
    let mut rest = words.as_slice();
    for r in &recorded {
        let (part, tail) = rest.split_at_checked(r.words).ok_or(GpuError::Readback {
            stage: "batch",
            message: format!(
                "{} words read back, fewer than the frames need",
                words.len()
            ),
        })?;
        parts.push(part);
        rest = tail;
    }
    Ok(frames
        .par_iter()
        .zip(recorded)
        .zip(parts)
        .map(|((frame, r), part)| finish(pipeline, frame, &r, part, images))
        .collect())
}

/// A frame's result from the words read back: its statistics' partials, then its image.
fn finish(
    pipeline: &Pipeline,
    frame: &Frame<'_>,
    recorded: &Recorded,
    words: &[u32],
    images: bool,
) -> Result<FrameResult, ErrorKind> {
    let [rows, cols] = recorded.shape;
    let image_words = if images { rows * cols } else { 0 };
    let (statistics, image) = words.split_at(words.len().saturating_sub(image_words));
    let per_map = match recorded.statistics.finish(statistics) {
        Ok(per_map) => per_map,
        // The device's sums cannot hold these values: the frame runs as `process` runs it.
        Err(GpuError::Unsupported { .. }) => {
            return pipeline.process_frame(frame.image, frame.frame)
        }
        Err(e) => return Err(ErrorKind::Pipeline(format!("GPU: {e}"))),
    };
    let mut features = Vec::with_capacity(pipeline.feature_names.len());
    for map in per_map {
        features.extend(map.map_err(|e| ErrorKind::Pipeline(format!("statistics: {e}")))?);
    }
    let image = if images {
        let values = image.iter().map(|&w| f32::from_bits(w)).collect();
        let image = Array2::from_shape_vec((rows, cols), values)
            .map_err(|e| ErrorKind::Pipeline(format!("GPU: image shape: {e}")))?;
        output::image(&pipeline.recipe.output, image.view())
    } else {
        None
    };
    Ok(FrameResult {
        frame: frame.frame,
        features,
        image,
        spacing: frame.spacing,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DicomFile, Frames, Limits};

    fn ct_slice() -> Image {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/ct_slice.dcm");
        DicomFile::open(path)
            .and_then(|f| f.image(Frames::All, &Limits::default()))
            .unwrap()
    }

    fn format(bits: u32, signed: bool) -> StoredFormat {
        StoredFormat { bits, signed }
    }

    #[test]
    fn integer_values_are_stored_as_the_narrowest_integers() {
        let cases: [(&[f32], Option<StoredFormat>); 6] = [
            (&[0.0, 17.0, 255.0], Some(format(8, false))),
            (&[-1024.0, 0.0, 3071.0], Some(format(16, true))),
            (&[0.0, 65535.0], Some(format(16, false))),
            (&[-70000.0, 16_777_216.0], Some(format(32, true))),
            (&[16_777_218.0], None),
            (&[f32::NAN], None),
        ];
        for (values, want) in cases {
            let got = stored(values, None).map(|s| s.format);
            assert_eq!(got, want, "{values:?}");
        }
    }

    #[test]
    fn fractional_values_invert_the_header_rescale_exactly() {
        let rescale = Rescale {
            slope: 0.25,
            intercept: -10.0,
        };
        // Stored 0, 1, 2, 1000 through the modality LUT (f64, rounded once).
        let values: Vec<f32> = [0.0, 1.0, 2.0, 1000.0]
            .iter()
            .map(|s: &f64| (s * rescale.slope + rescale.intercept) as f32)
            .collect();
        let got = stored(&values, Some(rescale)).unwrap();
        assert_eq!(got.rescale, Some(rescale));
        assert_eq!(got.format, format(16, true));
        // A value no stored integer gives back.
        assert!(stored(&[values[0], -9.9], Some(rescale)).is_none());
        // Integers need no rescale even when the header has one.
        assert_eq!(stored(&[1.0, 2.0], Some(rescale)).unwrap().rescale, None);
    }

    #[test]
    fn the_ct_fixture_packs_as_its_stored_int16_padded_to_words() {
        let image = ct_slice();
        let frame_at = |at: usize| Frame {
            input: 0,
            image: &image,
            frame: 0,
            values: &image.pixels[at..at + 3],
            shape: [1, 3],
            stored: stored(&image.pixels, image.meta.rescale).unwrap(),
            window: Window {
                center: 40.0,
                width: 400.0,
            },
            invert: false,
            grid: None,
            spacing: None,
        };
        let mut frame = frame_at(0);
        assert_eq!(frame.stored.format, format(16, true));
        // Soft tissue in the middle of the slice, not the uniform air of the corners.
        let mid = 64 * 128 + 60;
        assert!(image.pixels[mid..mid + 8].windows(2).any(|w| w[0] != w[1]));
        let (packed, bases) = pack_all(&[frame_at(mid), frame_at(mid + 5)]);
        let want = |at: usize| -> Vec<u8> {
            image.pixels[at..at + 3]
                .iter()
                .flat_map(|&v| (v as i16).to_le_bytes())
                .chain([0, 0])
                .collect()
        };
        assert_eq!(bases, [0, 2], "each frame from a whole word");
        assert_eq!(packed, [want(mid), want(mid + 5)].concat());
        assert_eq!(packed_bytes(&frame), 8);
        frame.values = &image.pixels[..4];
        assert_eq!(packed_bytes(&frame), 8);
    }

    #[test]
    fn batches_hold_at_most_the_batch_size_and_one_binding() {
        let image = ct_slice();
        let frame = |values| Frame {
            input: 0,
            image: &image,
            frame: 0,
            values,
            shape: [1, 1],
            stored: Stored {
                format: format(16, true),
                rescale: None,
            },
            window: Window {
                center: 0.0,
                width: 1.0,
            },
            invert: false,
            grid: None,
            spacing: None,
        };
        // 130 frames of 8 bytes each.
        let frames: Vec<Frame<'_>> = (0..130).map(|_| frame(&image.pixels[..4])).collect();
        let sizes = |max| {
            batches(&frames, max)
                .iter()
                .map(|b| b.len())
                .collect::<Vec<_>>()
        };
        assert_eq!(sizes(u64::MAX), [64, 64, 2]);
        assert_eq!(sizes(8 * 50), [50, 50, 30]);
        // A frame beyond the binding alone is a batch of its own.
        assert_eq!(sizes(4).len(), 130);
        assert!(batches(&[], 4).is_empty());
    }
}
