//! The inference worker: newest request wins, results carry timings, weights swap live.

mod common;

use burn::tensor::Device;
use common::*;
use pix2paint::inference::{Event, InferenceWorker, Painter, Request};
use pix2paint::weights::ModelInfo;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

fn painter(seed: u64, d: &Device) -> Painter {
    Painter {
        generator: tiny_generator(seed, d),
        config: tiny_config(),
        info: ModelInfo::named(format!("tiny {seed}")),
        reduced: None,
    }
}

fn next_painted(w: &InferenceWorker) -> (u64, image::RgbImage, Duration) {
    loop {
        match w
            .recv_timeout(Duration::from_secs(60))
            .expect("worker answered")
        {
            Event::Painted {
                id, image, elapsed, ..
            } => return (id, image, elapsed),
            Event::PaintedOnGpu { .. } => panic!("results stay images unless asked otherwise"),
            Event::Failed { message, .. } => panic!("inference failed: {message}"),
            Event::ModelChanged { .. } => {}
            Event::ModelLoadFailed { message, .. } => panic!("load failed: {message}"),
        }
    }
}

#[test]
fn newest_sketch_wins_and_older_ones_are_dropped() {
    let d = Device::flex();
    let notified = Arc::new(AtomicUsize::new(0));
    let n = notified.clone();
    let w = InferenceWorker::spawn(Some(painter(1, &d)), d.clone(), move || {
        n.fetch_add(1, Ordering::SeqCst);
    });
    let sketch = draw_sketch(256, 256);
    for id in 1..=10 {
        w.request(Request {
            id,
            sketch: sketch.clone(),
            variation: None,
            hints: None,
        });
    }
    let mut ids = Vec::new();
    loop {
        let (id, image, elapsed) = next_painted(&w);
        assert_eq!(image.dimensions(), (256, 256));
        assert!(elapsed > Duration::ZERO);
        ids.push(id);
        if id == 10 {
            break;
        }
    }
    // At most the one already running when the burst arrived, then the newest.
    assert!(
        ids.len() <= 2,
        "painted {ids:?}: older requests were queued, not dropped"
    );
    assert!(
        w.recv_timeout(Duration::from_millis(300)).is_none(),
        "nothing else is painted"
    );
    assert!(
        notified.load(Ordering::SeqCst) >= ids.len(),
        "repaint was requested per event"
    );
}

#[test]
fn variations_follow_their_seed_and_weights_swap_without_restart() {
    let d = Device::flex();
    let w = InferenceWorker::spawn(Some(painter(1, &d)), d.clone(), || {});
    let sketch = draw_sketch(256, 256);
    let paint = |id, variation| {
        w.request(Request {
            id,
            sketch: sketch.clone(),
            variation,
            hints: None,
        });
        let (got, image, _) = next_painted(&w);
        assert_eq!(got, id);
        image
    };
    let plain = paint(1, None);
    let v7 = paint(2, Some(7));
    assert_ne!(plain, v7);
    assert_eq!(v7, paint(3, Some(7)));
    assert_eq!(plain, paint(4, None));

    w.swap_painter(painter(99, &d), None);
    match w.recv_timeout(Duration::from_secs(60)) {
        Some(Event::ModelChanged { info, .. }) => assert_eq!(info.name, "tiny 99"),
        other => panic!("expected ModelChanged, got {other:?}"),
    }
    w.request(Request {
        id: 5,
        sketch: sketch.clone(),
        variation: None,
        hints: None,
    });
    let (_, swapped, _) = next_painted(&w);
    assert_ne!(plain, swapped, "the new weights are in use");
}

#[test]
fn odd_sized_sketch_is_painted_at_its_own_size() {
    let d = Device::flex();
    let p = painter(2, &d);
    let out = p.paint(&draw_sketch(320, 200), None, &d).unwrap();
    assert_eq!(out.dimensions(), (320, 200));
}

#[test]
fn bad_model_file_is_reported_and_the_current_model_stays() {
    let d = Device::flex();
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.safetensors");
    std::fs::write(&bad, b"nonsense").unwrap();
    let w = InferenceWorker::spawn(Some(painter(1, &d)), d.clone(), || {});
    let sketch = draw_sketch(256, 256);
    w.request(Request {
        id: 1,
        sketch: sketch.clone(),
        variation: None,
        hints: None,
    });
    let (_, before, _) = next_painted(&w);
    w.load_model(bad.clone());
    match w.recv_timeout(Duration::from_secs(60)) {
        Some(Event::ModelLoadFailed { path, message }) => {
            assert_eq!(path, bad);
            assert!(
                message.contains("not a pix2paint weights file"),
                "{message}"
            );
        }
        other => panic!("expected ModelLoadFailed, got {other:?}"),
    }
    w.request(Request {
        id: 2,
        sketch,
        variation: None,
        hints: None,
    });
    let (_, after, _) = next_painted(&w);
    assert_eq!(before, after, "the previous model is still in use");
}

