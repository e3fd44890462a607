//! The app's inference thread: it owns a [`Painter`] and its device.
//!
//! The worker keeps a single pending-request slot: a new sketch replaces any sketch not yet
//! started, so a fast-drawing user always sees the newest state and never waits behind a queue.
//! Weight swaps are kept apart from that slot and are never dropped.

use super::{NonFinitePainting, Painter};
use crate::weights::{self, ModelInfo};
use burn::tensor::{Device, Tensor};
use image::{RgbImage, RgbaImage};
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// A sketch to paint.
#[derive(Debug, Clone)]
pub struct Request {
    /// Caller's id, echoed in the result.
    pub id: u64,
    /// The sketch, dark lines on white.
    pub sketch: RgbImage,
    /// Dropout seed for a variation; `None` for the plain result.
    pub variation: Option<u64>,
    /// Colour hints (RGBA, the sketch's size), for a model that takes them.
    pub hints: Option<RgbaImage>,
}

/// What the worker reports.
#[derive(Debug)]
pub enum Event {
    /// A painted result.
    Painted {
        /// The request's id.
        id: u64,
        /// The result image, same size as the sketch.
        image: RgbImage,
        /// Time spent in the model, including moving data to and from the device.
        elapsed: Duration,
        /// The variation seed used, if any.
        variation: Option<u64>,
    },
    /// A painted result left on the GPU (see [`InferenceWorker::keep_results_on_gpu`]).
    PaintedOnGpu {
        /// The request's id.
        id: u64,
        /// The output tensor, [1, 3, H, W] in [-1, 1], on the worker's device (boxed: a
        /// device tensor is much larger than the other events).
        output: Box<Tensor<4>>,
        /// Time spent in the model (the device is synchronised before this is measured).
        elapsed: Duration,
        /// The variation seed used, if any.
        variation: Option<u64>,
    },
    /// A request failed; the worker keeps running.
    Failed {
        /// The request's id.
        id: u64,
        /// What went wrong, for the user.
        message: String,
    },
    /// A new model is in use.
    ModelChanged {
        /// What the model says about itself.
        info: ModelInfo,
        /// Whether it takes colour hints.
        takes_hints: bool,
        /// The file it was loaded from, or that holds the weights of a painter handed over in
        /// memory (none when no file does).
        path: Option<PathBuf>,
        /// The precision it paints at ([`Painter::precision`]); sent again, with the same
        /// model, when [`InferenceWorker::set_reduced_precision`] changes it.
        precision: &'static str,
    },
    /// A model file could not be loaded; the previous model (if any) stays in use.
    ModelLoadFailed {
        /// The file.
        path: PathBuf,
        /// Why, for the user.
        message: String,
    },
}

#[derive(Default)]
struct Slot {
    request: Option<Request>,
    new_painter: Option<(Box<Painter>, Option<PathBuf>)>,
    load: Option<PathBuf>,
    /// Paint at reduced precision where the device allows ([`Painter::with_reduced_precision`]).
    reduced: bool,
    /// `reduced` changed since the worker last looked.
    precision_changed: bool,
    shutdown: bool,
}

type Shared = Arc<(Mutex<Slot>, Condvar)>;

/// The inference thread: owns the painter and the device.
pub struct InferenceWorker {
    shared: Shared,
    on_gpu: Arc<std::sync::atomic::AtomicBool>,
    events: Receiver<Event>,
    /// An event taken off the channel by [`Self::wait_for_event`], not yet handed out.
    held: std::sync::Mutex<Option<Event>>,
    thread: Option<JoinHandle<()>>,
}

impl InferenceWorker {
    /// Start the worker, with a model or none yet. `notify` is called after each event is
    /// sent (the app passes `ctx.request_repaint`).
    pub fn spawn(
        painter: Option<Painter>,
        device: Device,
        notify: impl Fn() + Send + 'static,
    ) -> Self {
        let shared: Shared = Arc::default();
        let (tx, events) = channel();
        let thread_shared = shared.clone();
        let on_gpu = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let thread_on_gpu = on_gpu.clone();
        let thread = std::thread::Builder::new()
            .name("pix2paint-inference".into())
            .spawn(move || run(painter, device, thread_shared, thread_on_gpu, tx, notify))
            .expect("spawning a thread only fails when the OS is out of resources");
        Self {
            shared,
            on_gpu,
            events,
            held: std::sync::Mutex::new(None),
            thread: Some(thread),
        }
    }

