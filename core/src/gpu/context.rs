//! The device context, created once: device, queue, pipelines compiled on first use and
//! cached, pooled buffers; and [`Job`], the one way an operation talks to the device.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use ndarray::{Array2, ArrayView2};

use super::pool::BufferPool;
use super::shaders::{Binding, Shader};
use super::GpuError;

/// A GPU device with everything the stages need, created once and shared (it is `Sync`).
///
/// [`GpuContext::new`] picks an adapter itself; [`GpuContext::from_device`] takes a device
/// and queue the application already has. Pipelines are compiled the first time a stage
/// runs and cached; buffers are pooled by size and usage.
#[derive(Debug)]
pub struct GpuContext {
    device: wgpu::Device,
    queue: wgpu::Queue,
    info: wgpu::AdapterInfo,
    limits: wgpu::Limits,
    stages: Mutex<HashMap<&'static str, Arc<Stage>>>,
    pool: BufferPool,
    transfers: Counters,
}

/// Host↔device traffic of a [`GpuContext`] since it was created (see
/// [`GpuContext::transfers`]). Device-to-device copies and buffer clears are not
/// transfers and are not counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Transfers {
    /// Buffers of data uploaded: images, stored samples, values to reduce (one per
    /// upload, however many writes it takes).
    pub data_uploads: u64,
    /// Bytes of those uploads.
    pub data_upload_bytes: u64,
    /// Small uploads derived from parameters rather than data: each dispatch's uniform
    /// `Params` and the constant tables computed on the host from parameters (filter
    /// taps, resampling tables), each uploaded once per operation.
    pub parameter_uploads: u64,
    /// Bytes of those uploads.
    pub parameter_upload_bytes: u64,
    /// Submissions whose results were mapped and read back (one per read, however many
    /// buffers it reads).
    pub readbacks: u64,
    /// Bytes read back.
    pub readback_bytes: u64,
}

impl Transfers {
    /// The traffic between `earlier` and `self`, two snapshots of the same context.
    pub fn since(&self, earlier: &Transfers) -> Transfers {
        Transfers {
            data_uploads: self.data_uploads - earlier.data_uploads,
            data_upload_bytes: self.data_upload_bytes - earlier.data_upload_bytes,
            parameter_uploads: self.parameter_uploads - earlier.parameter_uploads,
            parameter_upload_bytes: self.parameter_upload_bytes - earlier.parameter_upload_bytes,
            readbacks: self.readbacks - earlier.readbacks,
            readback_bytes: self.readback_bytes - earlier.readback_bytes,
        }
    }
}

/// The counters behind [`Transfers`].
#[derive(Debug, Default)]
struct Counters {
    data_uploads: AtomicU64,
    data_upload_bytes: AtomicU64,
    parameter_uploads: AtomicU64,
    parameter_upload_bytes: AtomicU64,
    readbacks: AtomicU64,
    readback_bytes: AtomicU64,
}

/// What an upload carries, for [`Transfers`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Upload {
    Data,
    Parameters,
}

impl Counters {
    fn upload(&self, kind: Upload, bytes: u64) {
        let (count, total) = match kind {
            Upload::Data => (&self.data_uploads, &self.data_upload_bytes),
            Upload::Parameters => (&self.parameter_uploads, &self.parameter_upload_bytes),
        };
        count.fetch_add(1, Ordering::Relaxed);
        total.fetch_add(bytes, Ordering::Relaxed);
    }

    fn readback(&self, bytes: u64) {
        self.readbacks.fetch_add(1, Ordering::Relaxed);
        self.readback_bytes.fetch_add(bytes, Ordering::Relaxed);
    }

    fn snapshot(&self) -> Transfers {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        Transfers {
            data_uploads: get(&self.data_uploads),
            data_upload_bytes: get(&self.data_upload_bytes),
            parameter_uploads: get(&self.parameter_uploads),
            parameter_upload_bytes: get(&self.parameter_upload_bytes),
            readbacks: get(&self.readbacks),
            readback_bytes: get(&self.readback_bytes),
        }
    }
}

/// A compiled stage.
#[derive(Debug)]
struct Stage {
    pipeline: wgpu::ComputePipeline,
    layout: wgpu::BindGroupLayout,
}

