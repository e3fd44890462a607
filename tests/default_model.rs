//! The cat model this project ships as the default (`weights/pix2paint-cats-v2.safetensors`, see
//! its model card): complete, taking colour hints, found from any working directory, and painting
//! a drawn cat in colour.

mod common;

use burn::tensor::Device;
use common::{draw_sketch, sketch_head};
use image::RgbImage;
use pix2paint::weights;
use std::process::Command;

#[test]
fn the_shipped_model_is_complete_and_describes_itself() {
    let path =
        weights::default_model_path().expect("weights/pix2paint-cats-v2.safetensors is shipped");
    let model = weights::load(&path, &Device::flex()).expect("the shipped model loads");
    assert!(
        model.info.name.starts_with("pix2paint cats v2"),
        "{}",
        model.info.name
    );
    assert_eq!(
        model.generator_config.hint_channels,
        pix2paint::hints::CHANNELS,
        "the default model takes colour hints (the Colour tool)"
    );
    assert!(
        model.training_generator.is_some(),
        "the raw generator ships beside its weight average, to fine-tune from"
    );
    assert!(model.info.steps >= 1000, "{} steps", model.info.steps);
    assert_eq!(model.info.resolution, 256);
    assert!(
        model.discriminator.is_some(),
        "the discriminator ships too, for fine-tuning"
    );
    assert!(
        model.info.description.contains("CC BY-SA 4.0"),
        "the file names its licence: {}",
        model.info.description
    );
}

/// Mean colour of the pixels where `inside` holds.
fn mean_where(img: &RgbImage, inside: impl Fn(u32, u32) -> bool) -> [f64; 3] {
    let (mut sum, mut n) = ([0.0; 3], 0.0);
    for (x, y, p) in img.enumerate_pixels() {
        if inside(x, y) {
            for c in 0..3 {
                sum[c] += f64::from(p[c]);
            }
            n += 1.0;
        }
    }
    sum.map(|s| s / n)
}

#[test]
fn a_drawn_cat_is_painted_in_colour_from_any_working_directory() {
    let dir = tempfile::tempdir().unwrap();
    let sketch = draw_sketch(256, 256);
    sketch.save(dir.path().join("cat.png")).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_pix2paint"))
        .args(["colorize", "cat.png", "-o", "painted.png", "--cpu"])
        .current_dir(dir.path())
        .env_remove("PIX2PAINT_WEIGHTS")
        .output()
        .expect("the binary runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("pix2paint cats"), "{stderr}");

    let painted = image::open(dir.path().join("painted.png"))
        .unwrap()
        .to_rgb8();
    assert_eq!(painted.dimensions(), (256, 256));
    // Colour, not a grey or a copy of the lines: the mean chroma (max - min channel).
    let chroma = painted
        .pixels()
        .map(|p| f64::from(p.0.iter().max().unwrap() - p.0.iter().min().unwrap()))
        .sum::<f64>()
        / (256.0 * 256.0);
    assert!(chroma > 12.0, "mean chroma {chroma:.1}");
    // The cat (inside the drawn head) is painted differently from the background.
    let (cx, cy, r) = sketch_head(256, 256);
    let dist = |x: u32, y: u32| ((x as f32 - cx).powi(2) + (y as f32 - cy).powi(2)).sqrt();
    let cat = mean_where(&painted, |x, y| dist(x, y) < r * 0.8);
    let around = mean_where(&painted, |x, y| dist(x, y) > r * 1.3);
    let contrast = (0..3)
        .map(|c| (cat[c] - around[c]).powi(2))
        .sum::<f64>()
        .sqrt();
    assert!(
        contrast > 15.0,
        "cat {cat:?} vs background {around:?}: {contrast:.1}"
    );
    // Not a blank page either.
    let spread = painted
        .pixels()
        .map(|p| f64::from(p[1]))
        .fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(v), hi.max(v)));
    assert!(spread.1 - spread.0 > 100.0, "green range {spread:?}");
}

/// The live canvas paints at reduced precision (8-bit weights, 12-bit activations): with the
/// shipped model, on the drawings shipped in `assets/` and a drawn head with colour hints, its
/// painting stays within 35 dB PSNR of the fp32 one (the bar the README states).
#[test]
fn reduced_precision_paints_what_fp32_paints() {
    if !pix2paint::kernels::reduced_precision_available() {
        eprintln!("this CPU has no AVX2: the app paints at fp32 here");
        return;
    }
    let d = Device::flex();
    let path = weights::default_model_path().expect("the default model is shipped");
    let fp32 = pix2paint::inference::Painter::from_model(weights::load(&path, &d).unwrap(), &d);
    // Forced, whether or not this CPU runs it faster (the app asks `with_reduced_precision`).
    let reduced = pix2paint::inference::Painter {
        reduced: pix2paint::model::reduced::Reduced::of(&fp32.generator).map(std::sync::Arc::new),
        ..fp32.clone()
    };
    assert_eq!(reduced.precision(), "8-bit weights");
    assert_eq!(fp32.precision(), "fp32");
    let mut cases: Vec<(RgbImage, Option<image::RgbaImage>)> = (0..3)
        .map(|i| {
            let grey = pix2paint::assets::example(i)
                .expect("shipped")
                .expect("decodes");
            (image::DynamicImage::ImageLuma8(grey).to_rgb8(), None)
        })
        .collect();
    let head = draw_sketch(200, 180);
    let (cx, cy, r) = sketch_head(200, 180);
    let hints = image::RgbaImage::from_fn(200, 180, |x, y| {
        let near = (x as f32 - cx).powi(2) + (y as f32 - cy).powi(2) < (r * 0.3).powi(2);
        image::Rgba(if near {
            [40, 90, 230, 255]
        } else {
            [0, 0, 0, 0]
        })
    });
    cases.push((head, Some(hints)));
    for (i, (sketch, hints)) in cases.iter().enumerate() {
        let paint = |p: &pix2paint::inference::Painter| {
            p.paint_hinted(sketch, hints.as_ref(), None, &d)
                .expect("finite")
        };
        let (a, b) = (paint(&fp32), paint(&reduced));
        let mse = a
            .as_raw()
            .iter()
            .zip(b.as_raw())
            .map(|(&x, &y)| (f64::from(x) - f64::from(y)).powi(2))
            .sum::<f64>()
            / a.as_raw().len() as f64;
        let psnr = 10.0 * (255.0f64.powi(2) / mse.max(1e-12)).log10();
        eprintln!("case {i}: {psnr:.1} dB");
        assert!(psnr >= 35.0, "case {i}: PSNR {psnr:.1} dB against fp32");
    }
}
