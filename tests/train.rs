//! Training: dataset layouts, the GAN step, exact resume, the NaN guard.
// Helpers here may unwrap like the tests they serve (clippy.toml allows it in tests only).
#![allow(clippy::unwrap_used)]

mod common;

use burn::tensor::Device;
use common::*;
use image::{GenericImage, Rgb, RgbImage};
use pix2paint::dataset::{Dataset, DatasetError, Layout};
use pix2paint::tensor_image::images_to_tensor;
use pix2paint::train::{
    self, Control, Gan, Job, NetworkConfig, OptimizerConfig, Start, TrainConfig, TrainError,
    TrainEvent,
};
use pix2paint::weights::{self, Direction};
use std::path::Path;

fn write_aligned(dir: &Path, n: usize) {
    std::fs::create_dir_all(dir).unwrap();
    for i in 0..n {
        let mut img = RgbImage::new(128, 64);
        img.copy_from(
            &image::imageops::resize(
                &draw_sketch(64, 64),
                64,
                64,
                image::imageops::FilterType::Nearest,
            ),
            0,
            0,
        )
        .unwrap();
        img.copy_from(&photo_for(64, 64, (i * 40) as u8), 64, 0)
            .unwrap();
        img.save(dir.join(format!("p{i}.png"))).unwrap();
    }
}

fn tiny_train_config() -> TrainConfig {
    TrainConfig {
        steps: 4,
        resolution: 256,
        network: NetworkConfig {
            ngf: 4,
            ndf: 4,
            ..NetworkConfig::default()
        },
        checkpoint_every: 2,
        sample_every: 2,
        ..TrainConfig::default()
    }
}

#[test]
fn each_layout_loads_and_bad_files_are_skipped_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    // (a) aligned A|B, plus a corrupt file and a square image that is not a pair.
    let aligned = dir.path().join("aligned");
    write_aligned(&aligned, 3);
    std::fs::write(aligned.join("broken.png"), b"not a png").unwrap();
    photo_for(64, 64, 0)
        .save(aligned.join("square.png"))
        .unwrap();
    let d = Dataset::open(&aligned, Layout::Auto, Direction::AtoB, None).unwrap();
    assert_eq!(d.layout, Layout::Aligned);
    assert_eq!(d.len(), 3);
    assert_eq!(d.skipped.len(), 2, "{:?}", d.skipped);
    let ex = d.load(0).unwrap();
    assert_eq!(ex.sketch.dimensions(), (64, 64));
    assert!(dark_pixels(&ex.sketch) > 0, "the left half is the sketch");
    let flipped = Dataset::open(&aligned, Layout::Aligned, Direction::BtoA, None).unwrap();
    assert_eq!(
        flipped.load(0).unwrap().photo,
        ex.sketch,
        "BtoA swaps the halves"
    );

    // (a′) pairs saved one pixel off 2:1 are still pairs (not photos to draw lines from), and a
    // 3:2 photo folder stays photos.
    let off = dir.path().join("off_by_one");
    std::fs::create_dir_all(&off).unwrap();
    for i in 0..3 {
        let pair = image::open(aligned.join(format!("p{i}.png")))
            .unwrap()
            .to_rgb8();
        let wider = image::imageops::resize(
            &pair,
            pair.width() + 1,
            pair.height(),
            image::imageops::FilterType::Nearest,
        );
        wider.save(off.join(format!("{i}.png"))).unwrap();
    }
    let d = Dataset::open(&off, Layout::Auto, Direction::AtoB, None).unwrap();
    assert_eq!((d.layout, d.len()), (Layout::Aligned, 3));
    assert_eq!(d.load(0).unwrap().sketch.dimensions(), (64, 64));
    let wide_photos = dir.path().join("three_two");
    std::fs::create_dir_all(&wide_photos).unwrap();
    photo_for(96, 64, 3)
        .save(wide_photos.join("p.png"))
        .unwrap();
    let d = Dataset::open(&wide_photos, Layout::Auto, Direction::AtoB, None).unwrap();
    assert_eq!(d.layout, Layout::Photos);

    // (b) A/ and B/ matched by name, with one unmatched file on each side.
    let folders = dir.path().join("folders");
    for sub in ["A", "B"] {
        std::fs::create_dir_all(folders.join(sub)).unwrap();
    }
    for i in 0..2 {
        draw_sketch(80, 60)
            .save(folders.join("A").join(format!("x{i}.png")))
            .unwrap();
        photo_for(80, 60, 9)
            .save(folders.join("B").join(format!("x{i}.jpg")))
            .unwrap();
    }
    draw_sketch(80, 60)
        .save(folders.join("A/only_a.png"))
        .unwrap();
    photo_for(80, 60, 9)
        .save(folders.join("B/only_b.png"))
        .unwrap();
    let d = Dataset::open(&folders, Layout::Auto, Direction::AtoB, None).unwrap();
    assert_eq!(
        (d.layout, d.len(), d.skipped.len()),
        (Layout::Folders, 2, 2)
    );

    // (c) photos only: the sketch side is extracted.
    let photos = dir.path().join("photos");
    std::fs::create_dir_all(&photos).unwrap();
    for i in 0..2 {
        photo_for(96, 96, 30 * i)
            .save(photos.join(format!("cat{i}.jpg")))
            .unwrap();
    }
    let d = Dataset::open(&photos, Layout::Auto, Direction::AtoB, None).unwrap();
    assert_eq!(d.layout, Layout::Photos);
    let ex = d.load(1).unwrap();
    assert!(
        dark_pixels(&ex.sketch) > 50,
        "lines were extracted from the photo"
    );
}

