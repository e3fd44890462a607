//! The app driven like a user with egui_kittest: draw with the pointer, see a result, undo.
// Helpers here may unwrap like the tests they serve (clippy.toml allows it in tests only).
#![allow(clippy::unwrap_used)]

mod common;
#[path = "common/ui.rs"]
mod ui;

use burn::tensor::Device;
use common::*;
use egui::{Modifiers, Pos2, Rect};
use egui_kittest::{Harness, kittest::Queryable};
use pix2paint::app::training::RunState;
use pix2paint::app::{Autosave, BLANK_CANVAS_HINT, PaintApp, Settings};
use pix2paint::canvas::Tool;
use pix2paint::weights::Precision;
use std::time::Duration;
use ui::step_until;

fn app_with_tiny_model(dir: &std::path::Path) -> PaintApp {
    let weights = dir.join("tiny.safetensors");
    save_tiny(
        &weights,
        &tiny_generator(1, &Device::flex()),
        None,
        Precision::Full,
    );
    PaintApp::new(
        &egui::Context::default(),
        pix2paint::device::cpu(),
        Some(weights),
        Settings::default(),
        Some(Autosave::new(dir.join("autosave"))),
    )
}

fn harness(app: PaintApp) -> Harness<'static, PaintApp> {
    Harness::builder()
        .with_size([900.0, 520.0])
        .with_max_steps(10_000)
        .build_ui_state(|ui, app: &mut PaintApp| app.frame(ui), app)
}

fn canvas_rect(h: &Harness<'_, PaintApp>) -> Rect {
    h.get_by_label("Sketch canvas").rect()
}

fn at(r: Rect, x: f32, y: f32) -> Pos2 {
    r.min + egui::vec2(x * r.width(), y * r.height())
}

#[test]
fn drawing_a_stroke_paints_a_result_and_undo_removes_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(app_with_tiny_model(dir.path()));
    step_until(&mut h, "the model", |a| a.model().is_some());
    let r = canvas_rect(&h);
    assert!(
        h.query_by_label(BLANK_CANVAS_HINT).is_some(),
        "a blank canvas says what to do"
    );

    h.hover_at(at(r, 0.2, 0.3));
    h.drag_at(at(r, 0.2, 0.3));
    h.step();
    for i in 1..=10 {
        h.hover_at(at(r, 0.2 + 0.06 * i as f32, 0.3 + 0.03 * i as f32));
        h.step();
    }
    h.drop_at(at(r, 0.8, 0.6));
    h.step();

    assert_eq!(
        h.state().canvas().strokes().len(),
        1,
        "the canvas holds the stroke"
    );
    let stroke = &h.state().canvas().strokes()[0];
    assert!(stroke.points.len() >= 8, "{} points", stroke.points.len());
    assert!((stroke.points[0].x - 0.2).abs() < 0.02 && (stroke.points[0].y - 0.3).abs() < 0.02);
    let sketch = h.state().canvas().rasterize(256);
    assert!(
        sketch.get_pixel(128, 115)[0] < 128,
        "the stroke is rasterised where it was drawn"
    );
    assert!(
        h.state().requests_sent() >= 1,
        "a request reached the worker"
    );
    step_until(&mut h, "a result", |a| a.result().is_some());
    assert_eq!(h.state().result().unwrap().dimensions(), (256, 256));
    assert!(h.query_by_label(BLANK_CANVAS_HINT).is_none());

    h.key_press_modifiers(Modifiers::COMMAND, egui::Key::Z);
    h.step();
    assert!(
        h.state().canvas().strokes().is_empty(),
        "Ctrl+Z undid the stroke"
    );
    h.key_press_modifiers(Modifiers::COMMAND, egui::Key::Y);
    h.step();
    assert_eq!(h.state().canvas().strokes().len(), 1, "Ctrl+Y redid it");
    h.key_press_modifiers(Modifiers::COMMAND | Modifiers::SHIFT, egui::Key::Z);
    h.step();
    assert_eq!(
        h.state().canvas().strokes().len(),
        1,
        "nothing left to redo"
    );
}

