//! Starting the painting app: pick the device, share it with eframe's renderer, open the window.

use super::renderer::{self, RENDERER_VAR};
use anyhow::{Context, Result, anyhow};
use eframe::egui_wgpu::{WgpuSetup, WgpuSetupExisting};
use pix2paint::app::{Autosave, PaintApp, Settings};
use pix2paint::weights;
use std::path::PathBuf;

/// Open the app window and run until it is closed.
pub fn run(weights_arg: Option<PathBuf>, cpu: bool, gpu: bool, precise: bool) -> Result<()> {
    let compute = if gpu {
        super::select_device_for(pix2paint::device::Preference::Gpu)
    } else {
        super::select_device(cpu)
    };
    let mut options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("pix2paint")
            .with_inner_size([1120.0, 660.0])
            .with_min_inner_size([520.0, 320.0])
            .with_drag_and_drop(true),
        // Pixels exactly as painted (dithering adds ±½-step noise to every interpolated
        // colour), and a cheaper fragment shader: on a software renderer (CPU-only machines)
        // the window's shading takes the cores the model paints on.
        dithering: false,
        ..Default::default()
    };
    if let Ok(icon) = pix2paint::assets::icon() {
        let (width, height) = icon.dimensions();
        options.viewport = options.viewport.with_icon(egui::IconData {
            rgba: icon.into_raw(),
            width,
            height,
        });
    }
    // One GPU, one device: the renderer draws with the handles the model runs on. Not on a
    // software renderer (`--gpu` with lavapipe): there a kernel runs for seconds, and the
    // window's surface cannot wait that long for the shared device to go idle when it is
    // reconfigured; the UI gets its own device and results come through the CPU.
    let shared = compute.wgpu_setup.as_ref().filter(|_| !compute.software);
    let gpu_display = shared.is_some();
    let chosen = std::env::var(RENDERER_VAR).ok();
    options.renderer = if gpu_display {
        eframe::Renderer::Wgpu
    } else {
        let adapter = || renderer::known_adapter(&compute).unwrap_or_else(renderer::probe);
        renderer::choose(chosen.as_deref(), adapter).map_err(|e| anyhow!(e))?
    };
    let on_gl = options.renderer == eframe::Renderer::Glow;
    eprintln!(
        "pix2paint: window drawn with {}",
        match (on_gl, chosen.is_some()) {
            (true, false) => "OpenGL (wgpu found only a software renderer)",
            (true, true) => "OpenGL",
            (false, _) => "wgpu",
        }
    );
    if let Some(s) = shared {
        options.wgpu_options.wgpu_setup = WgpuSetup::Existing(WgpuSetupExisting {
            instance: s.instance.clone(),
            adapter: s.adapter.clone(),
            device: s.device.clone(),
            queue: s.queue.clone(),
        });
    }
    let opened = eframe::run_native(
        "pix2paint",
        options,
        Box::new(move |cc| {
            let settings_path = Settings::default_path();
            let (settings, damaged) = match &settings_path {
                Some(p) => Settings::load(p),
                None => (Settings::default(), None),
            };
            // Each window its own autosave folder: a second window never writes over the
            // first's sketch.
            let claimed = Autosave::default_dir().map(|dir| Autosave::claim(&dir));
            let (autosave, unclaimed) = match claimed {
                Some(Ok(a)) => (Some(a), None),
                Some(Err(why)) => (None, Some(why)),
                None => (None, None),
            };
            let model_path = weights_arg
                .or_else(|| settings.model_path.clone().filter(|p| p.is_file()))
                .or_else(weights::default_model_path);
            let mut app = PaintApp::new(
                &cc.egui_ctx,
                compute,
                model_path,
                settings,
                autosave.clone(),
            );
            if let Some(p) = settings_path {
                app.keep_settings_in(p);
            }
            if precise {
                app.paint_precisely_this_run();
            }
            if let Some(d) = damaged {
                app.report_problem(d.to_string());
            }
            if let Some(why) = unclaimed {
                app.report_problem(why.to_string());
            }
            if drawn_by_cpu(cc) {
                app.window_drawn_by_cpu();
            }
            // SIGTERM / Ctrl+C: the next frame autosaves and closes (`Command::Quit`).
            let ctx = cc.egui_ctx.clone();
            pix2paint::signals::on_stop(move |_| ctx.request_repaint());
            // Results go from the model's output tensor to the screen on the GPU.
            if let Some(rs) = cc.wgpu_render_state.clone().filter(|_| gpu_display) {
                app.use_gpu_display(rs);
            }
            Ok(Box::new(app))
        }),
    );
    match opened {
        Err(e) if on_gl && chosen.is_none() => {
            eprintln!("pix2paint: OpenGL could not open the window ({e}); trying wgpu");
            again_on_wgpu()
        }
        r => r.map_err(|e| anyhow!("the window could not be opened: {e}")),
    }
}

/// Whether the window is drawn by a software renderer (llvmpipe for OpenGL, lavapipe or
/// another CPU adapter for wgpu).
fn drawn_by_cpu(cc: &eframe::CreationContext<'_>) -> bool {
    if let Some(rs) = &cc.wgpu_render_state {
        return rs.adapter.get_info().device_type == eframe::wgpu::DeviceType::Cpu;
    }
    if let Some(gl) = &cc.gl {
        use eframe::glow::HasContext;
        // SAFETY: a string query on the current context, made on the thread that owns it.
        let renderer = unsafe { gl.get_parameter_string(eframe::glow::RENDERER) }.to_lowercase();
        return ["llvmpipe", "softpipe", "software"]
            .iter()
            .any(|s| renderer.contains(s));
    }
    false
}

/// Start this program again with the same arguments, the window on wgpu, and end as it ends (a
/// process can start its window's event loop only once). Stop signals sent to this process go
/// to the new one, which autosaves and closes.
fn again_on_wgpu() -> Result<()> {
    let exe = std::env::current_exe().context("finding this program to start it again")?;
    let mut again = std::process::Command::new(exe);
    again
        .args(std::env::args_os().skip(1))
        .env(RENDERER_VAR, "wgpu");
    let status = pix2paint::signals::stand_in_for(&mut again)
        .context("starting pix2paint again with the window on wgpu")?;
    pix2paint::signals::exit_as(status)
}
