//! The generator's output, turned into an RGBA texture on the GPU that computed it: the WGSL
//! compute shader `shaders/tensor_to_rgba.wgsl` reads the output tensor straight from Burn's
//! storage buffer and writes the texture egui shows, so a result never goes through the CPU.
//! [`tensor_to_rgba_reference`] is the same conversion on the CPU (the test compares the two).
//!
//! Getting the buffer behind a tensor needs Burn's backend types: the tensor is a fusion handle
//! on the cubecl backend; resolving it gives the cubecl tensor (buffer handle, offset, strides),
//! and the wgpu server hands out the `wgpu::Buffer` for that handle, kept alive (and not
//! reused) while the returned resource lives.

use burn::tensor::Tensor;
use burn_cubecl::CubeBackend;
use burn_cubecl::tensor::CubeTensor;
use burn_fusion::Fusion;
use image::RgbaImage;
use wgpu::util::DeviceExt;

/// The WGSL source, compiled into the binary.
pub const SHADER: &str = include_str!("../shaders/tensor_to_rgba.wgsl");

/// Texture format the shader writes (and egui samples).
pub const FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::Rgba8Unorm;

/// Why the GPU path cannot be used for a tensor.
#[derive(Debug, thiserror::Error)]
pub enum GpuImageError {
    /// The tensor is not on Burn's wgpu backend.
    #[error("the tensor is not on the wgpu backend: {0}")]
    NotWgpu(String),
    /// The tensor is not a [1, 3, H, W] f32 tensor.
    #[error("expected a [1, 3, H, W] f32 tensor, got {0}")]
    Shape(String),
    /// The wgpu server refused to hand out the buffer.
    #[error("no wgpu buffer for the tensor: {0}")]
    Buffer(String),
}

/// The compute pipeline, built once per device.
pub struct TensorToTexture {
    pipeline: wgpu::ComputePipeline,
    layout: wgpu::BindGroupLayout,
}

/// Uniforms of the shader (see `Params` in the WGSL).
#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    width: u32,
    height: u32,
    offset: u32,
    stride_c: u32,
    stride_y: u32,
    stride_x: u32,
    _pad: [u32; 2],
}

/// A texture the shader can write and egui can sample.
pub fn create_texture(device: &wgpu::Device, width: u32, height: u32) -> wgpu::Texture {
    device.create_texture(&wgpu::TextureDescriptor {
        label: Some("pix2paint result"),
        size: wgpu::Extent3d {
            width,
            height,
            depth_or_array_layers: 1,
        },
        mip_level_count: 1,
        sample_count: 1,
        dimension: wgpu::TextureDimension::D2,
        format: FORMAT,
        usage: wgpu::TextureUsages::STORAGE_BINDING
            | wgpu::TextureUsages::TEXTURE_BINDING
            | wgpu::TextureUsages::COPY_SRC,
        // Storage textures cannot be sRGB; the UI samples an sRGB view of the same bytes, as
        // it does its own textures.
        view_formats: &[wgpu::TextureFormat::Rgba8UnormSrgb],
    })
}

/// The view egui samples: the texture's bytes read as sRGB, like egui's own textures.
pub fn display_view(texture: &wgpu::Texture) -> wgpu::TextureView {
    texture.create_view(&wgpu::TextureViewDescriptor {
        format: Some(wgpu::TextureFormat::Rgba8UnormSrgb),
        // Sampled only: an sRGB view may not carry the texture's storage usage.
        usage: Some(wgpu::TextureUsages::TEXTURE_BINDING),
        ..Default::default()
    })
}

