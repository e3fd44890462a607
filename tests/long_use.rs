//! Long use: the app's resident memory over 2,000 live paintings (strokes, undo and redo,
//! clears, model swaps), and a training run's over 2,000 steps, stay within 10 % of what they
//! held after warm-up. A binary of its own, its tests one at a time, so no other test's memory
//! is counted.
//!
//! `PIX2PAINT_SOAK_MODEL=weights/pix2paint-cats-v2.safetensors cargo test --release --test
//! long_use -- --nocapture` runs it with a real model (the README's figures); without it, two
//! tiny models take turns.
// Helpers here may unwrap like the tests they serve (clippy.toml allows it in tests only).
#![allow(clippy::unwrap_used)]

mod common;
#[path = "common/ui.rs"]
mod ui;

use burn::tensor::Device;
use common::*;
use egui::Pos2;
use egui_kittest::{Harness, kittest::Queryable};
use pix2paint::app::{Autosave, Command, FileCommand, PaintApp, Settings};
use pix2paint::weights::Precision;
use std::time::Instant;
use ui::step_until;

const PAINTINGS: u64 = 2_000;
const WARM_UP: u64 = 200;

/// The tests take turns: each measures the whole process.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn resident_mb() -> f64 {
    pix2paint::memory::resident_bytes().unwrap() as f64 / f64::from(1u32 << 20)
}

#[cfg(target_os = "linux")]
#[test]
fn memory_stays_flat_over_two_thousand_live_paintings() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let models: Vec<std::path::PathBuf> = match std::env::var_os("PIX2PAINT_SOAK_MODEL") {
        Some(m) => vec![m.into(); 2],
        None => (1..=2)
            .map(|seed| {
                let path = dir.path().join(format!("tiny-{seed}.safetensors"));
                save_tiny(
                    &path,
                    &tiny_generator(seed, &Device::flex()),
                    None,
                    Precision::Full,
                );
                path
            })
            .collect(),
    };
    let app = PaintApp::new(
        &egui::Context::default(),
        pix2paint::device::cpu(),
        Some(models[0].clone()),
        Settings::default(),
        Some(Autosave::new(dir.path().join("autosave"))),
    );
    let mut h = Harness::builder()
        .with_size([900.0, 520.0])
        .with_max_steps(10_000)
        .build_ui_state(|ui, app: &mut PaintApp| app.frame(ui), app);
    step_until(&mut h, "the model", |a| a.model().is_some());
    let r = h.get_by_label("Sketch canvas").rect();
    let at = |x: f32, y: f32| -> Pos2 { r.min + egui::vec2(x * r.width(), y * r.height()) };
    let ctx = egui::Context::default();

    let mut after_warm_up = None;
    let mut peak = 0.0f64;
    let mut i = 0u64;
    let start = Instant::now();
    while h.state().paintings_shown() < PAINTINGS {
        i += 1;
        // A stroke of a few moves (each may be painted), then its result.
        let (x, y) = (
            (i * 37 % 80) as f32 / 100.0 + 0.1,
            (i * 53 % 80) as f32 / 100.0 + 0.1,
        );
        h.hover_at(at(x, y));
        h.drag_at(at(x, y));
        h.step();
        for k in 1..=4 {
            h.hover_at(at(x + 0.02 * k as f32, 1.0 - y + 0.01 * k as f32));
            h.step();
        }
        h.drop_at(at(x + 0.1, 1.0 - y));
        h.step();
        // Undo and redo now and then, a clear every 50 strokes, the other model every 150.
        let app = h.state_mut();
        if i.is_multiple_of(7) {
            app.apply(&ctx, Command::Undo);
        }
        if i.is_multiple_of(11) {
            app.apply(&ctx, Command::Redo);
        }
        if i.is_multiple_of(50) {
            app.apply(&ctx, Command::Clear);
        }
        if i.is_multiple_of(150) {
            let next = models[(i / 150 % 2) as usize].clone();
            app.apply(&ctx, Command::File(FileCommand::OpenModel(next)));
        }
        h.step();
        step_until(&mut h, "the live result", |a| !a.is_busy());
        let shown = h.state().paintings_shown();
        let mb = resident_mb();
        if shown >= WARM_UP && after_warm_up.is_none() {
            after_warm_up = Some(mb);
        }
        if after_warm_up.is_some() {
            peak = peak.max(mb);
        }
        if i.is_multiple_of(100) {
            eprintln!(
                "{shown} paintings ({i} strokes, {:.0} s): {mb:.1} MB resident",
                start.elapsed().as_secs_f64()
            );
        }
    }
    let base = after_warm_up.unwrap();
    let end = resident_mb();
    eprintln!(
        "after {WARM_UP} paintings {base:.1} MB; after {} ({i} strokes) {end:.1} MB; peak \
         {peak:.1} MB ({:+.1} %)",
        h.state().paintings_shown(),
        100.0 * (peak / base - 1.0)
    );
    assert!(h.state().problem().is_none(), "{:?}", h.state().problem());
    assert!(
        peak <= base * 1.10,
        "resident memory grew from {base:.1} MB to {peak:.1} MB"
    );
}

