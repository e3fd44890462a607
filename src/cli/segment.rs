//! `pix2paint segment`: train the foreground segmenter on the photos that have masks, and
//! predict a mask for every photo of a folder (the cat runs draw outlines and calm backgrounds
//! from them). See [`pix2paint::segment`].

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use pix2paint::dataset::{Dataset, Layout};
use pix2paint::segment::{self, Labelled, Overlap, SegmentConfig, SegmentTrainer};
use pix2paint::weights::Direction;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Arguments of `pix2paint segment`.
#[derive(Args)]
pub struct SegmentArgs {
    #[command(subcommand)]
    action: Action,
}

#[derive(Subcommand)]
enum Action {
    /// Train a segmenter on the photos of a folder that have a mask.
    Train(TrainArgs),
    /// Write a mask for every photo of a folder (keeping the masks that exist), and score the
    /// predictions against them with --score.
    Predict(PredictArgs),
}

#[derive(Args)]
struct TrainArgs {
    /// A folder of photos; those with a mask in --masks train the segmenter.
    photos: PathBuf,
    /// Folder of masks named like the photos (.png; 255 subject, 128 undecided, 0 background).
    #[arg(long)]
    masks: PathBuf,
    /// The segmenter file to write (written every 500 steps and at the end).
    #[arg(long)]
    out: PathBuf,
    /// Continue training this segmenter (to the total of --steps).
    #[arg(long)]
    from: Option<PathBuf>,
    /// Optimizer steps in all.
    #[arg(long, default_value_t = 3000, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    steps: u64,
    /// Width of the network (filters in its outermost layer).
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u64).range(1..=128))]
    ngf: u64,
    /// Photos per step.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u64).range(1..=64))]
    batch_size: u64,
    /// Seed of the initialisation and the data order.
    #[arg(long, default_value_t = 5)]
    seed: u64,
    /// Train on the CPU even if a GPU is available.
    #[arg(long)]
    cpu: bool,
}

#[derive(Args)]
struct PredictArgs {
    /// A folder of photos.
    photos: PathBuf,
    /// The segmenter (from `pix2paint segment train`).
    #[arg(long)]
    model: PathBuf,
    /// Output folder: one mask per photo, NAME.png (255 subject, 0 background).
    #[arg(long)]
    out: PathBuf,
    /// Masks that exist (named like the photos): copied to the output as they are instead of
    /// predicted, and with --score compared with the prediction.
    #[arg(long)]
    masks: Option<PathBuf>,
    /// Report the intersection over union of the predictions with the masks that exist.
    #[arg(long, requires = "masks")]
    score: bool,
    /// Keep the thresholded prediction as it is (no largest-region and hole filling pass).
    #[arg(long)]
    no_refine: bool,
    /// Run on the CPU even if a GPU is available.
    #[arg(long)]
    cpu: bool,
}

/// Run `pix2paint segment`.
pub fn run(args: SegmentArgs) -> Result<()> {
    match args.action {
        Action::Train(a) => train(a),
        Action::Predict(a) => predict(a),
    }
}

fn bar(len: u64, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template(&format!(
            "{{bar:40}} {{pos}}/{{len}} {what}, {{per_sec}}, ETA {{eta}} {{msg}}"
        ))
        .expect("valid template"),
    );
    bar
}

fn open(photos: &Path, masks: Option<&Path>) -> Result<Dataset> {
    if let Some(m) = masks
        && !m.is_dir()
    {
        bail!(
            "{} is not a folder: --masks takes the folder of masks named like the photos",
            m.display()
        );
    }
    Ok(Dataset::open(
        photos,
        Layout::Photos,
        Direction::AtoB,
        masks.map(Path::to_owned),
    )?)
}

