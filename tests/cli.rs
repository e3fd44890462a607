//! `pix2paint colorize` end to end, on sketches and a tiny model the test makes itself.

mod common;

use burn::tensor::Device;
use common::*;
use image::{DynamicImage, ImageBuffer, Luma, Rgba};
use pix2paint::weights::Precision;
use std::path::Path;

fn model(dir: &Path) -> std::path::PathBuf {
    let d = Device::flex();
    let p = dir.join("tiny.safetensors");
    save_tiny(&p, &tiny_generator(1, &d), None, Precision::Half);
    p
}

#[test]
fn colorizes_one_sketch_of_any_colour_type() {
    let dir = tempfile::tempdir().unwrap();
    let weights = model(dir.path());
    let sketch = draw_sketch(300, 240);
    // RGBA with a transparent background, as drawing programs export.
    let rgba = ImageBuffer::from_fn(300, 240, |x, y| {
        let p = sketch.get_pixel(x, y);
        if p[0] < 128 {
            Rgba([0u8, 0, 0, 255])
        } else {
            Rgba([0, 0, 0, 0])
        }
    });
    let cases = [
        ("rgba.png", DynamicImage::ImageRgba8(rgba)),
        (
            "grey16.png",
            DynamicImage::ImageLuma16(ImageBuffer::from_fn(300, 240, |x, y| {
                Luma([sketch.get_pixel(x, y)[0] as u16 * 257])
            })),
        ),
        ("sketch.jpg", DynamicImage::ImageRgb8(sketch.clone())),
        ("sketch.bmp", DynamicImage::ImageRgb8(sketch.clone())),
    ];
    for (name, img) in cases {
        let input = dir.path().join(name);
        img.save(&input).unwrap();
        let out = dir.path().join(format!("out-{name}.webp"));
        let o = pix2paint(&[
            &"colorize",
            &input,
            &"-o",
            &out,
            &"--weights",
            &weights,
            &"--cpu",
        ]);
        assert!(o.status.success(), "{name}: {}", stderr(&o));
        let result = image::open(&out).unwrap();
        assert_eq!((result.width(), result.height()), (300, 240), "{name}");
        assert!(
            stderr(&o).contains("CPU"),
            "says which backend runs: {}",
            stderr(&o)
        );
    }
}

#[test]
fn colorizes_a_folder_skipping_bad_files() {
    let dir = tempfile::tempdir().unwrap();
    let weights = model(dir.path());
    let sketches = dir.path().join("sketches");
    std::fs::create_dir(&sketches).unwrap();
    for i in 0..3 {
        draw_sketch(256, 256)
            .save(sketches.join(format!("s{i}.png")))
            .unwrap();
    }
    std::fs::write(sketches.join("broken.png"), b"not an image").unwrap();
    let out = dir.path().join("out");
    let o = pix2paint(&[
        &"colorize",
        &sketches,
        &"-o",
        &out,
        &"--weights",
        &weights,
        &"--cpu",
        &"--seed",
        &"3",
    ]);
    assert!(
        !o.status.success(),
        "a bad file makes the run fail at the end"
    );
    assert!(stderr(&o).contains("broken.png"), "{}", stderr(&o));
    for i in 0..3 {
        assert!(
            out.join(format!("s{i}.png")).is_file(),
            "s{i} painted despite the bad file"
        );
    }
}

