//! Which renderer draws the app's window: wgpu on a real GPU, OpenGL on a software one.
//!
//! On a machine without a GPU driver, wgpu finds only Mesa's lavapipe, which runs egui's
//! fragment shader (an sRGB `pow` per channel, per pixel) on the CPU: measured under Xvfb on 2
//! Zen 3 cores, one frame of the 1120 × 660 window cost 283–295 ms of CPU (the window drew 4–5
//! frames a second, with no model at all), and that was the time the model lost to it. Mesa's
//! OpenGL (llvmpipe) draws the same frame in 30 ms. So where the only wgpu adapter is a
//! software one, the window is drawn through OpenGL (`glow`); where that cannot start, the app
//! starts again on wgpu ([`RENDERER_VAR`] set, so the choice is not retried).

use eframe::Renderer;
use pix2paint::device::{Compute, NoGpu};

/// Set to `wgpu` or `gl` to choose the window's renderer (and so skip the probe).
pub const RENDERER_VAR: &str = "PIX2PAINT_RENDERER";

/// What wgpu's default adapter is, when the probe got that far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Adapter {
    /// A GPU with a driver (integrated, discrete or virtual).
    Hardware,
    /// A software renderer (lavapipe, llvmpipe, WARP).
    Software,
    /// No adapter, or the driver crashed while asked.
    None,
}

/// The renderer for the window: the one `choice` names (`wgpu`, `gl`), else OpenGL where the
/// only adapter is a software one, else wgpu (which also reports a missing GPU as before).
///
/// # Errors
/// An unknown `choice`, with the values that work.
pub fn choose(choice: Option<&str>, adapter: impl FnOnce() -> Adapter) -> Result<Renderer, String> {
    match choice.map(str::trim) {
        Some("wgpu") => Ok(Renderer::Wgpu),
        Some("gl" | "glow" | "opengl") => Ok(Renderer::Glow),
        Some(other) => Err(format!(
            "{RENDERER_VAR}={other:?} is not a renderer: use `wgpu` or `gl`, or unset it"
        )),
        None => Ok(match adapter() {
            Adapter::Software => Renderer::Glow,
            Adapter::Hardware | Adapter::None => Renderer::Wgpu,
        }),
    }
}

/// What choosing the compute device already found out about wgpu's adapter, so it is not asked
/// twice: `None` when the device was chosen without asking wgpu (`--cpu`).
pub fn known_adapter(compute: &Compute) -> Option<Adapter> {
    if compute.wgpu_setup.is_some() {
        return Some(if compute.software {
            Adapter::Software
        } else {
            Adapter::Hardware
        });
    }
    compute.fallback_reason.as_ref().map(|why| match why {
        NoGpu::SoftwareOnly(_) => Adapter::Software,
        // wgpu failed or crashed once already: not asked again.
        _ => Adapter::None,
    })
}

/// Ask wgpu for its default adapter (a fraction of a second; no device is made).
pub fn probe() -> Adapter {
    let asked = std::panic::catch_unwind(|| {
        let instance = wgpu::Instance::default();
        pollster::block_on(instance.request_adapter(&wgpu::RequestAdapterOptions::default()))
            .ok()
            .map(|a| a.get_info().device_type)
    });
    match asked {
        Ok(Some(wgpu::DeviceType::Cpu)) => Adapter::Software,
        Ok(Some(_)) => Adapter::Hardware,
        Ok(None) | Err(_) => Adapter::None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn software_adapters_get_opengl_and_the_variable_overrides() {
        let never = || -> Adapter { panic!("no probe when the variable chooses") };
        assert_eq!(choose(None, || Adapter::Software), Ok(Renderer::Glow));
        assert_eq!(choose(None, || Adapter::Hardware), Ok(Renderer::Wgpu));
        assert_eq!(choose(None, || Adapter::None), Ok(Renderer::Wgpu));
        assert_eq!(choose(Some("wgpu"), never), Ok(Renderer::Wgpu));
        assert_eq!(choose(Some(" gl "), never), Ok(Renderer::Glow));
        let err = choose(Some("vulkan"), never).unwrap_err();
        assert!(err.contains("use `wgpu` or `gl`"), "{err}");
    }

    #[test]
    fn what_the_device_choice_found_is_not_asked_again() {
        let cpu = pix2paint::device::cpu;
        assert_eq!(known_adapter(&cpu()), None, "--cpu never asked wgpu");
        let software_only = Compute {
            fallback_reason: Some(NoGpu::SoftwareOnly("lavapipe".into())),
            ..cpu()
        };
        assert_eq!(known_adapter(&software_only), Some(Adapter::Software));
        let crashed = Compute {
            fallback_reason: Some(NoGpu::Crashed),
            ..cpu()
        };
        assert_eq!(known_adapter(&crashed), Some(Adapter::None));
    }
}