/// The path commands the file dialogs turn into: the result and the model in use saved where
/// asked, without a dialog.
#[test]
fn the_result_and_the_model_save_where_asked() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(app_with_tiny_model(dir.path()));
    step_until(&mut h, "the model", |a| a.model().is_some());
    let ctx = h.ctx.clone();
    let painted = dir.path().join("painted.png");
    stroke(&mut h, (0.3, 0.3), (0.7, 0.6));
    step_until(&mut h, "a result", |a| a.result().is_some());
    h.state_mut().apply(
        &ctx,
        pix2paint::app::Command::File(pix2paint::app::FileCommand::SaveResult(painted.clone())),
    );
    let saved = image::open(&painted).unwrap().to_rgb8();
    assert_eq!(&saved, h.state().result().unwrap());

    let model = dir.path().join("copy.safetensors");
    h.state_mut().apply(
        &ctx,
        pix2paint::app::Command::File(pix2paint::app::FileCommand::SaveModelAs(model.clone())),
    );
    step_until(&mut h, "the model copy", |_| model.exists());
    let copy = pix2paint::weights::load(&model, &Device::flex()).unwrap();
    assert_eq!(copy.info.name, h.state().model().unwrap().name);
}

#[test]
fn a_fast_stroke_keeps_every_move_of_a_slow_frame() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(app_with_tiny_model(dir.path()));
    step_until(&mut h, "the model", |a| a.model().is_some());
    let r = canvas_rect(&h);

    // `Harness::step` runs a frame per queued event; a slow frame gets them all at once.
    let frame = |h: &mut Harness<'_, PaintApp>, events: Vec<egui::Event>| {
        h.input_mut().events.extend(events);
        h.step();
    };
    let moved = |x: f32, y: f32| egui::Event::PointerMoved(at(r, x, y));
    let button = |x: f32, y: f32, pressed: bool| egui::Event::PointerButton {
        pos: at(r, x, y),
        button: egui::PointerButton::Primary,
        pressed,
        modifiers: Modifiers::NONE,
    };
    frame(&mut h, vec![moved(0.2, 0.2), button(0.2, 0.2, true)]);
    // The model is busy on the CPU: the pointer has gone round a corner by the time egui sees
    // the drag start, and the next frame also releases the button and moves on.
    let corner = [(0.3, 0.2), (0.4, 0.2), (0.5, 0.2), (0.5, 0.3), (0.5, 0.4)];
    frame(&mut h, corner.iter().map(|&(x, y)| moved(x, y)).collect());
    let end = [(0.4, 0.5), (0.3, 0.5), (0.2, 0.5)];
    let mut events: Vec<_> = end.iter().map(|&(x, y)| moved(x, y)).collect();
    events.extend([button(0.2, 0.5, false), moved(0.9, 0.9)]);
    frame(&mut h, events);
    // Moving on with the button up adds nothing either.
    frame(&mut h, vec![moved(0.8, 0.9)]);
    frame(&mut h, vec![moved(0.7, 0.9)]);
    // A quick tick drawn entirely within one frame is a stroke too.
    frame(
        &mut h,
        vec![
            moved(0.7, 0.7),
            button(0.7, 0.7, true),
            moved(0.75, 0.75),
            moved(0.8, 0.7),
            button(0.8, 0.7, false),
            moved(0.9, 0.9),
        ],
    );
    let strokes = h.state().canvas().strokes();
    assert_eq!(strokes.len(), 2, "the one-frame stroke is kept");
    let tick: Vec<_> = strokes[1].points.iter().map(|p| (p.x, p.y)).collect();
    assert_eq!(tick.len(), 3, "{tick:?}");
    assert!((tick[1].0 - 0.75).abs() < 0.01 && (tick[1].1 - 0.75).abs() < 0.01);

    let points = &strokes[0].points;
    assert!(
        points.iter().all(|p| p.y < 0.55),
        "moves after the release stay out of the stroke: {:?}",
        points.iter().map(|p| (p.x, p.y)).collect::<Vec<_>>()
    );
    for (x, y) in corner.into_iter().chain(end) {
        assert!(
            points
                .iter()
                .any(|p| (p.x - x).abs() < 0.01 && (p.y - y).abs() < 0.01),
            "the stroke passes through ({x}, {y}): {:?}",
            points.iter().map(|p| (p.x, p.y)).collect::<Vec<_>>()
        );
    }
}

