//! Writers of other implementations' model files, from the formats' specifications, for the
//! import tests and the fuzz harness: PyTorch pix2pix state dicts (`torch.save`'s ZIP container)
//! and the 2017 web demo's `.pict`.

use burn::module::{Module, ModuleVisitor, Param};
use burn::tensor::Tensor;
use pix2paint::model::Generator;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

/// Module path → (shape, values).
pub fn tensors_of(g: &Generator) -> BTreeMap<String, (Vec<usize>, Vec<f32>)> {
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
pub fn write_pth(path: &Path, tensors: &[(String, Vec<usize>, Vec<f32>)]) {
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
pub fn junyanz_key(ours: &str) -> String {
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
pub fn as_junyanz(g: &Generator) -> Vec<(String, Vec<usize>, Vec<f32>)> {
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

// ---------------------------------------------------------------------------------------
// A .pict writer, following affinelayer/pix2pix-tensorflow's export-checkpoint.py: the
// generator's variables in sorted name order, a JSON index, a μ-law codebook and one byte per
// weight.

/// TensorFlow names and layouts for our TF-style generator; `old` uses the first
/// pix2pix-tensorflow's names (conv/filter, batchnorm/scale, no biases).
pub fn as_tensorflow(g: &Generator, old: bool) -> Vec<(String, Vec<usize>, Vec<f32>)> {
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

pub fn write_pict(path: &Path, vars: &[(String, Vec<usize>, Vec<f32>)]) {
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
