//! The weights file: round trips, half precision, and clear errors on bad files.
// Helpers here may unwrap like the tests they serve (clippy.toml allows it in tests only).
#![allow(clippy::unwrap_used)]

mod common;

use burn::tensor::{Device, Tensor};
use common::*;
use pix2paint::model::{DiscriminatorConfig, Generator, GeneratorConfig, NormStats};
use pix2paint::weights::{self, ModelInfo, Precision, SaveRequest, WeightsError};
use std::collections::BTreeMap;

fn output(g: &pix2paint::model::Generator, d: &Device) -> Vec<f32> {
    let x = fixed_input(11, d);
    g.forward(x, NormStats::Batch, None)
        .into_data()
        .try_into_vec::<f32>()
        .unwrap()
}

#[test]
fn full_precision_round_trip_is_exact_and_keeps_everything() {
    let d = Device::flex();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.safetensors");
    let g = tiny_generator(1, &d);
    let (disc, dc) = tiny_discriminator(&d);
    let mut extras = BTreeMap::new();
    extras.insert("optimizer_g".to_string(), vec![1u8, 2, 3, 250]);
    let mut info = ModelInfo::named("round trip");
    info.steps = 1234;
    info.description = "test".into();
    weights::save(
        &path,
        &SaveRequest {
            generator: &g,
            generator_config: &tiny_config(),
            training_generator: None,
            discriminator: Some((&disc, &dc)),
            info: &info,
            extras: &extras,
            precision: Precision::Full,
        },
    )
    .unwrap();
    let m = weights::load(&path, &d).unwrap();
    assert_eq!(m.generator_config, tiny_config());
    assert_eq!(m.info, info);
    assert_eq!(m.extras, extras);
    let (_, dc2) = m.discriminator.as_ref().expect("discriminator saved");
    assert_eq!(dc2, &DiscriminatorConfig::new().with_ndf(4));
    assert_eq!(output(&g, &d), output(&m.generator, &d));
    // Parameter ids survive, so optimizer state keyed by them resumes.
    assert_eq!(g.down[0].conv.weight.id, m.generator.down[0].conv.weight.id);
}

#[test]
fn half_precision_is_smaller_and_close() {
    let d = Device::flex();
    let dir = tempfile::tempdir().unwrap();
    let (full, half) = (
        dir.path().join("f.safetensors"),
        dir.path().join("h.safetensors"),
    );
    let g = tiny_generator(2, &d);
    save_tiny(&full, &g, None, Precision::Full);
    save_tiny(&half, &g, None, Precision::Half);
    let (sf, sh) = (
        std::fs::metadata(&full).unwrap().len(),
        std::fs::metadata(&half).unwrap().len(),
    );
    assert!(sh * 10 < sf * 6, "half {sh} bytes vs full {sf}");
    let a = output(&g, &d);
    let b = output(&weights::load(&half, &d).unwrap().generator, &d);
    let num: f32 = a.iter().zip(&b).map(|(x, y)| (x - y).powi(2)).sum();
    let den: f32 = a.iter().map(|x| x * x).sum();
    assert!(
        (num / den).sqrt() < 1e-2,
        "relative error {}",
        (num / den).sqrt()
    );
}

#[test]
fn truncated_file_is_reported_as_truncated() {
    let d = Device::flex();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.safetensors");
    save_tiny(&path, &tiny_generator(3, &d), None, Precision::Full);
    let bytes = std::fs::read(&path).unwrap();
    for cut in [bytes.len() - 100, bytes.len() / 2, 40] {
        std::fs::write(&path, &bytes[..cut]).unwrap();
        let err = weights::load(&path, &d).unwrap_err();
        assert!(
            matches!(err, WeightsError::Truncated { .. }),
            "cut at {cut}: {err}"
        );
        assert!(err.to_string().contains("m.safetensors"), "{err}");
    }
}

