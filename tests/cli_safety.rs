//! The command line on hints and on what must not happen: out-of-range flags, damaged models,
//! hint files that cannot be used, results written over their inputs.
// Helpers here may unwrap like the tests they serve (clippy.toml allows it in tests only).
#![allow(clippy::unwrap_used)]

mod common;

use burn::tensor::Device;
use common::*;
use image::{Rgba, RgbaImage};
use pix2paint::model::GeneratorConfig;
use pix2paint::weights::{self, ModelInfo, Precision, SaveRequest};
use std::path::{Path, PathBuf};

fn hint_model(dir: &Path) -> PathBuf {
    let config = GeneratorConfig::new().with_ngf(4).with_hint_channels(4);
    let d = Device::flex();
    d.seed(4);
    let p = dir.join("hints.safetensors");
    weights::save(
        &p,
        &SaveRequest {
            generator: &config.init(&d),
            generator_config: &config,
            training_generator: None,
            discriminator: None,
            info: &ModelInfo::named("tiny hint model"),
            extras: &Default::default(),
            precision: Precision::Full,
        },
    )
    .unwrap();
    p
}

#[test]
fn colorize_follows_an_odd_sized_rgba_hint_file() {
    let dir = tempfile::tempdir().unwrap();
    let weights = hint_model(dir.path());
    let sketch = dir.path().join("cat.png");
    draw_sketch(300, 240).save(&sketch).unwrap();
    // Half the sketch's size, with a few opaque dabs: resampled to the sketch.
    let mut hints = RgbaImage::new(150, 120);
    for y in 50..60 {
        for x in 70..80 {
            hints.put_pixel(x, y, Rgba([220, 120, 40, 255]));
        }
    }
    let hint_file = dir.path().join("cat.hints.png");
    hints.save(&hint_file).unwrap();
    let (plain, hinted) = (dir.path().join("plain.png"), dir.path().join("hinted.png"));
    let o = pix2paint(&[
        &"colorize",
        &sketch,
        &"-o",
        &plain,
        &"--weights",
        &weights,
        &"--cpu",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = pix2paint(&[
        &"colorize",
        &sketch,
        &"-o",
        &hinted,
        &"--weights",
        &weights,
        &"--cpu",
        &"--hints",
        &hint_file,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let (a, b) = (
        image::open(&plain).unwrap().to_rgb8(),
        image::open(&hinted).unwrap().to_rgb8(),
    );
    assert_eq!(b.dimensions(), (300, 240));
    assert_ne!(a, b, "the hints changed the painting");
}

#[test]
fn bad_hint_files_and_hintless_models_get_clear_messages() {
    let dir = tempfile::tempdir().unwrap();
    let weights = hint_model(dir.path());
    let sketch = dir.path().join("cat.png");
    draw_sketch(300, 240).save(&sketch).unwrap();
    let out = dir.path().join("out.png");
    let run = |hints: &Path, weights: &Path| {
        pix2paint(&[
            &"colorize",
            &sketch,
            &"-o",
            &out,
            &"--weights",
            &weights,
            &"--cpu",
            &"--hints",
            &hints,
        ])
    };
    let wrong_shape = dir.path().join("square.png");
    RgbaImage::from_pixel(100, 100, Rgba([1, 2, 3, 255]))
        .save(&wrong_shape)
        .unwrap();
    let o = run(&wrong_shape, &weights);
    assert_refused(&o, "proportions");

    let empty = dir.path().join("empty.png");
    RgbaImage::new(300, 240).save(&empty).unwrap();
    let o = run(&empty, &weights);
    assert_refused(&o, "every pixel is transparent");

    let not_image = dir.path().join("notes.png");
    std::fs::write(&not_image, b"these are not hints").unwrap();
    let o = run(&not_image, &weights);
    assert_refused(&o, "not a readable image");

    let plain_model = dir.path().join("plain.safetensors");
    save_tiny(
        &plain_model,
        &tiny_generator(1, &Device::flex()),
        None,
        Precision::Half,
    );
    let good = dir.path().join("good.png");
    RgbaImage::from_pixel(300, 240, Rgba([1, 2, 3, 255]))
        .save(&good)
        .unwrap();
    let o = run(&good, &plain_model);
    assert_refused(&o, "takes no colour hints");
}

#[test]
fn out_of_range_flags_are_refused_with_what_to_give() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("m.safetensors");
    for (flag, value, says) in [
        ("--ngf", "0", "out of range"),
        ("--ndf", "100000", "out of range"),
        ("--lr", "NaN", "learning rate"),
        ("--lr", "-0.5", "learning rate"),
        ("--lambda", "inf", "L1 weight"),
        ("--resolution", "300", "multiple of 256"),
        ("--batch-size", "0", "out of range"),
        ("--steps", "0", "out of range"),
        ("--ema", "1.5", "decay"),
    ] {
        let arg = format!("{flag}={value}");
        let o = pix2paint(&[&"train", &dir.path(), &"--out", &out, &arg]);
        assert_eq!(o.status.code(), Some(2), "{flag} {value}: {}", stderr(&o));
        assert!(stderr(&o).contains(says), "{flag} {value}: {}", stderr(&o));
    }
    let o = pix2paint(&[&"bench", &"--ngf", &"0"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let o = pix2paint(&[
        &"prepare",
        &dir.path(),
        &"-o",
        &dir.path().join("o"),
        &"--sigma",
        &"NaN",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}

/// A photos folder of two 256² photo-like images in `dir`, for `train` runs refused early.
fn two_photos(dir: &std::path::Path) -> std::path::PathBuf {
    let photos = dir.join("photos");
    std::fs::create_dir(&photos).unwrap();
    for (i, hue) in [30u8, 90].into_iter().enumerate() {
        photo_for(256, 256, hue)
            .save(photos.join(format!("{i}.png")))
            .unwrap();
    }
    photos
}

#[test]
fn a_decay_that_starts_after_the_run_ends_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let photos = two_photos(dir.path());
    let out = dir.path().join("m.safetensors");
    let o = pix2paint(&[
        &"train",
        &photos,
        &"--out",
        &out,
        &"--steps",
        &"20",
        &"--decay-from",
        &"20",
    ]);
    assert_refused(&o, "--decay-from 20 is not before the run's last step (20)");
    assert!(!out.exists());
    let o = pix2paint(&[
        &"train",
        &photos,
        &"--out",
        &out,
        &"--decay",
        &"--decay-from",
        &"5",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}

#[test]
fn a_masked_share_needs_photos_with_masks() {
    let dir = tempfile::tempdir().unwrap();
    let (photos, masks) = (two_photos(dir.path()), dir.path().join("masks"));
    std::fs::create_dir(&masks).unwrap();
    let out = dir.path().join("m.safetensors");
    let train = |extra: &[&dyn AsRef<std::ffi::OsStr>]| {
        let mut args: Vec<&dyn AsRef<std::ffi::OsStr>> =
            vec![&"train", &photos, &"--out", &out, &"--steps", &"2"];
        args.extend_from_slice(extra);
        pix2paint(&args)
    };
    // No mask folder: clap names the flag it needs.
    let o = train(&[&"--masked-share", &"0.5"]);
    assert_refused(&o, "--masks");
    // A mask folder without a mask of any training photo.
    let o = train(&[&"--masks", &masks, &"--masked-share", &"0.5"]);
    assert_refused(&o, "no training photo has a mask");
    assert!(!out.exists());
}

#[test]
fn the_segmenter_commands_refuse_what_cannot_work() {
    let dir = tempfile::tempdir().unwrap();
    let (photos, masks) = (two_photos(dir.path()), dir.path().join("masks"));
    std::fs::create_dir(&masks).unwrap();
    let before = std::fs::read(photos.join("0.png")).unwrap();
    // Masks written into the photos folder would replace PNG photos of the same name.
    let o = pix2paint(&[
        &"segment",
        &"predict",
        &photos,
        &"--model",
        &"any.safetensors",
        &"--out",
        &photos,
    ]);
    assert_refused(&o, "both the photos folder and --out");
    assert_eq!(std::fs::read(photos.join("0.png")).unwrap(), before);
    // A painting model is not a segmenter.
    let painter = hint_model(dir.path());
    let out = dir.path().join("out");
    let o = pix2paint(&[
        &"segment", &"predict", &photos, &"--model", &painter, &"--out", &out,
    ]);
    assert_refused(&o, "is not a segmenter");
    // Nothing to learn from: no photo has a mask.
    let seg = dir.path().join("seg.safetensors");
    let o = pix2paint(&[
        &"segment", &"train", &photos, &"--masks", &masks, &"--out", &seg,
    ]);
    assert_refused(&o, "has a mask");
    assert!(!seg.exists() && !out.exists());
}

#[test]
fn a_model_with_a_nan_weight_is_refused_at_load() {
    let dir = tempfile::tempdir().unwrap();
    let d = Device::flex();
    let g = tiny_generator(1, &d);
    let mut g = g;
    g.down[2].conv.weight = g.down[2].conv.weight.clone().map(|w| {
        let mut v = w.clone().into_data().try_to_vec::<f32>().unwrap();
        v[5] = f32::NAN;
        burn::tensor::Tensor::from_data(burn::tensor::TensorData::new(v, w.dims()), &w.device())
    });
    let p = dir.path().join("nan.safetensors");
    save_tiny(&p, &g, None, Precision::Full);
    let e = weights::load(&p, &d).unwrap_err().to_string();
    assert!(e.contains("NaN") && e.contains("damaged"), "{e}");
}

#[test]
fn colorize_never_writes_over_its_inputs_or_merges_results() {
    let dir = tempfile::tempdir().unwrap();
    let weights = dir.path().join("tiny.safetensors");
    save_tiny(
        &weights,
        &tiny_generator(1, &Device::flex()),
        None,
        Precision::Half,
    );
    let sketches = dir.path().join("sketches");
    std::fs::create_dir(&sketches).unwrap();
    draw_sketch(64, 64).save(sketches.join("a.png")).unwrap();
    draw_sketch(64, 64).save(sketches.join("a.jpg")).unwrap();
    draw_sketch(64, 64).save(sketches.join("b.png")).unwrap();
    let before = std::fs::read(sketches.join("a.png")).unwrap();

    let colorize = |input: &Path, out: &Path| {
        pix2paint(&[
            &"colorize",
            &input,
            &"-o",
            &out,
            &"--weights",
            &weights,
            &"--cpu",
        ])
    };
    let same = sketches.join("a.png");
    let o = colorize(&same, &same);
    assert_refused(&o, "write over the input");
    // The same folder in and out, through another spelling of its path.
    let other = dir.path().join(".").join("sketches");
    let o = colorize(&sketches, &other);
    assert_refused(&o, "write over the input");
    assert_eq!(std::fs::read(sketches.join("a.png")).unwrap(), before);

    let out = dir.path().join("out");
    let o = pix2paint(&[
        &"colorize",
        &sketches,
        &"-o",
        &out,
        &"--weights",
        &weights,
        &"--cpu",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(out.join("a.png.png").is_file() && out.join("a.jpg.png").is_file());
    assert!(out.join("b.png").is_file());
}

#[test]
fn prepare_and_export_refuse_to_replace_their_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let photos = dir.path().join("photos");
    std::fs::create_dir(&photos).unwrap();
    draw_sketch(64, 64).save(photos.join("cat.png")).unwrap();
    let o = pix2paint(&[
        &"prepare",
        &photos,
        &"-o",
        &dir.path().join("photos/../photos"),
    ]);
    assert_refused(&o, "replace the photos");

    let model = dir.path().join("m.safetensors");
    save_tiny(
        &model,
        &tiny_generator(1, &Device::flex()),
        None,
        Precision::Full,
    );
    let before = std::fs::read(&model).unwrap();
    let respelled = dir.path().join(".").join("m.safetensors");
    let o = pix2paint(&[
        &"export",
        &model,
        &"--to",
        &"safetensors",
        &"--half",
        &"-o",
        &respelled,
    ]);
    assert_refused(&o, "overwrite the input");
    assert_eq!(
        std::fs::read(&model).unwrap(),
        before,
        "the full-precision model is intact"
    );
}

/// Hostile values for every numeric flag of the commands that take user numbers: each run
/// ends in a result (0), a clean error (1) or a refused flag (2), never a panic (101) or a
/// signal. Commands run on small real inputs, so a value the parsers accept is carried out.
#[test]
fn hostile_flag_values_are_refused_or_carried_out() {
    let dir = tempfile::tempdir().unwrap();
    let model = hint_model(dir.path());
    let sketch = dir.path().join("sketch.png");
    draw_sketch(64, 48).save(&sketch).unwrap();
    let photos = dir.path().join("photos");
    std::fs::create_dir_all(&photos).unwrap();
    image::RgbImage::from_fn(64, 64, |x, y| {
        image::Rgb([(x * 4) as u8, (y * 4) as u8, 80])
    })
    .save(photos.join("p.png"))
    .unwrap();
    let values = [
        "0",
        "-1",
        "1",
        "3",
        "1e-30",
        "1e308",
        "-0",
        "NaN",
        "inf",
        "-inf",
        "",
        "1e",
        "0x10",
        "18446744073709551616",
        "99999999999999999999999",
        " 7 ",
    ];
    // (command and its fixed arguments, the numeric flags to try)
    let out = |name: &str| dir.path().join(name);
    let cases: Vec<(Vec<std::ffi::OsString>, &[&str])> = vec![
        (
            vec![
                "colorize".into(),
                sketch.clone().into(),
                "--weights".into(),
                model.clone().into(),
                "-o".into(),
                out("c.png").into(),
            ],
            &["--seed"],
        ),
        (
            vec![
                "prepare".into(),
                photos.clone().into(),
                "-o".into(),
                out("pairs").into(),
            ],
            &["--size", "--sigma", "--min-fragment"],
        ),
        (
            vec![
                "eval".into(),
                photos.clone().into(),
                "--weights".into(),
                model.clone().into(),
            ],
            &["--limit", "--sample-count", "--hints"],
        ),
        (
            // An empty dataset: every accepted value ends in the clean "no examples" error.
            vec![
                "train".into(),
                out("empty").into(),
                "--out".into(),
                out("m.safetensors").into(),
            ],
            &[
                "--steps",
                "--epochs",
                "--batch-size",
                "--lr",
                "--lambda",
                "--ngf",
                "--ndf",
                "--resolution",
                "--checkpoint-every",
                "--log-every",
                "--seed",
                "--hint-rate",
                "--ema",
                "--decay-from",
                "--masked-share",
                "--recolour-hints",
                "--stroke-hints",
            ],
        ),
    ];
    std::fs::create_dir_all(out("empty")).unwrap();
    let mut codes = [0usize; 3];
    for (args, flags) in &cases {
        for flag in *flags {
            for value in values {
                let mut all: Vec<std::ffi::OsString> = args.clone();
                all.push(format!("{flag}={value}").into());
                let refs: Vec<&dyn AsRef<std::ffi::OsStr>> = all
                    .iter()
                    .map(|a| a as &dyn AsRef<std::ffi::OsStr>)
                    .collect();
                let o = pix2paint(&refs);
                let code = o.status.code();
                assert!(
                    matches!(code, Some(0..=2)) && !stderr(&o).contains("panicked"),
                    "{} {flag}={value:?}: exit {code:?}\n{}",
                    args[0].to_string_lossy(),
                    stderr(&o)
                );
                codes[code.unwrap_or(0) as usize] += 1;
            }
        }
    }
    assert_eq!(codes.iter().sum::<usize>(), 24 * values.len());
    // Not vacuous: the fixed arguments work (some values run to the end) and the parsers
    // refuse others.
    assert!(
        codes[0] > 0 && codes[2] > 0,
        "exit codes 0 / 1 / 2: {codes:?}"
    );
    eprintln!("exit codes 0 / 1 / 2: {codes:?}");
}
