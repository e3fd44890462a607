//! Models from other pix2pix implementations: the test writes a small random generator as a
//! PyTorch pix2pix state dict (`torch.save` ZIP container, pickle protocol 2) and as a 2017 web
//! demo `.pict` file, following those formats, then loads them with pix2paint and compares the
//! outputs with the same network run directly.
// Helpers here may unwrap like the tests they serve (clippy.toml allows it in tests only).
#![allow(clippy::unwrap_used)]

mod common;

use common::fixed_input;
use common::foreign::*;

use burn::module::{Module, ModuleMapper, Param};
use burn::tensor::{Device, Distribution, Tensor};
use pix2paint::model::{Generator, GeneratorConfig, NormStats};
use pix2paint::weights::import::pth;
use pix2paint::weights::{self, Direction, WeightsError};
use std::path::Path;

/// Every parameter and running statistic random (variances positive), so that a mix-up of
/// any two tensors shows in the output.
struct Randomize(Vec<String>, u64);

impl ModuleMapper for Randomize {
    fn enter_module(&mut self, name: &str, _: &str) {
        self.0.push(name.to_owned());
    }
    fn exit_module(&mut self, _: &str, _: &str) {
        self.0.pop();
    }
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        self.1 += 1;
        let device = Device::flex();
        device.seed(self.1);
        let name = self.0.join(".");
        param.map(|t| {
            let shape = t.shape();
            let dist = if name.ends_with("running_var") || name.ends_with("gamma") {
                Distribution::Uniform(0.5, 1.5)
            } else {
                Distribution::Normal(0.0, 0.1)
            };
            Tensor::<D>::random(shape, dist, &device)
        })
    }
}

fn random_generator(config: &GeneratorConfig, seed: u64) -> Generator {
    let d = Device::flex();
    d.seed(seed);
    config.init(&d).map(&mut Randomize(Vec::new(), seed * 1000))
}

fn output(g: &Generator, stats: NormStats) -> Vec<f32> {
    let x = fixed_input(99, &Device::flex());
    g.forward(x, stats, None)
        .into_data()
        .convert::<f32>()
        .try_into_vec::<f32>()
        .unwrap()
}

fn rel(a: &[f32], b: &[f32]) -> f64 {
    let num: f64 = a.iter().zip(b).map(|(x, y)| ((x - y) as f64).powi(2)).sum();
    let den: f64 = b.iter().map(|y| (*y as f64).powi(2)).sum();
    (num / den).sqrt()
}

#[test]
fn a_pytorch_unet_256_state_dict_paints_like_the_same_network() {
    let dir = tempfile::tempdir().unwrap();
    let config = GeneratorConfig::pytorch_unet().with_ngf(4);
    let g = random_generator(&config, 1);
    let path = dir.path().join("latest_net_G.pth");
    write_pth(&path, &as_junyanz(&g));

    let model = weights::load(&path, &Device::flex()).unwrap();
    assert_eq!(
        model.generator_config, config,
        "ngf and norm read from the tensors"
    );
    assert_eq!(model.info.direction, Direction::AtoB);
    for stats in [NormStats::Batch, NormStats::Running] {
        let r = rel(&output(&model.generator, stats), &output(&g, stats));
        assert!(r < 1e-5, "{stats:?}: ‖Δ‖/‖ref‖ = {r}");
    }
    // A different network is far away, so the comparison means something.
    let other = random_generator(&config, 2);
    assert!(
        rel(
            &output(&other, NormStats::Batch),
            &output(&g, NormStats::Batch)
        ) > 0.3
    );
}

#[test]
fn export_to_pth_round_trips_and_refuses_tensorflow_layouts() {
    let dir = tempfile::tempdir().unwrap();
    let config = GeneratorConfig::pytorch_unet().with_ngf(4);
    let g = random_generator(&config, 3);
    let bytes = pth::to_bytes(&g, &config).unwrap();
    let path = dir.path().join("exported.pth");
    std::fs::write(&path, bytes).unwrap();
    let back = weights::load(&path, &Device::flex()).unwrap();
    for stats in [NormStats::Batch, NormStats::Running] {
        let r = rel(&output(&back.generator, stats), &output(&g, stats));
        assert!(r < 1e-6, "{stats:?}: ‖Δ‖/‖ref‖ = {r}");
    }
    // The exported keys are junyanz's (the test's own mapping agrees with the exporter's).
    let reader = pytorch_reader_keys(&path);
    let mut expected: Vec<String> = as_junyanz(&g).into_iter().map(|t| t.0).collect();
    expected.extend(
        expected
            .iter()
            .filter_map(|k| k.strip_suffix(".running_var"))
            .map(|k| format!("{k}.num_batches_tracked"))
            .collect::<Vec<_>>(),
    );
    expected.sort();
    assert_eq!(reader, expected);

    let tf = GeneratorConfig::new().with_ngf(4);
    let err = pth::to_bytes(&random_generator(&tf, 4), &tf).unwrap_err();
    assert!(matches!(err, pth::ExportError::Layout), "{err}");
    assert!(
        err.to_string().contains("export it as safetensors"),
        "{err}"
    );
}