impl TensorToTexture {
    /// Compile the shader for `device`.
    pub fn new(device: &wgpu::Device) -> Self {
        let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("tensor_to_rgba.wgsl"),
            source: wgpu::ShaderSource::Wgsl(SHADER.into()),
        });
        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("tensor_to_rgba"),
            entries: &[
                wgpu::BindGroupLayoutEntry {
                    binding: 0,
                    visibility: wgpu::ShaderStages::COMPUTE,
                    ty: wgpu::BindingType::Buffer {
                        ty: wgpu::BufferBindingType::Storage { read_only: true },
                        has_dynamic_offset: false,
                        min_binding_size: None,
                    },
                    count: None,
                },
                wgpu::BindGroupLayoutEntry {
                    binding: 1,
                    visibility: wgpu::ShaderStages::COMPUTE,
                    ty: wgpu::BindingType::Buffer {
                        ty: wgpu::BufferBindingType::Uniform,
                        has_dynamic_offset: false,
                        min_binding_size: None,
                    },
                    count: None,
                },
                wgpu::BindGroupLayoutEntry {
                    binding: 2,
                    visibility: wgpu::ShaderStages::COMPUTE,
                    ty: wgpu::BindingType::StorageTexture {
                        access: wgpu::StorageTextureAccess::WriteOnly,
                        format: FORMAT,
                        view_dimension: wgpu::TextureViewDimension::D2,
                    },
                    count: None,
                },
            ],
        });
        let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("tensor_to_rgba"),
            bind_group_layouts: &[Some(&layout)],
            immediate_size: 0,
        });
        let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: Some("tensor_to_rgba"),
            layout: Some(&pipeline_layout),
            module: &module,
            entry_point: Some("main"),
            compilation_options: Default::default(),
            cache: None,
        });
        Self { pipeline, layout }
    }

    /// Write `tensor` ([1, 3, H, W], values in [-1, 1], on Burn's wgpu device sharing
    /// `device` and `queue`) into `target` (H × W, [`FORMAT`]). The work is submitted on
    /// `queue` after everything Burn has queued for the tensor.
    pub fn run(
        &self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        tensor: Tensor<4>,
        target: &wgpu::Texture,
    ) -> Result<(), GpuImageError> {
        let [n, c, h, w] = tensor.dims();
        if n != 1 || c != 3 || tensor.dtype() != burn::tensor::DType::F32 {
            return Err(GpuImageError::Shape(format!(
                "[{n}, {c}, {h}, {w}] {:?}",
                tensor.dtype()
            )));
        }
        if (target.width(), target.height()) != (w as u32, h as u32) {
            return Err(GpuImageError::Shape(format!(
                "a {w}×{h} tensor for a {}×{} texture",
                target.width(),
                target.height()
            )));
        }
        let cube = cube_tensor(tensor)?;
        let strides = cube.meta.strides().to_vec();
        let resource = cube
            .client
            .get_resource::<cubecl_wgpu::WgpuServer<cubecl_wgpu::AutoCompiler>>(cube.handle.clone())
            .map_err(|e| GpuImageError::Buffer(format!("{e:?}")))?;
        let res = resource.resource();
        // Storage bindings must start on the device's offset alignment; a tensor view may not.
        // Bind from the aligned address before it and start reading `extra` bytes in.
        let align = u64::from(device.limits().min_storage_buffer_offset_alignment);
        let base = res.offset / align * align;
        let extra = res.offset - base;
        let last = (strides[1] * 2 + strides[2] * (h - 1) + strides[3] * (w - 1)) as u64;
        let needed = (extra + (last + 1) * 4).next_multiple_of(4);
        if base + needed > res.buffer.size() {
            return Err(GpuImageError::Buffer(format!(
                "the tensor's strides {strides:?} reach past its buffer"
            )));
        }
        let binding = wgpu::BindingResource::Buffer(wgpu::BufferBinding {
            buffer: &res.buffer,
            offset: base,
            size: std::num::NonZeroU64::new(needed),
        });
        let params = Params {
            width: w as u32,
            height: h as u32,
            offset: (extra / 4) as u32,
            stride_c: strides[1] as u32,
            stride_y: strides[2] as u32,
            stride_x: strides[3] as u32,
            _pad: [0; 2],
        };
        let uniforms = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some("tensor_to_rgba params"),
            contents: bytemuck::bytes_of(&params),
            usage: wgpu::BufferUsages::UNIFORM,
        });
        let view = target.create_view(&Default::default());
        let bind = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("tensor_to_rgba"),
            layout: &self.layout,
            entries: &[
                wgpu::BindGroupEntry {
                    binding: 0,
                    resource: binding,
                },
                wgpu::BindGroupEntry {
                    binding: 1,
                    resource: uniforms.as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: 2,
                    resource: wgpu::BindingResource::TextureView(&view),
                },
            ],
        });
        let mut encoder = device.create_command_encoder(&Default::default());
        {
            let mut pass = encoder.begin_compute_pass(&Default::default());
            pass.set_pipeline(&self.pipeline);
            pass.set_bind_group(0, &bind, &[]);
            pass.dispatch_workgroups((w as u32).div_ceil(8), (h as u32).div_ceil(8), 1);
        }
        queue.submit([encoder.finish()]);
        // `resource` (dropped here) kept the allocation from being reused until the work was
        // queued; wgpu keeps the buffer itself alive until the submission completes.
        Ok(())
    }
}

