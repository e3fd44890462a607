//! `pix2paint bench`: one 256² generator forward, timed on every backend, against ONNX Runtime
//! running the identical network with the identical weights (`benches/peer_onnx.py`).
//!
//! Figures: median of `--iters` runs after `--warmup`, each run including the read-back that a
//! caller needs (so GPU timings are end to end). GFLOP/s count the convolutions only
//! ([`GeneratorConfig::flops`]).

use anyhow::{Context, Result, bail};
use burn::module::Module;
use burn::tensor::{Device, Tensor};
use clap::Args;
use pix2paint::device;
use pix2paint::model::{GeneratorConfig, NormStats};
use pix2paint::tensor_image::image_to_tensor;
use pix2paint::weights::{self, ModelInfo, Precision, SaveRequest};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Arguments of `pix2paint bench`.
#[derive(Args)]
pub struct BenchArgs {
    /// Timed runs per case (the median is reported).
    #[arg(long, default_value_t = 10, value_parser = super::bounds::runs)]
    iters: usize,
    /// Untimed runs first.
    #[arg(long, default_value_t = 2, value_parser = super::bounds::warmup_runs)]
    warmup: usize,
    /// Generator widths to time.
    #[arg(long, value_delimiter = ',', default_values_t = [64, 32], value_parser = super::bounds::width)]
    ngf: Vec<usize>,
    /// Skip the ONNX Runtime peer.
    #[arg(long)]
    no_peer: bool,
    /// Skip the wgpu backend.
    #[arg(long)]
    no_gpu: bool,
    /// Also time Burn's ndarray CPU backend (needs the `bench-ndarray` feature; slow).
    #[arg(long)]
    ndarray: bool,
    /// Time training steps (G + D, batch 1, 256²) instead of inference, against PyTorch CPU
    /// training the same networks (`benches/peer_torch_train.py`).
    #[arg(long)]
    train: bool,
    /// Time every convolution of G and D alone (forward and backward) on the CPU backend,
    /// with GFLOP/s and the share of the CPU's peak.
    #[arg(long, conflicts_with = "train")]
    layers: bool,
    /// Discriminator width for `--train` and `--layers`.
    #[arg(long, default_value_t = 64, value_parser = super::bounds::width)]
    ndf: usize,
    /// Images per training step for `--train` (the peer trains the same batch).
    #[arg(long, default_value_t = 1, value_parser = super::bounds::batch_size, requires = "train")]
    batch: usize,
    /// The machine's peak FP32 GFLOP/s (default: estimated from /proc/cpuinfo for the CPU).
    #[arg(long)]
    peak_gflops: Option<f64>,
}

/// A timed case.
struct Row {
    backend: String,
    ngf: usize,
    median_ms: f64,
    gflops: f64,
    peak: Option<f64>,
    peer_ms: Option<f64>,
    note: String,
}

pub(super) fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// The sketch every case paints: the first example of `assets/` (a cat's head drawn in the
/// app) at 256², or, should it not decode, a blank page (the timing is the same).
fn test_sketch() -> image::RgbImage {
    match pix2paint::assets::example(0) {
        Some(Ok(head)) => {
            let rgb = image::DynamicImage::ImageLuma8(head).to_rgb8();
            image::imageops::resize(&rgb, 256, 256, image::imageops::FilterType::Triangle)
        }
        _ => image::RgbImage::from_pixel(256, 256, image::Rgb([255, 255, 255])),
    }
}

/// Time `runs` forwards of the generator, returning the median in ms and the last output.
fn time_forward(
    g: &pix2paint::model::Generator,
    x: &Tensor<4>,
    warmup: usize,
    iters: usize,
) -> (f64, Vec<f32>) {
    let run = || {
        g.forward(x.clone(), NormStats::Batch, None)
            .into_data()
            .convert::<f32>()
            .try_into_vec::<f32>()
            .expect("f32")
    };
    for _ in 0..warmup {
        run();
    }
    let mut times = Vec::with_capacity(iters);
    let mut out = Vec::new();
    for _ in 0..iters {
        let t = Instant::now();
        out = run();
        times.push(t.elapsed().as_secs_f64() * 1e3);
    }
    (median(times), out)
}

