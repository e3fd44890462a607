//! `pix2paint eval DATA --drawn`: paintings of drawings, judged without photos
//! ([`pix2paint::eval::drawn`]), and what one dab of blue on the cat and one of green on the
//! paper do.
//!
//! The drawn set: the app's three example sketches (drawn with the mouse) and, for each photo
//! of DATA with a mask, a drawing made from it as the v3 training draws people's sketches
//! ([`Dataset::load_drawn`], blank paper, fixed seed): the outline alone or with a few interior
//! lines, or the cat's edges, at varied sizes and places. The photos (with their masks) give
//! the reference statistics.

use anyhow::{Context, Result, bail};
use image::{GrayImage, RgbImage, Rgba, RgbaImage};
use indicatif::{ProgressBar, ProgressStyle};
use pix2paint::dataset::{Augment, Backdrop, Dataset, Drawings, prepare_example};
use pix2paint::eval::drawn::{DrawnLook, Reference, outside_of, shift_toward, silhouette};
use pix2paint::files;
use pix2paint::inference::Painter;
use pix2paint::rng::Rng;
use std::path::{Path, PathBuf};

/// The blue of the body dab.
const BLUE: [u8; 3] = [40, 80, 220];
/// The green of the paper dab.
const GREEN: [u8; 3] = [50, 180, 60];
/// Side of a dab, in pixels at 256² (a short press of the app's Colour tool).
const DAB: u32 = 7;
/// Pixels within this distance of a dab are left out of its shift: the question is whether the
/// region follows, not the dab's own spot.
const NEAR: f64 = 16.0;

/// One drawing of the set.
struct Drawing {
    sketch: RgbImage,
    inside: GrayImage,
}

/// The drawn set and the photos' reference statistics.
fn drawn_set(data: &Dataset, limit: usize) -> Result<(Vec<Drawing>, Reference)> {
    let mut drawings = Vec::new();
    for i in 0..pix2paint::assets::EXAMPLES.len() {
        if let Some(Ok(grey)) = pix2paint::assets::example(i) {
            let rgb = image::DynamicImage::ImageLuma8(grey).to_rgb8();
            let sketch =
                image::imageops::resize(&rgb, 256, 256, image::imageops::FilterType::Triangle);
            drawings.push(Drawing {
                inside: silhouette(&sketch),
                sketch,
            });
        }
    }
    let how = Drawings {
        backdrop: Backdrop::Paper,
        photo_share: 0.0,
        ..Drawings::default()
    };
    let mut rng = Rng::seed_from_u64(0);
    let mut reference = Reference::default();
    let mut used = 0;
    for i in 0..data.len() {
        if used >= limit {
            break;
        }
        if !data.has_mask(i) {
            continue;
        }
        let Ok(Some((photo, Some(mask)))) = data.load_photo(i) else {
            continue;
        };
        let size = |img: &RgbImage| {
            image::imageops::resize(img, 256, 256, image::imageops::FilterType::Triangle)
        };
        let mask256 =
            image::imageops::resize(&mask, 256, 256, image::imageops::FilterType::Nearest);
        reference.add(&size(&photo), &mask256);
        let ex = data
            .load_drawn(i, &how, &mut rng)
            .map_err(|e| anyhow::anyhow!("{}: {e}", data.name(i)))?;
        let ex = prepare_example(&ex, 256, &Augment::NONE, &mut rng);
        drawings.push(Drawing {
            inside: silhouette(&ex.sketch),
            sketch: ex.sketch,
        });
        used += 1;
    }
    if reference.count() == 0 {
        bail!(
            "no photo of {} has a mask: the drawn set is made from photos with masks (--masks)",
            data.root.display()
        );
    }
    Ok((drawings, reference))
}

/// The pixel of `region` nearest its centre of mass (the body of a drawn cat), if any.
fn centre_of(region: &GrayImage) -> Option<(u32, u32)> {
    let points: Vec<(u32, u32)> = region
        .enumerate_pixels()
        .filter(|(_, _, p)| p[0] > 0)
        .map(|(x, y, _)| (x, y))
        .collect();
    let n = points.len() as f64;
    let cx = points.iter().map(|p| f64::from(p.0)).sum::<f64>() / n;
    let cy = points.iter().map(|p| f64::from(p.1)).sum::<f64>() / n;
    points.into_iter().min_by(|a, b| {
        let d = |p: &(u32, u32)| (f64::from(p.0) - cx).hypot(f64::from(p.1) - cy);
        d(a).total_cmp(&d(b))
    })
}

