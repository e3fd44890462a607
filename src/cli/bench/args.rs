//! The flags of `pix2paint bench`.

use clap::Args;

/// Arguments of `pix2paint bench`.
#[derive(Args)]
pub struct BenchArgs {
    /// Timed runs per case (the median is reported).
    #[arg(long, default_value_t = 10, value_parser = crate::cli::bounds::runs)]
    pub(super) iters: usize,
    /// Untimed runs first.
    #[arg(long, default_value_t = 2, value_parser = crate::cli::bounds::warmup_runs)]
    pub(super) warmup: usize,
    /// Generator widths to time.
    #[arg(long, value_delimiter = ',', default_values_t = [64, 32], value_parser = crate::cli::bounds::width)]
    pub(super) ngf: Vec<usize>,
    /// Skip the ONNX Runtime peer.
    #[arg(long)]
    pub(super) no_peer: bool,
    /// Skip the wgpu backend.
    #[arg(long)]
    pub(super) no_gpu: bool,
    /// Also time Burn's ndarray CPU backend (needs the `bench-ndarray` feature; slow).
    #[arg(long)]
    pub(super) ndarray: bool,
    /// Time training steps (G + D, batch 1, 256²) instead of inference, against PyTorch CPU
    /// training the same networks (`benches/peer_torch_train.py`).
    #[arg(long)]
    pub(super) train: bool,
    /// Time every convolution of G and D alone (forward and backward) on the CPU backend,
    /// with GFLOP/s and the share of the CPU's peak.
    #[arg(long, conflicts_with = "train")]
    pub(super) layers: bool,
    /// Discriminator width for `--train` and `--layers`.
    #[arg(long, default_value_t = 64, value_parser = crate::cli::bounds::width)]
    pub(super) ndf: usize,
    /// Images per training step for `--train` (the peer trains the same batch).
    #[arg(long, default_value_t = 1, value_parser = crate::cli::bounds::batch_size, requires = "train")]
    pub(super) batch: usize,
    /// The machine's peak FP32 GFLOP/s (default: estimated from /proc/cpuinfo for the CPU).
    #[arg(long)]
    pub(super) peak_gflops: Option<f64>,
}

impl BenchArgs {
    /// The CPU, the GPU unless `--no-gpu` (and when one works), and the CPU's peak GFLOP/s.
    pub(super) fn devices(
        &self,
    ) -> (
        pix2paint::device::Compute,
        Option<pix2paint::device::Compute>,
        Option<(f64, String)>,
    ) {
        let gpu = if self.no_gpu {
            None
        } else {
            pix2paint::device::wgpu().ok()
        };
        (
            pix2paint::device::cpu(),
            gpu,
            crate::cli::peak::cpu_peak_gflops(),
        )
    }
}
