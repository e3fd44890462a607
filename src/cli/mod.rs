//! Command-line front ends; each subcommand is a thin layer over the library.

pub mod app;
pub mod bench;
pub mod bounds;
pub mod colorize;
pub mod eval;
pub mod eval_drawn;
pub mod export;
pub mod export_pair;
pub mod info;
pub mod output_names;
pub mod peak;
pub mod prepare;
pub mod renderer;
pub mod run_files;
pub mod segment;
pub mod tally;
pub mod train;

use anyhow::{Context, Result, bail};
use pix2paint::device::{self, Compute, Preference};
use pix2paint::inference::Painter;
use pix2paint::weights;
use std::path::PathBuf;

/// Choose the device (`--cpu` forces the CPU) and say on stderr which one runs, and why the
/// GPU is not used when it is not.
pub fn select_device(cpu: bool) -> Compute {
    select_device_for(if cpu {
        Preference::Cpu
    } else {
        Preference::Auto
    })
}

/// [`select_device`] for any preference.
pub fn select_device_for(preference: Preference) -> Compute {
    let compute = device::select(preference);
    eprintln!("pix2paint: running on {}", compute.description);
    if let Some(why) = &compute.fallback_reason {
        eprintln!("pix2paint: (CPU fallback: {why})");
    }
    compute
}

/// Load the model to use (the given file or the default one) onto the chosen device, and say
/// on stderr what runs where.
pub fn load_painter(weights_arg: Option<PathBuf>, cpu: bool) -> Result<(Painter, Compute)> {
    let path = match weights_arg {
        Some(p) => p,
        None => match weights::default_model_path() {
            Some(p) => p,
            None => bail!(
                "no trained model is installed yet: {} holds no model file. \
                 Pass one with --weights FILE (a model written by pix2paint), \
                 or set PIX2PAINT_WEIGHTS",
                weights::default_model_dir().display()
            ),
        },
    };
    let compute = select_device(cpu);
    let model = weights::load(&path, &compute.device)
        .with_context(|| format!("loading the model {}", path.display()))?;
    eprintln!(
        "pix2paint: model {} (ngf {}, {} steps)",
        model.info.name, model.generator_config.ngf, model.info.steps
    );
    Ok((Painter::from_model(model, &compute.device), compute))
}

/// An error and its causes on one line, each cause once: pix2paint's errors already name their
/// cause (`cannot access PATH: what the OS said`), which the chain would repeat.
pub fn explain(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if out.contains(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
}