fn rel_diff(a: &[f32], b: &[f32]) -> f64 {
    let (mut num, mut den) = (0f64, 0f64);
    for (x, y) in a.iter().zip(b) {
        num += ((x - y) as f64).powi(2);
        den += (*y as f64).powi(2);
    }
    (num / den.max(1e-30)).sqrt()
}

fn write_f32(path: &Path, v: &[f32]) -> Result<()> {
    std::fs::write(path, bytemuck::cast_slice(v))
        .with_context(|| format!("writing {}", path.display()))
}

/// Where the peer scripts live: `$PIX2PAINT_BENCHES` when set (and only there), else the
/// `benches/` folder of the checkout the binary sits in (`target/release/pix2paint` → `../../`),
/// beside it, or the one it was built from.
fn peer_script(name: &str) -> Result<std::path::PathBuf> {
    const VAR: &str = "PIX2PAINT_BENCHES";
    let candidates: Vec<std::path::PathBuf> = match std::env::var_os(VAR) {
        Some(dir) => vec![std::path::PathBuf::from(dir)],
        None => {
            let exe_dir = std::env::current_exe()
                .ok()
                .and_then(|e| e.parent().map(Path::to_path_buf));
            let mut dirs: Vec<_> = exe_dir
                .iter()
                .flat_map(|d| [d.join("../../benches"), d.join("benches")])
                .collect();
            dirs.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("benches"));
            dirs
        }
    };
    candidates
        .iter()
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
        .ok_or_else(|| {
            anyhow::anyhow!(
                "the peer script {name} is not in {}: set {VAR} to the benches/ folder of a \
                 pix2paint checkout, or pass --no-peer",
                candidates
                    .iter()
                    .map(|d| d.display().to_string())
                    .collect::<Vec<_>>()
                    .join(" or ")
            )
        })
}

