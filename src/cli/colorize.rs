//! `pix2paint colorize SKETCH... -o OUT`: paint sketch files or folders of them.

use super::output_names::output_names;
use super::tally::{Next, Tally};
use anyhow::{Context, Result, bail};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use pix2paint::files::is_image;
use pix2paint::files::save_image;
use pix2paint::hints::read_hint_layer;
use pix2paint::imaging::{read_image, to_sketch};
use std::path::{Path, PathBuf};

/// Arguments of `pix2paint colorize`.
#[derive(Args)]
pub struct ColorizeArgs {
    /// Sketch images (PNG, JPEG, WebP, BMP; any size and colour type) or folders of them.
    #[arg(required = true)]
    sketches: Vec<PathBuf>,
    /// Output: an image file for a single sketch, else a folder (created if needed).
    #[arg(short, long)]
    output: PathBuf,
    /// Model weights (default: the installed cat model).
    #[arg(long)]
    weights: Option<PathBuf>,
    /// Run on the CPU even if a GPU is available.
    #[arg(long)]
    cpu: bool,
    /// Paint a variation: dropout noise from this seed.
    #[arg(long)]
    seed: Option<u64>,
    /// Colour hints for a single sketch: an RGBA image of the sketch's proportions (any size),
    /// transparent where there is no hint; the model must take hints.
    #[arg(long)]
    hints: Option<PathBuf>,
    /// Keep the paintings already in the output folder (finish a folder that was stopped).
    #[arg(long)]
    skip_existing: bool,
}

/// The sketch files named on the command line, folders expanded (sorted, not recursive).
pub fn collect_inputs(args: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for a in args {
        if a.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(a)
                .with_context(|| format!("reading the folder {}", a.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file() && is_image(p))
                .collect();
            if found.is_empty() {
                bail!(
                    "the folder {} holds no PNG, JPEG, WebP or BMP images",
                    a.display()
                );
            }
            found.sort();
            files.extend(found);
        } else if a.is_file() {
            files.push(a.clone());
        } else {
            bail!("{} does not exist", a.display());
        }
    }
    Ok(files)
}

/// Where each painting goes: `-o` itself for a single sketch, else [`output_names`] in the
/// folder. A result that would land on one of the inputs (the same file under any spelling of
/// its path) is refused before anything is painted.
fn output_paths(inputs: &[PathBuf], output: &Path, single: bool) -> Result<Vec<PathBuf>> {
    let outs: Vec<PathBuf> = if single {
        vec![output.to_owned()]
    } else {
        output_names(inputs)
            .into_iter()
            .map(|n| output.join(n))
            .collect()
    };
    for (input, out) in inputs.iter().zip(&outs) {
        let hit = inputs.iter().find(|i| pix2paint::files::same_file(i, out));
        if let Some(hit) = hit {
            bail!(
                "painting {} would write over the input {}; choose another -o",
                input.display(),
                hit.display()
            );
        }
    }
    Ok(outs)
}

/// Paint every sketch; a file that cannot be read is reported and skipped, and the command
/// fails at the end if any was, or if a painting could not be written.
pub fn run(args: ColorizeArgs) -> Result<()> {
    let inputs = collect_inputs(&args.sketches)?;
    let single = inputs.len() == 1 && args.sketches[0].is_file() && is_image(&args.output);
    if !single {
        if is_image(&args.output) {
            bail!(
                "{} names an image file but there are {} sketches: give a folder for -o",
                args.output.display(),
                inputs.len()
            );
        }
        pix2paint::files::check_writable(&args.output)
            .with_context(|| format!("cannot write into the folder {}", args.output.display()))?;
    }
    if args.hints.is_some() && inputs.len() != 1 {
        bail!(
            "--hints goes with one sketch ({} given): a hint layer belongs to its sketch",
            inputs.len()
        );
    }
    let (painter, compute) = super::load_painter(args.weights, args.cpu)?;
    if args.hints.is_some() && !painter.takes_hints() {
        bail!(
            "the model \"{}\" takes no colour hints; paint without --hints, or use a model \
             trained with them (pix2paint train --hints)",
            painter.info.name
        );
    }
    let bar = if inputs.len() > 1 {
        let bar = ProgressBar::new(inputs.len() as u64);
        bar.set_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} sketches, {per_sec}, ETA {eta}")
                .expect("valid template"),
        );
        bar
    } else {
        ProgressBar::hidden()
    };
    let outputs = output_paths(&inputs, &args.output, single)?;
    let mut tally = Tally::new(&bar, inputs.len(), args.skip_existing);
    for (input, out) in inputs.iter().zip(outputs) {
        match tally.next(&out) {
            Next::Stop => break,
            Next::Kept => continue,
            Next::Make => {}
        }
        let painted = read_image(input)
            .map_err(anyhow::Error::from)
            .and_then(|img| {
                let sketch = to_sketch(&img);
                let hints = match &args.hints {
                    Some(p) => Some(read_hint_layer(p, sketch.width(), sketch.height())?),
                    None => None,
                };
                Ok(painter.paint_hinted(&sketch, hints.as_ref(), args.seed, &compute.device)?)
            });
        match painted {
            Err(e) => tally.skipped(input, &e),
            Ok(image) => match save_image(&image, &out) {
                Ok(()) => tally.written(),
                Err(e) => tally.unwritten(&out, &e),
            },
        }
        bar.inc(1);
    }
    tally.finish("paintings", &args.output, true)?;
    Ok(())
}
