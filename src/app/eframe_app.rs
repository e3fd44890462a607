//! What eframe calls on the app: each frame (paced while the model paints on a window drawn
//! by the CPU, `pacing.rs`), the colour under the panels, and saving when the window closes.

use super::PaintApp;

impl eframe::App for PaintApp {
    /// The panels' colour: the central panel is not filled (`layout.rs`).
    fn clear_color(&self, visuals: &egui::Visuals) -> [f32; 4] {
        visuals.panel_fill.to_normalized_gamma_f32()
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        // This frame's input was taken just now; edits made from it count from here.
        let input_at = std::time::Instant::now();
        if let Some(wait) = self.pacer.hold(input_at, self.live.requests.busy())
            && self.live.wait_for_worker(wait)
        {
            self.pacer.started_at(std::time::Instant::now());
        }
        self.document.input_taken_at(input_at);
        self.frame(ui);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        let _ = storage; // the settings have a file of their own (written atomically)
        if let Some(path) = &self.settings_path
            && let Err(e) = self.settings.save(path)
        {
            eprintln!(
                "pix2paint: the settings could not be saved to {}: {e}",
                path.display()
            );
        }
        if let Err(e) = self.flush_autosave() {
            // The window is closing: the log is the one place left to say it.
            eprintln!("pix2paint: the sketch could not be autosaved: {e}");
        }
    }
}
