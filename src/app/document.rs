//! The sketch being drawn: the canvas with its undo history, the tool in hand, and how far the
//! sketch is saved (by the user, and by the autosave).

use super::settings::{Autosave, DamagedFile};
use crate::canvas::{Canvas, Point, Tool};
use std::time::{Duration, Instant};

/// Minimum time between autosaves.
const AUTOSAVE_INTERVAL: Duration = Duration::from_secs(2);

/// The sketch and its saved state.
pub struct Document {
    canvas: Canvas,
    tool: Tool,
    /// Canvas revision the user last saved (or opened).
    saved_revision: u64,
    autosave: Option<Autosave>,
    autosaved_revision: u64,
    last_autosave: Instant,
    /// When the sketch last changed (the live loop's latency starts here).
    last_edit: Instant,
    /// When the input of the frame being made was taken, if the app says.
    input_at: Option<Instant>,
}

/// Whether an autosave is due.
pub(super) enum AutosaveDue {
    /// Nothing to write (no autosave folder, nothing changed, or a stroke is being drawn).
    No,
    /// Changes wait; the autosave is due after this long.
    After(Duration),
    /// Write now.
    Now,
}

impl Document {
    /// The autosaved sketch (or a blank one), and what was wrong with the autosave, if anything.
    pub fn restore(autosave: Option<Autosave>) -> (Self, Option<DamagedFile>) {
        let (canvas, problem) = match &autosave {
            Some(a) => a.load(),
            None => (Canvas::new(), None),
        };
        let revision = canvas.revision();
        let doc = Self {
            canvas,
            tool: Tool::Pen,
            saved_revision: revision,
            autosave,
            autosaved_revision: revision,
            last_autosave: Instant::now(),
            last_edit: Instant::now(),
            input_at: None,
        };
        (doc, problem)
    }

    /// The sketch.
    pub fn canvas(&self) -> &Canvas {
        &self.canvas
    }

    /// The tool in hand.
    pub fn tool(&self) -> Tool {
        self.tool
    }

    /// Take up `tool`.
    pub fn set_tool(&mut self, tool: Tool) {
        self.tool = tool;
    }

    /// When the sketch last changed.
    pub fn last_edit(&self) -> Instant {
        self.last_edit
    }

    /// The input of the frame being made was taken at `at`: edits made from it count from
    /// then (the live loop's latency includes any wait before the frame).
    pub fn input_taken_at(&mut self, at: Instant) {
        self.input_at = Some(at);
    }

    /// Change the sketch.
    pub fn edit(&mut self, f: impl FnOnce(&mut Canvas)) {
        f(&mut self.canvas);
        self.last_edit = self.input_at.unwrap_or_else(Instant::now);
    }

    /// Start a stroke of the tool in hand, `width` in canvas units (0–1), hints in `colour`.
    pub fn begin_stroke(&mut self, width: f32, colour: [u8; 3], p: Point) {
        let tool = self.tool;
        self.edit(|c| c.begin_coloured(tool, width, colour, p));
    }

    /// Extend the stroke being drawn to `p`.
    pub fn extend_stroke(&mut self, p: Point) {
        self.edit(|c| c.extend(p));
    }

    /// Finish the stroke being drawn (the sketch looks the same: the live loop's clock is not
    /// restarted).
    pub fn end_stroke(&mut self) {
        self.canvas.end();
    }

    /// The user saved the sketch as it is now.
    pub fn mark_saved(&mut self) {
        self.saved_revision = self.canvas.revision();
    }

    /// Whether the sketch changed since the user last saved it.
    pub fn has_unsaved_changes(&self) -> bool {
        self.canvas.revision() != self.saved_revision && !self.canvas.is_blank()
    }

    /// The autosave folder, if the sketch is autosaved.
    pub fn autosave(&self) -> Option<&Autosave> {
        self.autosave.as_ref()
    }

    /// Whether the autosave should be written now: changes are kept at most
    /// [`AUTOSAVE_INTERVAL`] after the stroke that made them ends.
    pub(super) fn autosave_due(&self) -> AutosaveDue {
        if self.autosave.is_none()
            || self.canvas.revision() == self.autosaved_revision
            || self.canvas.current().is_some()
        {
            return AutosaveDue::No;
        }
        let since = self.last_autosave.elapsed();
        if since < AUTOSAVE_INTERVAL {
            AutosaveDue::After(AUTOSAVE_INTERVAL - since)
        } else {
            AutosaveDue::Now
        }
    }

    /// Write the autosave (a no-op without an autosave folder). A failure is not retried
    /// until the sketch changes again.
    pub(super) fn write_autosave(&mut self) -> std::io::Result<()> {
        let Some(a) = &self.autosave else {
            return Ok(());
        };
        self.autosaved_revision = self.canvas.revision();
        self.last_autosave = Instant::now();
        a.save(&self.canvas)
    }
}