#[test]
fn non_weights_files_are_refused_by_name() {
    let d = Device::flex();
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&str, Vec<u8>); 3] = [
        ("empty.safetensors", vec![]),
        (
            "photo.png",
            b"\x89PNG\r\n\x1a\n this is not a model at all".to_vec(),
        ),
        (
            "other.safetensors",
            // A valid safetensors file from another program: no pix2paint metadata.
            br#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#.to_vec(),
        ),
    ];
    for (name, body) in cases {
        let path = dir.path().join(name);
        let bytes = if name == "other.safetensors" {
            let mut b = (body.len() as u64).to_le_bytes().to_vec();
            b.extend(&body);
            b.extend([0u8; 4]);
            b
        } else {
            body
        };
        std::fs::write(&path, bytes).unwrap();
        let err = weights::load(&path, &d).unwrap_err();
        assert!(
            matches!(err, WeightsError::NotWeights { .. }),
            "{name}: {err}"
        );
        assert!(err.to_string().contains(name), "{err}");
    }
    let missing = weights::load(&dir.path().join("nope.safetensors"), &d).unwrap_err();
    assert!(matches!(missing, WeightsError::Io { .. }), "{missing}");
}

/// Load `g` saved under a header that declares `config`: the error, if refused.
fn load_under(g: &Generator, config: &GeneratorConfig, d: &Device) -> Option<WeightsError> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.safetensors");
    let bytes = weights::to_bytes(&SaveRequest {
        generator: g,
        generator_config: config,
        training_generator: None,
        discriminator: None,
        info: &ModelInfo::named("liar"),
        extras: &Default::default(),
        precision: Precision::Full,
    });
    std::fs::write(&path, bytes).unwrap();
    weights::load(&path, d).err()
}

#[test]
fn tensors_of_another_architecture_are_refused() {
    let d = Device::flex();
    let g = tiny_generator(4, &d); // ngf 4
    // ngf-4 tensors under a header that declares ngf 8: refused from the header, before a
    // network of the declared size is built.
    let err = load_under(&g, &tiny_config().with_ngf(8), &d).unwrap();
    assert!(matches!(err, WeightsError::Architecture { .. }), "{err}");
    assert!(err.to_string().contains("declare"), "{err}");

    // A header declaring ngf 1024 (about 60 GB of weights) over a few kilobytes: refused at
    // once, not an abort on allocation.
    let err = load_under(&g, &tiny_config().with_ngf(1024), &d).unwrap();
    assert!(err.to_string().contains("declare"), "{err}");

    // More weights than declared (ngf 8 under ngf 4), so in the wrong shapes: refused by shape.
    let wide = seeded(&d, 1, || tiny_config().with_ngf(8).init(&d));
    let err = load_under(&wide, &tiny_config(), &d).unwrap();
    assert!(err.to_string().contains("shape"), "{err}");

    // Same tensors, but the header says the TensorFlow biases are absent: extra tensors.
    let no_biases = tiny_config().with_bias(pix2paint::model::BiasStyle::OutputOnly);
    let err = load_under(&g, &no_biases, &d).unwrap();
    assert!(matches!(err, WeightsError::Architecture { .. }), "{err}");

    // The header that matches loads.
    assert!(load_under(&g, &tiny_config(), &d).is_none());
}

#[test]
fn corrupted_bytes_never_panic() {
    let d = Device::flex();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.safetensors");
    save_tiny(&path, &tiny_generator(5, &d), None, Precision::Full);
    let good = std::fs::read(&path).unwrap();
    // Flip bytes in the header and in the data; every outcome must be Ok or a clean error.
    for (i, pos) in [3usize, 9, 20, 60, 200, good.len() / 2]
        .into_iter()
        .enumerate()
    {
        let mut bad = good.clone();
        bad[pos] ^= 0x5a;
        let p = dir.path().join(format!("bad{i}.safetensors"));
        std::fs::write(&p, &bad).unwrap();
        let r = std::panic::catch_unwind(|| weights::load(&p, &Device::flex()).map(|_| ()));
        assert!(r.is_ok(), "loading a corrupted file (byte {pos}) panicked");
    }
}

/// Every float of a module (parameters and running statistics), in visiting order.
fn flat<M: burn::module::Module>(m: &M) -> Vec<f32> {
    struct Flat(Vec<f32>);
    impl burn::module::ModuleVisitor for Flat {
        fn visit_float<const D: usize>(&mut self, p: &burn::module::Param<Tensor<D>>) {
            self.0
                .extend(p.val().into_data().try_into_vec::<f32>().unwrap());
        }
    }
    let mut f = Flat(Vec::new());
    m.visit(&mut f);
    f.0
}

