//! What the UI tests share (`#[path]`-included by them alone, so that the other test binaries
//! do not build egui_kittest).

use egui_kittest::Harness;
use pix2paint::app::PaintApp;
use std::time::{Duration, Instant};

/// Step the UI until `done` holds (the worker runs on its own thread); fails after 4 minutes.
pub fn step_until(h: &mut Harness<'_, PaintApp>, what: &str, done: impl Fn(&PaintApp) -> bool) {
    let start = Instant::now();
    while !done(h.state()) {
        assert!(
            start.elapsed() < Duration::from_secs(240),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(2));
        h.step();
    }
}
