//! Models from other pix2pix implementations: PyTorch pix2pix (`.pth` state dicts of a
//! `unet_256` generator) and the 2017 web demo's quantised `.pict` files, plus export to
//! PyTorch.
//!
//! An importer maps the file's tensors onto pix2paint's module paths and layouts, chooses the
//! [`GeneratorConfig`] that reproduces the original network, and hands the result to the
//! ordinary loader ([`super::load`]), so shapes and counts are checked in one place.

pub mod pict;
pub mod pth;
mod torch_save;

use crate::model::GeneratorConfig;
use crate::weights::ModelInfo;

/// Generator tensors in pix2paint's names and layouts, with the architecture they fill.
#[derive(Debug, Clone)]
pub struct Imported {
    /// `(module path, shape, values)`, e.g. `("down.0.conv.weight", [64, 3, 4, 4], …)`.
    pub tensors: Vec<(String, Vec<usize>, Vec<f32>)>,
    /// The architecture that reproduces the original network.
    pub config: GeneratorConfig,
    /// What the model says about itself.
    pub info: ModelInfo,
}

/// The kinds of model file pix2paint reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// pix2paint's own safetensors file.
    Pix2paint,
    /// A PyTorch checkpoint (ZIP container or the legacy pickle stream).
    Pytorch,
    /// The 2017 pix2pix web demo's quantised export.
    Pict,
}

/// Tell the kind of a model file from its first bytes (extensions are unreliable).
pub fn sniff(head: &[u8]) -> FileKind {
    // safetensors: a little-endian u64 header length (small: its high bytes are zero), then
    // the JSON header. Checked first: the length's low byte can be anything, 0x80 included.
    if head.len() > 8 && head[8] == b'{' && head[4..8] == [0, 0, 0, 0] {
        return FileKind::Pix2paint;
    }
    // ZIP local header (torch.save since PyTorch 1.6), or a pickle PROTO opcode with a
    // protocol number (the legacy stream, which starts with its magic number pickled).
    if head.starts_with(b"PK\x03\x04") || (head.len() > 2 && head[0] == 0x80 && head[1] <= 5) {
        return FileKind::Pytorch;
    }
    // A .pict starts with a big-endian block length, then the JSON list of variables.
    if head.len() > 5 && head[4] == b'[' {
        return FileKind::Pict;
    }
    FileKind::Pix2paint
}

/// Transpose a TensorFlow kernel `[kh, kw, a, b]` into `[b, a, kh, kw]`: conv2d kernels
/// `[kh, kw, in, out]` become Burn's `[out, in, kh, kw]`, conv2d_transpose kernels
/// `[kh, kw, out, in]` become Burn's `[in, out, kh, kw]`.
pub(crate) fn tf_kernel_to_burn(shape: &[usize], values: &[f32]) -> (Vec<usize>, Vec<f32>) {
    let [kh, kw, a, b] = [shape[0], shape[1], shape[2], shape[3]];
    let mut out = vec![0.0; values.len()];
    for y in 0..kh {
        for x in 0..kw {
            for i in 0..a {
                for o in 0..b {
                    out[((o * a + i) * kh + y) * kw + x] = values[((y * kw + x) * a + i) * b + o];
                }
            }
        }
    }
    (vec![b, a, kh, kw], out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffing() {
        assert_eq!(sniff(b"PK\x03\x04rest"), FileKind::Pytorch);
        assert_eq!(sniff(&[0x80, 0x02, 0x8a]), FileKind::Pytorch);
        assert_eq!(sniff(&[0, 0, 0, 40, b'[', b'{']), FileKind::Pict);
        assert_eq!(sniff(&[40, 0, 0, 0, 0, 0, 0, 0, b'{']), FileKind::Pix2paint);
        // A safetensors header length whose low byte looks like a pickle opcode.
        assert_eq!(
            sniff(&[0x80, 2, 0, 0, 0, 0, 0, 0, b'{']),
            FileKind::Pix2paint
        );
    }

    #[test]
    fn tf_kernels_transpose() {
        // [kh 1, kw 2, a 2, b 3]: value = 100 y + 10 x ... encoded as index.
        let shape = [1, 2, 2, 3];
        let values: Vec<f32> = (0..12).map(|v| v as f32).collect();
        let (s, v) = tf_kernel_to_burn(&shape, &values);
        assert_eq!(s, vec![3, 2, 1, 2]);
        // out[o, i, y, x] = in[y, x, i, o]
        for o in 0..3 {
            for i in 0..2 {
                for x in 0..2 {
                    let want = values[(x * 2 + i) * 3 + o];
                    assert_eq!(v[(o * 2 + i) * 2 + x], want);
                }
            }
        }
    }
}
