//! Colour hints: simulated hints as training draws them, and their tensor conventions.

use burn::tensor::Device;
use image::{GrayImage, Luma, Rgb, RgbImage, Rgba, RgbaImage};
use pix2paint::dataset::{Augment, Example, prepare_example};
use pix2paint::hints::{HintConfig, hint_count, mean_colour, sample_hints};
use pix2paint::rng::Rng;
use pix2paint::tensor_image::hints_to_tensor;

fn gradient_photo(w: u32, h: u32) -> RgbImage {
    RgbImage::from_fn(w, h, |x, y| {
        Rgb([
            (x * 3 % 256) as u8,
            (y * 5 % 256) as u8,
            ((x + y) % 256) as u8,
        ])
    })
}

#[test]
fn hint_counts_are_geometric_with_the_configured_rate_and_capped() {
    let cfg = HintConfig {
        rate: 0.125,
        max_hints: 32,
        ..HintConfig::default()
    };
    let mut rng = Rng::seed_from_u64(1);
    let n = 20_000;
    let counts: Vec<u32> = (0..n).map(|_| hint_count(&cfg, &mut rng)).collect();
    let none = counts.iter().filter(|&&c| c == 0).count() as f64 / n as f64;
    let mean = counts.iter().map(|&c| f64::from(c)).sum::<f64>() / n as f64;
    assert!((none - 0.125).abs() < 0.015, "share without hints {none}");
    // Geometric mean (1 − p) / p = 7, slightly lowered by the cap at 32.
    assert!((6.3..7.1).contains(&mean), "mean count {mean}");
    assert!(counts.iter().all(|&c| c <= 32));
}

#[test]
fn a_separate_hint_free_share_keeps_the_hinted_counts() {
    let cfg = HintConfig {
        rate: 0.25,
        free_share: Some(0.5),
        max_hints: 32,
        ..HintConfig::default()
    };
    let mut rng = Rng::seed_from_u64(3);
    let n = 20_000;
    let counts: Vec<u32> = (0..n).map(|_| hint_count(&cfg, &mut rng)).collect();
    let none = counts.iter().filter(|&&c| c == 0).count() as f64 / n as f64;
    assert!((none - 0.5).abs() < 0.015, "share without hints {none}");
    // The hinted examples: 1 + geometric(0.25), mean 1 / 0.25 = 4, as with one knob.
    let hinted: Vec<f64> = counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| f64::from(c))
        .collect();
    let mean = hinted.iter().sum::<f64>() / hinted.len() as f64;
    assert!((3.8..4.2).contains(&mean), "mean hinted count {mean}");
    assert_eq!(cfg.hint_free_share(), 0.5);
    assert_eq!(HintConfig::default().hint_free_share(), 0.25);
}