fn pytorch_reader_keys(path: &Path) -> Vec<String> {
    let mut keys = pytorch_reader::PytorchReader::new(path).unwrap().keys();
    keys.sort();
    keys
}

#[test]
fn other_pytorch_files_get_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let d = Device::flex();
    let write = |name: &str, keys: &[&str]| {
        let p = dir.path().join(name);
        let tensors: Vec<_> = keys
            .iter()
            .map(|k| (k.to_string(), vec![2, 2], vec![0.5; 4]))
            .collect();
        write_pth(&p, &tensors);
        p
    };
    let resnet = write(
        "resnet.pth",
        &["model.1.weight", "model.10.conv_block.1.weight"],
    );
    let e = weights::load(&resnet, &d).unwrap_err();
    assert!(matches!(e, WeightsError::Unsupported { .. }));
    assert!(e.to_string().contains("ResNet"), "{e}");

    let instance = write(
        "instance.pth",
        &[
            "model.model.0.weight",
            "model.model.0.bias",
            "model.model.1.model.1.weight",
            "model.model.1.model.1.bias",
            "model.model.1.model.3.model.1.weight",
            "model.model.1.model.3.model.3.model.1.weight",
            "model.model.1.model.3.model.3.model.3.model.1.weight",
            "model.model.1.model.3.model.3.model.3.model.3.model.1.weight",
            "model.model.1.model.3.model.3.model.3.model.3.model.3.model.1.weight",
            "model.model.1.model.3.model.3.model.3.model.3.model.3.model.3.model.1.weight",
        ],
    );
    let e = weights::load(&instance, &d).unwrap_err().to_string();
    assert!(e.contains("instance norm"), "{e}");

    let unet128 = write(
        "unet128.pth",
        &["model.model.0.weight", "model.model.1.model.1.weight"],
    );
    let e = weights::load(&unet128, &d).unwrap_err().to_string();
    assert!(e.contains("unet_256"), "{e}");

    let disc = write("latest_net_D.pth", &["model.0.weight", "model.2.weight"]);
    let e = weights::load(&disc, &d).unwrap_err().to_string();
    assert!(e.contains("latest_net_G.pth"), "{e}");

    // A file cut short, as an interrupted download leaves it.
    let config = GeneratorConfig::pytorch_unet().with_ngf(4);
    let full = dir.path().join("full.pth");
    write_pth(&full, &as_junyanz(&random_generator(&config, 5)));
    let bytes = std::fs::read(&full).unwrap();
    for cut in [bytes.len() / 3, bytes.len() - 100] {
        let p = dir.path().join("cut.pth");
        std::fs::write(&p, &bytes[..cut]).unwrap();
        let e = weights::load(&p, &d).unwrap_err();
        assert!(
            matches!(
                e,
                WeightsError::Truncated { .. } | WeightsError::NotWeights { .. }
            ),
            "{e:?}"
        );
    }
}

#[test]
fn a_web_demo_pict_paints_like_the_same_network_within_quantisation() {
    let dir = tempfile::tempdir().unwrap();
    for old in [false, true] {
        let config = GeneratorConfig::new().with_ngf(4); // TensorFlow pix2pix's layout
        let mut g = random_generator(&config, 6);
        if old {
            // The first pix2pix-tensorflow had no biases.
            g = g.map(&mut ZeroBiases(Vec::new()));
        }
        let path = dir.path().join("edges2cats_BtoA.pict");
        write_pict(&path, &as_tensorflow(&g, old));
        let model = weights::load(&path, &Device::flex()).unwrap();
        assert_eq!(model.generator_config.ngf, 4);
        assert!(model.generator_config.innermost_encoder_norm);
        assert_eq!(model.info.direction, Direction::BtoA, "from the file name");
        let ours = output(&model.generator, NormStats::Batch);
        let reference = output(&g, NormStats::Batch);
        let r = rel(&ours, &reference);
        assert!(r < 0.1, "old names {old}: ‖Δ‖/‖ref‖ = {r}");
        let other = output(&random_generator(&config, 7), NormStats::Batch);
        assert!(
            rel(&other, &reference) > 5.0 * r,
            "quantisation error {r} is not small"
        );
    }
}

struct ZeroBiases(Vec<String>);
impl ModuleMapper for ZeroBiases {
    fn enter_module(&mut self, name: &str, _: &str) {
        self.0.push(name.to_owned());
    }
    fn exit_module(&mut self, _: &str, _: &str) {
        self.0.pop();
    }
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        if self.0.last().is_some_and(|n| n == "bias") {
            param.map(|t| t.zeros_like())
        } else {
            param
        }
    }
}