#[test]
fn empty_or_wrong_folders_give_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let e = Dataset::open(dir.path(), Layout::Auto, Direction::AtoB, None).unwrap_err();
    assert!(matches!(e, DatasetError::Empty { .. }), "{e}");
    let file = dir.path().join("file.png");
    draw_sketch(32, 32).save(&file).unwrap();
    let e = Dataset::open(&file, Layout::Auto, Direction::AtoB, None).unwrap_err();
    assert!(e.to_string().contains("not a folder"), "{e}");
    // A folder whose only image is too small to train on: the error says why.
    let tiny = dir.path().join("tiny");
    std::fs::create_dir_all(&tiny).unwrap();
    draw_sketch(8, 8).save(tiny.join("t.png")).unwrap();
    let e = Dataset::open(&tiny, Layout::Auto, Direction::AtoB, None).unwrap_err();
    assert!(e.to_string().contains("8×8 is too small"), "{e}");
}

fn fixed_batch(d: &Device) -> (burn::tensor::Tensor<4>, burn::tensor::Tensor<4>) {
    let s = draw_sketch(256, 256);
    let p = photo_for(256, 256, 50);
    (images_to_tensor(&[&s], d), images_to_tensor(&[&p], d))
}

#[test]
fn a_few_steps_lower_the_l1_loss_on_a_fixed_batch() {
    let d = Device::flex().autodiff();
    let config = TrainConfig {
        optimizer: OptimizerConfig {
            lr: 1e-3,
            ..OptimizerConfig::default()
        },
        ..tiny_train_config()
    };
    let mut gan = Gan::new(&config, "t", &d);
    let (s, p) = fixed_batch(&d);
    let first = gan.step(s.clone(), p.clone(), &config).g_l1;
    let mut last = first;
    for _ in 0..25 {
        last = gan.step(s.clone(), p.clone(), &config).g_l1;
    }
    assert!(last < first * 0.8, "L1 went from {first} to {last}");
}

