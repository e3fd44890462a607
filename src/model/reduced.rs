//! The generator's weights quantised for the live canvas: painting at reduced precision
//! (8-bit weights, 12-bit activations; see `crate::kernels::quant`), about twice the fp32
//! speed on an AVX2 CPU. Training, export and `--precise` stay fp32.

use super::Generator;
use crate::kernels::QuantizedWeight;

/// Every convolution of a [`Generator`] quantised, in its layers' order.
#[derive(Debug, Clone)]
pub struct Reduced {
    pub(super) down: Vec<QuantizedWeight>,
    pub(super) up: Vec<QuantizedWeight>,
}

impl Reduced {
    /// `g`'s layers quantised, or `None` where the reduced path does not apply (a GPU
    /// generator, a CPU without AVX2, a weight with a value that is not finite): then the
    /// generator paints at fp32.
    pub fn of(g: &Generator) -> Option<Self> {
        Some(Self {
            down: g
                .down
                .iter()
                .map(|b| QuantizedWeight::conv(&b.conv.weight.val()))
                .collect::<Option<_>>()?,
            up: g
                .up
                .iter()
                .map(|b| QuantizedWeight::conv_transpose(&b.conv.weight.val()))
                .collect::<Option<_>>()?,
        })
    }

    /// Bytes held by the quantised weights.
    pub fn bytes(&self) -> usize {
        self.down
            .iter()
            .chain(&self.up)
            .map(QuantizedWeight::bytes)
            .sum()
    }
}