#[test]
fn memory_stays_flat_over_two_thousand_training_steps() {
    use image::GenericImage;
    use pix2paint::dataset::{Dataset, Layout};
    use pix2paint::train::{self, Control, Job, NetworkConfig, Start, TrainConfig, TrainEvent};
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let pairs = dir.path().join("pairs");
    std::fs::create_dir_all(&pairs).unwrap();
    for i in 0..4u8 {
        let mut pair = image::RgbImage::new(512, 256);
        pair.copy_from(&draw_sketch(256, 256), 0, 0).unwrap();
        pair.copy_from(&photo_for(256, 256, i * 50), 256, 0)
            .unwrap();
        pair.save(pairs.join(format!("p{i}.png"))).unwrap();
    }
    let data = Dataset::open(
        &pairs,
        Layout::Auto,
        pix2paint::weights::Direction::AtoB,
        None,
    )
    .unwrap();
    // The real loop, with what a long run does: checkpoints, samples, a weight average.
    let job = Job {
        data,
        config: TrainConfig {
            steps: 2_000,
            network: NetworkConfig {
                ngf: 4,
                ndf: 4,
                ..NetworkConfig::default()
            },
            ema_decay: Some(0.999),
            checkpoint_every: 250,
            sample_every: 250,
            ..TrainConfig::default()
        },
        start: Start::Fresh {
            name: "long".into(),
        },
        output: dir.path().join("long.safetensors"),
        checkpoint: dir.path().join("long.ckpt.safetensors"),
    };
    let (_tx, rx) = std::sync::mpsc::channel::<Control>();
    let (mut after_warm_up, mut peak) = (None, 0.0f64);
    let start = Instant::now();
    train::run(
        &job,
        &Device::flex().autodiff(),
        |e| {
            if let TrainEvent::Progress { step, .. } = e {
                let mb = resident_mb();
                if step == WARM_UP {
                    after_warm_up = Some(mb);
                }
                if after_warm_up.is_some() {
                    peak = peak.max(mb);
                }
                if step % 250 == 0 {
                    eprintln!(
                        "step {step} ({:.0} s): {mb:.1} MB resident",
                        start.elapsed().as_secs_f64()
                    );
                }
            }
        },
        &rx,
    )
    .unwrap();
    let base = after_warm_up.unwrap();
    eprintln!(
        "after {WARM_UP} steps {base:.1} MB; after 2000 {:.1} MB; peak {peak:.1} MB ({:+.1} %)",
        resident_mb(),
        100.0 * (peak / base - 1.0)
    );
    assert!(
        peak <= base * 1.10,
        "resident memory grew from {base:.1} MB to {peak:.1} MB"
    );
}
