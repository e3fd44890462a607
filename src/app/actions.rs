//! Carrying out [`Command`]s: every state change, file job and thread the panels ask for goes
//! through [`PaintApp::apply`], which edits the canvas and the view itself and hands file and
//! training commands to their own files (`file_actions`, `training_control`).

use super::*;

impl PaintApp {
    /// Carry out one command.
    pub fn apply(&mut self, ctx: &egui::Context, command: Command) {
        let width = self.width() / self.resolution as f32;
        match command {
            Command::BeginStroke(p) => {
                self.canvas
                    .begin_coloured(self.tool, width, self.settings.hint_colour, p);
                self.requests.last_edit = Instant::now();
            }
            Command::ExtendStroke(p) => {
                self.canvas.extend(p);
                self.requests.last_edit = Instant::now();
            }
            Command::EndStroke => self.canvas.end(),
            Command::Undo => self.edit(|c| c.undo()),
            Command::Redo => self.edit(|c| c.redo()),
            Command::Clear => self.edit(|c| c.clear()),
            Command::SetTool(t) => self.tool = t,
            Command::SetHintColour(rgb) => self.settings.hint_colour = rgb,
            Command::ClearHints => self.edit(|c| c.clear_hints()),
            Command::PickColour(p) => {
                if let Some(img) = self.result_image() {
                    let (w, h) = img.dimensions();
                    let x = ((p.x * w as f32) as u32).min(w.saturating_sub(1));
                    let y = ((p.y * h as f32) as u32).min(h.saturating_sub(1));
                    self.settings.hint_colour = img.get_pixel(x, y).0;
                    self.tool = Tool::Colour;
                }
            }
            Command::SetWidth(w) => {
                let w = w.clamp(1.0, 40.0);
                match self.tool {
                    Tool::Pen => self.settings.pen_width = w,
                    Tool::Eraser | Tool::HintEraser => self.settings.eraser_width = w,
                    Tool::Colour => self.settings.hint_width = w,
                }
            }
            Command::Variation(seed) => {
                self.variation = Some(seed);
                self.seed = seed.wrapping_add(1);
                self.requests.sent_revision = None;
            }
            Command::PlainResult => {
                self.variation = None;
                self.requests.sent_revision = None;
            }
            Command::ToggleOverlay => self.windows.overlay = !self.windows.overlay,
            Command::ToggleModelInfo => self.windows.model_window = !self.windows.model_window,
            Command::File(c) => self.apply_file(ctx, c),
            Command::Train(c) => self.apply_train(ctx, c),
        }
    }

    pub(super) fn run_background(
        &mut self,
        ctx: &egui::Context,
        f: impl FnOnce() -> Background + Send + 'static,
    ) {
        let (tx, rx) = std::sync::mpsc::channel();
        let ctx = ctx.clone();
        std::thread::spawn(move || {
            let _ = tx.send(f());
            ctx.request_repaint();
        });
        self.background.push(rx);
    }

    pub(super) fn edit(&mut self, f: impl FnOnce(&mut Canvas)) {
        f(&mut self.canvas);
        self.requests.last_edit = Instant::now();
    }

    pub(super) fn remember_image_dir(&mut self, p: &Path) {
        self.settings.last_image_dir = p.parent().map(Path::to_owned);
    }
}