#[test]
fn averaging_models_gives_the_mean_of_every_weight() {
    let d = Device::flex();
    let dir = tempfile::tempdir().unwrap();
    let paths: Vec<_> = (1..=3)
        .map(|seed| {
            let p = dir.path().join(format!("snapshot-{seed}.safetensors"));
            d.seed(100 + seed);
            let (disc, dc) = tiny_discriminator(&d);
            save_tiny(
                &p,
                &tiny_generator(seed, &d),
                Some((&disc, &dc)),
                Precision::Full,
            );
            p
        })
        .collect();
    let models: Vec<_> = paths
        .iter()
        .map(|p| weights::load(p, &d).unwrap())
        .collect();
    let g: Vec<Vec<f32>> = models.iter().map(|m| flat(&m.generator)).collect();
    let ds: Vec<Vec<f32>> = models
        .iter()
        .map(|m| flat(&m.discriminator.as_ref().unwrap().0))
        .collect();
    assert_ne!(g[0], g[1]);
    assert_ne!(ds[0], ds[1]);

    let avg = weights::average(models, &d).unwrap();
    for (mean, parts) in [
        (flat(&avg.generator), &g),
        (flat(&avg.discriminator.as_ref().unwrap().0), &ds),
    ] {
        assert_eq!(mean.len(), parts[0].len());
        for (i, m) in mean.iter().enumerate() {
            let want = (parts[0][i] + parts[1][i] + parts[2][i]) / 3.0;
            assert!((m - want).abs() < 1e-6, "weight {i}: {m} vs {want}");
        }
    }
    assert!(
        avg.info.description.contains("averaged over 3 models"),
        "{}",
        avg.info.description
    );

    // Another architecture cannot be averaged in.
    let other = dir.path().join("wide.safetensors");
    weights::save(
        &other,
        &SaveRequest {
            generator: &tiny_config().with_ngf(8).init(&d),
            generator_config: &tiny_config().with_ngf(8),
            training_generator: None,
            discriminator: None,
            info: &ModelInfo::named("wide"),
            extras: &BTreeMap::new(),
            precision: Precision::Full,
        },
    )
    .unwrap();
    let Err(err) = weights::average(
        vec![
            weights::load(&paths[0], &d).unwrap(),
            weights::load(&other, &d).unwrap(),
        ],
        &d,
    ) else {
        panic!("different architectures are refused");
    };
    assert!(
        matches!(err, weights::AverageError::Generator { model: 2 }),
        "{err}"
    );
}

#[test]
fn temporaries_of_killed_writes_are_removed_and_live_ones_kept() {
    let dir = tempfile::tempdir().unwrap();
    let ckpt = dir.path().join("run.ckpt.safetensors");
    // A pid far above any running process, and this process's own.
    let dead = dir.path().join(".run.ckpt.safetensors.4000000000.tmp");
    let live = dir
        .path()
        .join(format!(".run.ckpt.safetensors.{}.tmp", std::process::id()));
    let other = dir.path().join(".other.safetensors.4000000000.tmp");
    for p in [&dead, &live, &other] {
        std::fs::write(p, b"partial").unwrap();
    }
    let removed = pix2paint::files::remove_stale_temporaries(&ckpt);
    assert_eq!(removed, 1);
    assert!(!dead.exists() && live.exists() && other.exists());
}

#[test]
fn huge_files_are_refused_from_their_size_or_header() {
    let dir = tempfile::tempdir().unwrap();
    let d = Device::flex();
    // Larger than any model (sparse: nothing is written to disk).
    let huge = dir.path().join("video.safetensors");
    std::fs::File::create(&huge)
        .unwrap()
        .set_len(20 << 30)
        .unwrap();
    let e = weights::load(&huge, &d).expect_err("refused").to_string();
    assert!(e.contains("larger than any model"), "{e}");
    // A 3 GB safetensors file of another program: refused from its header.
    let foreign = dir.path().join("llm.safetensors");
    let header =
        br#"{"__metadata__":{"format":"pt"},"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#;
    let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
    bytes.extend_from_slice(header);
    std::fs::write(&foreign, &bytes).unwrap();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&foreign)
        .unwrap()
        .set_len(3 << 30)
        .unwrap();
    let e = weights::load(&foreign, &d).expect_err("refused");
    assert!(matches!(e, WeightsError::NotWeights { .. }), "{e}");
    assert!(e.to_string().contains("another program"), "{e}");
}
