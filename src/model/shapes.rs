//! The convolutions a network is made of, at a given input size: one list that the FLOP counts
//! and the per-layer benchmark (`pix2paint bench --layers`) both read, so the layer schedule is
//! written once, beside the `init` that builds it.

/// One 4×4 convolution (padding 1) of a network at a given input size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConvShape {
    /// Where it sits, e.g. `G enc 3` or `D out`.
    pub name: String,
    /// A transposed (upsampling) convolution.
    pub transposed: bool,
    /// Input channels.
    pub cin: usize,
    /// Output channels.
    pub cout: usize,
    /// Input height and width.
    pub input: [usize; 2],
    /// Stride (2 halves or doubles the side; 1 shrinks it by one).
    pub stride: usize,
}

impl ConvShape {
    /// Output height and width.
    pub fn output(&self) -> [usize; 2] {
        self.input.map(|s| {
            if self.transposed {
                (s - 1) * self.stride + 4 - 2
            } else {
                (s + 2 - 4) / self.stride + 1
            }
        })
    }

    /// The kernel's weights (`C_in · C_out · 16`; biases and norms add under 1 %).
    pub fn weights(&self) -> u64 {
        16 * self.cin as u64 * self.cout as u64
    }

    /// Floating-point operations of one forward pass (multiply-add = 2): every output pixel
    /// of a convolution, every input pixel of a transposed one, meets a 4×4×C_in kernel.
    pub fn flops(&self) -> u64 {
        let [h, w] = if self.transposed {
            self.input
        } else {
            self.output()
        };
        2 * (h * w * self.cin * self.cout * 16) as u64
    }
}
