//! `pix2paint bench`: the 256² generator forward on every backend, against ONNX Runtime.

use anyhow::{Context, Result};
use burn::module::Module;
use burn::tensor::Device;
use pix2paint::model::GeneratorConfig;
use pix2paint::model::reduced::Reduced;
use pix2paint::model::seeded::{drawn, seeded};
use pix2paint::tensor_image::image_to_tensor;
use pix2paint::weights::{self, ModelInfo, Precision, SaveRequest};
use std::path::PathBuf;

use super::args::BenchArgs;
use super::peers::{run_peer, write_f32};
use super::timing::{psnr, rel_diff, test_sketch, time_forward, time_forward_reduced};

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

/// Time the forward pass on every backend and width, against ONNX Runtime; print a Markdown
/// table.
pub(super) fn run(args: &BenchArgs) -> Result<()> {
    let (cpu, gpu, cpu_peak) = args.devices();
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
        let g = seeded(&cpu.device, ngf as u64, || drawn(config.init(&cpu.device)));
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
            match run_peer(&model_path, &input_path, &ref_path, false, args) {
                Ok((ms, diff, _)) => Some((ms, diff)),
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
        // The live canvas's reduced-precision path, against the fp32 output.
        if pix2paint::kernels::reduced_precision_available()
            && let Some(reduced) = Reduced::of(&g)
        {
            eprintln!("  timing {} at reduced precision …", cpu.description);
            let (ms, out) = time_forward_reduced(&g, Some(&reduced), &x, args.warmup, args.iters);
            rows.push(row(
                format!("{} + 8-bit weights (reduced precision)", cpu.description),
                ms,
                peak,
                format!("vs fp32 PSNR {:.1} dB", psnr(&out, &reference)),
            ));
        }
        // ONNX Runtime's own int8: the peer of the reduced-precision row.
        if peer.is_some() {
            eprintln!("  timing the ONNX Runtime int8 peer …");
            match run_peer(&model_path, &input_path, &ref_path, true, args) {
                Ok((ms, _, psnr)) => rows.push(row(
                    "ONNX Runtime, dynamic int8 (ConvTranspose stays fp32)".into(),
                    ms,
                    peak,
                    format!("vs fp32 PSNR {psnr:.1} dB"),
                )),
                Err(e) => eprintln!("int8 peer skipped: {e:#}"),
            }
        }
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