#[test]
fn without_a_model_requests_fail_with_advice_and_loading_one_works() {
    let d = Device::flex();
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.safetensors");
    save_tiny(
        &good,
        &tiny_generator(3, &d),
        None,
        pix2paint::weights::Precision::Full,
    );
    let w = InferenceWorker::spawn(None, d.clone(), || {});
    w.request(Request {
        id: 1,
        sketch: draw_sketch(256, 256),
        variation: None,
        hints: None,
    });
    match w.recv_timeout(Duration::from_secs(60)) {
        Some(Event::Failed { message, .. }) => assert!(message.contains("no model"), "{message}"),
        other => panic!("expected Failed, got {other:?}"),
    }
    w.load_model(good.clone());
    match w.recv_timeout(Duration::from_secs(60)) {
        Some(Event::ModelChanged { info, path, .. }) => {
            assert_eq!(info.name, "tiny test model");
            assert_eq!(path, Some(good), "the event names the file it loaded");
        }
        other => panic!("expected ModelChanged, got {other:?}"),
    }
    w.request(Request {
        id: 2,
        sketch: draw_sketch(256, 256),
        variation: None,
        hints: None,
    });
    let (id, _, _) = next_painted(&w);
    assert_eq!(id, 2);
}

#[test]
fn results_can_stay_on_the_device_for_a_gpu_display() {
    let d = Device::flex();
    let w = InferenceWorker::spawn(Some(painter(1, &d)), d.clone(), || {});
    let sketch = draw_sketch(256, 256);
    w.request(Request {
        id: 1,
        sketch: sketch.clone(),
        variation: None,
        hints: None,
    });
    let (_, image, _) = next_painted(&w);
    w.keep_results_on_gpu(true);
    w.request(Request {
        id: 2,
        sketch,
        variation: None,
        hints: None,
    });
    loop {
        match w
            .recv_timeout(Duration::from_secs(60))
            .expect("worker answered")
        {
            Event::PaintedOnGpu { id, output, .. } => {
                assert_eq!(id, 2);
                assert_eq!(output.dims(), [1, 3, 256, 256]);
                assert_eq!(pix2paint::tensor_image::tensor_to_image(*output), image);
                break;
            }
            Event::ModelChanged { .. } => {}
            other => panic!("unexpected {other:?}"),
        }
    }
}

#[test]
fn a_model_that_paints_nan_or_infinity_is_an_error_not_a_black_picture() {
    let d = Device::flex();
    let mut g = tiny_generator(1, &d);
    // Finite weights (the loader accepts them) so large that activations overflow.
    g.down[1].conv.weight = g.down[1].conv.weight.clone().map(|w| w.ones_like() * 3e38);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("overflow.safetensors");
    save_tiny(&path, &g, None, pix2paint::weights::Precision::Full);
    let model = pix2paint::weights::load(&path, &d).expect("finite weights load");
    let p = pix2paint::inference::Painter::from_model(model, &d);
    let e = p
        .paint(&draw_sketch(256, 256), None, &d)
        .unwrap_err()
        .to_string();
    assert!(e.contains("NaN or infinite"), "{e}");
}

/// Switching precision repaints with the same model and says which precision it now paints
/// at: 8-bit only where this CPU runs it faster, fp32 otherwise and after switching back.
#[test]
fn precision_switches_keep_the_model_and_say_what_runs() {
    let d = Device::flex();
    let w = InferenceWorker::spawn(Some(painter(5, &d)), d.clone(), || {});
    let changed = |w: &InferenceWorker| loop {
        match w.recv_timeout(Duration::from_secs(60)) {
            Some(Event::ModelChanged {
                info, precision, ..
            }) => return (info.name, precision),
            Some(_) => {}
            None => panic!("no ModelChanged after a precision switch"),
        }
    };
    w.set_reduced_precision(true);
    let expected = if pix2paint::kernels::reduced_precision_faster_here() {
        "8-bit weights"
    } else {
        "fp32"
    };
    assert_eq!(changed(&w), ("tiny 5".to_string(), expected));
    // Setting what is already set changes nothing; the next event is the painting.
    w.set_reduced_precision(true);
    w.request(Request {
        id: 1,
        sketch: draw_sketch(64, 64),
        variation: None,
        hints: None,
    });
    match w.recv_timeout(Duration::from_secs(60)) {
        Some(Event::Painted { id: 1, .. }) => {}
        other => panic!("expected the painting, got {other:?}"),
    }
    w.set_reduced_precision(false);
    assert_eq!(changed(&w), ("tiny 5".to_string(), "fp32"));
}