impl GpuContext {
    /// Opens the default GPU: the adapter named by `WGPU_ADAPTER_NAME` (a case-insensitive
    /// substring of its name) if set, else the one wgpu prefers (`WGPU_POWER_PREF`,
    /// default high performance), among the backends in `WGPU_BACKEND` (e.g. `vulkan`,
    /// `metal`, `dx12`; default all). The device gets the adapter's own limits, so large
    /// images fit where the hardware allows.
    ///
    /// No adapter is an ordinary [`GpuError::NoAdapter`]: the caller runs on the CPU.
    pub fn new() -> Result<Self, GpuError> {
        if wgpu::Instance::enabled_backend_features().is_empty() {
            return Err(GpuError::NoAdapter {
                reason: "this platform has none of the Vulkan, Metal and DX12 backends".into(),
            });
        }
        let instance =
            wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env());
        let backends = wgpu::Backends::from_env().unwrap_or(wgpu::Backends::all());
        let adapter = match std::env::var("WGPU_ADAPTER_NAME") {
            Ok(wanted) if !wanted.is_empty() => {
                let adapters = pollster::block_on(instance.enumerate_adapters(backends));
                let names: Vec<String> = adapters.iter().map(|a| a.get_info().name).collect();
                let lower = wanted.to_lowercase();
                adapters
                    .into_iter()
                    .find(|a| a.get_info().name.to_lowercase().contains(&lower))
                    .ok_or_else(|| GpuError::NoAdapter {
                        reason: format!(
                            "WGPU_ADAPTER_NAME={wanted} matches none of the adapters {names:?}"
                        ),
                    })?
            }
            _ => pollster::block_on(
                instance.request_adapter(&wgpu::RequestAdapterOptions {
                    power_preference: wgpu::PowerPreference::from_env()
                        .unwrap_or(wgpu::PowerPreference::HighPerformance),
                    ..Default::default()
                }),
            )
            .map_err(|e| GpuError::NoAdapter {
                reason: e.to_string(),
            })?,
        };
        let info = adapter.get_info();
        let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some("medprep"),
            required_limits: adapter.limits(),
            ..Default::default()
        }))
        .map_err(|e| GpuError::DeviceRequest {
            adapter: describe(&info),
            message: e.to_string(),
        })?;
        // Every operation runs inside error scopes; wgpu's default for an error outside
        // them is a panic, which a library must not cause.
        device.on_uncaptured_error(Arc::new(|e| {
            eprintln!("medprep: GPU error outside an operation: {e}");
        }));
        Ok(Self::from_device(device, queue))
    }

    /// Uses a device and queue the application created (its limits are respected as they
    /// are; its uncaptured-error handler is left alone).
    pub fn from_device(device: wgpu::Device, queue: wgpu::Queue) -> Self {
        Self {
            info: device.adapter_info(),
            limits: device.limits(),
            device,
            queue,
            stages: Mutex::default(),
            pool: BufferPool::default(),
            transfers: Counters::default(),
        }
    }

    /// One line for logs: adapter name, backend, device type and driver.
    pub fn adapter_info(&self) -> String {
        describe(&self.info)
    }

    /// Whether the adapter is a CPU implementation (such as lavapipe), whose timings say
    /// nothing about GPU speed.
    pub fn is_software(&self) -> bool {
        self.info.device_type == wgpu::DeviceType::Cpu
    }

    /// The device.
    pub fn device(&self) -> &wgpu::Device {
        &self.device
    }

    /// The queue.
    pub fn queue(&self) -> &wgpu::Queue {
        &self.queue
    }

    /// The device's limits, which every operation respects.
    pub fn limits(&self) -> &wgpu::Limits {
        &self.limits
    }

    /// Bytes of device memory held in the buffer pool for reuse.
    pub fn pooled_bytes(&self) -> u64 {
        self.pool.pooled_bytes()
    }

    /// The host↔device traffic of this context so far; two snapshots'
    /// [`Transfers::since`] is the traffic of what ran between them (of every thread
    /// using this context).
    pub fn transfers(&self) -> Transfers {
        self.transfers.snapshot()
    }

    /// Runs `body` as the operation `stage`: device errors raised meanwhile (validation,
    /// out of memory) become [`GpuError::Device`], and the buffers it used return to the
    /// pool when it succeeds.
    pub(crate) fn run<T>(
        &self,
        stage: &'static str,
        body: impl FnOnce(&mut Job<'_>) -> Result<T, GpuError>,
    ) -> Result<T, GpuError> {
        let out_of_memory = self.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let validation = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let mut job = Job {
            ctx: self,
            stage,
            encoder: self.encoder(),
            held: Vec::new(),
            spare: HashMap::new(),
            constants: HashMap::new(),
        };
        let result = body(&mut job);
        let held = job.held;
        let validation = pollster::block_on(validation.pop());
        let out_of_memory = pollster::block_on(out_of_memory.pop());
        if let Some(e) = validation.or(out_of_memory) {
            return Err(GpuError::Device {
                stage,
                message: e.to_string(),
            });
        }
        if result.is_ok() {
            for buffer in held {
                self.pool.put(buffer);
            }
        }
        result
    }

    fn encoder(&self) -> wgpu::CommandEncoder {
        self.device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("medprep"),
            })
    }

    /// The compiled pipeline of `shader`, compiling it on first use.
    fn stage(&self, shader: &'static Shader) -> Result<Arc<Stage>, GpuError> {
        let mut stages = self.stages.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(stage) = stages.get(shader.name) {
            return Ok(Arc::clone(stage));
        }
        let scope = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let module = self
            .device
            .create_shader_module(wgpu::ShaderModuleDescriptor {
                label: Some(shader.name),
                source: wgpu::ShaderSource::Wgsl(shader.source.into()),
            });
        let entries: Vec<wgpu::BindGroupLayoutEntry> = shader
            .bindings
            .iter()
            .enumerate()
            .map(|(i, binding)| wgpu::BindGroupLayoutEntry {
                binding: i as u32,
                visibility: wgpu::ShaderStages::COMPUTE,
                ty: wgpu::BindingType::Buffer {
                    ty: match binding {
                        Binding::Uniform => wgpu::BufferBindingType::Uniform,
                        Binding::Read => wgpu::BufferBindingType::Storage { read_only: true },
                        Binding::ReadWrite => wgpu::BufferBindingType::Storage { read_only: false },
                    },
                    has_dynamic_offset: false,
                    min_binding_size: None,
                },
                count: None,
            })
            .collect();
        let layout = self
            .device
            .create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
                label: Some(shader.name),
                entries: &entries,
            });
        let pipeline_layout = self
            .device
            .create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
                label: Some(shader.name),
                bind_group_layouts: &[Some(&layout)],
                immediate_size: 0,
            });
        let pipeline = self
            .device
            .create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some(shader.name),
                layout: Some(&pipeline_layout),
                module: &module,
                entry_point: Some("main"),
                compilation_options: Default::default(),
                cache: None,
            });
        if let Some(e) = pollster::block_on(scope.pop()) {
            return Err(GpuError::Shader {
                stage: shader.name,
                message: e.to_string(),
            });
        }
        let stage = Arc::new(Stage { pipeline, layout });
        stages.insert(shader.name, Arc::clone(&stage));
        Ok(stage)
    }

    /// Compiles every stage now rather than on first use (and reports the first failure).
    pub fn compile_all(&self) -> Result<(), GpuError> {
        super::shaders::ALL
            .iter()
            .try_for_each(|shader| self.stage(shader).map(drop))
    }
}

