//! How much memory the process holds: the training log shows it on every line, so a leak is
//! seen before it costs a run.

/// The process's resident set size in bytes (Linux: `/proc/self/statm`); `None` elsewhere or
/// when it cannot be read.
pub fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    // SAFETY: sysconf has no preconditions.
    #[cfg(unix)]
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    #[cfg(not(unix))]
    let page = 4096;
    u64::try_from(page).ok().map(|p| pages * p)
}

/// Hand memory the allocator keeps free back to the system, after a large value (a model) was
/// dropped. glibc keeps one heap per thread that allocated, and a model freed in the middle
/// of one stays counted as the process's until the heap is trimmed: without this, each model
/// swap in the app left up to one generator's worth (≈55 MB at ngf 32) resident. A no-op
/// elsewhere.
pub fn return_freed() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks the allocator's own free lists; it has no preconditions.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    #[test]
    fn reads_the_resident_size_on_linux() {
        let bytes = super::resident_bytes().expect("/proc/self/statm is read");
        // A test binary holds megabytes, and less than the machine.
        assert!(bytes > 1 << 20, "{bytes}");
        assert!(bytes < 1 << 40, "{bytes}");
    }
}
