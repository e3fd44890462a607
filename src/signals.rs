//! Ctrl+C and SIGTERM (a laptop shutting down, a job scheduler) as a request to stop at a safe
//! point: a training run finishes its step, writes its checkpoint and model, and ends; the app
//! writes its autosave and closes. A second signal ends the process at once, as it would
//! without pix2paint's handler (files are written atomically, so that loses at most the step in
//! progress). Unix only; elsewhere nothing is installed.
//!
//! A process that starts itself again ([`stand_in_for`]) passes every stop signal on to its
//! second self, so stopping either stops the program the same way.

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

/// The child a stand-in passes stop signals to (0: none yet).
#[cfg(unix)]
static CHILD: AtomicI32 = AtomicI32::new(0);

#[cfg(unix)]
extern "C" fn pass_on(sig: libc::c_int) {
    let child = CHILD.load(Ordering::SeqCst);
    if child > 0 {
        // SAFETY: `kill` is async-signal-safe.
        unsafe {
            libc::kill(child, sig);
        }
    }
}

/// Run `command` in this process's stead and wait for it: each SIGINT, SIGTERM and SIGHUP this
/// process receives goes to the child, once (the child is in a process group of its own, so a
/// Ctrl+C in the terminal reaches it through this process only, not twice), and on Linux the
/// child gets SIGTERM if this process dies without passing it on (SIGKILL).
pub fn stand_in_for(
    command: &mut std::process::Command,
) -> std::io::Result<std::process::ExitStatus> {
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        command.process_group(0);
        #[cfg(target_os = "linux")]
        // SAFETY: `prctl` is async-signal-safe; the closure allocates nothing.
        unsafe {
            command.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
                Ok(())
            });
        }
        let mut child = command.spawn()?;
        CHILD.store(child.id() as i32, Ordering::SeqCst);
        let handler = pass_on as extern "C" fn(libc::c_int) as libc::sighandler_t;
        // SAFETY: the handler only loads an atomic and calls `kill`, both async-signal-safe.
        unsafe {
            for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
                libc::signal(sig, handler);
            }
        }
        child.wait()
    }
    #[cfg(not(unix))]
    command.status()
}

/// End this process the way `status` ended its child: the same exit code, or the same signal.
pub fn exit_as(status: std::process::ExitStatus) -> ! {
    #[cfg(unix)]
    if let Some(sig) = std::os::unix::process::ExitStatusExt::signal(&status) {
        // SAFETY: restoring the default disposition and raising the signal ends the process.
        unsafe {
            libc::signal(sig, libc::SIG_DFL);
            libc::raise(sig);
        }
        std::process::exit(128 + sig);
    }
    std::process::exit(status.code().unwrap_or(1))
}

#[cfg(test)]
#[cfg(unix)]
mod tests {
    use std::path::PathBuf;
    use std::process::Command;
    use std::time::{Duration, Instant};

    const ROLE: &str = "PIX2PAINT_SIGNALS_TEST_ROLE";
    const DIR: &str = "PIX2PAINT_SIGNALS_TEST_DIR";

    /// This test binary again, running only `name` (an ignored helper below).
    fn this_binary_running(name: &str, role: &str, dir: &std::path::Path) -> Command {
        let mut c = Command::new(std::env::current_exe().unwrap());
        c.args(["--exact", name, "--ignored", "--test-threads", "1", "-q"])
            .env(ROLE, role)
            .env(DIR, dir)
            .stdout(std::process::Stdio::null());
        c
    }

    fn wait_for(path: &std::path::Path) -> bool {
        let start = Instant::now();
        while !path.exists() {
            if start.elapsed() > Duration::from_secs(60) {
                return false;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        true
    }

    /// The folder to work in when this process plays `role` (else it is a plain test run).
    fn playing(role: &str) -> Option<PathBuf> {
        let dir = std::env::var(DIR).ok()?;
        (std::env::var(ROLE).ok()? == role).then(|| PathBuf::from(dir))
    }

    /// The program as a stand-in: starts the child helper in its stead.
    #[test]
    #[ignore = "a helper process of stopping_the_stand_in_stops_its_child_once"]
    fn stand_in_helper() {
        let Some(dir) = playing("stand-in") else {
            return;
        };
        let status = super::stand_in_for(&mut this_binary_running(
            "signals::tests::child_helper",
            "child",
            &dir,
        ))
        .unwrap();
        super::exit_as(status);
    }

    /// The program proper: stops at the first signal and writes which one it was.
    #[test]
    #[ignore = "a helper process of stopping_the_stand_in_stops_its_child_once"]
    fn child_helper() {
        let Some(dir) = playing("child") else {
            return;
        };
        super::on_stop(|_| {});
        std::fs::write(dir.join("ready"), std::process::id().to_string()).unwrap();
        let start = Instant::now();
        while super::received().is_none() && start.elapsed() < Duration::from_secs(60) {
            std::thread::sleep(Duration::from_millis(10));
        }
        // A second signal (if one were passed on twice) would end this process by now.
        std::thread::sleep(Duration::from_millis(300));
        let got = super::received().map(super::name).unwrap_or("none");
        std::fs::write(dir.join("stopped"), got).unwrap();
        std::process::exit(7);
    }

    #[test]
    fn stopping_the_stand_in_stops_its_child_once() {
        let dir = tempfile::tempdir().unwrap();
        let mut stand_in =
            this_binary_running("signals::tests::stand_in_helper", "stand-in", dir.path())
                .spawn()
                .unwrap();
        assert!(
            wait_for(&dir.path().join("ready")),
            "the child never started"
        );
        // SAFETY: sending a signal to a process this test started.
        unsafe {
            libc::kill(stand_in.id() as i32, libc::SIGTERM);
        }
        let status = stand_in.wait().unwrap();
        let stopped = std::fs::read_to_string(dir.path().join("stopped")).unwrap_or_default();
        assert_eq!(
            stopped, "SIGTERM",
            "the child was not stopped by the signal passed on"
        );
        assert_eq!(
            status.code(),
            Some(7),
            "the stand-in exits with its child's code: {status:?}"
        );
    }
}