#[test]
fn a_long_stroke_gives_several_live_updates() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(app_with_tiny_model(dir.path()));
    step_until(&mut h, "the model", |a| a.model().is_some());
    let r = canvas_rect(&h);
    h.hover_at(at(r, 0.1, 0.5));
    h.drag_at(at(r, 0.1, 0.5));
    h.step();
    // A 1.5 s stroke, moving every 50 ms.
    for i in 1..=30 {
        std::thread::sleep(Duration::from_millis(50));
        h.hover_at(at(
            r,
            0.1 + 0.025 * i as f32,
            0.5 + 0.1 * (i as f32 * 0.4).sin(),
        ));
        h.step();
    }
    let during = h.state().requests_sent();
    h.drop_at(at(r, 0.85, 0.5));
    h.step();
    assert!(during >= 5, "only {during} live requests during the stroke");
    step_until(&mut h, "a result", |a| a.result().is_some());
}

#[cfg(target_os = "linux")]
#[test]
fn saving_onto_a_full_disk_says_so_and_keeps_the_previous_file() {
    use pix2paint::app::{Command, FileCommand};
    let dir = tempfile::tempdir().unwrap();
    let mnt = dir.path().join("small");
    let Some(_disk) = SmallDisk::mount(&mnt, 16) else {
        eprintln!("skipped: mounting a 16 KB tmpfs needs root");
        return;
    };
    let mut h = harness(app_with_tiny_model(dir.path()));
    step_until(&mut h, "the model", |a| a.model().is_some());
    let ctx = h.ctx.clone();
    stroke(&mut h, (0.3, 0.3), (0.7, 0.6));
    step_until(&mut h, "a result", |a| a.result().is_some());
    let result = mnt.join("painted.png");
    let sketch = mnt.join("sketch.png");
    for p in [&result, &sketch] {
        std::fs::write(p, b"the previous version").unwrap();
    }
    // Another file takes what room is left (its write fails part way).
    let _ = std::fs::write(mnt.join("filler"), vec![0u8; 16 * 1024]);
    for (command, path) in [
        (FileCommand::SaveResult(result.clone()), &result),
        (FileCommand::SaveSketch(sketch.clone()), &sketch),
    ] {
        h.state_mut().apply(&ctx, Command::File(command));
        h.step();
        let problem = h.state().problem().unwrap_or_default().to_owned();
        assert!(problem.contains("disk is full"), "{problem}");
        assert!(
            problem.contains(&path.file_name().unwrap().to_string_lossy().into_owned()),
            "{problem}"
        );
        assert_eq!(std::fs::read(path).unwrap(), b"the previous version");
    }
    let left: Vec<_> = std::fs::read_dir(&mnt)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp"))
        .collect();
    assert!(left.is_empty(), "temporary files left: {left:?}");
}

#[test]
fn tool_and_width_shortcuts_and_clear() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(app_with_tiny_model(dir.path()));
    h.step();
    h.key_press(egui::Key::E);
    h.step();
    assert_eq!(h.state().tool(), Tool::Eraser);
    h.key_press(egui::Key::B);
    h.step();
    assert_eq!(h.state().tool(), Tool::Pen);
    let w = h.state().settings.pen_width;
    h.key_press(egui::Key::CloseBracket);
    h.step();
    assert!(h.state().settings.pen_width > w);
    stroke(&mut h, (0.5, 0.5), (0.6, 0.6));
    assert_eq!(h.state().canvas().strokes().len(), 1);
    h.key_press(egui::Key::Delete);
    h.step();
    assert!(h.state().canvas().strokes().is_empty(), "Delete cleared");
    h.key_press_modifiers(Modifiers::COMMAND, egui::Key::Z);
    h.step();
    assert_eq!(h.state().canvas().strokes().len(), 1, "clear is undoable");
}

