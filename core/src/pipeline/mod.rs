//! A recipe made runnable: normalise → resample → feature maps → statistics, per frame.
//!
//! [`Pipeline::new`] resolves everything that does not depend on the image once
//! (kernel banks, Gabor kernels, feature column names); [`Pipeline::process`] then runs
//! one decoded [`Image`] and returns one [`FrameResult`] per frame. The work inside a
//! frame runs on rayon; results do not depend on the number of threads.
//!
//! [`Pipeline::with_device`] with [`Device::Gpu`] runs the stages that have a GPU twin on
//! the GPU, per frame: the window (when the recipe normalises with one), resampling
//! (unless it anti-aliases, which runs on the CPU) and the Gaussian, LoG, Sobel, Gabor and
//! kernel maps. Other normalisations and every statistic run on the CPU. The
//! features agree with the CPU's within the GPU stages' tolerances (see `docs/gpu.md`),
//! not bit for bit. A GPU failure (device lost, an image too large for the device) fails
//! that image with [`ErrorKind::Pipeline`]: a silent switch to the CPU would make the
//! device behind a row unknowable.
//!
//! [`Pipeline::process_batch`] runs many images; on [`Device::Gpu`] it keeps batches of
//! frames on the device from the upload of their stored samples to the readback of
//! their statistics (see `docs/gpu.md`).
//!
//! ```
//! use medprep::{DicomFile, Frames, Limits, Pipeline, Recipe};
//!
//! let pipeline = Pipeline::new(Recipe::preset("ct-standard")?)?;
//! let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/ct_slice.dcm");
//! let image = DicomFile::open(path)?.image(Frames::All, &Limits::default())?;
//! let frames = pipeline.process(path, &image)?;
//! assert_eq!(frames[0].features.len(), pipeline.feature_names().len());
//! assert_eq!(pipeline.feature_names()[0], "original_mean");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#[cfg(feature = "gpu")]
mod batch;
mod device;
mod maps;
mod normalize;
mod output;

use ndarray::{Array2, ArrayView2, CowArray, Ix2};
use rayon::prelude::*;

use crate::cpu::stats::provenance::{self, FeatureColumn};
use crate::cpu::{filters, resample, stats};
use crate::error::{Error, ErrorKind};
#[cfg(feature = "gpu")]
use crate::gpu;
#[cfg(feature = "gpu")]
use crate::recipe::Normalize;
use crate::recipe::{Family, Recipe, RecipeError};
use crate::Image;

pub use device::{Device, DeviceChoice, DeviceError};
pub use output::OutputImage;

/// The result of one frame.
#[derive(Debug, Clone, PartialEq)]
pub struct FrameResult {
    /// Zero-based frame index within the image.
    pub frame: u32,
    /// Feature values in [`Pipeline::feature_names`] order.
    pub features: Vec<f64>,
    /// The preprocessed image, when the recipe writes images.
    pub image: Option<OutputImage>,
    /// Pixel spacing of the preprocessed image in mm, when the input had one.
    pub spacing: Option<[f64; 2]>,
}

/// A recipe ready to run on a [`Device`].
#[derive(Debug)]
pub struct Pipeline {
    recipe: Recipe,
    device: Device,
    maps: maps::MapPlan,
    feature_names: Vec<String>,
    limits: crate::Limits,
}

impl Pipeline {
    /// Prepares `recipe` for the CPU: loads kernel banks and builds Gabor kernels.
    pub fn new(recipe: Recipe) -> Result<Self, RecipeError> {
        Self::with_device(recipe, Device::Cpu)
    }

