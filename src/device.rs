//! Choosing where the networks run, once: a wgpu GPU adapter first, Burn's `flex` CPU backend
//! otherwise, and a plain description of the choice for the status bar and CLI.
//!
//! `flex` is the CPU backend because it was measured fastest for this network (see the README's
//! benchmark table: roughly two orders of magnitude ahead of `ndarray` on 2 cores).

use burn::tensor::wgpu::WgpuSetup;
use burn::tensor::{Device, Tensor};
use std::sync::OnceLock;

/// What the user asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Preference {
    /// A hardware GPU if there is one, else the CPU.
    #[default]
    Auto,
    /// The CPU backend.
    Cpu,
    /// wgpu on whatever adapter exists, software renderers included (used by tests and to
    /// compare backends).
    Gpu,
}

/// The backend a [`Compute`] runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Burn's wgpu backend (WGSL kernels).
    Wgpu,
    /// Burn's `flex` CPU backend.
    Flex,
}

/// The chosen device and what to tell the user about it.
#[derive(Clone, Debug)]
pub struct Compute {
    /// The Burn device tensors are created on.
    pub device: Device,
    /// Its backend.
    pub backend: Backend,
    /// e.g. "GPU: NVIDIA H200 (Vulkan)" or "CPU: flex, 2 threads".
    pub description: String,
    /// Why a GPU is not used, when it is not.
    pub fallback_reason: Option<NoGpu>,
    /// The wgpu handles, to share the device with the UI's renderer.
    pub wgpu_setup: Option<WgpuSetup>,
    /// Whether the wgpu adapter is a software renderer (lavapipe, llvmpipe).
    pub software: bool,
}

/// Why the GPU is not used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum NoGpu {
    /// wgpu found no adapter, or could not open it.
    #[error("no usable GPU: {0}")]
    Unavailable(String),
    /// The adapter computed a wrong answer to a known sum.
    #[error("no usable GPU: the adapter computed {0} for a test that gives 14")]
    WrongAnswer(f32),
    /// The driver panicked while starting.
    #[error("no usable GPU: the wgpu driver crashed while starting")]
    Crashed,
    /// Only a software renderer (lavapipe, llvmpipe), slower than the CPU backend.
    #[error("only a software renderer was found ({0}); the CPU backend is faster")]
    SoftwareOnly(String),
}

/// Result of bringing up wgpu in this process (it can only be initialised once).
struct WgpuState {
    device: Device,
    setup: WgpuSetup,
    software: bool,
    description: String,
}

static WGPU: OnceLock<Result<WgpuState, NoGpu>> = OnceLock::new();

fn init_wgpu() -> &'static Result<WgpuState, NoGpu> {
    WGPU.get_or_init(|| {
        let attempt = std::panic::catch_unwind(|| {
            let (device, setup) = Device::wgpu_options()
                .init_with_setup()
                .map_err(|e| NoGpu::Unavailable(e.to_string()))?;
            // A tiny computation proves the adapter really runs kernels.
            let x = Tensor::<1>::from_floats([1.0, 2.0, 3.0], &device);
            let sum: f32 = (x.clone() * x).sum().into_scalar();
            if (sum - 14.0).abs() > 1e-4 {
                return Err(NoGpu::WrongAnswer(sum));
            }
            let info = setup.adapter.get_info();
            let software = info.device_type == wgpu::DeviceType::Cpu;
            let kind = if software { "software GPU" } else { "GPU" };
            let description = format!("{kind}: {} ({:?})", info.name, info.backend);
            Ok(WgpuState {
                device,
                setup,
                software,
                description,
            })
        });
        match attempt {
            Ok(r) => r,
            Err(_) => Err(NoGpu::Crashed),
        }
    })
}

/// The CPU device and its description.
pub fn cpu() -> Compute {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    Compute {
        device: Device::flex(),
        backend: Backend::Flex,
        description: format!("CPU: flex, {threads} threads"),
        fallback_reason: None,
        wgpu_setup: None,
        software: false,
    }
}

/// The wgpu device on the default adapter, or why there is none.
pub fn wgpu() -> Result<Compute, NoGpu> {
    match init_wgpu() {
        Ok(s) => Ok(Compute {
            device: s.device.clone(),
            backend: Backend::Wgpu,
            description: s.description.clone(),
            fallback_reason: None,
            wgpu_setup: Some(s.setup.clone()),
            software: s.software,
        }),
        Err(e) => Err(e.clone()),
    }
}

/// Pick the device for `pref`, falling back to the CPU with a reason when the GPU is missing
/// or broken.
pub fn select(pref: Preference) -> Compute {
    match pref {
        Preference::Cpu => cpu(),
        Preference::Gpu => wgpu().unwrap_or_else(|reason| Compute {
            fallback_reason: Some(reason),
            ..cpu()
        }),
        Preference::Auto => match init_wgpu() {
            Ok(s) if !s.software => wgpu().expect("initialised above"),
            Ok(s) => Compute {
                fallback_reason: Some(NoGpu::SoftwareOnly(s.description.clone())),
                ..cpu()
            },
            Err(reason) => Compute {
                fallback_reason: Some(reason.clone()),
                ..cpu()
            },
        },
    }
}