#[test]
fn strokes_survive_a_restart_through_the_autosave() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut h = harness(app_with_tiny_model(dir.path()));
        h.step();
        stroke(&mut h, (0.3, 0.3), (0.7, 0.7));
        h.state_mut().flush_autosave().unwrap();
    }
    let h = harness(app_with_tiny_model(dir.path()));
    assert_eq!(
        h.state().canvas().strokes().len(),
        1,
        "the stroke came back"
    );
}

#[test]
fn a_bad_model_file_shows_an_error_and_keeps_the_current_model() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(app_with_tiny_model(dir.path()));
    step_until(&mut h, "the model", |a| a.model().is_some());
    let bad = dir.path().join("bad.safetensors");
    std::fs::write(&bad, b"this is not a model").unwrap();
    let ctx = egui::Context::default();
    h.state_mut().apply(
        &ctx,
        pix2paint::app::Command::File(pix2paint::app::FileCommand::OpenModel(bad)),
    );
    step_until(&mut h, "the error", |a| a.problem().is_some());
    assert!(
        h.state()
            .problem()
            .unwrap()
            .contains("not a pix2paint weights file")
    );
    assert_eq!(h.state().model().unwrap().name, "tiny test model");
}

/// An A|B dataset of `n` pairs drawn by the test.
fn write_pairs(dir: &std::path::Path, n: usize) {
    use image::GenericImage;
    std::fs::create_dir_all(dir).unwrap();
    for i in 0..n {
        let mut pair = image::RgbImage::from_pixel(128, 64, image::Rgb([30, 90, 150 + i as u8]));
        pair.copy_from(
            &image::imageops::resize(
                &draw_sketch(64, 64),
                64,
                64,
                image::imageops::FilterType::Triangle,
            ),
            0,
            0,
        )
        .unwrap();
        pair.save(dir.join(format!("{i}.png"))).unwrap();
    }
}

