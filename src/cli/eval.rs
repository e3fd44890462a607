//! `pix2paint eval DATA --weights MODEL...`: mean L1 and SSIM between each model's output and
//! the photo on held-out pairs, plus a constant mean-colour baseline.

use anyhow::{Context, Result, bail};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use pix2paint::dataset::{Augment, Dataset, Example, Layout, SketchStyle, prepare_example};
use pix2paint::eval::appearance::Appearance;
use pix2paint::eval::drawn::SetHistogram;
use pix2paint::eval::{Scores, mean_colour_image};
use pix2paint::files;
use pix2paint::hints::{HintConfig, place_hints};
use pix2paint::inference::Painter;
use pix2paint::rng::Rng;
use pix2paint::weights::{self, Direction};
use std::path::PathBuf;
use std::time::{Duration, Instant};

#[derive(Clone, Copy, clap::ValueEnum)]
enum StyleArg {
    Edges,
    Outline,
    Xdog,
}

/// Arguments of `pix2paint eval`.
#[derive(Args)]
pub struct EvalArgs {
    /// Held-out data: A|B pairs, A/ B/ folders, or plain photos (lines are extracted).
    data: PathBuf,
    /// Models to score (repeat the flag); default: the installed model.
    #[arg(long)]
    weights: Vec<PathBuf>,
    /// Foreground masks for the photos layout (same names, .png).
    #[arg(long)]
    masks: Option<PathBuf>,
    /// For A|B pairs and A/ B/ folders: the input is B.
    #[arg(long)]
    btoa: bool,
    /// Score at most this many examples (the first ones by name).
    #[arg(long)]
    limit: Option<usize>,
    /// Write sketch | each model | photo strips for the first N examples into this folder.
    #[arg(long)]
    samples: Option<PathBuf>,
    /// How many sample strips to write.
    #[arg(long, default_value_t = 8)]
    sample_count: usize,
    /// Run on the CPU even if a GPU is available.
    #[arg(long)]
    cpu: bool,
    /// How the held-out photos' sketches are drawn: pix2paint's edge extractor, the outline
    /// from the masks (photos without a mask are left out), or XDoG.
    #[arg(long, value_enum, default_value_t = StyleArg::Edges)]
    style: StyleArg,
    /// Also score with this many colour hints sampled from each photo (fixed seed), for models
    /// that take hints.
    #[arg(long)]
    hints: Option<u32>,
    /// Judge paintings of drawings instead of photos' sketches: the app's example sketches and
    /// a drawing on blank paper made from each photo with a mask (needs --masks), measured
    /// without the photos (calm background, streaks, detail and colour inside the drawing, the
    /// colours of the set), and one blue dab on the cat and one green dab on the paper.
    #[arg(long, requires = "masks")]
    drawn: bool,
}