#[test]
fn the_l1_term_weighs_each_pixel_by_its_weight() {
    let d = Device::flex().autodiff();
    let config = tiny_train_config();
    let (s, p) = fixed_batch(&d);
    let [b, _, h, w] = p.dims();
    let first = |weight: Option<f32>| {
        let mut gan = Gan::new(&config, "t", &d);
        let weight = weight.map(|v| burn::tensor::Tensor::<4>::full([b, 1, h, w], v, &d));
        gan.step_weighted(s.clone(), p.clone(), weight, &config)
            .g_l1
    };
    let (plain, doubled, none) = (first(None), first(Some(2.0)), first(Some(0.0)));
    assert!(
        (doubled - 2.0 * plain).abs() <= 1e-4 * plain,
        "weight 2: {doubled}, plain: {plain}"
    );
    assert_eq!(none, 0.0);
}

#[test]
fn the_l1_only_baseline_trains_the_generator_alone() {
    let d = Device::flex().autodiff();
    let config = TrainConfig {
        optimizer: OptimizerConfig {
            lr: 1e-3,
            ..OptimizerConfig::default()
        },
        gan: false,
        ..tiny_train_config()
    };
    let mut gan = Gan::new(&config, "t", &d);
    let d_before = d_out_weight(&gan);
    let (s, p) = fixed_batch(&d);
    let first = gan.step(s.clone(), p.clone(), &config);
    let mut last = first;
    for _ in 0..25 {
        last = gan.step(s.clone(), p.clone(), &config);
    }
    assert!(
        last.g_l1 < first.g_l1 * 0.8,
        "L1 went from {first:?} to {last:?}"
    );
    assert_eq!((last.d, last.g_gan), (0.0, 0.0));
    // The discriminator is untouched.
    assert_eq!(d_before, d_out_weight(&gan));
}

/// The losses of a step taken without and with a checkpoint in between agree.
fn assert_same_losses(uninterrupted: &train::Losses, again: &train::Losses) {
    let close = |a: f32, b: f32| (a - b).abs() <= 1e-5 * a.abs().max(1.0);
    assert!(
        close(uninterrupted.d, again.d)
            && close(uninterrupted.g_gan, again.g_gan)
            && close(uninterrupted.g_l1, again.g_l1),
        "{uninterrupted:?} vs {again:?}"
    );
}

#[test]
fn resuming_a_checkpoint_gives_the_same_next_step() {
    let dir = tempfile::tempdir().unwrap();
    let ckpt = dir.path().join("run.ckpt.safetensors");
    let d = Device::flex().autodiff();
    let config = tiny_train_config();
    let (s, p) = fixed_batch(&d);
    let mut gan = Gan::new(&config, "t", &d);
    for _ in 0..3 {
        gan.step(s.clone(), p.clone(), &config);
    }
    gan.save_checkpoint(&ckpt, &config).unwrap();
    let uninterrupted = gan.step(s.clone(), p.clone(), &config);
    // What `info`, `eval` and the app show for the checkpoint: the run's own steps.
    let model = weights::load(&ckpt, &Device::flex()).unwrap();
    assert_eq!(model.trained_steps(), 3);
    let painter = pix2paint::inference::Painter::from_model(model, &Device::flex());
    assert_eq!(painter.info.steps, 3);

    let (mut resumed, resumed_config) = Gan::resume(&ckpt, &d).unwrap();
    assert_eq!(resumed.step, 3);
    assert_eq!(resumed_config, config);
    let again = resumed.step(s, p, &config);
    assert_same_losses(&uninterrupted, &again);
}

