//! Ctrl+C and SIGTERM (a laptop shutting down, a job scheduler) as a request to stop at a safe
//! point: a training run finishes its step, writes its checkpoint and model, and ends; the app
//! writes its autosave and closes. A second signal ends the process at once, as it would
//! without pix2paint's handler (files are written atomically, so that loses at most the step in
//! progress). Unix only; elsewhere nothing is installed.

use std::sync::atomic::{AtomicI32, Ordering};

/// The first stop signal received (0: none).
static RECEIVED: AtomicI32 = AtomicI32::new(0);

/// The signal that asked to stop, if one did.
pub fn received() -> Option<i32> {
    match RECEIVED.load(Ordering::SeqCst) {
        0 => None,
        sig => Some(sig),
    }
}

/// Its conventional name ("SIGINT", "SIGTERM").
pub fn name(sig: i32) -> &'static str {
    #[cfg(unix)]
    if sig == libc::SIGINT {
        return "SIGINT (Ctrl+C)";
    }
    #[cfg(unix)]
    if sig == libc::SIGTERM {
        return "SIGTERM";
    }
    let _ = sig;
    "a stop signal"
}

#[cfg(unix)]
extern "C" fn on_signal(sig: libc::c_int) {
    RECEIVED.store(sig, Ordering::SeqCst);
    // SAFETY: `signal` is async-signal-safe; the default disposition makes a second signal end
    // the process.
    unsafe {
        libc::signal(sig, libc::SIG_DFL);
    }
}

/// Catch SIGINT and SIGTERM; `stop` runs once, on a watcher thread, when the first arrives
/// (with its number). Call it once per process.
pub fn on_stop(stop: impl FnOnce(i32) + Send + 'static) {
    #[cfg(unix)]
    {
        let handler = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
        // SAFETY: the handler only stores to an atomic and calls `signal`, both
        // async-signal-safe.
        unsafe {
            libc::signal(libc::SIGINT, handler);
            libc::signal(libc::SIGTERM, handler);
        }
        let watcher = std::thread::Builder::new()
            .name("pix2paint-signals".into())
            .spawn(move || {
                loop {
                    if let Some(sig) = received() {
                        stop(sig);
                        return;
                    }
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
            });
        if watcher.is_err() {
            // Without a watcher no one would act on the flag: leave the default behaviour.
            // SAFETY: restoring the default dispositions.
            unsafe {
                libc::signal(libc::SIGINT, libc::SIG_DFL);
                libc::signal(libc::SIGTERM, libc::SIG_DFL);
            }
        }
    }
    #[cfg(not(unix))]
    let _ = stop;
}