/// Score the models and print a Markdown table.
pub fn run(args: EvalArgs) -> Result<()> {
    let direction = Direction::from_btoa(args.btoa);
    let data = Dataset::open(&args.data, Layout::Auto, direction, args.masks.clone())?;
    if !data.skipped.is_empty() {
        eprintln!("pix2paint: skipped {} unreadable files", data.skipped.len());
    }
    let n = args.limit.unwrap_or(usize::MAX).min(data.len());
    let mut model_paths = args.weights.clone();
    if model_paths.is_empty() {
        match weights::default_model_path() {
            Some(p) => model_paths.push(p),
            None => bail!("no model to evaluate: pass --weights FILE"),
        }
    }
    let compute = super::select_device(args.cpu);
    let mut painters = Vec::new();
    for p in &model_paths {
        let model = weights::load(p, &compute.device)
            .with_context(|| format!("loading the model {}", p.display()))?;
        painters.push(Painter::from_model(model, &compute.device));
    }

    if args.drawn {
        let samples = args.samples.as_deref().map(|d| (d, args.sample_count));
        return super::eval_drawn::run(&data, n, &model_paths, &painters, &compute.device, samples);
    }

    // The examples as the model sees them at test time: resized, no augmentation.
    let plain = Augment::NONE;
    let mut rng = Rng::seed_from_u64(0);
    let mut examples: Vec<Example> = Vec::with_capacity(n);
    let mut hint_rng = Rng::seed_from_u64(1);
    let mut unreadable = 0;
    for i in 0..n {
        let style = match args.style {
            StyleArg::Edges => SketchStyle::Edges,
            StyleArg::Outline => SketchStyle::Outline,
            StyleArg::Xdog => SketchStyle::Xdog,
        };
        match data.load_style(i, style) {
            Ok(Some(ex)) => examples.push(prepare_example(&ex, 256, &plain, &mut rng)),
            Ok(None) => {}
            Err(e) => {
                unreadable += 1;
                eprintln!("pix2paint: skipping {}: {e}", data.name(i));
            }
        }
    }
    if examples.is_empty() {
        bail!("{} holds no readable example", args.data.display());
    }
    let mean = mean_colour_image(examples.iter().map(|e| &e.photo), 256);
    let hint_layers: Vec<Option<image::RgbaImage>> = examples
        .iter()
        .map(|ex| {
            args.hints.map(|n| {
                place_hints(
                    &ex.photo,
                    ex.mask.as_ref(),
                    n,
                    &HintConfig::default(),
                    &mut hint_rng,
                )
            })
        })
        .collect();

    let bar = ProgressBar::new((examples.len() * painters.len()) as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} images ETA {eta}")
            .expect("valid template"),
    );
    let mut scores = vec![Scores::default(); painters.len()];
    let mut looks = vec![Appearance::default(); painters.len()];
    let mut hinted = vec![(Scores::default(), Appearance::default()); painters.len()];
    let mut times = vec![Duration::ZERO; painters.len()];
    let mut sets = vec![SetHistogram::default(); painters.len()];
    let mut photo_set = SetHistogram::default();
    let mut mean_scores = Scores::default();
    for (k, ex) in examples.iter().enumerate() {
        let mut outputs = Vec::new();
        for (j, painter) in painters.iter().enumerate() {
            let t = Instant::now();
            let out = painter.paint(&ex.sketch, None, &compute.device)?;
            times[j] += t.elapsed();
            scores[j].add(&out, &ex.photo);
            looks[j].add(&out, &ex.photo);
            sets[j].add(&out);
            if let Some(hints) = &hint_layers[k]
                && painter.takes_hints()
            {
                let out = painter.paint_hinted(&ex.sketch, Some(hints), None, &compute.device)?;
                hinted[j].0.add(&out, &ex.photo);
                hinted[j].1.add(&out, &ex.photo);
            }
            outputs.push(out);
            bar.inc(1);
        }
        mean_scores.add(&mean, &ex.photo);
        photo_set.add(&ex.photo);
        if let Some(dir) = &args.samples
            && k < args.sample_count
        {
            let mut strip = vec![&ex.sketch];
            strip.extend(outputs.iter());
            strip.push(&ex.photo);
            let path = dir.join(format!("{k:03}.png"));
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            files::save_image(&pix2paint::tiles::row(&strip), &path)
                .with_context(|| format!("writing {}", path.display()))?;
        }
    }
    bar.finish_and_clear();

    println!(
        "{} held-out examples from {}{}",
        examples.len(),
        args.data.display(),
        if unreadable > 0 {
            format!(" ({unreadable} unreadable, skipped)")
        } else {
            String::new()
        }
    );
    println!();
    println!(
        "| model | hints | steps | mean L1 ↓ | L1 ÷ mean colour ↓ | SSIM ↑ | colourfulness ratio | histogram ∩ ↑ | set histogram ∩ ↑ | checkerboard ratio ↓ | streak ratio ↓ | detail ratio | ms / image |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    let row = |name: String,
               hints: String,
               steps: String,
               s: &Scores,
               look: &Appearance,
               set: String,
               ms: String| {
        println!(
            "| {name} | {hints} | {steps} | {:.4} | {:.3} | {:.4} | {:.2} | {:.3} | {set} | {:.2} | {:.2} | {:.2} | {ms} |",
            s.l1(),
            s.l1() / mean_scores.l1(),
            s.ssim(),
            look.colourfulness_ratio(),
            look.histogram_intersection(),
            look.checkerboard_ratio(),
            look.streak_ratio(),
            look.detail_ratio(),
        );
    };
    for (j, (p, painter)) in model_paths.iter().zip(&painters).enumerate() {
        let name = format!(
            "{} ({})",
            painter.info.name,
            p.file_name().unwrap_or_default().to_string_lossy()
        );
        let ms = times[j].as_secs_f64() * 1e3 / scores[j].count.max(1) as f64;
        let steps = painter.info.steps.to_string();
        row(
            name.clone(),
            "0".into(),
            steps.clone(),
            &scores[j],
            &looks[j],
            format!("{:.3}", sets[j].intersection(&photo_set)),
            format!("{ms:.1}"),
        );
        if let Some(n) = args.hints
            && hinted[j].0.count > 0
        {
            row(
                name,
                n.to_string(),
                steps,
                &hinted[j].0,
                &hinted[j].1,
                "–".into(),
                "–".into(),
            );
        }
    }
    let m = mean.get_pixel(0, 0);
    let mut mean_look = Appearance::default();
    for ex in &examples {
        mean_look.add(&mean, &ex.photo);
    }
    row(
        format!("mean colour ({}, {}, {})", m[0], m[1], m[2]),
        "–".into(),
        "–".into(),
        &mean_scores,
        &mean_look,
        "–".into(),
        "–".into(),
    );
    Ok(())
}
