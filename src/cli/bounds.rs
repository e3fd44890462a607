//! The one place where numeric flags are checked: each parser accepts the range that works and
//! says what to give instead, so no command sees a zero width, a NaN rate or an absurd size
//! (clap prints the message with the flag's name and exits with status 2).

use std::ops::RangeInclusive;

fn integer<T>(s: &str, range: RangeInclusive<T>, what: &str) -> Result<T, String>
where
    T: std::str::FromStr + PartialOrd + std::fmt::Display + Copy,
{
    let v: T = s
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a whole number; {what}"))?;
    if range.contains(&v) {
        Ok(v)
    } else {
        Err(format!(
            "{v} is out of range: give {} to {} ({what})",
            range.start(),
            range.end()
        ))
    }
}

fn real(s: &str, ok: impl Fn(f64) -> bool, what: &str) -> Result<f64, String> {
    let v: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a number; {what}"))?;
    if v.is_finite() && ok(v) {
        Ok(v)
    } else {
        Err(format!("{v} does not work here: {what}"))
    }
}

/// Network width (ngf / ndf): 1–256 filters in the outermost layer (pix2pix uses 64).
pub fn width(s: &str) -> Result<usize, String> {
    integer(s, 1..=256, "filters in the outermost layer, e.g. 32 or 64")
}

/// Training side: a multiple of 256 up to 2048 (the U-Net halves it 8 times).
pub fn resolution(s: &str) -> Result<u32, String> {
    let v = integer(s, 256..=2048, "a multiple of 256, e.g. 256 or 512")?;
    if v % 256 == 0 {
        Ok(v)
    } else {
        Err(format!(
            "{v} is not a multiple of 256 (the U-Net halves the image 8 times): use {} or {}",
            v / 256 * 256,
            (v / 256 + 1) * 256
        ))
    }
}

/// Examples per step: 1–64.
pub fn batch_size(s: &str) -> Result<usize, String> {
    integer(s, 1..=64, "examples per step; pix2pix uses 1")
}

/// A count of steps or epochs: 1 to a billion.
pub fn count(s: &str) -> Result<u64, String> {
    integer(s, 1..=pix2paint::train::MAX_STEPS, "how long to train")
}

/// A learning rate: finite, above 0, at most 1.
pub fn learning_rate(s: &str) -> Result<f64, String> {
    real(
        s,
        |v| v > 0.0 && v <= 1.0,
        "a learning rate above 0 and at most 1, e.g. 2e-4",
    )
}

/// The L1 weight: finite, 0 to 10,000.
pub fn lambda(s: &str) -> Result<f64, String> {
    real(
        s,
        |v| (0.0..=1e4).contains(&v),
        "a weight from 0 to 10000; pix2pix uses 100",
    )
}

/// A probability in (0, 1].
pub fn rate(s: &str) -> Result<f64, String> {
    real(
        s,
        |v| v > 0.0 && v <= 1.0,
        "a share above 0 and at most 1, e.g. 0.125",
    )
}

/// A moving-average decay in [0, 1).
pub fn decay(s: &str) -> Result<f64, String> {
    real(
        s,
        |v| (0.0..1.0).contains(&v),
        "a decay from 0 up to (not including) 1, e.g. 0.999",
    )
}

/// A Gaussian σ in pixels: finite, 0 to 20.
pub fn sigma(s: &str) -> Result<f32, String> {
    real(
        s,
        |v| (0.0..=20.0).contains(&v),
        "a blur in pixels from 0 to 20, e.g. 2",
    )
    .map(|v| v as f32)
}

/// An image side for `prepare`: 64–4096 pixels.
pub fn side(s: &str) -> Result<u32, String> {
    integer(s, 64..=4096, "an image side in pixels, e.g. 256")
}

/// Timed runs of a benchmark: 1–10,000.
pub fn runs(s: &str) -> Result<usize, String> {
    integer(s, 1..=10_000, "a number of timed runs")
}

/// Warm-up runs of a benchmark: 0–10,000.
pub fn warmup_runs(s: &str) -> Result<usize, String> {
    integer(s, 0..=10_000, "a number of untimed runs")
}
