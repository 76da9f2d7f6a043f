//! Feature maps of a recipe, planned once and computed per frame.
//!
//! A Gaussian and a Laplacian of Gaussian of the same sigma share their 1-D passes, so
//! the plan groups them into one job; jobs run in parallel and fill their map slots.
//! [`MapPlan::compute_on`] runs the Gaussian, LoG, Sobel, Gabor and kernel jobs on a GPU
//! (the original map is the image itself). [`MapPlan::record`] records every map on the
//! device for the batched path, when all of them have a GPU twin.

use ndarray::{Array2, ArrayView2, CowArray, Ix2};
use rayon::prelude::*;

use crate::column_name::number_label;
use crate::cpu::filters;
#[cfg(feature = "gpu")]
use crate::gpu::{self, GpuContext, GpuError, Slot};
use crate::recipe::{MapSpec, RecipeError};

/// The maps of a recipe: their names and the jobs that compute them.
#[derive(Debug)]
pub(super) struct MapPlan {
    names: Vec<String>,
    jobs: Vec<Job>,
}

/// Maps with the slot each fills.
type Slotted<'a> = Vec<(usize, CowArray<'a, f32, Ix2>)>;

#[derive(Debug)]
enum Job {
    Original {
        slot: usize,
    },
    /// Gaussian and/or LoG maps of one sigma; LoG slots carry the sigma² factor flag.
    GaussianFamily {
        sigma: f64,
        gaussian: Vec<usize>,
        log: Vec<(usize, bool)>,
    },
    Sobel {
        slot: usize,
    },
    Kernel {
        slot: usize,
        kernel: Array2<f32>,
    },
}

impl MapPlan {
    pub(super) fn new(specs: &[MapSpec]) -> Result<Self, RecipeError> {
        let mut plan = Self {
            names: Vec::new(),
            jobs: Vec::new(),
        };
        for spec in specs {
            match spec {
                MapSpec::Original => {
                    let slot = plan.push_name("original".into());
                    plan.jobs.push(Job::Original { slot });
                }
                MapSpec::Gaussian { sigma } => {
                    let slot = plan.push_name(format!("gaussian_s{}", number_label(*sigma)));
                    plan.gaussian_family(*sigma).0.push(slot);
                }
                MapSpec::Log { sigma, normalised } => {
                    let prefix = if *normalised { "log_norm" } else { "log" };
                    let slot = plan.push_name(format!("{prefix}_s{}", number_label(*sigma)));
                    plan.gaussian_family(*sigma).1.push((slot, *normalised));
                }
                MapSpec::Sobel => {
                    let slot = plan.push_name("sobel".into());
                    plan.jobs.push(Job::Sobel { slot });
                }
                MapSpec::Gabor {
                    orientations,
                    wavelengths,
                    sigma_per_wavelength,
                } => {
                    let bank = filters::gabor_bank(
                        *orientations as usize,
                        wavelengths,
                        *sigma_per_wavelength,
                    );
                    for named in bank {
                        let slot = plan.push_name(named.name);
                        let kernel = filters::gabor_kernel(&named.gabor);
                        plan.jobs.push(Job::Kernel { slot, kernel });
                    }
                }
                MapSpec::Kernels { path, name } => {
                    let bank = filters::load_kernel_bank(path)
                        .map_err(|e| RecipeError::Invalid(e.to_string()))?;
                    for (i, kernel) in bank.into_iter().enumerate() {
                        let slot = plan.push_name(format!("{name}_{i}"));
                        plan.jobs.push(Job::Kernel { slot, kernel });
                    }
                }
            }
        }
        if let Some(duplicate) = plan
            .names
            .iter()
            .enumerate()
            .find(|(i, name)| plan.names[..*i].contains(name))
        {
            return Err(RecipeError::Invalid(format!(
                "map {:?} appears twice in `maps`",
                duplicate.1
            )));
        }
        Ok(plan)
    }

    fn push_name(&mut self, name: String) -> usize {
        self.names.push(name);
        self.names.len() - 1
    }