/// Run a Python peer script from `benches/` with `args` (plus `--iters`, `--warmup` and the
/// thread count) and return the JSON object it prints last.
fn run_python_peer(script: &str, args: &[String], bench: &BenchArgs) -> Result<serde_json::Value> {
    let script = peer_script(script)?;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let out = std::process::Command::new("python3")
        .arg(&script)
        .args(args)
        .args(["--iters", &bench.iters.to_string()])
        .args(["--warmup", &bench.warmup.to_string()])
        .args(["--threads", &threads.to_string()])
        .stderr(std::process::Stdio::inherit())
        .output()
        .with_context(|| format!("running {}", script.display()))?;
    if !out.status.success() {
        bail!("the peer {} failed ({})", script.display(), out.status);
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .rev()
        .find(|l| l.starts_with('{'))
        .context("peer printed no result")?;
    Ok(serde_json::from_str(line)?)
}

/// Run the ONNX Runtime peer on the same weights and input; returns its median ms and its
/// relative difference from our output.
fn run_peer(model: &Path, input: &Path, reference: &Path, args: &BenchArgs) -> Result<(f64, f64)> {
    let path = |p: &Path| p.display().to_string();
    let v = run_python_peer(
        "peer_onnx.py",
        &[
            "--model".into(),
            path(model),
            "--input".into(),
            path(input),
            "--reference".into(),
            path(reference),
        ],
        args,
    )?;
    let ms = v["median_ms"]
        .as_f64()
        .context("peer result lacks median_ms")?;
    let diff = v["rel_diff"]
        .as_f64()
        .context("peer result lacks rel_diff")?;
    Ok((ms, diff))
}

/// Run the benchmark and print a Markdown table.
pub fn run(args: BenchArgs) -> Result<()> {
    if args.iters == 0 {
        bail!("--iters must be at least 1");
    }
    if args.ndarray && !cfg!(feature = "bench-ndarray") {
        bail!("--ndarray needs a build with `--features bench-ndarray`");
    }
    if args.train {
        return run_train(&args);
    }
    if args.layers {
        return super::bench_layers::run(&super::bench_layers::LayerBench {
            ngf: args.ngf.clone(),
            ndf: args.ndf,
            iters: args.iters,
            warmup: args.warmup,
            peak: args
                .peak_gflops
                .map(|p| (p, format!("{p} GFLOP/s (--peak-gflops)")))
                .or_else(super::peak::cpu_peak_gflops),
        });
    }
    let cpu = device::cpu();
    let gpu = if args.no_gpu {
        None
    } else {
        device::wgpu().ok()
    };
    let cpu_peak = super::peak::cpu_peak_gflops();
    // Removed when dropped: on success, on an error and on a panic alike.
    let tmp_dir = tempfile::Builder::new()
        .prefix("pix2paint-bench-")
        .tempdir()
        .context("making a temporary folder for the benchmark")?;
    let tmp = tmp_dir.path();
    let sketch = test_sketch();
    let mut rows = Vec::new();
    for &ngf in &args.ngf {
        let config = GeneratorConfig::new().with_ngf(ngf);
        cpu.device.seed(ngf as u64);
        let g = config.init(&cpu.device);
        let flops = config.flops(256, 256) as f64;
        eprintln!(
            "ngf {ngf}: {:.1} GFLOP per forward, {:.1} M parameters",
            flops / 1e9,
            g.num_params() as f64 / 1e6
        );
        let model_path: PathBuf = tmp.join(format!("ngf{ngf}.safetensors"));
        weights::save(
            &model_path,
            &SaveRequest {
                generator: &g,
                generator_config: &config,
                training_generator: None,
                discriminator: None,
                info: &ModelInfo::named(format!("bench ngf {ngf}")),
                extras: &Default::default(),
                precision: Precision::Full,
            },
        )?;
        let x = image_to_tensor(&sketch, &cpu.device);
        let input_path = tmp.join("input.f32");
        write_f32(
            &input_path,
            &x.to_data()
                .convert::<f32>()
                .try_into_vec::<f32>()
                .expect("f32"),
        )?;

        eprintln!("  timing {} …", cpu.description);
        let (ms, reference) = time_forward(&g, &x, args.warmup, args.iters);
        let ref_path = tmp.join(format!("out{ngf}.f32"));
        write_f32(&ref_path, &reference)?;
        let peer = if args.no_peer {
            None
        } else {
            eprintln!("  timing the ONNX Runtime peer …");
            match run_peer(&model_path, &input_path, &ref_path, &args) {
                Ok(p) => Some(p),
                Err(e) => {
                    eprintln!("peer skipped: {e:#}");
                    None
                }
            }
        };
        let peak = args.peak_gflops.or(cpu_peak.as_ref().map(|p| p.0));
        let row = |backend: String, ms: f64, peak: Option<f64>, note: String| Row {
            backend,
            ngf,
            median_ms: ms,
            gflops: flops / ms / 1e6,
            peak,
            peer_ms: peer.map(|p| p.0),
            note,
        };
        rows.push(row(
            format!("{} + pix2paint kernels", cpu.description),
            ms,
            peak,
            peer.map_or(String::new(), |p| {
                format!("ORT output ‖Δ‖/‖ref‖ = {:.1e}", p.1)
            }),
        ));
        // The same network through Burn's own flex convolutions: what the kernels gained.
        eprintln!("  timing {} with Burn's convolutions …", cpu.description);
        pix2paint::kernels::set_enabled(false);
        let (burn_ms, burn_out) = time_forward(&g, &x, args.warmup, args.iters);
        pix2paint::kernels::set_enabled(true);
        rows.push(row(
            format!("{}, Burn's convolutions", cpu.description),
            burn_ms,
            peak,
            format!(
                "vs pix2paint kernels ‖Δ‖/‖ref‖ = {:.1e}",
                rel_diff(&burn_out, &reference)
            ),
        ));
        #[cfg(feature = "bench-ndarray")]
        if args.ndarray {
            // The other CPU backend, to justify the choice of flex.
            eprintln!("  timing CPU: ndarray …");
            #[allow(deprecated)] // measured on purpose, to justify flex
            let nd = Device::ndarray();
            let (ms, out) = time_forward(
                &g.clone().to_device(&nd),
                &x.clone().to_device(&nd),
                args.warmup,
                args.iters,
            );
            rows.push(row(
                "CPU: ndarray".into(),
                ms,
                peak,
                format!(
                    "vs flex output ‖Δ‖/‖ref‖ = {:.1e}",
                    rel_diff(&out, &reference)
                ),
            ));
        }
        if let Some(gpu) = &gpu {
            eprintln!("  timing {} …", gpu.description);
            let gd: &Device = &gpu.device;
            let g_gpu = g.clone().to_device(gd);
            let xg = x.clone().to_device(gd);
            let (ms, out) = time_forward(&g_gpu, &xg, args.warmup, args.iters);
            rows.push(row(
                gpu.description.clone(),
                ms,
                None,
                format!(
                    "vs CPU output ‖Δ‖/‖ref‖ = {:.1e}",
                    rel_diff(&out, &reference)
                ),
            ));
        }
    }
    drop(tmp_dir);
    if let Some((_, how)) = &cpu_peak {
        println!("CPU peak estimate: {how}");
    }
    println!(
        "| backend | ngf | median ms (256²) | GFLOP/s | % of CPU peak | ORT CPU ms | speed vs ORT | note |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for r in rows {
        let pct = r
            .peak
            .map_or("–".into(), |p| format!("{:.1} %", 100.0 * r.gflops / p));
        let (peer, ratio) = match r.peer_ms {
            Some(p) => (format!("{p:.1}"), format!("{:.2}×", p / r.median_ms)),
            None => ("–".into(), "–".into()),
        };
        println!(
            "| {} | {} | {:.1} | {:.1} | {} | {} | {} | {} |",
            r.backend, r.ngf, r.median_ms, r.gflops, pct, peer, ratio, r.note
        );
    }
    Ok(())
}

/// The PyTorch training peer's result: median ms per step and its parameter counts.
struct TorchPeer {
    median_ms: f64,
    g_params: u64,
    d_params: u64,
    version: String,
}

fn run_torch_peer(ngf: usize, args: &BenchArgs) -> Result<TorchPeer> {
    let v = run_python_peer(
        "peer_torch_train.py",
        &[
            "--ngf".into(),
            ngf.to_string(),
            "--ndf".into(),
            args.ndf.to_string(),
            "--batch".into(),
            args.batch.to_string(),
        ],
        args,
    )?;
    Ok(TorchPeer {
        median_ms: v["median_ms"]
            .as_f64()
            .context("peer result lacks median_ms")?,
        g_params: v["g_params"]
            .as_u64()
            .context("peer result lacks g_params")?,
        d_params: v["d_params"]
            .as_u64()
            .context("peer result lacks d_params")?,
        version: v["torch"].as_str().unwrap_or("?").to_string(),
    })
}

/// A fixed target for training steps: smooth colour gradients.
fn test_photo() -> image::RgbImage {
    image::RgbImage::from_fn(256, 256, |x, y| {
        image::Rgb([
            (x as u8) / 2 + 64,
            (y as u8) / 2 + 32,
            ((x + y) / 4) as u8 + 80,
        ])
    })
}

/// `bench --train`: median time of one full pix2pix step (D update, then G update) at 256²,
/// batch 1 (or `--batch`), on each backend, against PyTorch CPU training the same networks.
fn run_train(args: &BenchArgs) -> Result<()> {
    use pix2paint::tensor_image::images_to_tensor;
    use pix2paint::train::{Gan, NetworkConfig, TrainConfig};
    let cpu = device::cpu();
    let gpu = if args.no_gpu {
        None
    } else {
        device::wgpu().ok()
    };
    let cpu_peak = super::peak::cpu_peak_gflops();
    let (sketch, photo) = (test_sketch(), test_photo());
    println!(
        "| backend | ngf / ndf | ms / step | steps/s | GFLOP/s | % of CPU peak | PyTorch CPU ms | speed vs PyTorch |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    let mut lines = Vec::new();
    for &ngf in &args.ngf {
        let config = TrainConfig {
            network: NetworkConfig {
                ngf,
                ndf: args.ndf,
                ..NetworkConfig::default()
            },
            ..TrainConfig::default()
        };
        // Backward ≈ 2 × forward (input and weight gradients). G: one forward + backward. D:
        // three forwards (real, fake for its own update, fake again for G's loss); the first two
        // with a full backward, the third with the input gradient only (D's weights are
        // constants in G's update, in pix2pix and here): 3 + 2·2 + 1 = 8 D forwards.
        let g_flops = GeneratorConfig::new().with_ngf(ngf).flops(256, 256) as f64;
        let d_flops = pix2paint::model::DiscriminatorConfig::new()
            .with_ndf(args.ndf)
            .flops(256, 256) as f64;
        let step_flops = args.batch as f64 * (3.0 * g_flops + 8.0 * d_flops);
        let peer = if args.no_peer {
            None
        } else {
            eprintln!("ngf {ngf}: timing the PyTorch peer …");
            match run_torch_peer(ngf, args) {
                Ok(p) => Some(p),
                Err(e) => {
                    eprintln!("peer skipped: {e:#}");
                    None
                }
            }
        };
        // (name, device, is the CPU, pix2paint's kernels on)
        let mut backends = vec![
            (
                format!("{} + pix2paint kernels", cpu.description),
                cpu.device.clone(),
                true,
                true,
            ),
            (
                format!("{}, Burn's convolutions", cpu.description),
                cpu.device.clone(),
                true,
                false,
            ),
        ];
        if let Some(gpu) = &gpu {
            backends.push((gpu.description.clone(), gpu.device.clone(), false, true));
        }
        for (name, dev, is_cpu, ours) in backends {
            eprintln!("ngf {ngf}: timing training steps on {name} …");
            pix2paint::kernels::set_enabled(ours);
            let ad = dev.autodiff();
            let mut gan = Gan::new(&config, "bench", &ad);
            if let Some(p) = &peer
                && (p.g_params, p.d_params)
                    != (
                        gan.g.learnable_params() as u64,
                        gan.d.learnable_params() as u64,
                    )
            {
                bail!(
                    "the PyTorch peer built different networks: G {} / D {} parameters, ours {} / {}",
                    p.g_params,
                    p.d_params,
                    gan.g.learnable_params(),
                    gan.d.learnable_params()
                );
            }
            let x = images_to_tensor(&vec![&sketch; args.batch], &ad);
            let y = images_to_tensor(&vec![&photo; args.batch], &ad);
            for _ in 0..args.warmup {
                gan.step(x.clone(), y.clone(), &config);
            }
            let mut times = Vec::with_capacity(args.iters);
            for _ in 0..args.iters {
                let t = Instant::now();
                // The losses are read back, so the step has finished when this returns.
                let losses = gan.step(x.clone(), y.clone(), &config);
                times.push(t.elapsed().as_secs_f64() * 1e3);
                if !losses.finite() {
                    bail!("the benchmark's training diverged");
                }
            }
            let ms = median(times);
            let gflops = step_flops / ms / 1e6;
            let pct = match (is_cpu, args.peak_gflops.or(cpu_peak.as_ref().map(|p| p.0))) {
                (true, Some(peak)) => format!("{:.1} %", 100.0 * gflops / peak),
                _ => "–".into(),
            };
            let (peer_ms, ratio) = match &peer {
                Some(p) => (
                    format!("{:.0}", p.median_ms),
                    format!("{:.2}×", p.median_ms / ms),
                ),
                None => ("–".into(), "–".into()),
            };
            println!(
                "| {name} | {ngf} / {} | {ms:.0} | {:.2} | {gflops:.1} | {pct} | {peer_ms} | {ratio} |",
                args.ndf,
                1e3 / ms
            );
        }
        pix2paint::kernels::set_enabled(true);
        if let Some(gpu) = &gpu {
            let worst =
                super::bench_agreement::step_agreement(&config, &gpu.device, &sketch, &photo)?;
            lines.push(format!(
                "ngf {ngf}: {} against the CPU, two steps from one checkpoint: losses within {worst:.1e} (relative)",
                gpu.description
            ));
        }
        if let Some(p) = &peer {
            lines.push(format!(
                "ngf {ngf}: G {:.2} M + D {:.2} M parameters in both; {:.1} GFLOP per step; PyTorch {}",
                p.g_params as f64 / 1e6,
                p.d_params as f64 / 1e6,
                step_flops / 1e9,
                p.version
            ));
        }
    }
    if let Some((_, how)) = &cpu_peak {
        println!("\nCPU peak estimate: {how}");
    }
    for l in lines {
        println!("{l}");
    }
    Ok(())
}