#[test]
fn the_training_panel_trains_pauses_stops_and_continues() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("pairs");
    write_pairs(&data, 3);
    let mut h = harness(app_with_tiny_model(dir.path()));
    step_until(&mut h, "the model", |a| a.model().is_some());

    // The toolbar opens the panel; the dataset folder comes from the native dialog in real
    // use, so the test issues the command that dialog issues.
    h.get_by_label("Training").click();
    h.step();
    assert!(h.state().training.is_open());
    let ctx = egui::Context::default();
    h.state_mut().apply(
        &ctx,
        pix2paint::app::Command::Train(pix2paint::app::TrainCommand::OpenData(data.clone())),
    );
    step_until(&mut h, "the dataset summary", |a| {
        a.training.status().summary.is_some()
    });
    h.step();
    assert_eq!(
        h.state().training.status().summary.as_ref().unwrap().pairs,
        3
    );
    h.get_by_label("3 pairs (0 files skipped)");

    // A short fine-tuning run from the tiny model in use, by epochs.
    {
        let t = h.state_mut().training.form_mut();
        t.by_epochs = true;
        t.epochs = 2;
        t.config.checkpoint_every = 2;
        t.config.sample_every = 2;
    }
    h.get_by_label("Start").click();
    step_until(&mut h, "the run to finish", |a| {
        a.training.status().state == RunState::Idle && a.training.status().latest.is_some()
    });
    let t = h.state().training.status();
    assert_eq!(
        t.progress.map(|p| (p.step, p.total)),
        Some((6, 6)),
        "2 epochs of 3 pairs"
    );
    assert_eq!(t.losses.len(), 6);
    assert!(!t.samples.is_empty(), "held-out previews were shown");
    assert!(
        t.message
            .as_deref()
            .unwrap()
            .starts_with("finished after 6 steps")
    );
    // The live canvas paints with the trained weights.
    step_until(&mut h, "the trained model", |a| {
        a.model().is_some_and(|m| m.steps == 6)
    });
    h.step();
    h.get_by_label("Save model as…");

    // A long run: pause, resume, stop; then continue it from its checkpoint.
    h.state_mut().training.form_mut().by_epochs = false;
    h.state_mut().training.form_mut().config.steps = 100_000;
    h.get_by_label("Start").click();
    step_until(&mut h, "some progress", |a| {
        a.training
            .status()
            .progress
            .is_some_and(|p| p.step >= 3 && p.total == 100_000)
    });
    h.get_by_label("Pause").click();
    step_until(&mut h, "the pause", |a| {
        a.training.status().state == RunState::Paused
    });
    let paused_at = h.state().training.status().progress.unwrap().step;
    std::thread::sleep(Duration::from_millis(300));
    h.step();
    assert_eq!(
        h.state().training.status().progress.unwrap().step,
        paused_at,
        "paused"
    );
    // The canvas paints with the checkpoints' weights, handed over in memory, and names the
    // checkpoint file as the model: Save model as… writes those weights.
    let latest = h.state().training.status().latest.clone().unwrap();
    let on_disk = pix2paint::weights::load(&latest, &Device::flex())
        .unwrap()
        .trained_steps();
    step_until(&mut h, "the last checkpoint's painter", |a| {
        a.model().is_some_and(|m| m.steps == on_disk)
    });
    let copy = dir.path().join("checkpoint-copy.safetensors");
    h.state_mut().apply(
        &ctx,
        pix2paint::app::Command::File(pix2paint::app::FileCommand::SaveModelAs(copy.clone())),
    );
    step_until(&mut h, "the copy", |_| copy.exists());
    let saved = pix2paint::weights::load(&copy, &Device::flex()).unwrap();
    assert_eq!(saved.trained_steps(), on_disk);
    h.get_by_label("Resume").click();
    step_until(&mut h, "progress after resuming", |a| {
        a.training
            .status()
            .progress
            .is_some_and(|p| p.step > paused_at + 2)
    });
    h.get_by_label("Stop").click();
    step_until(&mut h, "the stop", |a| {
        a.training.status().state == RunState::Idle
    });
    let stopped_at = h.state().training.status().progress.unwrap().step;
    assert!(stopped_at < 100_000);
    assert!(
        h.state()
            .training
            .status()
            .message
            .as_deref()
            .unwrap()
            .starts_with("stopped at step")
    );
    h.step();
    h.get_by_label("Continue the previous run").click();
    step_until(&mut h, "the continued run", |a| {
        a.training
            .status()
            .progress
            .is_some_and(|p| p.step > stopped_at)
    });
    let first_step = h.state().training.status().losses.first().unwrap().0;
    assert_eq!(
        first_step,
        stopped_at + 1,
        "the run continues where it stopped"
    );
    h.get_by_label("Stop").click();
    step_until(&mut h, "the second stop", |a| {
        a.training.status().state == RunState::Idle
    });
}

#[test]
fn the_model_window_shows_the_model_and_sets_its_input_side() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(app_with_tiny_model(dir.path()));
    step_until(&mut h, "the model", |a| a.model().is_some());
    h.get_by_label("model: tiny test model").click();
    h.step();
    h.step();
    h.get_by_label("(the file says nothing about itself)");
    h.get_by_label("B (B to A)").click();
    h.step();
    let app = h.state();
    assert_eq!(
        app.model().unwrap().direction,
        pix2paint::weights::Direction::BtoA
    );
    assert!(
        app.training.form().btoa,
        "fine-tuning data follows the model's direction"
    );
}

fn app_with_tiny_hint_model(dir: &std::path::Path) -> PaintApp {
    let weights = dir.join("tiny-hints.safetensors");
    let config = pix2paint::model::GeneratorConfig::new()
        .with_ngf(4)
        .with_hint_channels(4);
    let d = Device::flex();
    d.seed(3);
    pix2paint::weights::save(
        &weights,
        &pix2paint::weights::SaveRequest {
            generator: &config.init(&d),
            generator_config: &config,
            training_generator: None,
            discriminator: None,
            info: &pix2paint::weights::ModelInfo::named("tiny hint model"),
            extras: &Default::default(),
            precision: Precision::Full,
        },
    )
    .unwrap();
    PaintApp::new(
        &egui::Context::default(),
        pix2paint::device::cpu(),
        Some(weights),
        Settings::default(),
        Some(Autosave::new(dir.join("autosave"))),
    )
}

