//! A training run on its own thread, talking to the app through channels.

use super::TrainError;
use super::run::{Control, Job, TrainEvent, run};
use burn::tensor::Device;
use std::sync::mpsc::Receiver;

/// What the training thread sends to the app.
#[derive(Debug)]
pub enum TrainerMessage {
    /// A report from the loop.
    Event(TrainEvent),
    /// The run is over: `Ok` when it finished or was stopped, `Err` with the reason otherwise.
    Done(Result<(), TrainError>),
}

/// A training run on its own thread, so that drawing never stalls.
pub struct TrainerThread {
    control: std::sync::mpsc::Sender<Control>,
    messages: Receiver<TrainerMessage>,
    handle: Option<std::thread::JoinHandle<()>>,
}

impl TrainerThread {
    /// Start `job` on `device` (made an autodiff device here). `notify` runs after each message.
    pub fn spawn(job: Job, device: Device, notify: impl Fn() + Send + 'static) -> Self {
        let (control, control_rx) = std::sync::mpsc::channel();
        let (tx, messages) = std::sync::mpsc::channel();
        let handle = std::thread::Builder::new()
            .name("pix2paint-trainer".into())
            .spawn(move || {
                let device = device.autodiff();
                let send = |m: TrainerMessage| {
                    let _ = tx.send(m);
                    notify();
                };
                let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    run(
                        &job,
                        &device,
                        |e| send(TrainerMessage::Event(e)),
                        &control_rx,
                    )
                }));
                let result = match outcome {
                    Ok(r) => r,
                    Err(p) => Err(TrainError::Crashed(crate::crash::panic_text(&p))),
                };
                send(TrainerMessage::Done(result));
            })
            .expect("spawning a thread only fails when the OS is out of resources");
        Self {
            control,
            messages,
            handle: Some(handle),
        }
    }

    /// Pause, resume or stop the run.
    pub fn send(&self, c: Control) {
        let _ = self.control.send(c);
    }

    /// The next message, if any.
    pub fn try_recv(&self) -> Option<TrainerMessage> {
        self.messages.try_recv().ok()
    }
}

impl Drop for TrainerThread {
    fn drop(&mut self) {
        let _ = self.control.send(Control::Stop);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}