#[test]
fn damaged_pict_files_get_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let d = Device::flex();
    let g = random_generator(&GeneratorConfig::new().with_ngf(4), 8);
    let path = dir.path().join("m.pict");
    write_pict(&path, &as_tensorflow(&g, false));
    let bytes = std::fs::read(&path).unwrap();
    for cut in [10, bytes.len() / 2, bytes.len() - 1] {
        std::fs::write(&path, &bytes[..cut]).unwrap();
        let e = weights::load(&path, &d).unwrap_err();
        assert!(
            matches!(e, WeightsError::Truncated { .. }),
            "cut {cut}: {e:?}"
        );
        assert!(e.to_string().contains("truncated"), "{e}");
    }
    let mut vars = as_tensorflow(&g, false);
    vars.push((
        "discriminator/layer_1/conv2d/kernel".into(),
        vec![1],
        vec![0.1],
    ));
    write_pict(&path, &vars);
    let e = weights::load(&path, &d).unwrap_err().to_string();
    assert!(e.contains("discriminator/layer_1"), "{e}");
}

#[test]
fn a_pict_whose_shapes_overflow_is_refused_before_anything_is_built() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bomb.pict");
    // A few bytes declaring 2^66 weights: the product wraps around in unchecked arithmetic.
    write_pict(
        &path,
        &[(
            "generator/encoder_1/conv2d/kernel".into(),
            vec![1 << 33, 1 << 33, 1, 1],
            vec![0.5; 4],
        )],
    );
    let e = weights::load(&path, &Device::flex())
        .unwrap_err()
        .to_string();
    assert!(e.contains("more elements than any file can hold"), "{e}");
}

#[test]
fn a_pict_declaring_a_giant_network_is_refused_before_it_is_built() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("giant.pict");
    // An ngf-4 generator whose first kernel claims ngf 1024: the width is read from that
    // kernel, and an ngf-1024 U-Net needs about 60 GB, from a file of a few hundred kilobytes.
    let g = random_generator(&GeneratorConfig::new().with_ngf(4), 8);
    let mut vars = as_tensorflow(&g, false);
    let first = vars
        .iter_mut()
        .find(|v| v.0.contains("encoder_1/") && v.0.ends_with("kernel"))
        .expect("the first encoder's kernel");
    first.1 = vec![4, 4, 3, 1024];
    first.2 = vec![0.01; 4 * 4 * 3 * 1024];
    write_pict(&path, &vars);
    let e = weights::load(&path, &Device::flex())
        .unwrap_err()
        .to_string();
    assert!(e.contains("declare"), "{e}");
}

/// The fixtures written by PyTorch itself (`benches/legacy_pth_fixture.py`).
fn fixtures() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// `0.8 · sin(0.05 x + 0.07 y + c)`, as the fixture script computes it (f64, stored as f32).
fn formula_input(device: &Device) -> Tensor<4> {
    let mut v = Vec::with_capacity(3 * 256 * 256);
    for c in 0..3 {
        for y in 0..256 {
            for x in 0..256 {
                v.push((0.8 * (0.05 * x as f64 + 0.07 * y as f64 + c as f64).sin()) as f32);
            }
        }
    }
    Tensor::from_data(burn::tensor::TensorData::new(v, [1, 3, 256, 256]), device)
}

/// A generator saved by PyTorch's legacy (pre-1.6, non-ZIP) `torch.save` stream, as older
/// pix2pix checkpoints are, loads and paints what PyTorch painted with it.
#[test]
fn a_legacy_pytorch_checkpoint_paints_what_pytorch_painted() {
    let d = Device::flex();
    let model = weights::load(&fixtures().join("unet_ngf1_legacy.pth"), &d).unwrap();
    assert_eq!(model.generator_config.ngf, 1);
    let reference: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(fixtures().join("unet_ngf1_legacy.json")).unwrap(),
    )
    .unwrap();
    let y = model
        .generator
        .forward(formula_input(&d), NormStats::Batch, None)
        .into_data()
        .convert::<f32>()
        .try_into_vec::<f32>()
        .unwrap();
    let mean = y.iter().map(|&v| v as f64).sum::<f64>() / y.len() as f64;
    let want = reference["mean"].as_f64().unwrap();
    assert!(
        (mean - want).abs() < 1e-5,
        "mean {mean} vs PyTorch's {want}"
    );
    let pixels = reference["pixels"].as_array().unwrap();
    assert_eq!(pixels.len(), 64);
    for p in pixels {
        let [c, py, px] = [0, 1, 2].map(|i| p[i].as_u64().unwrap() as usize);
        let (got, want) = (y[(c * 256 + py) * 256 + px], p[3].as_f64().unwrap() as f32);
        assert!(
            (got - want).abs() < 1e-4,
            "pixel ({c}, {py}, {px}): {got} vs PyTorch's {want}"
        );
    }
}