#[test]
fn each_hint_patch_carries_the_photos_mean_colour_over_it() {
    let photo = gradient_photo(64, 48);
    let mut rng = Rng::seed_from_u64(4);
    let cfg = HintConfig {
        rate: 0.05,
        ..HintConfig::default()
    };
    let mut checked = 0;
    for _ in 0..20 {
        let hints = sample_hints(&photo, None, &cfg, &mut rng);
        // Every hinted pixel belongs to some square patch whose mean it carries; check the
        // isolated ones exactly (overlaps can mix patches).
        for (x, y, p) in hints.enumerate_pixels() {
            if p[3] == 255 && x + 1 < 64 && y + 1 < 48 {
                let alone = |dx: i32, dy: i32| {
                    let (nx, ny) = (x as i32 + dx, y as i32 + dy);
                    nx < 0
                        || ny < 0
                        || nx >= 64
                        || ny >= 48
                        || hints.get_pixel(nx as u32, ny as u32)[3] == 0
                };
                if [(-1, 0), (1, 0), (0, -1), (0, 1)]
                    .iter()
                    .all(|&(dx, dy)| alone(dx, dy))
                {
                    assert_eq!(*p, mean_colour(&photo, x, y, 1));
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 0, "no single-pixel hint was drawn");
    assert_eq!(mean_colour(&photo, 0, 0, 2), {
        let px: Vec<_> = [(0, 0), (1, 0), (0, 1), (1, 1)]
            .iter()
            .map(|&(x, y)| *photo.get_pixel(x, y))
            .collect();
        let m = |c: usize| ((px.iter().map(|p| u32::from(p[c])).sum::<u32>() + 2) / 4) as u8;
        Rgba([m(0), m(1), m(2), 255])
    });
}

#[test]
fn hints_fall_on_the_subject_where_a_mask_says_so() {
    let photo = gradient_photo(64, 64);
    let mask = GrayImage::from_fn(64, 64, |x, _| Luma([if x < 16 { 255 } else { 0 }]));
    let cfg = HintConfig {
        rate: 0.02,
        max_patch: 1,
        on_subject: 1.0,
        ..HintConfig::default()
    };
    let mut rng = Rng::seed_from_u64(2);
    let hints = sample_hints(&photo, Some(&mask), &cfg, &mut rng);
    let hinted: Vec<u32> = hints
        .enumerate_pixels()
        .filter(|(_, _, p)| p[3] > 0)
        .map(|(x, _, _)| x)
        .collect();
    assert!(!hinted.is_empty());
    assert!(
        hinted.iter().all(|&x| x < 16),
        "hints off the subject: {hinted:?}"
    );
}

#[test]
fn jitter_and_flip_move_the_mask_with_the_photo() {
    // A photo whose left quarter is red, with a mask of exactly that quarter.
    let photo = RgbImage::from_fn(256, 256, |x, _| {
        if x < 64 {
            Rgb([255, 0, 0])
        } else {
            Rgb([0, 0, 255])
        }
    });
    let mask = GrayImage::from_fn(256, 256, |x, _| Luma([if x < 64 { 255 } else { 0 }]));
    let ex = Example {
        sketch: RgbImage::from_pixel(256, 256, Rgb([255, 255, 255])),
        photo,
        mask: Some(mask),
    };
    let aug = Augment {
        jitter: true,
        flip: true,
        sketch: false,
    };
    let mut rng = Rng::seed_from_u64(3);
    for _ in 0..8 {
        let out = prepare_example(&ex, 256, &aug, &mut rng);
        let mask = out.mask.expect("the mask travels with the example");
        let disagree = out
            .photo
            .enumerate_pixels()
            .filter(|(x, y, p)| (p[0] > 128) != (mask.get_pixel(*x, *y)[0] > 0))
            .count();
        // Only the resampled edge column may differ.
        assert!(disagree <= 2 * 256, "{disagree} pixels disagree");
    }
}

#[test]
fn the_hint_tensor_holds_colour_in_minus_one_to_one_and_a_mask() {
    let mut hints = RgbaImage::new(3, 2);
    hints.put_pixel(1, 0, Rgba([255, 0, 51, 255]));
    hints.put_pixel(2, 1, Rgba([10, 20, 30, 0])); // transparent: no hint
    let t = hints_to_tensor(&[&hints], &Device::flex());
    assert_eq!(t.dims(), [1, 4, 2, 3]);
    let v = t.into_data().try_into_vec::<f32>().unwrap();
    let at = |c: usize, y: usize, x: usize| v[c * 6 + y * 3 + x];
    assert_eq!((at(0, 0, 1), at(1, 0, 1), at(3, 0, 1)), (1.0, -1.0, 1.0));
    assert!((at(2, 0, 1) - (51.0 / 127.5 - 1.0)).abs() < 1e-6);
    for c in 0..4 {
        assert_eq!(at(c, 1, 2), 0.0, "no hint, no colour, mask 0");
        assert_eq!(at(c, 0, 0), 0.0);
    }
}
