//! The CPU's peak FP32 rate, that `bench` reports each timing as a share of: cores × clock ×
//! FLOP per cycle, the clock measured (a chain of dependent additions, one per cycle) because
//! /proc/cpuinfo lists the base clock where the cores boost higher.

/// FP32 FLOP per cycle and core: two FMA pipes of the widest vector unit the CPU reports, with
/// AVX-512 counted at the width the core executes it: AMD's Zen 4 (family 0x19) runs 512-bit
/// instructions as two 256-bit halves (32 FLOP/cycle); Zen 5 (0x1A) and Intel's server cores
/// run them full width (64). Zen 1 and Zen+ (family 0x17 before model 0x30) run AVX2 as two
/// 128-bit halves: 16 (measured on such a VM: an FMA loop of 12 independent chains at 16
/// FLOP/cycle per core).
pub fn flop_per_cycle(vendor: &str, [family, model]: [u32; 2], flags: &str) -> f64 {
    let has = |f: &str| flags.split_whitespace().any(|x| x == f);
    let amd = vendor == "AuthenticAMD";
    if has("avx512f") {
        if amd && family < 0x1A { 32.0 } else { 64.0 }
    } else if has("avx2") && has("fma") && amd && family == 0x17 && model < 0x30 {
        16.0
    } else if has("avx2") && has("fma") {
        32.0
    } else if has("avx") {
        16.0
    } else {
        8.0
    }
}

/// Peak FP32 FLOP/s of this CPU: cores × clock × [`flop_per_cycle`].
pub fn cpu_peak_gflops() -> Option<(f64, String)> {
    let info = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    let listed_mhz: f64 = info
        .lines()
        .find(|l| l.starts_with("cpu MHz"))?
        .split(':')
        .nth(1)?
        .trim()
        .parse()
        .ok()?;
    // /proc/cpuinfo often lists the base clock (virtual machines: always); the cores run
    // faster under load, so take the clock measured now when it is higher.
    let (mhz, clock_source) = match measured_mhz() {
        Some(m) if m > listed_mhz => (m, "measured"),
        _ => (listed_mhz, "listed"),
    };
    let field = |name: &str| {
        info.lines()
            .find(|l| l.split(':').next().is_some_and(|k| k.trim() == name))
            .and_then(|l| l.split(':').nth(1))
            .map(str::trim)
    };
    let flags = field("flags")?;
    let vendor = field("vendor_id").unwrap_or("");
    let family: u32 = field("cpu family")
        .and_then(|f| f.parse().ok())
        .unwrap_or(0);
    let model: u32 = field("model").and_then(|f| f.parse().ok()).unwrap_or(0);
    let per_cycle = flop_per_cycle(vendor, [family, model], flags);
    let cores = std::thread::available_parallelism().ok()?.get() as f64;
    Some((
        cores * mhz / 1e3 * per_cycle,
        format!(
            "{cores} cores × {:.2} GHz ({clock_source}) × {per_cycle} FLOP/cycle",
            mhz / 1e3
        ),
    ))
}

/// The clock of the core this runs on, in MHz, measured with 200 million dependent integer
/// additions (one cycle each on every x86-64 core): the best of three runs.
#[cfg(target_arch = "x86_64")]
fn measured_mhz() -> Option<f64> {
    const BLOCKS: u64 = 2_000_000;
    let run = || {
        let start = std::time::Instant::now();
        let mut x: u64 = 0;
        for _ in 0..BLOCKS {
            // SAFETY: register arithmetic only; 100 additions, each depending on the last.
            unsafe {
                std::arch::asm!(
                    ".rept 100",
                    "add {x}, 1",
                    ".endr",
                    x = inout(reg) x,
                    options(nomem, nostack, pure),
                );
            }
        }
        std::hint::black_box(x);
        start.elapsed().as_secs_f64()
    };
    let best = (0..3).map(|_| run()).fold(f64::INFINITY, f64::min);
    (best > 0.0).then(|| (BLOCKS * 100) as f64 / best / 1e6)
}

/// No measurement off x86-64: the listed clock is used.
#[cfg(not(target_arch = "x86_64"))]
fn measured_mhz() -> Option<f64> {
    None
}

#[cfg(test)]
mod tests {
    use super::flop_per_cycle;

    #[test]
    fn avx512_counts_at_the_width_the_core_runs_it() {
        let avx512 = "fpu sse avx avx2 fma avx512f avx512bw";
        assert_eq!(
            flop_per_cycle("AuthenticAMD", [0x19, 0x11], avx512),
            32.0,
            "Zen 4: half width"
        );
        assert_eq!(
            flop_per_cycle("AuthenticAMD", [0x1A, 0x02], avx512),
            64.0,
            "Zen 5: full width"
        );
        assert_eq!(flop_per_cycle("GenuineIntel", [6, 0x8F], avx512), 64.0);
        assert_eq!(
            flop_per_cycle("AuthenticAMD", [0x19, 0x01], "avx avx2 fma"),
            32.0
        );
        // Zen 2 (Rome, model 0x31) full width; Zen 1 (Naples, model 1) in 128-bit halves.
        assert_eq!(
            flop_per_cycle("AuthenticAMD", [0x17, 0x31], "avx avx2 fma"),
            32.0
        );
        assert_eq!(
            flop_per_cycle("AuthenticAMD", [0x17, 0x01], "avx avx2 fma"),
            16.0
        );
        assert_eq!(flop_per_cycle("GenuineIntel", [6, 0x3C], "sse sse2"), 8.0);
    }
}
