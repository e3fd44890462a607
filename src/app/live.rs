//! The live loop: the sketch goes to the inference worker as it changes, results come back
//! and are shown, and the sketch is autosaved.

use super::*;

impl PaintApp {
    /// Bookkeeping when the result of request `id` is on screen: latency, in-flight list.
    pub(super) fn result_shown(&mut self, id: u64, elapsed: Duration) {
        self.requests.last_result_id = id;
        self.requests.latency.last_inference = Some(elapsed);
        if let Some(t0) = self.requests.in_flight.get(&id) {
            let latency = t0.elapsed();
            self.requests.latency.samples.push(latency);
            if self.windows.overlay {
                eprintln!(
                    "latency: pointer → result {:.0} ms (model {:.0} ms)",
                    latency.as_secs_f64() * 1e3,
                    elapsed.as_secs_f64() * 1e3
                );
            }
        }
        self.requests.in_flight.retain(|&k, _| k > id);
    }

    /// The last result as an image (read back from the GPU if it lives there).
    pub(super) fn result_image(&mut self) -> Option<image::RgbImage> {
        if self.result.is_none()
            && let Some(t) = &self.gpu_result
        {
            self.result = Some(crate::tensor_image::tensor_to_image(t.clone()));
        }
        self.result.clone()
    }

    /// Apply what the worker reported.
    pub(super) fn drain_events(&mut self, ctx: &egui::Context) {
        while let Some(event) = self.worker.try_recv() {
            match event {
                Event::Painted {
                    id, image, elapsed, ..
                } => {
                    if id < self.requests.last_result_id {
                        continue;
                    }
                    self.result_view.set(ctx, &image);
                    self.result = Some(image);
                    self.gpu_result = None;
                    self.result_shown(id, elapsed);
                }
                Event::PaintedOnGpu {
                    id,
                    output,
                    elapsed,
                    ..
                } => {
                    if id < self.requests.last_result_id {
                        continue;
                    }
                    let output = *output;
                    let shown = self.gpu_display.as_mut().map(|g| g.show(output.clone()));
                    match shown {
                        Some(Ok(texture)) => self.result_view.set_native(texture),
                        other => {
                            // Keep painting, through the CPU: say why once in the log.
                            if let Some(Err(e)) = other {
                                eprintln!(
                                    "pix2paint: GPU display off, showing results via the CPU: {e}"
                                );
                            }
                            self.gpu_display = None;
                            self.worker.keep_results_on_gpu(false);
                            let image = crate::tensor_image::tensor_to_image(output.clone());
                            self.result_view.set(ctx, &image);
                        }
                    }
                    self.result = None;
                    self.gpu_result = Some(output);
                    self.result_shown(id, elapsed);
                }
                Event::Failed { id, message } => {
                    self.requests.in_flight.retain(|&k, _| k > id);
                    if self.model.is_some() {
                        self.windows.error = Some(message);
                    }
                }
                Event::ModelChanged {
                    info,
                    takes_hints,
                    path,
                } => {
                    // The path comes with the model it loaded, so a checkpoint reload racing an
                    // Open model can never leave the app naming one file and painting another.
                    self.model_takes_hints = takes_hints;
                    self.model_path = path;
                    self.resolution = info.resolution.clamp(64, 1024) as u32;
                    self.model = Some(info);
                    self.model_problem = None;
                    self.requests.sent_revision = None;
                }
                Event::ModelLoadFailed { path, message } => {
                    let text = format!("Could not open the model: {message}");
                    if self.model.is_none() {
                        self.model_problem = Some(format!("{text}\n\n{}", no_model_text()));
                    }
                    self.windows.error = Some(text);
                    if self.settings.model_path.as_deref() == Some(path.as_path()) {
                        self.settings.model_path = None;
                    }
                }
            }
        }
    }

    /// Send the sketch to the worker when it changed: at most every [`LIVE_INTERVAL`] while a
    /// stroke is in progress (several updates during a long stroke), at once otherwise.
    pub(super) fn send_live(&mut self, ctx: &egui::Context) {
        if self.model.is_none() {
            return;
        }
        let state = (self.canvas.revision(), self.variation);
        if self.requests.sent_revision == Some(state) {
            return;
        }
        let drawing = self.canvas.current().is_some();
        if drawing
            && let Some(t) = self.requests.last_send
            && t.elapsed() < LIVE_INTERVAL
        {
            ctx.request_repaint_after(LIVE_INTERVAL - t.elapsed());
            return;
        }
        let id = self.requests.next_id;
        self.requests.next_id += 1;
        self.worker.request(Request {
            id,
            sketch: self.canvas.rasterize(self.resolution),
            variation: self.variation,
            hints: (self.model_takes_hints && self.canvas.has_hints())
                .then(|| self.canvas.rasterize_hints(self.resolution)),
        });
        self.requests.in_flight.insert(id, self.requests.last_edit);
        self.requests.sent_revision = Some(state);
        self.requests.last_send = Some(Instant::now());
    }

    pub(super) fn autosave(&mut self, ctx: &egui::Context) {
        let rev = self.canvas.revision();
        let Some(a) = &self.autosave else { return };
        if rev == self.autosaved_revision || self.canvas.current().is_some() {
            return;
        }
        let since = self.last_autosave.elapsed();
        if since < AUTOSAVE_INTERVAL {
            // Come back when it is due: an idle app repaints for nothing else, and a crash in
            // the meantime would lose the edit.
            ctx.request_repaint_after(AUTOSAVE_INTERVAL - since);
            return;
        }
        if let Err(e) = a.save(&self.canvas) {
            self.windows.error = Some(format!("autosave to {} failed: {e}", a.dir().display()));
        }
        self.autosaved_revision = rev;
        self.last_autosave = Instant::now();
    }

    /// Whether the sketch changed since it was last saved by the user.
    pub fn has_unsaved_changes(&self) -> bool {
        self.canvas.revision() != self.saved_revision && !self.canvas.is_blank()
    }

    /// Flush the autosave now (on exit).
    pub fn flush_autosave(&mut self) {
        if let Some(a) = &self.autosave {
            let _ = a.save(&self.canvas);
        }
    }
}