impl GpuContext {
    /// The largest storage binding in bytes: the device's limit, capped at 4 GiB so that
    /// element indices fit the shaders' u32 arithmetic.
    pub(crate) fn max_binding_bytes(&self) -> u64 {
        self.limits
            .max_storage_buffer_binding_size
            .min(self.limits.max_buffer_size)
            .min(1 << 32)
    }
}

fn describe(info: &wgpu::AdapterInfo) -> String {
    format!(
        "{} ({:?}, {:?}, driver {} {})",
        info.name, info.backend, info.device_type, info.driver, info.driver_info
    )
}

/// How long a readback waits for its mapping callbacks once the device has finished the
/// work (they only need a poll, possibly by another thread, to run).
const MAP_CALLBACK_WAIT: Duration = Duration::from_secs(30);

/// A device buffer of one operation and the bytes of it in use.
#[derive(Debug, Clone)]
pub(crate) struct Slot {
    buffer: wgpu::Buffer,
    bytes: u64,
}

impl Slot {
    /// The 4-byte words in use.
    pub(crate) fn words(&self) -> u64 {
        self.bytes / 4
    }
}

/// The recording of one operation: buffers, dispatches and one submission per readback,
/// inside the error scopes of [`GpuContext::run`].
#[derive(Debug)]
pub(crate) struct Job<'c> {
    ctx: &'c GpuContext,
    stage: &'static str,
    encoder: wgpu::CommandEncoder,
    held: Vec<wgpu::Buffer>,
    /// Device-written buffers given back by [`Job::recycle`], by bytes and usage.
    spare: HashMap<(u64, wgpu::BufferUsages), Vec<Slot>>,
    /// Constant tables already uploaded in this job, by content.
    constants: HashMap<Vec<u8>, Slot>,
}

