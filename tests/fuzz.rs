//! A fuzz harness of our own, on stable Rust: valid files of the kinds pix2paint opens
//! (its model files in full and half precision, PyTorch `.pth` files as pix2paint exports and
//! as PyTorch pix2pix writes them, in the ZIP container and in the legacy stream, the web
//! demo's `.pict`, PNG sketches and photos, dataset
//! folders, autosaves), mutated — truncated at random offsets, bits flipped,
//! binary fields overwritten with 0 / huge / overflowing integers, header numbers (shapes,
//! offsets, lengths) replaced by 0 or huge values, spans duplicated — and opened through the
//! same entry points the app and the CLI use. Every case must end in `Ok` or an error: no
//! panic, no abort, within a time bound, under an address-space limit (a loader that tried to
//! allocate what a crafted header asks for would abort the whole test binary).
//!
//! `PIX2PAINT_FUZZ_CASES=N` sets the cases per kind (default 120); the seed is fixed, so a
//! failure names a case that reproduces.
// Helpers here may unwrap like the tests they serve (clippy.toml allows it in tests only).
#![allow(clippy::unwrap_used)]

mod common;

use burn::tensor::Device;
use common::*;
use pix2paint::dataset::{Dataset, Layout};
use pix2paint::weights::{self, Direction, Precision};
use std::path::Path;
use std::time::{Duration, Instant};

fn cases() -> usize {
    std::env::var("PIX2PAINT_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(120)
}

/// The longest one case may take (debug build, loaded machine).
const CASE_TIME: Duration = Duration::from_secs(60);

/// Cap this process's address space, so a loader that allocates what a crafted file declares
/// fails the run instead of exhausting the machine.
fn limit_memory() {
    #[cfg(unix)]
    {
        let bytes = 16u64 << 30;
        let limit = libc::rlimit {
            rlim_cur: bytes,
            rlim_max: bytes,
        };
        // SAFETY: setrlimit reads the struct; lowering a limit needs no privilege.
        unsafe { libc::setrlimit(libc::RLIMIT_AS, &limit) };
    }
}

/// splitmix64: small, fixed-seed, reproducible.
struct Mutator(u64);

impl Mutator {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    /// One mutation of `good`.
    fn mutate(&mut self, good: &[u8]) -> Vec<u8> {
        let mut b = good.to_vec();
        let len = b.len().max(1);
        match self.below(6) {
            0 => b.truncate(self.below(len)),
            1 => {
                for _ in 0..1 + self.below(8) {
                    let i = self.below(len);
                    if let Some(v) = b.get_mut(i) {
                        *v ^= 1 << self.below(8);
                    }
                }
            }
            2 => {
                // A binary length or count field: 0, all ones, just past u32, the top bit.
                let values = [
                    0u64,
                    u64::MAX,
                    1 << 32,
                    1 << 63,
                    u32::MAX as u64,
                    0x7fff_ffff,
                ];
                let v = values[self.below(values.len())];
                let at = if self.below(3) == 0 {
                    0
                } else {
                    self.below(len)
                };
                let bytes = if self.below(2) == 0 {
                    v.to_le_bytes()
                } else {
                    v.to_be_bytes()
                };
                for (k, x) in bytes.iter().enumerate() {
                    if let Some(d) = b.get_mut(at + k) {
                        *d = *x;
                    }
                }
            }
            3 => {
                // A number in a text header (shapes, data offsets, sizes): 0 or huge.
                let starts: Vec<usize> = (1..b.len())
                    .filter(|&i| b[i].is_ascii_digit() && !b[i - 1].is_ascii_digit())
                    .take(4096)
                    .collect();
                if !starts.is_empty() {
                    let s = starts[self.below(starts.len())];
                    let e = (s..b.len())
                        .find(|&i| !b[i].is_ascii_digit())
                        .unwrap_or(b.len());
                    let values: [&[u8]; 4] = [
                        b"0",
                        b"4294967296",
                        b"18446744073709551615",
                        b"99999999999999999999",
                    ];
                    b.splice(s..e, values[self.below(4)].iter().copied());
                }
            }
            4 => {
                let s = self.below(len);
                let e = (s + 1 + self.below(64)).min(b.len());
                let span: Vec<u8> = b.get(s..e).unwrap_or_default().to_vec();
                let at = self.below(len);
                b.splice(at.min(b.len())..at.min(b.len()), span);
            }
            _ => {
                let i = self.below(len);
                b.truncate(i);
                b.extend((0..self.below(32)).map(|_| self.next() as u8));
            }
        }
        b
    }
}

/// Run `open` on `cases()` mutations of `good` (which itself must open), each written to
/// `path` first; every case must return (either way) without a panic, within [`CASE_TIME`].
/// Returns how many were refused.
fn fuzz(kind: &str, seed: u64, good: &[u8], path: &Path, open: impl Fn(&Path) -> bool) -> usize {
    std::fs::write(path, good).unwrap();
    assert!(open(path), "{kind}: the unmutated file does not open");
    let mut m = Mutator(seed);
    let mut refused = 0;
    for case in 0..cases() {
        let bad = m.mutate(good);
        std::fs::write(path, &bad).unwrap();
        let t = Instant::now();
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| open(path)));
        let took = t.elapsed();
        match outcome {
            Ok(ok) => refused += usize::from(!ok),
            Err(_) => {
                let kept = std::env::temp_dir().join(format!("pix2paint-fuzz-{kind}-{case}"));
                std::fs::write(&kept, &bad).ok();
                panic!(
                    "{kind} case {case} panicked (input kept at {})",
                    kept.display()
                );
            }
        }
        assert!(took < CASE_TIME, "{kind} case {case} took {took:?}");
    }
    eprintln!(
        "{kind}: {} cases, {refused} refused, none panicked",
        cases()
    );
    refused
}