    /// Prepares `recipe` for `device` (see the module documentation for what runs where).
    pub fn with_device(recipe: Recipe, device: Device) -> Result<Self, RecipeError> {
        if recipe.series.is_some() {
            return Err(RecipeError::Invalid(format!(
                "recipe {:?} is a series-mode recipe: it measures whole scans with their \
                 masks (`medprep run` on the series' folder), not single images",
                recipe.name
            )));
        }
        let maps = maps::MapPlan::new(&recipe.maps)?;
        let stat_names: Vec<&str> = recipe
            .features
            .families
            .iter()
            .flat_map(|family| family_names(*family).iter().copied())
            .collect();
        let feature_names = maps
            .names()
            .iter()
            .flat_map(|map| stat_names.iter().map(move |stat| format!("{map}_{stat}")))
            .collect();
        Ok(Self {
            limits: crate::Limits::default(),
            recipe,
            device,
            maps,
            feature_names,
        })
    }

    /// The same pipeline with other size limits: a resampled image is bounded by
    /// [`crate::Limits::max_samples`] like a decoded one ([`crate::Limits::default`]
    /// otherwise).
    pub fn with_limits(mut self, limits: crate::Limits) -> Self {
        self.limits = limits;
        self
    }

    /// The same pipeline on `device` (what is prepared does not depend on the device).
    pub fn on_device(self, device: Device) -> Self {
        Self { device, ..self }
    }

    /// The size limits of this pipeline, which its inputs are decoded under too.
    pub fn limits(&self) -> &crate::Limits {
        &self.limits
    }

    /// The recipe this pipeline runs.
    pub fn recipe(&self) -> &Recipe {
        &self.recipe
    }

    /// Where this pipeline computes.
    pub fn device(&self) -> &Device {
        &self.device
    }

    /// Feature column names, `<map>_<statistic>`, in output order.
    pub fn feature_names(&self) -> &[String] {
        &self.feature_names
    }

    /// The feature columns with their IBSI provenance, in [`Pipeline::feature_names`]
    /// order. GLCM features of a slice are IBSI's "2D, averaged".
    pub fn feature_columns(&self) -> Vec<FeatureColumn> {
        let mut columns = Vec::with_capacity(self.feature_names.len());
        for map in self.maps.names() {
            for &family in &self.recipe.features.families {
                let (ibsi, aggregation) = match family {
                    Family::FirstOrder => (&provenance::FIRST_ORDER, None),
                    Family::Histogram => (&provenance::INTENSITY_HISTOGRAM, None),
                    Family::Glcm => (&provenance::GLCM, Some(stats::Aggregation::TwoDAveraged)),
                };
                for &stat in family_names(family) {
                    if let Some(feature) = ibsi.feature(stat) {
                        columns.push(FeatureColumn {
                            name: format!("{map}_{stat}"),
                            map: map.clone(),
                            family: ibsi,
                            feature,
                            aggregation,
                        });
                    }
                }
            }
        }
        columns
    }

    /// Frames [`Pipeline::process_batch`] keeps on the device at once at most.
    ///
    /// 64 fills a modern GPU (a 358 × 358 map is 500 dispatch groups of 256, so one frame
    /// alone leaves most of a large GPU idle between its stages) while the batch's device
    /// memory stays modest: for 512 × 512 int16 slices resampled to 358 × 358 with 8 maps,
    /// the one upload holds 64 × 512² × 2 B = 32 MiB, and each frame's working set
    /// (normalised 1 MiB, resampled 0.5 MiB, 8 maps 3.9 MiB, scratch 1.5 MiB) is reused
    /// by the next frame once its statistics are recorded (see `docs/gpu.md`).
    pub const GPU_BATCH_FRAMES: usize = 64;

    /// [`Pipeline::process`] of many images: one result per input, in order, each what
    /// `process` gives it.
    ///
    /// On [`Device::Cpu`] this is `process` per image. On [`Device::Gpu`] the frames whose
    /// recipe parts all have a GPU twin go to the device in batches of up to
    /// [`Pipeline::GPU_BATCH_FRAMES`]: one upload of their stored integer samples, every
    /// stage recorded in one command encoder, one readback. Other images (normalisation
    /// other than a window, anti-aliased resampling, GLCM statistics, colour frames, values that are not integers of at most 32 bits under
    /// the identity or the header's rescale, frames beyond one storage binding) run
    /// through `process`. An image's error
    /// (such as a missing pixel spacing) fails only that image; a device failure fails
    /// the images of its batch with the GPU's message.
    pub fn process_batch(&self, images: &[(&str, &Image)]) -> Vec<Result<Vec<FrameResult>, Error>> {
        #[cfg(feature = "gpu")]
        if let Some(ctx) = self.device.context() {
            return batch::process(self, ctx, images);
        }
        images
            .iter()
            .map(|(input, image)| self.process(input, image))
            .collect()
    }