    /// Report results as [`Event::PaintedOnGpu`] (the tensor stays on the device, for a
    /// display that reads it there) instead of [`Event::Painted`] images.
    pub fn keep_results_on_gpu(&self, on: bool) {
        self.on_gpu.store(on, std::sync::atomic::Ordering::Relaxed);
    }

    /// Ask for a sketch to be painted; replaces any request not yet started.
    pub fn request(&self, request: Request) {
        let (lock, cvar) = &*self.shared;
        lock.lock().unwrap_or_else(|p| p.into_inner()).request = Some(request);
        cvar.notify_one();
    }

    /// Use another model from the next request on. `file`: where the same weights are saved
    /// too (a training checkpoint), which the app then names as the model in use (*Save model
    /// as…* copies it); `None` for weights that exist in memory only.
    pub fn swap_painter(&self, painter: Painter, file: Option<PathBuf>) {
        let (lock, cvar) = &*self.shared;
        lock.lock().unwrap_or_else(|p| p.into_inner()).new_painter =
            Some((Box::new(painter), file));
        cvar.notify_one();
    }

    /// Paint at reduced precision (`true`: 8-bit weights where the CPU has AVX2, about twice
    /// as fast) or at fp32 (`false`, the default), from the next request on.
    pub fn set_reduced_precision(&self, on: bool) {
        let (lock, cvar) = &*self.shared;
        let mut slot = lock.lock().unwrap_or_else(|p| p.into_inner());
        if slot.reduced != on {
            slot.reduced = on;
            slot.precision_changed = true;
            cvar.notify_one();
        }
    }

    /// Load a weights file on the worker's thread and device, then use it. A file that fails
    /// to load is reported and the current model stays.
    pub fn load_model(&self, path: PathBuf) {
        let (lock, cvar) = &*self.shared;
        lock.lock().unwrap_or_else(|p| p.into_inner()).load = Some(path);
        cvar.notify_one();
    }

    /// The next event, if one is waiting.
    pub fn try_recv(&self) -> Option<Event> {
        let held = self.held.lock().unwrap_or_else(|p| p.into_inner()).take();
        held.or_else(|| self.events.try_recv().ok())
    }

    /// Wait up to `timeout` for an event, leaving it for [`Self::try_recv`]; whether one came.
    pub fn wait_for_event(&self, timeout: Duration) -> bool {
        let mut held = self.held.lock().unwrap_or_else(|p| p.into_inner());
        if held.is_none() {
            *held = self.events.recv_timeout(timeout).ok();
        }
        held.is_some()
    }

    /// Wait up to `timeout` for the next event.
    pub fn recv_timeout(&self, timeout: Duration) -> Option<Event> {
        let held = self.held.lock().unwrap_or_else(|p| p.into_inner()).take();
        held.or_else(|| self.events.recv_timeout(timeout).ok())
    }
}

