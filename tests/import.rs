//! Models from other pix2pix implementations: the test writes a small random generator as a
//! PyTorch pix2pix state dict (`torch.save` ZIP container, pickle protocol 2) and as a 2017 web
//! demo `.pict` file, following those formats, then loads them with pix2paint and compares the
//! outputs with the same network run directly.

mod common;

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
use burn::tensor::{Device, Distribution, Tensor};
use pix2paint::model::{Generator, GeneratorConfig, NormStats};
use pix2paint::weights::import::pth;
use pix2paint::weights::{self, Direction, WeightsError};
use std::collections::BTreeMap;
use std::io::Write;
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

/// Module path → (shape, values).
fn tensors_of(g: &Generator) -> BTreeMap<String, (Vec<usize>, Vec<f32>)> {
    struct Collect(BTreeMap<String, (Vec<usize>, Vec<f32>)>, Vec<String>);
    impl ModuleVisitor for Collect {
        fn enter_module(&mut self, name: &str, _: &str) {
            self.1.push(name.to_owned());
        }
        fn exit_module(&mut self, _: &str, _: &str) {
            self.1.pop();
        }
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            let data = param.val().into_data();
            let shape = data.shape().to_vec();
            self.0.insert(
                self.1.join("."),
                (shape, data.convert::<f32>().try_into_vec::<f32>().unwrap()),
            );
        }
    }
    let mut c = Collect(BTreeMap::new(), Vec::new());
    g.visit(&mut c);
    c.0
}