fn stroke(h: &mut Harness<'_, PaintApp>, from: (f32, f32), to: (f32, f32)) {
    let r = canvas_rect(h);
    h.hover_at(at(r, from.0, from.1));
    h.drag_at(at(r, from.0, from.1));
    h.step();
    h.hover_at(at(r, to.0, to.1));
    h.step();
    h.drop_at(at(r, to.0, to.1));
    h.step();
}

/// Wait for the result of everything sent so far and return it.
fn settled_result(h: &mut Harness<'_, PaintApp>) -> image::RgbImage {
    h.step();
    step_until(h, "the live result", |a| {
        a.result().is_some() && !a.is_busy()
    });
    h.state().result().unwrap().clone()
}

#[test]
fn the_colour_tool_dabs_hints_that_paint_undo_redo_and_save_with_the_sketch() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(app_with_tiny_hint_model(dir.path()));
    step_until(&mut h, "the model", |a| a.model().is_some());
    stroke(&mut h, (0.2, 0.5), (0.8, 0.5));
    let plain = settled_result(&mut h);

    h.key_press(egui::Key::C);
    h.step();
    assert_eq!(h.state().tool(), Tool::Colour);
    assert!(
        h.query_by_label(pix2paint::app::toolbar::NO_HINTS_TEXT)
            .is_none(),
        "this model takes hints"
    );
    h.state_mut().settings.hint_colour = [30, 200, 40];
    stroke(&mut h, (0.45, 0.3), (0.55, 0.3));
    assert!(h.state().canvas().has_hints());
    let layer = h.state().canvas().rasterize_hints(100);
    assert_eq!(
        layer.get_pixel(50, 30).0,
        [30, 200, 40, 255],
        "the dab is on the hint layer"
    );
    assert_eq!(h.state().canvas().strokes().len(), 1, "the dab is not ink");
    let hinted = settled_result(&mut h);
    assert_ne!(hinted, plain, "the live loop sent the hints");

    h.key_press_modifiers(Modifiers::COMMAND, egui::Key::Z);
    h.step();
    assert!(!h.state().canvas().has_hints(), "undo took the dab");
    h.key_press_modifiers(Modifiers::COMMAND | Modifiers::SHIFT, egui::Key::Z);
    h.step();
    assert!(h.state().canvas().has_hints(), "redo brought it back");

    let sketch = dir.path().join("cat.png");
    let ctx = egui::Context::default();
    h.state_mut().apply(
        &ctx,
        pix2paint::app::Command::File(pix2paint::app::FileCommand::SaveSketch(sketch.clone())),
    );
    let hints_file = dir.path().join("cat.hints.png");
    assert!(
        hints_file.is_file(),
        "the hints were saved beside the sketch"
    );
    h.state_mut().apply(&ctx, pix2paint::app::Command::Clear);
    assert!(!h.state().canvas().has_hints());
    h.state_mut().apply(
        &ctx,
        pix2paint::app::Command::File(pix2paint::app::FileCommand::OpenSketch(sketch)),
    );
    h.step();
    let layer = h.state().canvas().rasterize_hints(100);
    assert_eq!(
        layer.get_pixel(50, 30).0,
        [30, 200, 40, 255],
        "reopened with its hints"
    );
    assert!(h.state().problem().is_none());
}

#[test]
fn the_colour_tool_says_when_the_model_takes_no_hints() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(app_with_tiny_model(dir.path()));
    step_until(&mut h, "the model", |a| a.model().is_some());
    h.key_press(egui::Key::C);
    h.step();
    h.step();
    assert!(
        h.query_by_label(pix2paint::app::toolbar::NO_HINTS_TEXT)
            .is_some()
    );
}