    /// The Gaussian and LoG slot lists of the job for `sigma`, created on first use.
    fn gaussian_family(&mut self, sigma: f64) -> (&mut Vec<usize>, &mut Vec<(usize, bool)>) {
        let index = self
            .jobs
            .iter()
            .position(|job| matches!(job, Job::GaussianFamily { sigma: s, .. } if *s == sigma))
            .unwrap_or_else(|| {
                self.jobs.push(Job::GaussianFamily {
                    sigma,
                    gaussian: Vec::new(),
                    log: Vec::new(),
                });
                self.jobs.len() - 1
            });
        match &mut self.jobs[index] {
            Job::GaussianFamily { gaussian, log, .. } => (gaussian, log),
            _ => unreachable!("position() matched a GaussianFamily job"),
        }
    }

    /// Map names in output order.
    pub(super) fn names(&self) -> &[String] {
        &self.names
    }

    /// Every map of `image`, in [`Self::names`] order.
    pub(super) fn compute<'a>(&self, image: ArrayView2<'a, f32>) -> Vec<CowArray<'a, f32, Ix2>> {
        let computed: Slotted<'a> = self
            .jobs
            .par_iter()
            .flat_map_iter(|job| job.run(image))
            .collect();
        self.in_slots(computed)
    }

    /// [`Self::compute`] with the jobs that have a GPU twin on `ctx`.
    #[cfg(feature = "gpu")]
    pub(super) fn compute_on<'a>(
        &self,
        ctx: &GpuContext,
        image: ArrayView2<'a, f32>,
    ) -> Result<Vec<CowArray<'a, f32, Ix2>>, GpuError> {
        let computed: Vec<Slotted<'a>> = self
            .jobs
            .par_iter()
            .map(|job| job.run_on(ctx, image))
            .collect::<Result<_, _>>()?;
        Ok(self.in_slots(computed.into_iter().flatten().collect()))
    }

    /// Whether every map has a GPU twin (the original, Gaussian, LoG, Sobel, and Gabor
    /// and kernel maps of kernels up to [`gpu::filters::MAX_GPU_KERNEL_SIDE`]), so
    /// [`Self::record`] can compute them on the device.
    #[cfg(feature = "gpu")]
    pub(super) fn on_device(&self) -> bool {
        self.jobs.iter().all(|job| match job {
            Job::Kernel { kernel, .. } => {
                kernel.nrows().max(kernel.ncols()) <= gpu::filters::MAX_GPU_KERNEL_SIDE
            }
            _ => true,
        })
    }

    /// Records every map of the `[rows, cols]` image (not empty) in `image` into one new
    /// slot, map after map in [`Self::names`] order, each `rows * cols` values; only for
    /// plans [`Self::on_device`]. Intermediate slots are recycled within the job.
    #[cfg(feature = "gpu")]
    pub(super) fn record(
        &self,
        job: &mut gpu::Job<'_>,
        image: &Slot,
        shape: [usize; 2],
    ) -> Result<Slot, GpuError> {
        let len = shape[0] * shape[1];
        let maps = job.destination("maps", self.names.len() * len)?;
        let at = |slot: usize| (slot * len * 4) as u64;
        for plan in &self.jobs {
            match plan {
                Job::Original { slot } => job.copy(image, &maps, at(*slot))?,
                Job::Sobel { slot } => {
                    let map = gpu::filters::record_sobel_magnitude(job, image, shape)?;
                    job.copy(&map, &maps, at(*slot))?;
                    job.recycle(map);
                }
                Job::GaussianFamily {
                    sigma,
                    gaussian,
                    log,
                } => {
                    // The CPU's f32 product by sigma² (gaussian_family_maps).
                    let scales: Vec<f32> = log
                        .iter()
                        .map(|(_, normalised)| {
                            if *normalised {
                                (sigma * sigma) as f32
                            } else {
                                1.0
                            }
                        })
                        .collect();
                    let (smoothed, laplace) = gpu::filters::record_gaussian_family(
                        job,
                        image,
                        shape,
                        *sigma,
                        !gaussian.is_empty(),
                        &scales,
                    )?;
                    if let Some(map) = smoothed {
                        for slot in gaussian {
                            job.copy(&map, &maps, at(*slot))?;
                        }
                        job.recycle(map);
                    }
                    for ((slot, _), map) in log.iter().zip(laplace) {
                        job.copy(&map, &maps, at(*slot))?;
                        job.recycle(map);
                    }
                }
                Job::Kernel { slot, kernel } => {
                    let map = gpu::filters::record_correlate(job, image, shape, &kernel.view())?;
                    job.copy(&map, &maps, at(*slot))?;
                    job.recycle(map);
                }
            }
        }
        Ok(maps)
    }

    fn in_slots<'a>(&self, computed: Slotted<'a>) -> Vec<CowArray<'a, f32, Ix2>> {
        let mut slots: Vec<Option<CowArray<'a, f32, Ix2>>> = vec![None; self.names.len()];
        for (slot, map) in computed {
            slots[slot] = Some(map);
        }
        // Every slot is filled by exactly one job: `new` hands out each slot once.
        slots.into_iter().flatten().collect()
    }
}

