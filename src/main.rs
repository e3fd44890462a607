//! The `pix2paint` command: with no arguments it opens the painting app; subcommands run the
//! same library from the command line.

mod cli;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Sketch a cat, watch pix2pix paint it.
#[derive(Parser)]
#[command(name = "pix2paint", version, about)]
struct Args {
    #[command(subcommand)]
    command: Option<Command>,
    /// Model weights for the app (default: the last one opened, else the installed cat model).
    #[arg(long)]
    weights: Option<std::path::PathBuf>,
    /// Run the model on the CPU even if a GPU is available.
    #[arg(long)]
    cpu: bool,
    /// Run the model on the wgpu adapter even when it is a software renderer (lavapipe), which
    /// is otherwise passed over for the faster CPU backend.
    #[arg(long, conflicts_with = "cpu")]
    gpu: bool,
    /// Paint the live canvas at full precision (fp32) this time. By default a CPU that
    /// multiplies 16-bit integers faster than floats (measured at start; most Intel CPUs since
    /// 2015) paints it with 8-bit weights, within 35 dB PSNR of fp32; the Model window switches
    /// between the two and remembers the choice.
    #[arg(long)]
    precise: bool,
    /// On the CPU, use Burn's own convolutions and batch normalisation instead of pix2paint's
    /// kernels (slower; to compare, or to rule the kernels out when something looks wrong).
    #[arg(long, global = true)]
    burn_kernels: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Paint sketches (files or folders of images) with a model.
    Colorize(cli::colorize::ColorizeArgs),
    /// Time the generator on every backend against an ONNX Runtime peer.
    Bench(cli::bench::BenchArgs),
    /// Turn a folder of photos into (line drawing | photo) training pairs.
    Prepare(cli::prepare::PrepareArgs),
    /// Train or fine-tune a model on a dataset folder.
    // Boxed: the training flags outweigh every other command's.
    Train(Box<cli::train::TrainArgs>),
    /// Score models on held-out pairs (mean L1, SSIM) against a mean-colour baseline.
    Eval(cli::eval::EvalArgs),
    /// Convert a model (pix2paint, PyTorch .pth, web demo .pict) to PyTorch or pix2paint form.
    Export(cli::export::ExportArgs),
    /// Describe a weights file.
    Info(cli::info::InfoArgs),
    /// Train the foreground segmenter, or write a mask for every photo of a folder.
    Segment(cli::segment::SegmentArgs),
}

fn main() -> ExitCode {
    let args = Args::parse();
    if args.burn_kernels {
        pix2paint::kernels::set_enabled(false);
    }
    if args.command.is_some() {
        quiet_on_closed_pipe();
    }
    let result = match args.command {
        Some(Command::Colorize(a)) => cli::colorize::run(a),
        Some(Command::Bench(a)) => cli::bench::run(a),
        Some(Command::Eval(a)) => cli::eval::run(a),
        Some(Command::Export(a)) => cli::export::run(a),
        Some(Command::Info(a)) => cli::info::run(a),
        Some(Command::Prepare(a)) => cli::prepare::run(a),
        Some(Command::Train(a)) => cli::train::run(*a),
        Some(Command::Segment(a)) => cli::segment::run(a),
        None => cli::app::run(args.weights, args.cpu, args.gpu, args.precise),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", cli::explain(&e));
            ExitCode::FAILURE
        }
    }
}

/// Commands print to stdout: when it is a pipe that closes early (`pix2paint info … | head`),
/// end quietly as Unix tools do instead of panicking on the failed write. Not for the app,
/// whose sockets must not kill it.
fn quiet_on_closed_pipe() {
    #[cfg(unix)]
    // SAFETY: restoring the default disposition of SIGPIPE before any thread is started.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