/// The paper pixel farthest from the drawing's silhouette within the picture, if any.
fn far_from(inside: &GrayImage) -> Option<(u32, u32)> {
    let ink: Vec<(u32, u32)> = inside
        .enumerate_pixels()
        .filter(|(_, _, p)| p[0] > 0)
        .map(|(x, y, _)| (x, y))
        .step_by(7)
        .collect();
    let candidates = (DAB..inside.height() - DAB)
        .step_by(8)
        .flat_map(|y| (DAB..inside.width() - DAB).step_by(8).map(move |x| (x, y)));
    candidates
        .filter(|&(x, y)| inside.get_pixel(x, y)[0] == 0)
        .max_by_key(|&(x, y)| {
            ink.iter()
                .map(|&(u, v)| u64::from(u.abs_diff(x)).pow(2) + u64::from(v.abs_diff(y)).pow(2))
                .min()
                .unwrap_or(u64::MAX)
        })
}

/// A hint layer with one dab of `colour` centred at `at`.
fn dab(at: (u32, u32), colour: [u8; 3]) -> RgbaImage {
    let mut layer = RgbaImage::new(256, 256);
    let (x0, y0) = (at.0.saturating_sub(DAB / 2), at.1.saturating_sub(DAB / 2));
    for y in y0..(y0 + DAB).min(256) {
        for x in x0..(x0 + DAB).min(256) {
            layer.put_pixel(x, y, Rgba([colour[0], colour[1], colour[2], 255]));
        }
    }
    layer
}

/// `region` without the pixels near `at`.
fn away_from(region: &GrayImage, at: (u32, u32)) -> GrayImage {
    GrayImage::from_fn(region.width(), region.height(), |x, y| {
        let d = (f64::from(x) - f64::from(at.0)).hypot(f64::from(y) - f64::from(at.1));
        image::Luma([if d > NEAR {
            region.get_pixel(x, y)[0]
        } else {
            0
        }])
    })
}

/// Paint the drawn set with each model and print the table.
pub fn run(
    data: &Dataset,
    limit: usize,
    model_paths: &[PathBuf],
    painters: &[Painter],
    device: &burn::tensor::Device,
    samples: Option<(&Path, usize)>,
) -> Result<()> {
    let (drawings, reference) = drawn_set(data, limit)?;
    let bar = ProgressBar::new((drawings.len() * painters.len()) as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} drawings ETA {eta}")
            .expect("valid template"),
    );
    println!(
        "{} drawings ({} example sketches, the rest drawn from the photos of {} on blank paper); \
         reference: those {} photos",
        drawings.len(),
        drawings.len() - reference.count(),
        data.root.display(),
        reference.count()
    );
    println!();
    println!(
        "| model | background detail ÷ photos ↓ | streak ratio ↓ | detail inside | colourfulness inside | set histogram ∩ ↑ | blue dab on the cat: shift over the cat | green dab on the paper: shift over the paper |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for (j, (path, painter)) in model_paths.iter().zip(painters).enumerate() {
        let mut look = DrawnLook::default();
        let (mut blue, mut green, mut dabbed) = (0.0, 0.0, 0usize);
        for (k, d) in drawings.iter().enumerate() {
            let plain = painter.paint(&d.sketch, None, device)?;
            look.add(&plain, &d.inside);
            let mut strip = vec![d.sketch.clone(), plain.clone()];
            if painter.takes_hints()
                && let (Some(body), Some(paper)) = (centre_of(&d.inside), far_from(&d.inside))
            {
                let on_cat =
                    painter.paint_hinted(&d.sketch, Some(&dab(body, BLUE)), None, device)?;
                let on_paper =
                    painter.paint_hinted(&d.sketch, Some(&dab(paper, GREEN)), None, device)?;
                blue += shift_toward(&plain, &on_cat, &away_from(&d.inside, body), BLUE);
                let background = outside_of(&d.inside);
                green += shift_toward(&plain, &on_paper, &away_from(&background, paper), GREEN);
                dabbed += 1;
                strip.push(on_cat);
                strip.push(on_paper);
            }
            if let Some((dir, count)) = samples
                && k < count
            {
                let refs: Vec<&RgbImage> = strip.iter().collect();
                let file = dir.join(format!("drawn-{j}-{k:03}.png"));
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("creating {}", dir.display()))?;
                files::save_image(&pix2paint::tiles::row(&refs), &file)
                    .with_context(|| format!("writing {}", file.display()))?;
            }
            bar.inc(1);
        }
        let shift = |sum: f64| {
            if dabbed == 0 {
                "–".to_string()
            } else {
                format!("{:+.3}", sum / dabbed as f64)
            }
        };
        println!(
            "| {} ({}) | {:.2} | {:.2} | {:.2} | {:.2} | {:.3} | {} | {} |",
            painter.info.name,
            path.file_name().unwrap_or_default().to_string_lossy(),
            look.background_detail_ratio(&reference),
            look.streak_ratio(&reference),
            look.detail_inside_ratio(&reference),
            look.colour_inside_ratio(&reference),
            look.histogram_intersection(&reference),
            shift(blue),
            shift(green),
        );
    }
    bar.finish_and_clear();
    Ok(())
}
