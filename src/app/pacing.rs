//! Frame pacing while the model paints on a window drawn by the CPU.
//!
//! Where no GPU draws the window (llvmpipe, lavapipe: VMs, remote desktops, machines without
//! a graphics driver), every frame shades the whole window on the same cores the model paints
//! on, ~15 ms of CPU each, and egui draws a frame for each pointer event and one or two more
//! after it: a stroke drawn while the model paints became 30+ frames a second, which doubled
//! the model's time. So while the model is busy there, frames come at most every
//! [`SOFTWARE_INTERVAL`]: the input of the wait is not lost (egui keeps it for the next
//! frame, and the canvas follows its raw events in order), and a result ends the wait at
//! once, so results are never held back. With a GPU drawing the window nothing is paced.

use std::time::{Duration, Instant};

/// The shortest time between frames while the model paints on a window drawn by the CPU
/// (12.5 frames a second: a stroke still follows the hand).
pub const SOFTWARE_INTERVAL: Duration = Duration::from_millis(80);

/// When the next frame may start.
#[derive(Debug, Default)]
pub struct FramePacer {
    /// The shortest time between frames while the model paints (`None`: frames unpaced).
    interval: Option<Duration>,
    /// When the last frame started.
    last: Option<Instant>,
}

impl FramePacer {
    /// Frames at most every `interval` while the model paints (`None`: never held).
    pub fn new(interval: Option<Duration>) -> Self {
        Self {
            interval,
            last: None,
        }
    }

    /// A frame starts at `now` (`painting`: the model is busy): how long to wait first, if at
    /// all. The frame counts as started at `now + wait`.
    pub fn hold(&mut self, now: Instant, painting: bool) -> Option<Duration> {
        let wait = match (self.interval, self.last) {
            (Some(interval), Some(last)) if painting => {
                (last + interval).checked_duration_since(now)
            }
            _ => None,
        }
        .filter(|w| !w.is_zero());
        self.last = Some(now + wait.unwrap_or_default());
        wait
    }

    /// The wait ended early at `now` (a result came): the frame starts now.
    pub fn started_at(&mut self, now: Instant) {
        self.last = Some(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn frames_wait_only_while_the_model_paints() {
        let t0 = Instant::now();
        let mut p = FramePacer::new(Some(80 * MS));
        assert_eq!(p.hold(t0, true), None, "the first frame never waits");
        assert_eq!(p.hold(t0 + 10 * MS, true), Some(70 * MS));
        // That frame started at 80 ms; the next one 100 ms later is not held.
        assert_eq!(p.hold(t0 + 180 * MS, true), None);
        // Idle model: frames as fast as they come.
        assert_eq!(p.hold(t0 + 185 * MS, false), None);
        assert_eq!(p.hold(t0 + 186 * MS, false), None);
        // Painting again: counted from the last frame.
        assert_eq!(p.hold(t0 + 200 * MS, true), Some(66 * MS));
    }

    #[test]
    fn a_result_starts_the_frame_at_once_and_the_gap_counts_from_there() {
        let t0 = Instant::now();
        let mut p = FramePacer::new(Some(80 * MS));
        p.hold(t0, true);
        assert_eq!(p.hold(t0 + 20 * MS, true), Some(60 * MS));
        p.started_at(t0 + 30 * MS); // a result ended the wait
        assert_eq!(p.hold(t0 + 40 * MS, true), Some(70 * MS));
    }

    #[test]
    fn without_an_interval_nothing_waits() {
        let t0 = Instant::now();
        let mut p = FramePacer::new(None);
        for i in 0..5 {
            assert_eq!(p.hold(t0 + i * MS, true), None);
        }
    }
}