#[test]
fn the_loop_writes_checkpoints_samples_and_the_model() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("pairs");
    write_aligned(&data_dir, 4);
    let data = Dataset::open(&data_dir, Layout::Auto, Direction::AtoB, None).unwrap();
    let job = Job {
        data,
        config: tiny_train_config(),
        start: Start::Fresh {
            name: "loop".into(),
        },
        output: dir.path().join("out.safetensors"),
        checkpoint: dir.path().join("out.ckpt.safetensors"),
    };
    let (_tx, rx) = std::sync::mpsc::channel::<Control>();
    let mut events = Vec::new();
    train::run(&job, &Device::flex().autodiff(), |e| events.push(e), &rx).unwrap();
    let progress = events
        .iter()
        .filter(|e| matches!(e, TrainEvent::Progress { .. }))
        .count();
    assert_eq!(progress, 4);
    assert!(
        events
            .iter()
            .any(|e| matches!(e, TrainEvent::Checkpoint { step: 2, .. }))
    );
    assert!(
        events
            .iter()
            .any(|e| matches!(e, TrainEvent::Samples { images, .. } if !images.is_empty()))
    );
    let model = weights::load(&job.output, &Device::flex()).unwrap();
    assert_eq!(model.info.steps, 4);
    assert!(
        model.discriminator.is_some(),
        "the model carries D for fine-tuning"
    );
    // Asking for more steps resumes from the checkpoint.
    let more = Job {
        config: TrainConfig {
            steps: 6,
            ..tiny_train_config()
        },
        start: Start::Resume(job.checkpoint.clone()),
        ..job
    };
    let mut steps = Vec::new();
    train::run(
        &more,
        &Device::flex().autodiff(),
        |e| {
            if let TrainEvent::Progress { step, .. } = e {
                steps.push(step)
            }
        },
        &rx,
    )
    .unwrap();
    assert_eq!(steps, vec![5, 6]);
}

#[test]
fn a_diverging_run_is_stopped_and_the_last_good_checkpoint_kept() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("pairs");
    write_aligned(&data_dir, 3);
    let data = Dataset::open(&data_dir, Layout::Auto, Direction::AtoB, None).unwrap();
    let job = Job {
        data,
        // An absurd learning rate blows the weights up within a few steps.
        config: TrainConfig {
            optimizer: OptimizerConfig {
                lr: 1e30,
                ..OptimizerConfig::default()
            },
            steps: 50,
            checkpoint_every: 1000,
            ..tiny_train_config()
        },
        start: Start::Fresh { name: "nan".into() },
        output: dir.path().join("out.safetensors"),
        checkpoint: dir.path().join("out.ckpt.safetensors"),
    };
    let (_tx, rx) = std::sync::mpsc::channel::<Control>();
    let mut diverged = None;
    let err = train::run(
        &job,
        &Device::flex().autodiff(),
        |e| {
            if let TrainEvent::Diverged { step, restored } = e {
                diverged = Some((step, restored))
            }
        },
        &rx,
    )
    .unwrap_err();
    assert!(matches!(err, TrainError::NonFinite { .. }), "{err}");
    let (step, restored) = diverged.expect("the user was told");
    assert!(step < 50 && restored == 0, "{step} {restored}");
    let model = weights::load(&job.output, &Device::flex()).unwrap();
    let out = model.generator.forward(
        images_to_tensor(&[&draw_sketch(256, 256)], &Device::flex()),
        pix2paint::model::NormStats::Batch,
        None,
    );
    let v = out.into_data().try_into_vec::<f32>().unwrap();
    assert!(
        v.iter().all(|x| x.is_finite()),
        "the restored model is sane"
    );
}

#[test]
fn eval_scores_behave() {
    use pix2paint::eval::{Scores, l1, mean_colour_image, ssim};
    let a = photo_for(64, 64, 50);
    assert_eq!(l1(&a, &a), 0.0);
    assert!((ssim(&a, &a) - 1.0).abs() < 1e-9);
    let black = RgbImage::new(64, 64);
    let white = RgbImage::from_pixel(64, 64, Rgb([255, 255, 255]));
    assert!((l1(&black, &white) - 1.0).abs() < 1e-12);
    // Noise keeps the mean but loses the structure: SSIM drops well below 1.
    let mut rng = pix2paint::rng::Rng::seed_from_u64(3);
    let noisy = RgbImage::from_fn(64, 64, |x, y| {
        let p = a.get_pixel(x, y);
        let n = (rand::RngCore::next_u32(&mut rng) % 81) as i32 - 40;
        Rgb(p.0.map(|v| (i32::from(v) + n).clamp(0, 255) as u8))
    });
    let s = ssim(&a, &noisy);
    assert!(s < 0.9 && s > 0.0, "ssim {s}");
    assert!(l1(&a, &noisy) > 0.05);
    let mean = mean_colour_image([&black, &white], 8);
    assert_eq!(mean.get_pixel(3, 3).0, [128, 128, 128]);
    let mut scores = Scores::default();
    scores.add(&a, &a);
    scores.add(&black, &white);
    assert!((scores.l1() - 0.5).abs() < 1e-12);
}

