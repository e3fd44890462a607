//! Helpers shared by the integration tests: tiny models and sketches the tests draw themselves.
#![allow(dead_code)]
// Test code like the tests that call it (clippy.toml's allow-unwrap-in-tests covers only
// `#[test]` functions and `cfg(test)` modules, not an integration test's helper module).
#![allow(clippy::unwrap_used)]

pub mod foreign;

use burn::tensor::Device;
use image::{Rgb, RgbImage};
use pix2paint::model::{Discriminator, DiscriminatorConfig, Generator, GeneratorConfig};
use pix2paint::weights::{ModelInfo, Precision, SaveRequest};
use std::path::Path;

/// A generator small enough for fast CPU tests (the architecture is the full U-Net).
pub fn tiny_config() -> GeneratorConfig {
    GeneratorConfig::new().with_ngf(4)
}

pub fn tiny_generator(seed: u64, device: &Device) -> Generator {
    seeded(device, seed, || tiny_config().init(device))
}

/// A fixed `[1, 3, 256, 256]` input in [-1, 1] from a local generator: the device's seeded
/// one is shared by the tests running in parallel (and drawn from without its lock whenever a
/// network is built), so two seeded draws could differ.
pub fn fixed_input(seed: u64, device: &Device) -> burn::tensor::Tensor<4> {
    use rand::Rng as _;
    let mut rng = pix2paint::rng::Rng::seed_from_u64(seed);
    let values: Vec<f32> = (0..3 * 256 * 256)
        .map(|_| rng.random_range(-1.0..1.0))
        .collect();
    burn::tensor::Tensor::from_data(
        burn::tensor::TensorData::new(values, [1, 3, 256, 256]),
        device,
    )
}

/// Run `f` right after seeding `device`'s random generator, with no other seeded draw in
/// between (Burn's generator is shared by all test threads; see `pix2paint::model::seeded`).
pub fn seeded<T>(device: &Device, seed: u64, f: impl FnOnce() -> T) -> T {
    pix2paint::model::seeded::seeded(device, seed, f)
}

pub fn tiny_discriminator(device: &Device) -> (Discriminator, DiscriminatorConfig) {
    let c = DiscriminatorConfig::new().with_ndf(4);
    (c.init(device), c)
}

/// Save a tiny generator (and optionally discriminator) to `path`.
pub fn save_tiny(
    path: &Path,
    g: &Generator,
    d: Option<(&Discriminator, &DiscriminatorConfig)>,
    precision: Precision,
) {
    pix2paint::weights::save(
        path,
        &SaveRequest {
            generator: g,
            generator_config: &tiny_config(),
            training_generator: None,
            discriminator: d,
            info: &ModelInfo::named("tiny test model"),
            extras: &Default::default(),
            precision,
        },
    )
    .expect("saving a model to a temp dir");
}

/// Centre and radius of the head circle [`draw_sketch`] draws on a `w`×`h` page.
pub fn sketch_head(w: u32, h: u32) -> (f32, f32, f32) {
    (w as f32 / 2.0, h as f32 * 0.55, w.min(h) as f32 * 0.3)
}

/// A cat-ish outline: head circle, two ear triangles, eyes; dark on white.
pub fn draw_sketch(w: u32, h: u32) -> RgbImage {
    let (cx, cy, r) = sketch_head(w, h);
    RgbImage::from_fn(w, h, |x, y| {
        let (fx, fy) = (x as f32 - cx, y as f32 - cy);
        let d = (fx * fx + fy * fy).sqrt();
        let head = (d - r).abs() < 1.5;
        let eye = ((fx.abs() - r * 0.4).powi(2) + (fy + r * 0.2).powi(2)).sqrt() < r * 0.08;
        let ear =
            fy < -r * 0.7 && fy > -r * 1.4 && (fx.abs() - r * 0.6 - (fy + r) * 0.5).abs() < 1.5;
        if head || eye || ear {
            Rgb([0, 0, 0])
        } else {
            Rgb([255, 255, 255])
        }
    })
}

/// Count pixels darker than half grey.
pub fn dark_pixels(img: &RgbImage) -> usize {
    img.pixels().filter(|p| p[0] < 128).count()
}

/// Run the pix2paint binary with `args` (without any `PIX2PAINT_WEIGHTS` of the caller's).
pub fn pix2paint(args: &[&dyn AsRef<std::ffi::OsStr>]) -> std::process::Output {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_pix2paint"));
    for a in args {
        c.arg(a);
    }
    c.env_remove("PIX2PAINT_WEIGHTS");
    c.output().expect("the binary runs")
}

/// What a command printed on stderr.
pub fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Assert that a command failed and said `what` on stderr.
pub fn assert_refused(o: &std::process::Output, what: &str) {
    assert!(!o.status.success(), "it should have failed: {}", stderr(o));
    assert!(
        stderr(o).contains(what),
        "expected \"{what}\" in: {}",
        stderr(o)
    );
}

/// A photo-like target for [`draw_sketch`]: a warm disc where the head is, on blue.
pub fn photo_for(w: u32, h: u32, hue: u8) -> RgbImage {
    RgbImage::from_fn(w, h, |x, y| {
        let d = ((x as f32 - w as f32 / 2.0).powi(2) + (y as f32 - h as f32 * 0.55).powi(2)).sqrt();
        if d < w.min(h) as f32 * 0.3 {
            Rgb([200, 120, hue])
        } else {
            Rgb([40, 90, 160])
        }
    })
}

/// A tmpfs of `kib` KiB mounted on `dir` for the life of the guard (needs root; `None`
/// otherwise).
#[cfg(target_os = "linux")]
pub struct SmallDisk(std::path::PathBuf);

#[cfg(target_os = "linux")]
impl SmallDisk {
    pub fn mount(dir: &std::path::Path, kib: u32) -> Option<Self> {
        Self::mount_with(dir, &format!("size={kib}k"))
    }

    /// A tmpfs mounted with `options` (e.g. `ro`).
    pub fn mount_with(dir: &std::path::Path, options: &str) -> Option<Self> {
        std::fs::create_dir_all(dir).expect("a folder in the temporary folder");
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", options, "tmpfs"])
            .arg(dir)
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| Self(dir.to_owned()))
    }
}

#[cfg(target_os = "linux")]
impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.0).status();
    }
}