/// Usage of buffers the device writes ([`Job::output`]).
const OUTPUT: wgpu::BufferUsages = wgpu::BufferUsages::STORAGE.union(wgpu::BufferUsages::COPY_SRC);
/// Usage of buffers cleared or filled by copies in the encoder ([`Job::zeroed`],
/// [`Job::destination`]).
const ZEROED: wgpu::BufferUsages = OUTPUT.union(wgpu::BufferUsages::COPY_DST);

impl Job<'_> {
    /// The most f32 values one storage binding may hold on this device.
    pub(crate) fn max_binding_elements(&self) -> usize {
        (self.ctx.max_binding_bytes() / 4) as usize
    }

    fn buffer(
        &mut self,
        what: &'static str,
        bytes: u64,
        usage: wgpu::BufferUsages,
    ) -> Result<Slot, GpuError> {
        let limits = &self.ctx.limits;
        let too_large = |limit, allowed| GpuError::TooLarge {
            what,
            needed: bytes,
            limit,
            allowed,
        };
        if bytes > limits.max_buffer_size {
            return Err(too_large("max_buffer_size", limits.max_buffer_size));
        }
        if usage.contains(wgpu::BufferUsages::STORAGE) && bytes > self.ctx.max_binding_bytes() {
            return Err(too_large(
                "max_storage_buffer_binding_size",
                self.ctx.max_binding_bytes(),
            ));
        }
        let bytes = bytes.max(4).next_multiple_of(4);
        // Only buffers the device itself writes are reused within a job: commands run in
        // recording order, whereas queue writes all land before the submission.
        if usage == OUTPUT || usage == ZEROED {
            if let Some(slot) = self.spare.get_mut(&(bytes, usage)).and_then(Vec::pop) {
                return Ok(slot);
            }
        }
        let buffer = self
            .ctx
            .pool
            .get(&self.ctx.device, bytes, usage, limits.max_buffer_size);
        self.held.push(buffer.clone());
        Ok(Slot { buffer, bytes })
    }

    /// Gives back an [`Job::output`], [`Job::zeroed`] or [`Job::destination`] slot that no later command of this
    /// job reads, so a later one of the same size reuses its memory (the commands that
    /// use it before run first). Other slots are left alone.
    pub(crate) fn recycle(&mut self, slot: Slot) {
        let usage = slot.buffer.usage();
        if usage == OUTPUT || usage == ZEROED {
            self.spare
                .entry((slot.bytes, usage))
                .or_default()
                .push(slot);
        }
    }

    /// A storage buffer holding `bytes` zero-padded to whole words, counted as `kind`.
    fn write(&mut self, kind: Upload, what: &'static str, bytes: &[u8]) -> Result<Slot, GpuError> {
        let slot = self.buffer(
            what,
            bytes.len().next_multiple_of(4) as u64,
            wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST,
        )?;
        // Writes come in whole words.
        let whole = bytes.len() / 4 * 4;
        let (head, tail) = bytes.split_at(whole);
        if !head.is_empty() {
            self.ctx.queue.write_buffer(&slot.buffer, 0, head);
        }
        if !tail.is_empty() {
            let mut word = [0u8; 4];
            word[..tail.len()].copy_from_slice(tail);
            self.ctx
                .queue
                .write_buffer(&slot.buffer, whole as u64, &word);
        }
        self.ctx.transfers.upload(kind, slot.bytes);
        Ok(slot)
    }

    /// A storage buffer holding `data`.
    pub(crate) fn upload<T: bytemuck::Pod>(
        &mut self,
        what: &'static str,
        data: &[T],
    ) -> Result<Slot, GpuError> {
        self.upload_bytes(what, bytemuck::cast_slice(data))
    }

    /// A storage buffer holding `bytes`, zero-padded to whole 4-byte words.
    pub(crate) fn upload_bytes(
        &mut self,
        what: &'static str,
        bytes: &[u8],
    ) -> Result<Slot, GpuError> {
        self.write(Upload::Data, what, bytes)
    }

    /// A storage buffer holding a constant table computed on the host from parameters
    /// (filter taps, resampling tables): uploaded once per job however often it is asked
    /// for, and counted with the parameters in [`Transfers`].
    pub(crate) fn constant<T: bytemuck::Pod>(
        &mut self,
        what: &'static str,
        data: &[T],
    ) -> Result<Slot, GpuError> {
        let bytes: &[u8] = bytemuck::cast_slice(data);
        if let Some(slot) = self.constants.get(bytes) {
            return Ok(slot.clone());
        }
        let slot = self.write(Upload::Parameters, what, bytes)?;
        self.constants.insert(bytes.to_vec(), slot.clone());
        Ok(slot)
    }

    /// A storage buffer holding `image` in row-major order.
    pub(crate) fn upload_image(
        &mut self,
        what: &'static str,
        image: &ArrayView2<'_, f32>,
    ) -> Result<Slot, GpuError> {
        match image.as_slice() {
            Some(data) => self.upload(what, data),
            None => self.upload(what, &image.iter().copied().collect::<Vec<_>>()),
        }
    }

    /// A storage buffer for `len` f32 (or other 4-byte) results.
    pub(crate) fn output(&mut self, what: &'static str, len: usize) -> Result<Slot, GpuError> {
        self.buffer(what, len as u64 * 4, OUTPUT)
    }

    /// A storage buffer of `len` 4-byte counters set to zero.
    pub(crate) fn zeroed(&mut self, what: &'static str, len: usize) -> Result<Slot, GpuError> {
        let slot = self.buffer(what, len as u64 * 4, ZEROED)?;
        self.encoder.clear_buffer(&slot.buffer, 0, Some(slot.bytes));
        Ok(slot)
    }

    /// A storage buffer for `len` 4-byte values that [`Job::copy`] can also fill.
    pub(crate) fn destination(&mut self, what: &'static str, len: usize) -> Result<Slot, GpuError> {
        self.buffer(what, len as u64 * 4, ZEROED)
    }

    /// Records a device-side copy of all of `from` into `to` at byte `offset` (a multiple
    /// of 4): no host transfer.
    pub(crate) fn copy(&mut self, from: &Slot, to: &Slot, offset: u64) -> Result<(), GpuError> {
        if !offset.is_multiple_of(4) || offset.saturating_add(from.bytes) > to.bytes {
            return Err(GpuError::TooLarge {
                what: "device copy",
                needed: offset.saturating_add(from.bytes),
                limit: "destination slot bytes",
                allowed: to.bytes,
            });
        }
        self.encoder
            .copy_buffer_to_buffer(&from.buffer, 0, &to.buffer, offset, from.bytes);
        Ok(())
    }

    /// The uniform `Params` of `shader`.
    pub(crate) fn params<P: bytemuck::Pod>(
        &mut self,
        shader: &Shader,
        params: &P,
    ) -> Result<Slot, GpuError> {
        let bytes = bytemuck::bytes_of(params);
        debug_assert_eq!(bytes.len(), shader.params_size as usize, "{}", shader.name);
        let slot = self.buffer(
            "parameters",
            bytes.len() as u64,
            wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
        )?;
        self.ctx.queue.write_buffer(&slot.buffer, 0, bytes);
        self.ctx.transfers.upload(Upload::Parameters, slot.bytes);
        Ok(slot)
    }

    /// Records `shader` over `invocations` elements with `slots` bound to bindings 0, 1, ….
    ///
    /// The workgroups form a 2-D grid when one dimension would exceed
    /// `max_compute_workgroups_per_dimension`; the shaders flatten it (`shared/dispatch`).
    pub(crate) fn dispatch(
        &mut self,
        shader: &'static Shader,
        slots: &[&Slot],
        invocations: u64,
    ) -> Result<(), GpuError> {
        if invocations == 0 {
            return Ok(());
        }
        let width = u64::from(shader.workgroup_size[0].max(1));
        let groups = invocations.div_ceil(width);
        let max = u64::from(self.ctx.limits.max_compute_workgroups_per_dimension.max(1));
        let (x, y) = if groups <= max {
            (groups, 1)
        } else {
            (max, groups.div_ceil(max))
        };
        if y > max {
            return Err(GpuError::TooLarge {
                what: shader.name,
                needed: groups,
                limit: "max_compute_workgroups_per_dimension squared",
                allowed: max * max,
            });
        }
        let stage = self.ctx.stage(shader)?;
        let entries: Vec<wgpu::BindGroupEntry> = slots
            .iter()
            .enumerate()
            .map(|(i, slot)| wgpu::BindGroupEntry {
                binding: i as u32,
                resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                    buffer: &slot.buffer,
                    offset: 0,
                    size: wgpu::BufferSize::new(slot.bytes),
                }),
            })
            .collect();
        let group = self
            .ctx
            .device
            .create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some(shader.name),
                layout: &stage.layout,
                entries: &entries,
            });
        let mut pass = self
            .encoder
            .begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some(shader.name),
                timestamp_writes: None,
            });
        pass.set_pipeline(&stage.pipeline);
        pass.set_bind_group(0, &group, &[]);
        pass.dispatch_workgroups(x as u32, y as u32, 1);
        Ok(())
    }

    /// Submits everything recorded so far, waits, and returns the contents of `slots` as
    /// values of `T`, one slot after the other: one submission and one mapped buffer
    /// however many slots.
    pub(crate) fn read<T: bytemuck::Pod>(&mut self, slots: &[&Slot]) -> Result<Vec<T>, GpuError> {
        let total: u64 = slots.iter().map(|s| s.bytes).sum();
        let target = self.buffer(
            "readback",
            total,
            wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
        )?;
        let mut offset = 0;
        for slot in slots {
            self.encoder
                .copy_buffer_to_buffer(&slot.buffer, 0, &target.buffer, offset, slot.bytes);
            offset += slot.bytes;
        }
        let encoder = std::mem::replace(&mut self.encoder, self.ctx.encoder());
        let submission = self.ctx.queue.submit([encoder.finish()]);
        self.ctx.transfers.readback(total);
        let (sender, receiver) = mpsc::channel();
        target
            .buffer
            .map_async(wgpu::MapMode::Read, 0..target.bytes, move |result| {
                // The receiver waits for the callback; a send cannot fail before.
                let _ = sender.send(result);
            });
        let failed = |message: String| GpuError::Readback {
            stage: self.stage,
            message,
        };
        self.ctx
            .device
            .poll(wgpu::PollType::Wait {
                submission_index: Some(submission),
                timeout: None,
            })
            .map_err(|e| failed(e.to_string()))?;
        // Another thread's poll may be the one running our callback, a moment after our
        // own poll returned: wait for it, polling again meanwhile.
        let deadline = Instant::now() + MAP_CALLBACK_WAIT;
        let result = loop {
            match receiver.recv_timeout(Duration::from_millis(1)) {
                Ok(result) => break result,
                Err(mpsc::RecvTimeoutError::Timeout) if Instant::now() < deadline => {
                    // Only the callback is pending; its error, if any, comes through it.
                    let _ = self.ctx.device.poll(wgpu::PollType::Poll);
                }
                Err(_) => return Err(failed("the device never finished mapping".into())),
            }
        };
        result.map_err(|e| failed(e.to_string()))?;
        let out = {
            let view = target
                .buffer
                .get_mapped_range(0..target.bytes)
                .map_err(|e| failed(e.to_string()))?;
            // Copies, so the mapping's alignment does not matter.
            bytemuck::pod_collect_to_vec::<u8, T>(&view[..total as usize])
        };
        target.buffer.unmap();
        Ok(out)
    }
}

/// Reads `output` back as a `rows × cols` image.
pub(crate) fn shaped(
    job: &mut Job<'_>,
    [rows, cols]: [usize; 2],
    output: &Slot,
) -> Result<Array2<f32>, GpuError> {
    let data = job.read(&[output])?;
    Array2::from_shape_vec((rows, cols), data).map_err(|e| GpuError::Readback {
        stage: "shape",
        message: e.to_string(),
    })
}
