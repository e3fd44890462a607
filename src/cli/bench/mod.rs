//! `pix2paint bench`: one 256² generator forward, timed on every backend, against ONNX Runtime
//! running the identical network with the identical weights (`benches/peer_onnx.py`).
//!
//! Figures: median of `--iters` runs after `--warmup`, each run including the read-back that a
//! caller needs (so GPU timings are end to end). GFLOP/s count the convolutions only
//! ([`GeneratorConfig::flops`]).

mod agreement;
mod args;
mod forward;
mod layers;
mod peers;
mod timing;
mod train;

pub use args::BenchArgs;

use anyhow::{Result, bail};

/// Run the bench the flags ask for: the forward pass (default), training steps (`--train`) or
/// each layer (`--layers`).
pub fn run(args: BenchArgs) -> Result<()> {
    if args.iters == 0 {
        bail!("--iters must be at least 1");
    }
    if args.ndarray && !cfg!(feature = "bench-ndarray") {
        bail!("--ndarray needs a build with `--features bench-ndarray`");
    }
    eprintln!(
        "pix2paint kernels on this CPU: {}",
        pix2paint::kernels::instruction_sets()
    );
    if pix2paint::kernels::reduced_precision_available() {
        let speedup = pix2paint::kernels::reduced_precision_speedup();
        eprintln!(
            "8-bit painting: {}, inner loop {speedup:.2}× the fp32 multiply-adds per second on \
             one core, so the app {} it",
            pix2paint::kernels::reduced_precision_instructions(),
            if pix2paint::kernels::reduced_precision_faster_here() {
                "uses"
            } else {
                "does not use"
            }
        );
    }
    if args.train {
        return train::run(&args);
    }
    if args.layers {
        return layers::run(&layers::LayerBench {
            ngf: args.ngf.clone(),
            ndf: args.ndf,
            iters: args.iters,
            warmup: args.warmup,
            peak: args
                .peak_gflops
                .map(|p| (p, format!("{p} GFLOP/s (--peak-gflops)")))
                .or_else(crate::cli::peak::cpu_peak_gflops),
        });
    }
    forward::run(&args)
}