/// A tiny model file in `dir` with its discriminator, and that discriminator.
fn tiny_model_with_discriminator(
    dir: &Path,
) -> (std::path::PathBuf, pix2paint::model::Discriminator) {
    let path = dir.join("tiny.safetensors");
    let (disc, disc_config) = tiny_discriminator(&Device::flex());
    save_tiny(
        &path,
        &tiny_generator(1, &Device::flex()),
        Some((&disc, &disc_config)),
        pix2paint::weights::Precision::Full,
    );
    (path, disc)
}

#[test]
fn fine_tuning_a_saved_model_trains() {
    let dir = tempfile::tempdir().unwrap();
    let (path, disc) = tiny_model_with_discriminator(dir.path());
    let d = Device::flex().autodiff();
    let config = tiny_train_config();
    let model = weights::load(&path, &d).unwrap();
    let mut gan = Gan::from_model(model, &config, &d);
    let first_conv = |gan: &Gan| {
        gan.g.down[0]
            .conv
            .weight
            .val()
            .into_data()
            .try_into_vec::<f32>()
            .unwrap()
    };
    let before = first_conv(&gan);
    let d_before = d_out_weight(&gan);
    assert_eq!(
        d_before,
        disc.out
            .weight
            .val()
            .into_data()
            .try_into_vec::<f32>()
            .unwrap(),
        "the discriminator comes from the file"
    );
    let (s, p) = fixed_batch(&d);
    for _ in 0..3 {
        assert!(gan.step(s.clone(), p.clone(), &config).finite());
    }
    assert_ne!(before, first_conv(&gan), "the loaded generator is trained");
    assert_ne!(
        d_before,
        d_out_weight(&gan),
        "the loaded discriminator is trained"
    );
}

/// The discriminator's last-layer weights, to see whether a step changed them.
fn d_out_weight(gan: &Gan) -> Vec<f32> {
    gan.d
        .out
        .weight
        .val()
        .into_data()
        .try_into_vec::<f32>()
        .unwrap()
}

#[test]
fn tied_phases_stay_tied_through_training() {
    let d = Device::flex().autodiff();
    let config = TrainConfig {
        network: NetworkConfig {
            tie_phases: true,
            ..tiny_train_config().network
        },
        ..tiny_train_config()
    };
    let mut gan = Gan::new(&config, "t", &d);
    let (s, p) = fixed_batch(&d);
    let before = gan.g.up[3].conv.weight.val().inner();
    for _ in 0..3 {
        gan.step(s.clone(), p.clone(), &config);
    }
    for up in &gan.g.up {
        let w = up.conv.weight.val().inner();
        let off = (pix2paint::model::icnr::tie_phases(w.clone()) - w)
            .abs()
            .max()
            .into_scalar::<f32>();
        assert!(off < 1e-6, "a decoder left the tied form by {off}");
    }
    let moved = (gan.g.up[3].conv.weight.val().inner() - before)
        .abs()
        .max()
        .into_scalar::<f32>();
    assert!(moved > 0.0, "the tied weights still train");
}

