//! `pix2paint prepare PHOTOS -o PAIRS`: turn photos into (line drawing | photo) training pairs.

use super::tally::{Next, Tally};
use anyhow::{Context, Result, bail};
use clap::Args;
use image::RgbImage;
use indicatif::{ProgressBar, ProgressStyle};
use pix2paint::files::save_image;
use pix2paint::imaging::{read_image, to_rgb};
use pix2paint::lines::{LineConfig, extract_lines};
use std::path::{Path, PathBuf};

/// Arguments of `pix2paint prepare`.
#[derive(Args)]
pub struct PrepareArgs {
    /// A folder of photos (PNG, JPEG, WebP, BMP).
    photos: PathBuf,
    /// Output folder for the pairs (sketch on the left, photo on the right, as pix2pix's A|B).
    #[arg(short, long)]
    output: PathBuf,
    /// Folder of foreground masks named like the photos (`.png`; non-zero = foreground), used to
    /// drop background lines where a mask exists.
    #[arg(long)]
    masks: Option<PathBuf>,
    /// Side of the square pairs (photos are resized).
    #[arg(long, default_value_t = 256, value_parser = super::bounds::side)]
    size: u32,
    /// Smoothing of the extractor (larger: fewer, simpler lines).
    #[arg(long, default_value_t = 2.0, value_parser = super::bounds::sigma)]
    sigma: f32,
    /// Drop line fragments shorter than this many pixels.
    #[arg(long, default_value_t = 12)]
    min_fragment: usize,
    /// Keep the pairs already in the output folder (finish a folder that was stopped).
    #[arg(long)]
    skip_existing: bool,
}

/// Make one pair image: lines | photo.
fn pair(photo: &Path, mask_dir: Option<&Path>, size: u32, cfg: &LineConfig) -> Result<RgbImage> {
    let img = read_image(photo)?;
    let rgb = image::imageops::resize(
        &to_rgb(&img),
        size,
        size,
        image::imageops::FilterType::Lanczos3,
    );
    let mask = match mask_dir {
        Some(dir) => {
            let stem = photo.file_stem().unwrap_or_default();
            let m = dir.join(stem).with_extension("png");
            m.is_file()
                .then(|| read_image(&m).map(|m| m.to_luma8()))
                .transpose()?
        }
        None => None,
    };
    let lines = extract_lines(&rgb, mask.as_ref(), cfg);
    let lines_rgb = image::DynamicImage::ImageLuma8(lines).to_rgb8();
    Ok(pix2paint::tiles::row(&[&lines_rgb, &rgb]))
}

/// Run over the folder; unreadable photos are listed and skipped, and pairs that could not be
/// written fail the command.
pub fn run(args: PrepareArgs) -> Result<()> {
    let photos = super::colorize::collect_inputs(std::slice::from_ref(&args.photos))?;
    if pix2paint::files::same_file(&args.photos, &args.output) {
        bail!(
            "{} is both the photos folder and the output: the pairs would replace the photos; \
             give another folder to -o",
            args.output.display()
        );
    }
    pix2paint::files::check_writable(&args.output)
        .with_context(|| format!("cannot write into the folder {}", args.output.display()))?;
    let cfg = LineConfig {
        sigma: args.sigma,
        min_fragment: args.min_fragment,
        ..LineConfig::default()
    };
    let bar = ProgressBar::new(photos.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} photos, {per_sec}, ETA {eta}")
            .expect("valid template"),
    );
    let mut tally = Tally::new(&bar, photos.len(), args.skip_existing);
    let names = super::output_names::output_names(&photos);
    for (p, name) in photos.iter().zip(names) {
        let out = args.output.join(name);
        match tally.next(&out) {
            Next::Stop => break,
            Next::Kept => continue,
            Next::Make => {}
        }
        match pair(p, args.masks.as_deref(), args.size, &cfg) {
            Err(e) => tally.skipped(p, &e),
            Ok(img) => match save_image(&img, &out) {
                Ok(()) => tally.written(),
                Err(e) => tally.unwritten(&out, &e),
            },
        }
        bar.inc(1);
    }
    tally.finish("pairs", &args.output, false)?;
    Ok(())
}