#[test]
fn a_training_pair_for_pytorch_pix2pix_holds_g_and_d_under_their_names() {
    use pix2paint::model::DiscriminatorConfig;
    use pix2paint::weights::{ModelInfo, Precision, SaveRequest};
    let dir = tempfile::tempdir().unwrap();
    let device = Device::flex();
    // A run with colour hints and a weight average: the pair takes the raw generator.
    let config = GeneratorConfig::pytorch_unet()
        .with_ngf(4)
        .with_hint_channels(pix2paint::hints::CHANNELS);
    let average = random_generator(&config, 5);
    let raw = random_generator(&config, 6);
    let d_config = DiscriminatorConfig::new().with_ndf(4);
    device.seed(7);
    let d = d_config.init(&device);
    let model = dir.path().join("run.safetensors");
    weights::save(
        &model,
        &SaveRequest {
            generator: &average,
            generator_config: &config,
            training_generator: Some(&raw),
            discriminator: Some((&d, &d_config)),
            info: &ModelInfo::named("run"),
            extras: &Default::default(),
            precision: Precision::Full,
        },
    )
    .unwrap();
    let out = dir.path().join("checkpoints").join("cats");
    let o = common::pix2paint(&[&"export", &model, &"--to", &"pth", &"--pair", &"-o", &out]);
    let log = common::stderr(&o);
    assert!(o.status.success(), "{log}");
    for flag in [
        "--continue_train",
        "--name cats",
        "--ngf 4 --netD basic --n_layers_D 3 --ndf 4 --norm batch --input_nc 3 --output_nc 3",
        "not its moving average",
        "colour hints",
    ] {
        assert!(log.contains(flag), "{flag:?} in {log}");
    }

    // G: the raw generator, reading the sketch alone, paints a hint-free sketch as before.
    let back = weights::load(&out.join("latest_net_G.pth"), &device).unwrap();
    assert_eq!(back.generator_config.hint_channels, 0);
    for stats in [NormStats::Batch, NormStats::Running] {
        let r = rel(&output(&back.generator, stats), &output(&raw, stats));
        assert!(r < 1e-6, "{stats:?}: ‖Δ‖/‖ref‖ = {r}");
    }

    // D: junyanz's NLayerDiscriminator keys (n_layers 3), every tensor as ours.
    let d_path = out.join("latest_net_D.pth");
    let mut expected = vec!["model.0.weight".to_string(), "model.0.bias".into()];
    for (conv, norm) in [(2, 3), (5, 6), (8, 9)] {
        expected.push(format!("model.{conv}.weight"));
        for t in [
            "weight",
            "bias",
            "running_mean",
            "running_var",
            "num_batches_tracked",
        ] {
            expected.push(format!("model.{norm}.{t}"));
        }
    }
    expected.extend(["model.11.weight".into(), "model.11.bias".into()]);
    expected.sort();
    assert_eq!(pytorch_reader_keys(&d_path), expected);
    let tensors: std::collections::HashMap<String, Vec<f32>> =
        pytorch_reader::PytorchReader::new(&d_path)
            .unwrap()
            .into_tensors()
            .into_iter()
            .filter(|(k, _)| !k.ends_with("num_batches_tracked"))
            .map(|(k, t)| {
                let bytes = t.read().unwrap();
                (
                    k,
                    bytes
                        .chunks_exact(4)
                        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                        .collect(),
                )
            })
            .collect();
    let ours = |t: Tensor<4>| {
        t.into_data()
            .convert::<f32>()
            .try_into_vec::<f32>()
            .unwrap()
    };
    assert_eq!(
        tensors["model.0.weight"],
        ours(d.blocks[0].conv.weight.val())
    );
    assert_eq!(
        tensors["model.8.weight"],
        ours(d.blocks[3].conv.weight.val())
    );
    assert_eq!(tensors["model.11.weight"], ours(d.out.weight.val()));
    let gamma = d.blocks[2].norm.as_ref().unwrap().gamma.val();
    assert_eq!(
        tensors["model.6.weight"],
        gamma
            .into_data()
            .convert::<f32>()
            .try_into_vec::<f32>()
            .unwrap()
    );

    // A model without a discriminator cannot make a pair, and says why.
    let bare = dir.path().join("bare.pth");
    std::fs::write(&bare, pth::to_bytes(&raw, &config).unwrap()).unwrap();
    let o = common::pix2paint(&[&"export", &bare, &"--to", &"pth", &"--pair"]);
    assert!(!o.status.success());
    assert!(common::stderr(&o).contains("holds no discriminator"));
}
