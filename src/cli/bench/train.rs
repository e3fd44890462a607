//! `pix2paint bench --train`: G + D training steps against PyTorch CPU on the same networks.

use anyhow::{Result, bail};
use pix2paint::model::GeneratorConfig;
use std::time::Instant;

use super::args::BenchArgs;
use super::peers::run_torch_peer;
use super::timing::{median, test_sketch};

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
pub(super) fn run(args: &BenchArgs) -> Result<()> {
    use pix2paint::tensor_image::images_to_tensor;
    use pix2paint::train::{Gan, NetworkConfig, TrainConfig};
    let (cpu, gpu, cpu_peak) = args.devices();
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
            let worst = super::agreement::step_agreement(&config, &gpu.device, &sketch, &photo)?;
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
