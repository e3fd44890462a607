//! The photo → lines extractor on a shape the test renders like a photo.

use image::{GrayImage, Luma, Rgb, RgbImage};
use pix2paint::lines::{LineConfig, extract_lines};

/// A shaded disc (radius 60 at the centre) on a noisy, gently graded background.
fn photo() -> RgbImage {
    let mut seed = 12345u32;
    let mut noise = move || {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        (seed % 9) as f32 - 4.0
    };
    RgbImage::from_fn(256, 256, |x, y| {
        let (dx, dy) = (x as f32 - 128.0, y as f32 - 128.0);
        let d = (dx * dx + dy * dy).sqrt();
        let v = if d < 60.0 {
            70.0 + 40.0 * (dx / 60.0) // shaded like a lit ball
        } else {
            190.0 + 0.1 * y as f32
        } + noise();
        let v = v.clamp(0.0, 255.0) as u8;
        Rgb([v, v.saturating_sub(10), v.saturating_sub(20)])
    })
}

fn ink(img: &GrayImage, x: u32, y: u32) -> bool {
    img.get_pixel(x, y)[0] < 128
}

#[test]
fn lines_follow_the_shape_outline_and_nothing_else() {
    let lines = extract_lines(&photo(), None, &LineConfig::default());
    if let Some(dir) = std::env::var_os("PIX2PAINT_DUMP") {
        lines
            .save(std::path::Path::new(&dir).join("lines.png"))
            .unwrap();
        photo()
            .save(std::path::Path::new(&dir).join("photo.png"))
            .unwrap();
    }
    assert_eq!(lines.dimensions(), (256, 256));
    let mut on_outline = 0;
    let mut elsewhere = 0;
    for (x, y, p) in lines.enumerate_pixels() {
        if p[0] >= 128 {
            continue;
        }
        let d = ((x as f32 - 128.0).powi(2) + (y as f32 - 128.0).powi(2)).sqrt();
        if (d - 60.0).abs() <= 3.0 {
            on_outline += 1;
        } else {
            elsewhere += 1;
        }
    }
    // The circumference is ~377 px; most of it is found, and little else is drawn.
    assert!(on_outline > 300, "{on_outline} ink pixels on the outline");
    assert!(
        elsewhere * 10 < on_outline,
        "{elsewhere} ink pixels away from the outline"
    );
    // The outline is closed: the four compass points are all inked (±2 px).
    for (x, y) in [(188, 128), (68, 128), (128, 188), (128, 68)] {
        let near = (-2..=2).any(|d: i32| {
            ink(&lines, (x as i32 + d) as u32, y) || ink(&lines, x, (y as i32 + d) as u32)
        });
        assert!(near, "no line near ({x}, {y})");
    }
}

#[test]
fn a_foreground_mask_removes_background_lines() {
    let mut img = photo();
    // A strong background edge: a dark bar at the top.
    for y in 10..30 {
        for x in 20..236 {
            img.put_pixel(x, y, Rgb([20, 20, 20]));
        }
    }
    let without = extract_lines(&img, None, &LineConfig::default());
    let bar_ink = |l: &GrayImage| {
        (0..40)
            .flat_map(|y| (0..256).map(move |x| (x, y)))
            .filter(|&(x, y)| ink(l, x, y))
            .count()
    };
    assert!(
        bar_ink(&without) > 100,
        "the bar's edges are drawn without a mask"
    );
    let mask = GrayImage::from_fn(256, 256, |x, y| {
        let d = ((x as f32 - 128.0).powi(2) + (y as f32 - 128.0).powi(2)).sqrt();
        Luma([if d < 62.0 { 255 } else { 0 }])
    });
    let with = extract_lines(&img, Some(&mask), &LineConfig::default());
    assert_eq!(bar_ink(&with), 0, "masked background lines are dropped");
    assert!(ink(&with, 188, 128) || ink(&with, 187, 128) || ink(&with, 189, 128));
}

#[test]
fn a_flat_image_gives_a_blank_drawing() {
    let flat = RgbImage::from_pixel(64, 64, Rgb([120, 130, 140]));
    let lines = extract_lines(&flat, None, &LineConfig::default());
    assert!(lines.pixels().all(|p| p[0] == 255));
}