#[test]
fn mutated_model_files_load_or_are_refused() {
    limit_memory();
    let d = Device::flex();
    let dir = tempfile::tempdir().unwrap();
    let g = tiny_generator(1, &d);
    let (disc, dc) = tiny_discriminator(&d);
    for (i, precision) in [Precision::Full, Precision::Half].into_iter().enumerate() {
        let good = dir.path().join("good.safetensors");
        save_tiny(&good, &g, Some((&disc, &dc)), precision);
        let good = std::fs::read(&good).unwrap();
        let path = dir.path().join("m.safetensors");
        let refused = fuzz("safetensors", 10 + i as u64, &good, &path, |p| {
            weights::load(p, &d).is_ok()
        });
        assert!(
            refused > 0,
            "no mutation was refused: the harness is not mutating"
        );
    }
    // A PyTorch export of a pytorch-layout generator (ZIP container).
    let config = pix2paint::model::GeneratorConfig::pytorch_unet().with_ngf(4);
    let g = seeded(&d, 2, || config.init(&d));
    let good = weights::import::pth::to_bytes(&g, &config).unwrap();
    let path = dir.path().join("m.pth");
    fuzz("pth", 20, &good, &path, |p| weights::load(p, &d).is_ok());
    // A junyanz pix2pix state dict as PyTorch writes it (uncompressed ZIP members).
    let written = dir.path().join("written.pth");
    common::foreign::write_pth(&written, &common::foreign::as_junyanz(&g));
    let good = std::fs::read(&written).unwrap();
    fuzz("pth (state dict)", 21, &good, &path, |p| {
        weights::load(p, &d).is_ok()
    });
    // PyTorch's legacy (pre-1.6, non-ZIP) torch.save stream, as PyTorch itself wrote it
    // (`benches/legacy_pth_fixture.py`).
    let legacy = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/unet_ngf1_legacy.pth");
    let good = std::fs::read(legacy).unwrap();
    fuzz("pth (legacy stream)", 23, &good, &path, |p| {
        weights::load(p, &d).is_ok()
    });
    // The 2017 web demo's quantised .pict of a TensorFlow-layout generator.
    let tf = seeded(&d, 3, || tiny_config().init(&d));
    let written = dir.path().join("written.pict");
    common::foreign::write_pict(&written, &common::foreign::as_tensorflow(&tf, false));
    let good = std::fs::read(&written).unwrap();
    let path = dir.path().join("m.pict");
    fuzz("pict", 22, &good, &path, |p| weights::load(p, &d).is_ok());
}

#[test]
fn mutated_images_and_dataset_folders_open_or_are_refused() {
    limit_memory();
    let dir = tempfile::tempdir().unwrap();
    let mut png = std::io::Cursor::new(Vec::new());
    draw_sketch(96, 64)
        .write_to(&mut png, image::ImageFormat::Png)
        .unwrap();
    let good = png.into_inner();
    let path = dir.path().join("sketch.png");
    fuzz("png", 30, &good, &path, |p| {
        pix2paint::imaging::read_image(p).is_ok()
    });
    // A file larger than this process may allocate, and no image (sparse: no disk used): it is
    // refused from its first bytes; reading it whole first would abort under the limit.
    let huge = dir.path().join("huge.png");
    std::fs::File::create(&huge)
        .unwrap()
        .set_len(20 << 30)
        .unwrap();
    assert!(pix2paint::imaging::read_image(&huge).is_err());
    assert!(weights::load(&huge, &Device::flex()).is_err());

    // A dataset folder of one photo and one A|B pair, both mutated, opened and every example
    // loaded as training does.
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let photo = data.join("b.png");
    let mut pair = std::io::Cursor::new(Vec::new());
    image::RgbImage::from_fn(128, 64, |x, y| {
        image::Rgb([(x * 2) as u8, (y * 4) as u8, 90])
    })
    .write_to(&mut pair, image::ImageFormat::Png)
    .unwrap();
    std::fs::write(data.join("a.png"), pair.get_ref()).unwrap();
    fuzz("dataset", 31, &good, &photo, |_| {
        match Dataset::open(&data, Layout::Auto, Direction::AtoB, None) {
            Ok(ds) => (0..ds.len()).all(|i| ds.load(i).is_ok()),
            Err(_) => false,
        }
    });
}

#[test]
fn mutated_autosaves_restore_or_are_set_aside() {
    limit_memory();
    let dir = tempfile::tempdir().unwrap();
    let autosave = pix2paint::app::Autosave::new(dir.path());
    let mut canvas = pix2paint::canvas::Canvas::new();
    for k in 0..3 {
        let p = |x: f32, y: f32| pix2paint::canvas::Point {
            x,
            y,
            pressure: 1.0,
        };
        canvas.begin(pix2paint::canvas::Tool::Pen, 0.01, p(0.1 * k as f32, 0.2));
        canvas.extend(p(0.5, 0.6));
        canvas.extend(p(0.7, 0.1 * k as f32));
        canvas.end();
    }
    autosave.save(&canvas).unwrap();
    let json = dir.path().join("sketch.json");
    let good = std::fs::read(&json).unwrap();
    fuzz("autosave", 40, &good, &json, |_| {
        let (_, problem) = autosave.load();
        problem.is_none()
    });
}