fn output(g: &Generator, stats: NormStats) -> Vec<f32> {
    // The input comes from a local generator: the device's seeded one is shared by the tests
    // running in parallel, so two calls could otherwise draw different inputs.
    use rand::Rng as _;
    let d = Device::flex();
    let mut rng = pix2paint::rng::Rng::seed_from_u64(99);
    let values: Vec<f32> = (0..3 * 256 * 256)
        .map(|_| rng.random_range(-1.0..1.0))
        .collect();
    let x = Tensor::<4>::from_data(burn::tensor::TensorData::new(values, [1, 3, 256, 256]), &d);
    g.forward(x, stats, None, &[])
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

// ---------------------------------------------------------------------------------------
// A PyTorch writer, from the formats' specifications: the pickle protocol (PEP 307 opcodes)
// and torch.save's ZIP layout (`<root>/data.pkl`, `<root>/data/<key>`, `<root>/version`).

#[derive(Default)]
struct PickleOut {
    bytes: Vec<u8>,
    memo: u32,
}

impl PickleOut {
    fn memoize(&mut self) {
        // BINPUT, as Python's pickler does after most objects.
        self.bytes.push(b'q');
        self.bytes.push(self.memo as u8);
        self.memo += 1;
    }
    fn short_str(&mut self, s: &str) {
        self.bytes.push(0x8c); // SHORT_BINUNICODE (protocol 4 opcode; readers accept it)
        self.bytes.push(s.len() as u8);
        self.bytes.extend_from_slice(s.as_bytes());
        self.memoize();
    }
    fn global(&mut self, module: &str, name: &str) {
        self.bytes.push(b'c');
        self.bytes
            .extend_from_slice(format!("{module}\n{name}\n").as_bytes());
        self.memoize();
    }
    fn small_int(&mut self, v: usize) {
        if v < 256 {
            self.bytes.push(b'K'); // BININT1
            self.bytes.push(v as u8);
        } else {
            self.bytes.push(b'J'); // BININT
            self.bytes.extend_from_slice(&(v as i32).to_le_bytes());
        }
    }
    fn int_tuple(&mut self, v: &[usize]) {
        match v.len() {
            0 => self.bytes.push(b')'),
            1 => {
                self.small_int(v[0]);
                self.bytes.push(0x85); // TUPLE1
            }
            _ => {
                self.bytes.push(b'(');
                for &x in v {
                    self.small_int(x);
                }
                self.bytes.push(b't');
            }
        }
        self.memoize();
    }
}

/// Write `tensors` (key → shape, f32 values) as `torch.save(OrderedDict)` would.
fn write_pth(path: &Path, tensors: &[(String, Vec<usize>, Vec<f32>)]) {
    let mut p = PickleOut::default();
    p.bytes.extend_from_slice(&[0x80, 2]);
    p.global("collections", "OrderedDict");
    p.bytes.push(b')');
    p.bytes.push(b'R');
    p.memoize();
    p.bytes.push(b'(');
    for (i, (key, shape, _)) in tensors.iter().enumerate() {
        p.short_str(key);
        p.global("torch._utils", "_rebuild_tensor_v2");
        p.bytes.push(b'(');
        p.bytes.push(b'(');
        p.short_str("storage");
        p.global("torch", "FloatStorage");
        p.short_str(&i.to_string());
        p.short_str("cpu");
        p.small_int(shape.iter().product());
        p.bytes.push(b't');
        p.memoize();
        p.bytes.push(b'Q');
        p.small_int(0);
        p.int_tuple(shape);
        let mut strides = vec![1; shape.len()];
        for d in (0..shape.len().saturating_sub(1)).rev() {
            strides[d] = strides[d + 1] * shape[d + 1];
        }
        p.int_tuple(&strides);
        p.bytes.push(0x89);
        p.global("collections", "OrderedDict");
        p.bytes.push(b')');
        p.bytes.push(b'R');
        p.memoize();
        p.bytes.push(b't');
        p.memoize();
        p.bytes.push(b'R');
        p.memoize();
    }
    p.bytes.push(b'u');
    p.bytes.push(b'.');

    let file = std::fs::File::create(path).unwrap();
    let mut zip = zip::ZipWriter::new(file);
    let opts =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let root = "latest_net_G";
    zip.start_file(format!("{root}/data.pkl"), opts).unwrap();
    zip.write_all(&p.bytes).unwrap();
    zip.start_file(format!("{root}/byteorder"), opts).unwrap();
    zip.write_all(b"little").unwrap();
    for (i, (_, _, values)) in tensors.iter().enumerate() {
        zip.start_file(format!("{root}/data/{i}"), opts).unwrap();
        for v in values {
            zip.write_all(&v.to_le_bytes()).unwrap();
        }
    }
    zip.start_file(format!("{root}/version"), opts).unwrap();
    zip.write_all(b"3\n").unwrap();
    zip.finish().unwrap();
}

/// junyanz's key for one of our module paths (unet_256, batch norm): the nested
/// `UnetSkipConnectionBlock`s, each an `nn.Sequential` called `model`.
fn junyanz_key(ours: &str) -> String {
    let parts: Vec<&str> = ours.split('.').collect();
    let (kind, index, layer, var) = (
        parts[0],
        parts[1].parse::<usize>().unwrap(),
        parts[2],
        parts[3],
    );
    let level = if kind == "down" { index } else { 7 - index };
    let mut key = String::from("model.model.");
    for l in 1..=level {
        key.push_str(if l == 1 { "1.model." } else { "3.model." });
    }
    let slot = match (kind, layer, level) {
        ("down", "conv", 0) => 0,
        ("up", "conv", 0) => 3,
        ("down", "conv", _) => 1,
        ("down", "norm", _) => 2,
        ("up", "conv", 7) => 3,
        ("up", "norm", 7) => 4,
        ("up", "conv", _) => 5,
        ("up", "norm", _) => 6,
        other => panic!("no junyanz slot for {other:?}"),
    };
    let var = match var {
        "gamma" => "weight",
        "beta" => "bias",
        v => v,
    };
    format!("{key}{slot}.{var}")
}

/// Our generator as a junyanz state dict. PyTorch pix2pix feeds a decoder `cat([skip, x])`
/// where pix2paint feeds `cat([x, skip])`: the input-channel halves of those kernels swap.
fn as_junyanz(g: &Generator) -> Vec<(String, Vec<usize>, Vec<f32>)> {
    let mut out = Vec::new();
    for (path, (shape, mut values)) in tensors_of(g) {
        if path.starts_with("up.") && !path.starts_with("up.0.") && path.ends_with("conv.weight") {
            let half = values.len() / 2;
            let (a, b) = values.split_at_mut(half);
            a.swap_with_slice(b);
        }
        out.push((junyanz_key(&path), shape, values));
    }
    out
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
    assert!(err.contains("export it as safetensors"), "{err}");
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

// ---------------------------------------------------------------------------------------
// A .pict writer, following affinelayer/pix2pix-tensorflow's export-checkpoint.py: the
// generator's variables in sorted name order, a JSON index, a μ-law codebook and one byte per
// weight.

/// TensorFlow names and layouts for our TF-style generator; `old` uses the first
/// pix2pix-tensorflow's names (conv/filter, batchnorm/scale, no biases).
fn as_tensorflow(g: &Generator, old: bool) -> Vec<(String, Vec<usize>, Vec<f32>)> {
    let mut out = Vec::new();
    for (path, (shape, values)) in tensors_of(g) {
        let parts: Vec<&str> = path.split('.').collect();
        let (kind, index, layer, var) = (
            parts[0],
            parts[1].parse::<usize>().unwrap(),
            parts[2],
            parts[3],
        );
        let block = if kind == "down" {
            format!("encoder_{}", index + 1)
        } else {
            format!("decoder_{}", 8 - index)
        };
        let (scope, name) = match (kind, layer, var, old) {
            (_, "norm", "running_mean" | "running_var", _) => continue,
            (_, "conv", "bias", true) => continue,
            ("down", "conv", "weight", false) => ("conv2d", "kernel"),
            ("up", "conv", "weight", false) => ("conv2d_transpose", "kernel"),
            ("down", "conv", "weight", true) => ("conv", "filter"),
            ("up", "conv", "weight", true) => ("deconv", "filter"),
            ("down", "conv", "bias", false) => ("conv2d", "bias"),
            ("up", "conv", "bias", false) => ("conv2d_transpose", "bias"),
            (_, "norm", "gamma", false) => ("batch_normalization", "gamma"),
            (_, "norm", "beta", false) => ("batch_normalization", "beta"),
            (_, "norm", "gamma", true) => ("batchnorm", "scale"),
            (_, "norm", "beta", true) => ("batchnorm", "offset"),
            other => panic!("unexpected {other:?}"),
        };
        let (shape, values) = if layer == "conv" && var == "weight" {
            // Ours [a, b, kh, kw] (conv: out, in; transposed: in, out) → TF [kh, kw, b, a].
            let [a, b, kh, kw] = [shape[0], shape[1], shape[2], shape[3]];
            let mut t = vec![0.0; values.len()];
            for i in 0..a {
                for j in 0..b {
                    for y in 0..kh {
                        for x in 0..kw {
                            t[((y * kw + x) * b + j) * a + i] =
                                values[((i * b + j) * kh + y) * kw + x];
                        }
                    }
                }
            }
            (vec![kh, kw, b, a], t)
        } else {
            (shape, values)
        };
        out.push((format!("generator/{block}/{scope}/{name}"), shape, values));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn write_pict(path: &Path, vars: &[(String, Vec<usize>, Vec<f32>)]) {
    let index: Vec<serde_json::Value> = vars
        .iter()
        .map(|(n, s, _)| serde_json::json!({ "name": n, "shape": s }))
        .collect();
    let index = serde_json::to_vec(&index).unwrap();
    // μ-law codebook over [-max, max] (μ = 255), the demo exporter's quantiser.
    let max = vars
        .iter()
        .flat_map(|v| v.2.iter())
        .fold(0f32, |m, v| m.max(v.abs()));
    let mu = 255f32;
    let codebook: Vec<f32> = (0..256)
        .map(|i| {
            let y = i as f32 / 127.5 - 1.0;
            y.signum() * ((1.0 + mu).powf(y.abs()) - 1.0) / mu * max
        })
        .collect();
    let quantised: Vec<u8> = vars
        .iter()
        .flat_map(|v| v.2.iter())
        .map(|&w| {
            (0..256)
                .min_by(|&a, &b| (codebook[a] - w).abs().total_cmp(&(codebook[b] - w).abs()))
                .unwrap() as u8
        })
        .collect();
    let mut out = Vec::new();
    for block in [
        index,
        codebook.iter().flat_map(|v| v.to_le_bytes()).collect(),
        quantised,
    ] {
        out.extend_from_slice(&(block.len() as u32).to_be_bytes());
        out.extend_from_slice(&block);
    }
    std::fs::write(path, out).unwrap();
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