    /// Runs every frame of `image`; `input` names it in errors.
    pub fn process(&self, input: &str, image: &Image) -> Result<Vec<FrameResult>, Error> {
        (0..image.frames)
            .map(|frame| {
                self.process_frame(image, frame)
                    .map_err(|kind| Error::new(input, kind))
            })
            .collect()
    }

    fn process_frame(&self, image: &Image, frame: u32) -> Result<FrameResult, ErrorKind> {
        let rows = image.rows as usize;
        let cols = image.cols as usize;
        let samples = image.frame(frame).ok_or(ErrorKind::FrameOutOfRange {
            frame,
            frames: image.frames,
        })?;
        let mut values = normalize::grey(samples, usize::from(image.samples_per_pixel));
        self.normalize(&mut values, image)?;
        let normalised = Array2::from_shape_vec((rows, cols), values)
            .map_err(|e| ErrorKind::Pipeline(format!("frame shape: {e}")))?;
        let spacing = image.meta.geometry.pixel_spacing;
        let (resampled, spacing) = self.resample(normalised, spacing)?;
        let maps = self.maps(resampled.view())?;
        let features = self.statistics(&maps)?;
        let image = output::image(&self.recipe.output, resampled.view());
        Ok(FrameResult {
            frame,
            features,
            image,
            spacing,
        })
    }

    fn normalize(&self, values: &mut [f32], image: &Image) -> Result<(), ErrorKind> {
        #[cfg(feature = "gpu")]
        if let (Some(ctx), Normalize::Window { window }) =
            (self.device.context(), &self.recipe.normalize)
        {
            let window = normalize::resolve(window, image)?;
            let invert = normalize::inverted(image);
            let windowed = gpu::window::window(ctx, values, &window, invert).map_err(gpu_error)?;
            if windowed.len() != values.len() {
                return Err(ErrorKind::Pipeline(format!(
                    "GPU: the window returned {} values for {}",
                    windowed.len(),
                    values.len()
                )));
            }
            values.copy_from_slice(&windowed);
            return Ok(());
        }
        normalize::apply(&self.recipe.normalize, values, image)
    }

