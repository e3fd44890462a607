//! `pix2paint export MODEL... --to pth|safetensors`: write any model pix2paint reads as a PyTorch
//! pix2pix state dict or as a pix2paint file, optionally saying what it is; several models of
//! one architecture (the last snapshots of a run) are averaged weight by weight first.

use anyhow::{Context, Result, bail};
use burn::tensor::Device;
use clap::{Args, ValueEnum};
use pix2paint::weights::import::pth;
use pix2paint::weights::{self, Direction, Precision};
use std::path::PathBuf;

#[derive(Clone, Copy, ValueEnum)]
enum Target {
    /// A junyanz pix2pix `unet_256` generator state dict (`torch.save`).
    Pth,
    /// pix2paint's own file (generator, and discriminator when there is one).
    Safetensors,
}

/// Arguments of `pix2paint export`.
#[derive(Args)]
pub struct ExportArgs {
    /// The model: a pix2paint .safetensors, a PyTorch .pth or a web demo .pict file. Several
    /// models of one architecture (e.g. the last snapshots of a run) are averaged weight by
    /// weight; the last one's name and step count are kept.
    #[arg(required = true)]
    models: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum)]
    to: Target,
    /// Output file (default: MODEL with the format's extension).
    #[arg(short, long)]
    out: Option<PathBuf>,
    /// Store half-precision floats (safetensors only).
    #[arg(long)]
    half: bool,
    /// Set the model's name (safetensors only).
    #[arg(long)]
    name: Option<String>,
    /// Set the model's description: what it was trained on, what input it expects.
    #[arg(long)]
    description: Option<String>,
    /// Record that the model turns B images into A images (input and output swapped).
    #[arg(long, conflicts_with = "atob")]
    btoa: bool,
    /// Record that the model turns A images into B images.
    #[arg(long)]
    atob: bool,
    /// Export the raw generator a run trains (kept in checkpoints and models of runs with
    /// `--ema`) instead of its moving average, e.g. to compare the two with `eval`.
    #[arg(long)]
    training_generator: bool,
    /// Leave out the raw generator a run trains, keeping the one that paints (its moving
    /// average) and the discriminator: a file a third smaller, from which a run continues with
    /// its raw generator starting at the average.
    #[arg(long, conflicts_with = "training_generator")]
    average_only: bool,
    /// With `--to pth`: a pix2pix training checkpoint pair for junyanz's `train.py
    /// --continue_train` (`latest_net_G.pth`, the generator training continues from, and
    /// `latest_net_D.pth`) in the folder `-o` (default: `MODEL-pix2pix/` beside the model).
    #[arg(long, conflicts_with_all = ["training_generator", "average_only"])]
    pair: bool,
}

/// Convert the model.
pub fn run(args: ExportArgs) -> Result<()> {
    let device = Device::flex();
    let mut loaded = args
        .models
        .iter()
        .map(|p| {
            let mut m = weights::load(p, &device)
                .with_context(|| format!("loading the model {}", p.display()))?;
            // A checkpoint's own steps live in its trainer state, which the export drops.
            m.info.steps = m.trained_steps();
            if args.training_generator {
                let Some(raw) = m.training_generator.take() else {
                    bail!(
                        "{} holds no separate training generator (only runs with --ema keep one); \
                         leave out --training-generator",
                        p.display()
                    );
                };
                m.generator = raw;
                m.info.description = format!(
                    "{} The raw training generator, not its moving average.",
                    m.info.description
                )
                .trim()
                .to_string();
            }
            if args.average_only {
                m.training_generator = None;
            }
            Ok(m)
        })
        .collect::<Result<Vec<_>>>()?;
    // What the result says about itself comes from the last model (before averaging, so that
    // the averaging note follows a new description).
    let info = &mut loaded.last_mut().expect("clap requires one model").info;
    if let Some(n) = args.name {
        info.name = n;
    }
    if let Some(d) = args.description {
        info.description = d;
    }
    if args.btoa {
        info.direction = Direction::BtoA;
    } else if args.atob {
        info.direction = Direction::AtoB;
    }
    let model = weights::average(loaded, &device)
        .map_err(anyhow::Error::msg)
        .context(
            "averaging the models (they must be one architecture, e.g. snapshots of one run)",
        )?;
    if args.models.len() > 1 {
        eprintln!("pix2paint: averaged {} models", args.models.len());
    }
    let last = args.models.last().expect("clap requires one model");
    if args.pair {
        if !matches!(args.to, Target::Pth) {
            bail!("--pair goes with --to pth (a PyTorch pix2pix training checkpoint pair)");
        }
        let dir = args.out.unwrap_or_else(|| {
            let stem = last.file_stem().unwrap_or_default().to_string_lossy();
            last.with_file_name(format!("{stem}-pix2pix"))
        });
        return super::export_pair::write(model, &dir, &args.models);
    }
    let extension = match args.to {
        Target::Pth => "pth",
        Target::Safetensors => weights::EXTENSION,
    };
    let out = args.out.unwrap_or_else(|| last.with_extension(extension));
    if args
        .models
        .iter()
        .any(|m| pix2paint::files::same_file(m, &out))
    {
        bail!(
            "the output would overwrite the input {}; pass -o OUT",
            out.display()
        );
    }
    match args.to {
        Target::Safetensors => {
            let precision = if args.half {
                Precision::Half
            } else {
                Precision::Full
            };
            weights::save_model_file(&out, &model, precision)?;
            eprintln!("pix2paint: wrote {}", out.display());
        }
        Target::Pth => {
            if args.half {
                bail!("--half applies to safetensors only (PyTorch pix2pix expects float32)");
            }
            let bytes = pth::to_bytes(&model.generator, &model.generator_config)
                .map_err(anyhow::Error::msg)
                .with_context(|| format!("exporting {} to PyTorch", last.display()))?;
            pix2paint::files::write_atomic(&out, &bytes)
                .with_context(|| format!("writing {}", out.display()))?;
            let c = &model.generator_config;
            eprintln!(
                "pix2paint: wrote {} (generator state dict; the model's name, description and \
                 discriminator stay in pix2paint files)",
                out.display()
            );
            eprintln!(
                "In pytorch-CycleGAN-and-pix2pix: put it in checkpoints/NAME/latest_net_G.pth and \
                 run test.py --model pix2pix --name NAME --netG unet_256 --norm batch --ngf {} \
                 --input_nc {} --output_nc {} --direction {}",
                c.ngf,
                c.input_channels(),
                c.out_channels,
                match model.info.direction {
                    Direction::AtoB => "AtoB",
                    Direction::BtoA => "BtoA",
                }
            );
            if c.hint_channels > 0 {
                eprintln!(
                    "The model takes colour hints: its input is the sketch ({} channels) followed \
                     by {} hint channels (colour in [-1, 1], 0 where there is no hint, then a \
                     0/1 mask); test.py's datasets give only the sketch, so feed the hints \
                     yourself (zeros paint without hints).",
                    c.in_channels, c.hint_channels
                );
            }
        }
    }
    Ok(())
}