#[test]
fn colour_hints_survive_a_restart_through_the_autosave() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut h = harness(app_with_tiny_hint_model(dir.path()));
        h.step();
        stroke(&mut h, (0.2, 0.5), (0.8, 0.5));
        h.key_press(egui::Key::C);
        h.step();
        h.state_mut().settings.hint_colour = [200, 30, 90];
        stroke(&mut h, (0.45, 0.3), (0.55, 0.3));
        h.state_mut().flush_autosave().unwrap();
    }
    let h = harness(app_with_tiny_hint_model(dir.path()));
    assert_eq!(h.state().canvas().strokes().len(), 1, "the line came back");
    let layer = h.state().canvas().rasterize_hints(100);
    assert_eq!(
        layer.get_pixel(50, 30).0,
        [200, 30, 90, 255],
        "and so did the dab"
    );
}

#[test]
fn alt_click_on_the_result_takes_its_colour_for_the_colour_tool() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(app_with_tiny_hint_model(dir.path()));
    step_until(&mut h, "the model", |a| a.model().is_some());
    stroke(&mut h, (0.2, 0.5), (0.8, 0.5));
    let result = settled_result(&mut h);
    let r = h.get_by_label("Result").rect();
    let (u, v) = (0.3, 0.6);
    let pos = at(r, u, v);
    h.hover_at(pos);
    h.step();
    // Alt held across the press and the release, as a hand does.
    let button = |pressed| egui::Event::PointerButton {
        pos,
        button: egui::PointerButton::Primary,
        pressed,
        modifiers: Modifiers::ALT,
    };
    h.event(egui::Event::ModifiersChanged(Modifiers::ALT));
    h.event(button(true));
    h.step();
    h.event(button(false));
    h.step();
    h.event(egui::Event::ModifiersChanged(Modifiers::NONE));
    h.step();
    let (w, hh) = result.dimensions();
    let want = result
        .get_pixel((u * w as f32) as u32, (v * hh as f32) as u32)
        .0;
    assert_eq!(h.state().settings.hint_colour, want);
    assert_eq!(
        h.state().tool(),
        Tool::Colour,
        "picking a colour selects the tool"
    );
}

#[test]
fn a_damaged_autosave_is_kept_aside_and_named() {
    let dir = tempfile::tempdir().unwrap();
    let autosave = dir.path().join("autosave");
    std::fs::create_dir_all(&autosave).unwrap();
    std::fs::write(autosave.join("sketch.json"), b"{ not json").unwrap();
    let (canvas, problem) = Autosave::new(&autosave).load();
    assert!(canvas.is_blank());
    let problem = problem.expect("the damage is reported").to_string();
    assert!(
        problem.contains("sketch.json") && problem.contains("kept as"),
        "{problem}"
    );
    let kept: Vec<_> = std::fs::read_dir(&autosave)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("sketch.damaged-")
        })
        .collect();
    assert_eq!(kept.len(), 1);
    assert_eq!(std::fs::read(kept[0].path()).unwrap(), b"{ not json");
}

#[test]
fn an_example_sketch_opens_onto_the_canvas_and_undo_takes_it_back() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(app_with_tiny_model(dir.path()));
    h.step();
    let ctx = egui::Context::default();
    let ink = |h: &Harness<'_, PaintApp>| dark_pixels(&h.state().canvas().rasterize(256));
    assert_eq!(ink(&h), 0, "a fresh canvas is blank");
    h.state_mut().apply(
        &ctx,
        pix2paint::app::Command::File(pix2paint::app::FileCommand::OpenExample(2)),
    );
    h.step();
    assert!(ink(&h) > 500, "the sitting cat is on the canvas");
    assert!(h.state().problem().is_none());
    step_until(&mut h, "a painting of the example", |app| {
        app.result().is_some()
    });
    h.state_mut().apply(&ctx, pix2paint::app::Command::Undo);
    h.step();
    assert_eq!(ink(&h), 0, "undo took it back");
    // Past the list: nothing happens, nothing breaks.
    h.state_mut().apply(
        &ctx,
        pix2paint::app::Command::File(pix2paint::app::FileCommand::OpenExample(99)),
    );
    assert!(h.state().problem().is_none());
}