    fn maps<'a>(
        &self,
        image: ArrayView2<'a, f32>,
    ) -> Result<Vec<CowArray<'a, f32, Ix2>>, ErrorKind> {
        #[cfg(feature = "gpu")]
        if let Some(ctx) = self.device.context() {
            return self.maps.compute_on(ctx, image).map_err(gpu_error);
        }
        Ok(self.maps.compute(image))
    }

    /// The resampling grid of a `size` image with `spacing`, and whether it anti-aliases;
    /// `None` when the recipe does not resample.
    fn grid(
        &self,
        size: [usize; 2],
        spacing: Option<[f64; 2]>,
    ) -> Result<Option<(resample::Grid, bool)>, ErrorKind> {
        let Some(recipe) = &self.recipe.resample else {
            return Ok(None);
        };
        let grid = match (recipe.spacing, recipe.size) {
            (Some(target), _) => {
                let input = spacing.ok_or(ErrorKind::MissingAttribute(
                    crate::decode::attributes::PIXEL_SPACING,
                ))?;
                resample::Grid::to_spacing(size, input, target)
            }
            (None, Some(target)) => {
                // Only the aspect ratio matters here: square pixels when the header is silent.
                let input = spacing.unwrap_or([1.0, 1.0]);
                match recipe.keep_aspect {
                    Some(fit) => {
                        resample::Grid::to_size_keep_aspect(size, input, target, fit, recipe.fill)
                    }
                    None => resample::Grid::to_size(size, input, target),
                }
            }
            (None, None) => {
                return Err(ErrorKind::Pipeline(
                    "resample has neither spacing nor size".into(),
                ))
            }
        };
        // A tiny target spacing could ask for any size: bound it like a decoded image.
        let samples = (grid.size[0] as u64).saturating_mul(grid.size[1] as u64);
        self.limits.check_samples(samples)?;
        let sigma = resample::antialias_sigma(grid.step);
        let antialias = recipe.antialias && sigma.iter().any(|s| *s > 0.0);
        Ok(Some((grid, antialias)))
    }

    fn resample(
        &self,
        image: Array2<f32>,
        spacing: Option<[f64; 2]>,
    ) -> Result<(Array2<f32>, Option<[f64; 2]>), ErrorKind> {
        let size = [image.nrows(), image.ncols()];
        let (Some((grid, antialias)), Some(recipe)) =
            (self.grid(size, spacing)?, &self.recipe.resample)
        else {
            return Ok((image, spacing));
        };
        let sigma = resample::antialias_sigma(grid.step);
        #[cfg(feature = "gpu")]
        if let (Some(ctx), false) = (self.device.context(), antialias) {
            let out = gpu::resample::resample(ctx, image.view(), &grid, recipe.interpolator)
                .map_err(gpu_error)?;
            return Ok((out, spacing.map(|s| grid.output_spacing(s))));
        }
        let prefiltered = antialias.then(|| filters::gaussian(image.view(), sigma));
        let source = prefiltered.as_ref().unwrap_or(&image);
        let out = resample::resample(source.view(), &grid, recipe.interpolator);
        Ok((out, spacing.map(|s| grid.output_spacing(s))))
    }

    fn statistics(&self, maps: &[CowArray<'_, f32, Ix2>]) -> Result<Vec<f64>, ErrorKind> {
        let features = &self.recipe.features;
        let per_map: Vec<Result<Vec<f64>, stats::StatsError>> = maps
            .par_iter()
            .map(|map| {
                // First-order and histogram statistics share their reads of the map.
                let asked = |f| features.families.contains(&f);
                let shared = if asked(Family::FirstOrder) && asked(Family::Histogram) {
                    let values = map.view().into_dyn();
                    Some(stats::with_histogram(
                        values,
                        None,
                        Some(features.discretisation),
                    )?)
                } else {
                    None
                };
                let mut out = Vec::new();
                for family in &features.families {
                    let values = match (&shared, family) {
                        (Some((first, _)), Family::FirstOrder) => first.clone(),
                        (Some((_, Some(hist))), Family::Histogram) => hist.clone(),
                        _ => map_statistics(map.view(), *family, features.discretisation)?,
                    };
                    out.extend(values.into_iter().map(|(_, v)| v));
                }
                Ok(out)
            })
            .collect();
        let mut all = Vec::with_capacity(self.feature_names.len());
        for values in per_map {
            all.extend(values.map_err(|e| ErrorKind::Pipeline(format!("statistics: {e}")))?);
        }
        Ok(all)
    }
}

/// A GPU failure fails the image, naming the GPU.
#[cfg(feature = "gpu")]
fn gpu_error(error: gpu::GpuError) -> ErrorKind {
    ErrorKind::Pipeline(format!("GPU: {error}"))
}

fn family_names(family: Family) -> &'static [&'static str] {
    match family {
        Family::FirstOrder => stats::FIRST_ORDER_NAMES,
        Family::Histogram => stats::HISTOGRAM_NAMES,
        Family::Glcm => stats::GLCM_NAMES,
    }
}

fn map_statistics(
    map: ArrayView2<'_, f32>,
    family: Family,
    discretisation: stats::Discretisation,
) -> Result<Vec<(&'static str, f64)>, stats::StatsError> {
    let values = map.into_dyn();
    match family {
        Family::FirstOrder => stats::first_order(values, None),
        Family::Histogram => stats::histogram(values, None, discretisation),
        Family::Glcm => stats::glcm(values, None, discretisation),
    }
}

#[cfg(test)]
mod tests;
