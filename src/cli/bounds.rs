//! The one place where numeric flags are checked: each parser accepts the range that works and
//! says what to give instead, so no command sees a zero width, a NaN rate or an absurd size
//! (clap prints the message with the flag's name and exits with status 2).

use pix2paint::train::limits;
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

/// Examples per step ([`limits::BATCH_SIZE`]).
pub fn batch_size(s: &str) -> Result<usize, String> {
    integer(s, limits::BATCH_SIZE, "examples per step; pix2pix uses 1")
}

/// A count of steps or epochs ([`limits::STEPS`]).
pub fn count(s: &str) -> Result<u64, String> {
    integer(s, limits::STEPS, "how long to train")
}

/// Steps between checkpoints ([`limits::CHECKPOINT_EVERY`]).
pub fn checkpoint_interval(s: &str) -> Result<u64, String> {
    integer(s, limits::CHECKPOINT_EVERY, "steps between checkpoints")
}

/// A learning rate ([`limits::LEARNING_RATE`]).
pub fn learning_rate(s: &str) -> Result<f64, String> {
    within(s, limits::LEARNING_RATE, "a learning rate, e.g. 2e-4")
}

/// The L1 weight ([`limits::LAMBDA_L1`]).
pub fn lambda(s: &str) -> Result<f64, String> {
    within(s, limits::LAMBDA_L1, "the L1 weight; pix2pix uses 100")
}

/// The share of training steps without colour hints ([`limits::HINT_FREE_SHARE`]).
pub fn hint_free_share(s: &str) -> Result<f64, String> {
    within(s, limits::HINT_FREE_SHARE, "a share of steps, e.g. 0.25")
}

/// The share of examples drawn from masked photos ([`limits::MASKED_SHARE`]).
pub fn masked_share(s: &str) -> Result<f64, String> {
    within(s, limits::MASKED_SHARE, "a share of examples, e.g. 0.5")
}

/// A share of examples or hints, 0 to 1 ([`limits::SHARE`]).
pub fn share(s: &str) -> Result<f64, String> {
    within(s, limits::SHARE, "a share from 0 to 1, e.g. 0.5")
}

/// The feature-matching weight ([`limits::FEATURE_MATCHING`]).
pub fn feature_matching(s: &str) -> Result<f64, String> {
    within(
        s,
        limits::FEATURE_MATCHING,
        "the feature-matching weight; pix2pixHD uses 10",
    )
}

/// The discriminator's scales ([`limits::D_SCALES`]).
pub fn d_scales(s: &str) -> Result<usize, String> {
    integer(s, limits::D_SCALES, "PatchGANs in the discriminator")
}

/// A moving-average decay ([`limits::EMA_DECAY`]).
pub fn decay(s: &str) -> Result<f64, String> {
    within(s, limits::EMA_DECAY, "a decay, e.g. 0.999")
}

/// A finite number in `range`, the message naming the range.
fn within(s: &str, range: RangeInclusive<f64>, what: &str) -> Result<f64, String> {
    let (lo, hi) = (*range.start(), *range.end());
    real(
        s,
        |v| range.contains(&v),
        &format!("{what}, from {lo} to {hi}"),
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