#[test]
fn bad_weights_give_a_clear_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("s.png");
    draw_sketch(256, 256).save(&input).unwrap();
    let bad = dir.path().join("bad.safetensors");
    std::fs::write(&bad, b"garbage garbage garbage").unwrap();
    let o = pix2paint(&[
        &"colorize",
        &input,
        &"-o",
        &dir.path().join("o.png"),
        &"--weights",
        &bad,
        &"--cpu",
    ]);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(
        err.contains("bad.safetensors") && err.contains("not a pix2paint weights file"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn missing_inputs_and_empty_folders_are_explained() {
    let dir = tempfile::tempdir().unwrap();
    let weights = model(dir.path());
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let o = pix2paint(&[
        &"colorize",
        &empty,
        &"-o",
        &dir.path().join("o"),
        &"--weights",
        &weights,
    ]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("holds no PNG"), "{}", stderr(&o));
    let o = pix2paint(&[
        &"colorize",
        &dir.path().join("nope.png"),
        &"-o",
        &dir.path().join("o.png"),
    ]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("does not exist"), "{}", stderr(&o));
}

#[test]
fn export_averages_snapshots_and_records_what_it_did() {
    let dir = tempfile::tempdir().unwrap();
    let d = Device::flex();
    let (a, b) = (
        dir.path().join("a.safetensors"),
        dir.path().join("b.safetensors"),
    );
    save_tiny(&a, &tiny_generator(1, &d), None, Precision::Full);
    save_tiny(&b, &tiny_generator(2, &d), None, Precision::Full);
    let out = dir.path().join("mean.safetensors");
    let o = pix2paint(&[
        &"export",
        &a,
        &b,
        &"--to",
        &"safetensors",
        &"-o",
        &out,
        &"--half",
        &"--name",
        &"mean cats",
        &"--description",
        &"Two snapshots.",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("averaged 2 models"), "{}", stderr(&o));
    let m = pix2paint::weights::load(&out, &d).unwrap();
    assert_eq!(m.info.name, "mean cats");
    assert!(
        m.info.description.starts_with("Two snapshots.")
            && m.info.description.contains("averaged over 2 models"),
        "{}",
        m.info.description
    );

    // A model of another width cannot be averaged in: an error, no panic, no file.
    let wide = dir.path().join("wide.safetensors");
    pix2paint::weights::save(
        &wide,
        &pix2paint::weights::SaveRequest {
            generator: &tiny_config().with_ngf(8).init(&d),
            generator_config: &tiny_config().with_ngf(8),
            training_generator: None,
            discriminator: None,
            info: &pix2paint::weights::ModelInfo::named("wide"),
            extras: &Default::default(),
            precision: Precision::Full,
        },
    )
    .unwrap();
    let bad = dir.path().join("bad.safetensors");
    let o = pix2paint(&[&"export", &a, &wide, &"--to", &"safetensors", &"-o", &bad]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("different generator architecture") && !stderr(&o).contains("panicked"),
        "{}",
        stderr(&o)
    );
    assert!(!bad.exists());
}

#[test]
fn export_can_pick_the_raw_training_generator() {
    let dir = tempfile::tempdir().unwrap();
    let d = Device::flex();
    let (average, raw) = (tiny_generator(1, &d), tiny_generator(2, &d));
    let both = dir.path().join("run.safetensors");
    pix2paint::weights::save(
        &both,
        &pix2paint::weights::SaveRequest {
            generator: &average,
            generator_config: &tiny_config(),
            training_generator: Some(&raw),
            discriminator: None,
            info: &pix2paint::weights::ModelInfo::named("run"),
            extras: &Default::default(),
            precision: Precision::Full,
        },
    )
    .unwrap();
    let first_weight = |g: &pix2paint::model::Generator| -> Vec<f32> {
        g.down[0]
            .conv
            .weight
            .val()
            .into_data()
            .convert::<f32>()
            .try_to_vec::<f32>()
            .unwrap()
    };
    let out = dir.path().join("raw.safetensors");
    let o = pix2paint(&[
        &"export",
        &both,
        &"--training-generator",
        &"--to",
        &"safetensors",
        &"-o",
        &out,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let m = pix2paint::weights::load(&out, &d).unwrap();
    assert_eq!(first_weight(&m.generator), first_weight(&raw));
    assert_ne!(first_weight(&m.generator), first_weight(&average));
    assert!(m.info.description.contains("raw training generator"));

    // Or leave it out: the average alone, a smaller file.
    let slim = dir.path().join("slim.safetensors");
    let o = pix2paint(&[
        &"export",
        &both,
        &"--average-only",
        &"--to",
        &"safetensors",
        &"-o",
        &slim,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let m = pix2paint::weights::load(&slim, &d).unwrap();
    assert!(m.training_generator.is_none());
    assert_eq!(first_weight(&m.generator), first_weight(&average));
    let size = |p: &std::path::Path| std::fs::metadata(p).unwrap().len();
    assert!(size(&slim) < size(&both));

    // A file without one: a clear refusal, no output.
    let plain = dir.path().join("plain.safetensors");
    save_tiny(&plain, &average, None, Precision::Full);
    let none = dir.path().join("none.safetensors");
    let o = pix2paint(&[
        &"export",
        &plain,
        &"--training-generator",
        &"--to",
        &"safetensors",
        &"-o",
        &none,
    ]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("no separate training generator"),
        "{}",
        stderr(&o)
    );
    assert!(!none.exists());
}

#[test]
fn bench_says_where_to_point_it_when_its_peer_scripts_are_missing() {
    let dir = tempfile::tempdir().unwrap();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_pix2paint"))
        .args([
            "bench", "--no-gpu", "--ngf", "4", "--iters", "1", "--warmup", "0",
        ])
        .env("PIX2PAINT_BENCHES", dir.path())
        .output()
        .unwrap();
    let err = stderr(&o);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains("peer skipped")
            && err.contains("PIX2PAINT_BENCHES")
            && err.contains("--no-peer"),
        "{err}"
    );
    // Its own rows are still there.
    assert!(String::from_utf8_lossy(&o.stdout).contains("pix2paint kernels"));
}