#[test]
fn unusable_settings_are_never_written_and_an_old_checkpoint_holding_them_says_the_way_out() {
    let dir = tempfile::tempdir().unwrap();
    let ckpt = dir.path().join("run.ckpt.safetensors");
    let d = Device::flex().autodiff();
    let config = tiny_train_config();
    let gan = Gan::new(&config, "t", &d);
    // A NaN learning rate (which old builds let through) is refused at writing time.
    let nan = TrainConfig {
        optimizer: OptimizerConfig {
            lr: f64::NAN,
            ..config.optimizer.clone()
        },
        ..config.clone()
    };
    let e = gan.save_checkpoint(&ckpt, &nan).unwrap_err();
    assert!(e.to_string().contains("learning rate"), "{e}");
    assert!(!ckpt.exists());
    // A checkpoint from such a build (its lr stored as null) is refused on resume with the
    // way out, instead of failing every run after.
    gan.save_checkpoint(&ckpt, &config).unwrap();
    let mut model = weights::load(&ckpt, &Device::flex()).unwrap();
    let state = String::from_utf8(model.extras[weights::TRAINER_EXTRA].clone()).unwrap();
    let broken = state.replace("\"lr\":0.0002", "\"lr\":null");
    assert_ne!(
        state, broken,
        "the state stores the learning rate as expected"
    );
    model
        .extras
        .insert(weights::TRAINER_EXTRA.into(), broken.into_bytes());
    weights::save_model_file(&ckpt, &model, weights::Precision::Full).unwrap();
    let e = Gan::resume(&ckpt, &d).err().expect("refused").to_string();
    assert!(e.contains("trainer state") && e.contains("--fresh"), "{e}");
}

#[test]
fn a_multi_scale_discriminator_with_feature_matching_grows_from_a_file_trains_and_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let (path, disc) = tiny_model_with_discriminator(dir.path());
    let ckpt = dir.path().join("run.ckpt.safetensors");
    let d = Device::flex().autodiff();
    let config = TrainConfig {
        network: NetworkConfig {
            d_scales: 2,
            ..tiny_train_config().network
        },
        feature_matching: 10.0,
        ..tiny_train_config()
    };
    // The file's single PatchGAN stays as it was and gains a fresh coarse one.
    let mut gan = Gan::from_model(weights::load(&path, &d).unwrap(), &config, &d);
    assert_eq!((gan.d_config.scales, gan.d.coarse.len()), (2, 1));
    assert_eq!(
        d_out_weight(&gan),
        disc.out
            .weight
            .val()
            .into_data()
            .try_into_vec::<f32>()
            .unwrap()
    );
    let (s, p) = fixed_batch(&d);
    // Two scales judge the pair: 30×30 patches at 256², 14×14 at 128².
    let judged = gan.d.judge_scales(
        s.clone().narrow(1, 0, 3),
        p.clone(),
        pix2paint::model::NormStats::Train,
        true,
    );
    let sides: Vec<usize> = judged.iter().map(|j| j.logits.dims()[2]).collect();
    assert_eq!(sides, [30, 14]);
    assert!(judged.iter().all(|j| j.features.len() == 4));

    let coarse_before = gan.d.coarse[0]
        .out
        .weight
        .val()
        .into_data()
        .try_into_vec::<f32>()
        .unwrap();
    let plain = gan.step(s.clone(), p.clone(), &tiny_train_config());
    let matched = gan.step(s.clone(), p.clone(), &config);
    assert!(plain.finite() && matched.finite(), "{plain:?} {matched:?}");
    assert_ne!(
        coarse_before,
        gan.d.coarse[0]
            .out
            .weight
            .val()
            .into_data()
            .try_into_vec::<f32>()
            .unwrap(),
        "the coarse PatchGAN trains"
    );
    // Checkpoints keep both scales, and the run resumes exactly.
    gan.save_checkpoint(&ckpt, &config).unwrap();
    let uninterrupted = gan.step(s.clone(), p.clone(), &config);
    let (mut resumed, resumed_config) = Gan::resume(&ckpt, &d).unwrap();
    assert_eq!(resumed_config, config);
    assert_eq!(resumed.d.coarse.len(), 1);
    let again = resumed.step(s, p, &config);
    assert_same_losses(&uninterrupted, &again);
}