impl Job {
    fn run<'a>(&self, image: ArrayView2<'a, f32>) -> Slotted<'a> {
        match self {
            Self::Original { slot } => vec![(*slot, CowArray::from(image))],
            Self::Sobel { slot } => vec![(*slot, filters::sobel_magnitude(image).into())],
            Self::Kernel { slot, kernel } => {
                vec![(*slot, filters::correlate(image, kernel.view()).into())]
            }
            Self::GaussianFamily {
                sigma,
                gaussian,
                log,
            } => {
                let (smoothed, laplace) = match (gaussian.is_empty(), log.is_empty()) {
                    (false, false) => {
                        let (g, l) = filters::gaussian_and_laplace(image, *sigma);
                        (Some(g), Some(l))
                    }
                    (false, true) => (Some(filters::gaussian(image, [*sigma; 2])), None),
                    _ => (None, Some(filters::gaussian_laplace(image, *sigma))),
                };
                gaussian_family_maps(*sigma, gaussian, log, smoothed, laplace)
            }
        }
    }

    /// [`Self::run`] on `ctx`, but for the original map (the image itself) and kernels
    /// beyond [`gpu::filters::MAX_GPU_KERNEL_SIDE`], which stay on the CPU.
    #[cfg(feature = "gpu")]
    fn run_on<'a>(
        &self,
        ctx: &GpuContext,
        image: ArrayView2<'a, f32>,
    ) -> Result<Slotted<'a>, GpuError> {
        Ok(match self {
            Self::Kernel { slot, kernel }
                if kernel.nrows().max(kernel.ncols()) <= gpu::filters::MAX_GPU_KERNEL_SIDE =>
            {
                vec![(
                    *slot,
                    gpu::filters::correlate(ctx, image, kernel.view())?.into(),
                )]
            }
            Self::Original { .. } | Self::Kernel { .. } => self.run(image),
            Self::Sobel { slot } => {
                vec![(*slot, gpu::filters::sobel_magnitude(ctx, image)?.into())]
            }
            Self::GaussianFamily {
                sigma,
                gaussian,
                log,
            } => {
                let smoothed = (!gaussian.is_empty())
                    .then(|| gpu::filters::gaussian(ctx, image, [*sigma; 2]))
                    .transpose()?;
                let laplace = (!log.is_empty())
                    .then(|| gpu::filters::gaussian_laplace(ctx, image, *sigma))
                    .transpose()?;
                gaussian_family_maps(*sigma, gaussian, log, smoothed, laplace)
            }
        })
    }
}

/// The Gaussian and LoG maps of one sigma into their slots; normalised LoG slots are
/// scaled by sigma².
fn gaussian_family_maps<'a>(
    sigma: f64,
    gaussian: &[usize],
    log: &[(usize, bool)],
    smoothed: Option<Array2<f32>>,
    laplace: Option<Array2<f32>>,
) -> Slotted<'a> {
    let mut out = Vec::new();
    if let Some(g) = smoothed {
        out.extend(gaussian.iter().map(|slot| (*slot, g.clone().into())));
    }
    if let Some(l) = laplace {
        for (slot, normalised) in log {
            let map = if *normalised {
                let scale = (sigma * sigma) as f32;
                l.mapv(|v| v * scale)
            } else {
                l.clone()
            };
            out.push((*slot, map.into()));
        }
    }
    out
}