/// The cubecl tensor behind a Burn tensor on the wgpu backend, with all pending work flushed.
fn cube_tensor(tensor: Tensor<4>) -> Result<CubeTensor, GpuImageError> {
    let fused = tensor
        .try_into_primitive::<Fusion<CubeBackend>>()
        .map_err(|e| GpuImageError::NotWgpu(format!("{e:?}")))?;
    let client = fused.client.clone();
    Ok(client.resolve_tensor_float::<CubeBackend>(fused))
}

/// The CPU twin of the shader: `[3, H, W]` floats in [-1, 1] (channel-major) to RGBA8.
pub fn tensor_to_rgba_reference(chw: &[f32], width: u32, height: u32) -> RgbaImage {
    let plane = (width * height) as usize;
    RgbaImage::from_fn(width, height, |x, y| {
        let i = (y * width + x) as usize;
        let px = |c: usize| ((chw[c * plane + i] + 1.0) * 0.5).clamp(0.0, 1.0);
        let q = |v: f32| (v * 255.0).round() as u8;
        image::Rgba([q(px(0)), q(px(1)), q(px(2)), 255])
    })
}

/// Read a texture back to the CPU (the shader's tests; the app reads results back from the
/// tensor instead).
pub fn read_texture(
    device: &wgpu::Device,
    queue: &wgpu::Queue,
    texture: &wgpu::Texture,
) -> RgbaImage {
    let (w, h) = (texture.width(), texture.height());
    let row = (w * 4).next_multiple_of(wgpu::COPY_BYTES_PER_ROW_ALIGNMENT);
    let staging = device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("pix2paint readback"),
        size: u64::from(row * h),
        usage: wgpu::BufferUsages::COPY_DST | wgpu::BufferUsages::MAP_READ,
        mapped_at_creation: false,
    });
    let mut encoder = device.create_command_encoder(&Default::default());
    encoder.copy_texture_to_buffer(
        texture.as_image_copy(),
        wgpu::TexelCopyBufferInfo {
            buffer: &staging,
            layout: wgpu::TexelCopyBufferLayout {
                offset: 0,
                bytes_per_row: Some(row),
                rows_per_image: Some(h),
            },
        },
        texture.size(),
    );
    queue.submit([encoder.finish()]);
    let slice = staging.slice(..);
    slice.map_async(wgpu::MapMode::Read, |r| {
        r.expect("mapping the readback buffer")
    });
    device
        .poll(wgpu::PollType::wait_indefinitely())
        .expect("waiting for the GPU");
    let data = slice
        .get_mapped_range()
        .expect("the readback buffer is mapped");
    let mut out = RgbaImage::new(w, h);
    for y in 0..h {
        let src = &data[(y * row) as usize..(y * row + w * 4) as usize];
        out.as_mut()[(y * w * 4) as usize..((y + 1) * w * 4) as usize].copy_from_slice(src);
    }
    out
}