impl Drop for InferenceWorker {
    fn drop(&mut self) {
        {
            let (lock, cvar) = &*self.shared;
            lock.lock().unwrap_or_else(|p| p.into_inner()).shutdown = true;
            cvar.notify_one();
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn run(
    mut painter: Option<Painter>,
    device: Device,
    shared: Shared,
    on_gpu: Arc<std::sync::atomic::AtomicBool>,
    tx: Sender<Event>,
    notify: impl Fn(),
) {
    let send = |e: Event| {
        let _ = tx.send(e);
        notify();
    };
    // The file of the painter in use, named again when its precision changes.
    let mut painter_path: Option<PathBuf> = None;
    let changed = |p: &Painter, path: Option<PathBuf>| Event::ModelChanged {
        info: p.info.clone(),
        takes_hints: p.takes_hints(),
        path,
        precision: p.precision(),
    };
    loop {
        let (request, new_painter, load, reduced, precision_changed) = {
            let (lock, cvar) = &*shared;
            let mut slot = lock.lock().unwrap_or_else(|p| p.into_inner());
            while !slot.shutdown
                && slot.request.is_none()
                && slot.new_painter.is_none()
                && slot.load.is_none()
                && !slot.precision_changed
            {
                slot = cvar.wait(slot).unwrap_or_else(|p| p.into_inner());
            }
            if slot.shutdown {
                return;
            }
            (
                slot.request.take(),
                slot.new_painter.take(),
                slot.load.take(),
                slot.reduced,
                std::mem::take(&mut slot.precision_changed),
            )
        };
        if precision_changed
            && new_painter.is_none()
            && load.is_none()
            && let Some(p) = painter.take()
        {
            let p = p.with_reduced_precision(reduced);
            send(changed(&p, painter_path.clone()));
            painter = Some(p);
            crate::memory::return_freed();
        }
        if let Some((p, file)) = new_painter {
            use burn::module::Module;
            let p = Painter {
                generator: p.generator.to_device(&device),
                reduced: None,
                ..*p
            }
            .with_reduced_precision(reduced);
            send(changed(&p, file.clone()));
            painter_path = file;
            painter = Some(p);
            crate::memory::return_freed();
        }
        if let Some(path) = load {
            let loaded = std::panic::catch_unwind(|| weights::load(&path, &device));
            match loaded {
                Ok(Ok(model)) => {
                    let p = Painter::from_model(model, &device).with_reduced_precision(reduced);
                    send(changed(&p, Some(path.clone())));
                    painter_path = Some(path);
                    painter = Some(p);
                    crate::memory::return_freed();
                }
                Ok(Err(e)) => send(Event::ModelLoadFailed {
                    path,
                    message: e.to_string(),
                }),
                Err(panic) => send(Event::ModelLoadFailed {
                    path,
                    message: format!("loading crashed: {}", crate::crash::panic_text(&panic)),
                }),
            }
        }
        let Some(req) = request else { continue };
        let Some(painter) = painter.as_ref() else {
            send(Event::Failed {
                id: req.id,
                message: "no model is loaded: open one with File > Open model…".into(),
            });
            continue;
        };
        let start = Instant::now();
        let keep_on_gpu = on_gpu.load(std::sync::atomic::Ordering::Relaxed);
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            paint_request(painter, &req, keep_on_gpu, &device)
        }));
        let (id, variation, elapsed) = (req.id, req.variation, start.elapsed());
        send(match outcome {
            Ok(Ok(Painting::Image(image))) => Event::Painted {
                id,
                image,
                elapsed,
                variation,
            },
            Ok(Ok(Painting::OnGpu(output))) => Event::PaintedOnGpu {
                id,
                output,
                elapsed,
                variation,
            },
            Ok(Err(e)) => Event::Failed {
                id,
                message: e.to_string(),
            },
            Err(panic) => Event::Failed {
                id,
                message: format!(
                    "the model failed on this sketch: {}",
                    crate::crash::panic_text(&panic)
                ),
            },
        });
    }
}

/// What one request painted: an image, or the output tensor left on the GPU.
enum Painting {
    Image(RgbImage),
    OnGpu(Box<Tensor<4>>),
}

/// Why a request painted nothing.
#[derive(Debug, thiserror::Error)]
enum PaintError {
    #[error(transparent)]
    NonFinite(#[from] NonFinitePainting),
    #[error("the GPU failed on this sketch: {0}")]
    Gpu(String),
}

/// Paint `req`, leaving the output on the device when `keep_on_gpu` (for the GPU display).
fn paint_request(
    painter: &Painter,
    req: &Request,
    keep_on_gpu: bool,
    device: &Device,
) -> Result<Painting, PaintError> {
    let hints = req.hints.as_ref();
    if keep_on_gpu {
        let output = painter.paint_tensor(&req.sketch, hints, req.variation, device)?;
        device
            .sync()
            .map_err(|e| PaintError::Gpu(format!("{e:?}")))?;
        Ok(Painting::OnGpu(Box::new(output)))
    } else {
        let image = painter.paint_hinted(&req.sketch, hints, req.variation, device)?;
        Ok(Painting::Image(image))
    }
}
