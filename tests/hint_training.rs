//! A model with hint channels learns to obey them: trained on discs of flat colours with
//! simulated hints, it paints a disc in the hinted colour when given one 9×9 hint, and in its
//! own colour without, measured as colour distance over the disc.
//!
//! The schedule was found by trying (L1 only, ngf 8): with the default ~3 hints per example
//! 1,000 steps did not learn to use them; with dense hints (rate 0.03, ~32 per example) 600
//! steps moved the colour half way and 1,000 steps paint the hinted colour.

use burn::tensor::{Device, Tensor};
use image::{Rgb, RgbImage, Rgba, RgbaImage};
use pix2paint::hints::{HintConfig, sample_hints};
use pix2paint::rng::Rng;
use pix2paint::tensor_image::{hints_to_tensor, images_to_tensor, tensor_to_image};
use pix2paint::train::{Gan, NetworkConfig, OptimizerConfig, TrainConfig};
use rand::Rng as _;

const SIDE: u32 = 256;
const RADIUS: f32 = 70.0;
const STEPS: usize = 1000;
/// Flat colours the discs are painted in, far apart, so that what the model paints without a
/// hint is far from each of them.
const PALETTE: [[u8; 3]; 4] = [[220, 40, 40], [40, 200, 60], [50, 60, 220], [230, 210, 40]];

fn inside(x: u32, y: u32) -> bool {
    let (dx, dy) = (x as f32 - 128.0, y as f32 - 128.0);
    (dx * dx + dy * dy).sqrt() < RADIUS
}

fn outline() -> RgbImage {
    RgbImage::from_fn(SIDE, SIDE, |x, y| {
        let d = ((x as f32 - 128.0).powi(2) + (y as f32 - 128.0).powi(2)).sqrt();
        if (d - RADIUS).abs() < 2.0 {
            Rgb([0, 0, 0])
        } else {
            Rgb([255, 255, 255])
        }
    })
}

fn disc(colour: [u8; 3]) -> RgbImage {
    RgbImage::from_fn(SIDE, SIDE, |x, y| {
        if inside(x, y) {
            Rgb(colour)
        } else {
            Rgb([255, 255, 255])
        }
    })
}

/// Mean colour within `radius` of the centre.
fn disc_colour(img: &RgbImage, radius: f32) -> [f64; 3] {
    let (mut sum, mut n) = ([0.0; 3], 0.0);
    for (x, y, p) in img.enumerate_pixels() {
        let (dx, dy) = (x as f32 - 128.0, y as f32 - 128.0);
        if (dx * dx + dy * dy).sqrt() < radius {
            for c in 0..3 {
                sum[c] += f64::from(p[c]);
            }
            n += 1.0;
        }
    }
    sum.map(|s| s / n)
}

fn distance(a: [f64; 3], b: [u8; 3]) -> f64 {
    (0..3)
        .map(|c| (a[c] - f64::from(b[c])).powi(2))
        .sum::<f64>()
        .sqrt()
}

#[test]
fn a_hinted_model_paints_the_hinted_colour_and_its_own_without() {
    let d = Device::flex().autodiff();
    let config = TrainConfig {
        network: NetworkConfig {
            ngf: 8,
            ndf: 4,
            ..NetworkConfig::default()
        },
        optimizer: OptimizerConfig {
            lr: 2e-3,
            ..OptimizerConfig::default()
        },
        gan: false,
        hints: Some(HintConfig {
            rate: 0.03,
            max_patch: 9,
            on_subject: 1.0,
            ..HintConfig::default()
        }),
        ..TrainConfig::default()
    };
    let mut gan = Gan::new(&config, "hinted", &d);
    assert_eq!(gan.g_config.hint_channels, 4);
    let mut rng = Rng::seed_from_u64(5);
    let sketch = outline();
    let mask = image::GrayImage::from_fn(SIDE, SIDE, |x, y| {
        image::Luma([if inside(x, y) { 255 } else { 0 }])
    });
    for _ in 0..STEPS {
        let colour = PALETTE[rng.random_range(0..PALETTE.len())];
        let photo = disc(colour);
        let hints = sample_hints(
            &photo,
            Some(&mask),
            config.hints.as_ref().unwrap(),
            &mut rng,
        );
        let input = Tensor::cat(
            vec![
                images_to_tensor(&[&sketch], &d),
                hints_to_tensor(&[&hints], &d),
            ],
            1,
        );
        gan.step(input, images_to_tensor(&[&photo], &d), &config);
    }
    let g = gan.inference_generator();
    let cpu = Device::flex();
    let paint = |hints: Option<&RgbaImage>| {
        let s = images_to_tensor(&[&sketch], &cpu);
        let h = hints.map(|h| hints_to_tensor(&[h], &cpu));
        tensor_to_image(g.forward_any_size(s, h, pix2paint::model::NormStats::Batch, None, None))
    };
    let own = disc_colour(&paint(None), RADIUS * 0.6);
    // A training this short and this fast (lr 2e-3) is chaotic: which colour a run learns
    // last changes with the last bit of rounding. So a hint counts as followed when the painted
    // colour is nearer the hinted palette colour than any other (a model that ignores its hints
    // paints one colour, nearest to one palette entry: it follows at most 1 of 4), and the mean
    // distance must fall well below the unhinted one (a model that ignores hints scores 1.0).
    // Measured with this seed: the kernels before the dot-product path followed 3–4 of 4
    // within 0.5× of the unhinted distance; with it the blue hint lands 69 away against 72
    // unhinted (the model's own colour is bluish) yet nearest blue: 4 of 4 nearest, mean 0.36×.
    let mut followed = 0;
    let (mut sum_with, mut sum_without) = (0.0, 0.0);
    let mut report = Vec::new();
    for target in PALETTE {
        let mut hint = RgbaImage::new(SIDE, SIDE);
        for y in 124..133 {
            for x in 124..133 {
                hint.put_pixel(x, y, Rgba([target[0], target[1], target[2], 255]));
            }
        }
        let hinted = disc_colour(&paint(Some(&hint)), RADIUS * 0.6);
        let (with, without) = (distance(hinted, target), distance(own, target));
        let nearest = PALETTE
            .into_iter()
            .min_by(|a, b| distance(hinted, *a).total_cmp(&distance(hinted, *b)));
        followed += usize::from(nearest == Some(target));
        sum_with += with;
        sum_without += without;
        report.push(format!(
            "hint {target:?}: painted {hinted:.0?} ({with:.0} away) vs {own:.0?} without ({without:.0} away)"
        ));
    }
    assert!(
        followed >= 3 && sum_with < 0.6 * sum_without,
        "{followed} of 4 hints followed, mean distance {:.0} with hints vs {:.0} without:\n{}",
        sum_with / 4.0,
        sum_without / 4.0,
        report.join("\n")
    );
}