fn train(args: TrainArgs) -> Result<()> {
    let data = open(&args.photos, Some(&args.masks))?;
    let mut labelled = Vec::new();
    let loading = bar(data.len() as u64, "photos read");
    for i in 0..data.len() {
        loading.inc(1);
        if !data.has_mask(i) {
            continue;
        }
        match data.load_photo(i) {
            Ok(Some((photo, Some(mask)))) => labelled.push(Labelled { photo, mask }),
            Ok(_) => {}
            Err(e) => loading.suspend(|| eprintln!("skipped {}: {e}", data.name(i))),
        }
    }
    loading.finish_and_clear();
    if labelled.is_empty() {
        bail!(
            "none of the {} photos in {} has a mask in {}: masks are named like the photos, \
             with .png",
            data.len(),
            args.photos.display(),
            args.masks.display()
        );
    }
    eprintln!(
        "segment: training on {} of {} photos (those with a mask)",
        labelled.len(),
        data.len()
    );
    let compute = super::select_device(args.cpu);
    let device = compute.device.autodiff();
    let config = SegmentConfig {
        ngf: args.ngf as usize,
        steps: args.steps,
        batch_size: args.batch_size as usize,
        seed: args.seed,
        ..SegmentConfig::default()
    };
    let mut trainer = match &args.from {
        Some(from) => SegmentTrainer::resume(from, config, &device)?,
        None => SegmentTrainer::new(config, &device),
    };
    if trainer.step >= args.steps {
        eprintln!(
            "segment: {} is already trained to step {}; nothing to do (raise --steps to train \
             on)",
            args.from.as_deref().unwrap_or(&args.out).display(),
            trainer.step
        );
        return Ok(());
    }
    let progress = bar(args.steps, "steps");
    progress.set_position(trainer.step);
    let (mut sum, mut count) = (0.0f64, 0u32);
    while trainer.step < args.steps {
        sum += f64::from(trainer.step(&labelled, &device));
        count += 1;
        progress.inc(1);
        if trainer.step.is_multiple_of(100) {
            let line = format!(
                "step {} loss {:.4}",
                trainer.step,
                sum / f64::from(count.max(1))
            );
            progress.set_message(line.clone());
            progress.suspend(|| eprintln!("{line}"));
            (sum, count) = (0.0, 0);
        }
        if trainer.step.is_multiple_of(500) || trainer.step == args.steps {
            trainer
                .save(&args.out)
                .with_context(|| format!("saving {}", args.out.display()))?;
        }
    }
    progress.finish_and_clear();
    eprintln!("segment: wrote {}", args.out.display());
    Ok(())
}

fn predict(args: PredictArgs) -> Result<()> {
    let data = open(&args.photos, args.masks.as_deref())?;
    if pix2paint::files::same_file(&args.photos, &args.out) {
        bail!(
            "{} is both the photos folder and --out: masks named like PNG photos would replace \
             them; give another folder to --out",
            args.out.display()
        );
    }
    let compute = super::select_device(args.cpu);
    let (segmenter, stats) = segment::load(&args.model, &compute.device)
        .with_context(|| format!("loading the segmenter {}", args.model.display()))?;
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let (mut raw, mut refined, mut scored) = (Overlap::default(), Overlap::default(), 0);
    let (mut written, mut kept) = (0, 0);
    let progress = bar(data.len() as u64, "photos");
    let started = Instant::now();
    for i in 0..data.len() {
        progress.inc(1);
        let (photo, truth) = match data.load_photo(i) {
            Ok(Some(loaded)) => loaded,
            Ok(None) => continue,
            Err(e) => {
                progress.suspend(|| eprintln!("skipped {}: {e}", data.name(i)));
                continue;
            }
        };
        let name = Path::new(&data.name(i)).with_extension("png");
        let target = args.out.join(&name);
        let needs_prediction = truth.is_none() || args.score;
        let predicted = needs_prediction.then(|| {
            let m = segment::predict(&segmenter, stats, &photo, &compute.device);
            let r = segment::refine(&m);
            (m, r)
        });
        if let (Some(truth), Some((m, r))) = (&truth, &predicted) {
            raw += Overlap::of(m, truth);
            refined += Overlap::of(r, truth);
            scored += 1;
        }
        let mask = match (truth, predicted) {
            (Some(t), _) => {
                kept += 1;
                t
            }
            (None, Some((m, r))) => {
                written += 1;
                if args.no_refine { m } else { r }
            }
            (None, None) => unreachable!("predicted whenever there is no mask"),
        };
        let mut bytes = Vec::new();
        mask.write_to(
            &mut std::io::Cursor::new(&mut bytes),
            image::ImageFormat::Png,
        )
        .context("encoding a mask")?;
        pix2paint::files::write_atomic(&target, &bytes)
            .with_context(|| format!("writing {}", target.display()))?;
    }
    progress.finish_and_clear();
    eprintln!(
        "segment: {written} masks predicted, {kept} kept as given, in {} ({:.1} s)",
        args.out.display(),
        started.elapsed().as_secs_f64()
    );
    if args.score {
        if scored == 0 {
            bail!(
                "no photo of {} has a mask to score against",
                args.photos.display()
            );
        }
        println!(
            "IoU over {scored} photos with masks (trimap border left out): {:.3} thresholded, \
             {:.3} refined (largest region, holes filled)",
            raw.iou(),
            refined.iou()
        );
    }
    Ok(())
}
