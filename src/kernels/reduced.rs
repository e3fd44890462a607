//! The live canvas's reduced-precision layers: a convolution's weight quantised once
//! ([`QuantizedWeight`], 8-bit values per row, see [`super::quant`]) and the layer run with it
//! ([`conv2d_quantized`], [`conv_transpose2d_quantized`]). They take and return Burn tensors
//! like [`super::conv2d`]; where the quantised path does not apply (another device, autodiff,
//! a CPU without AVX2, kernels turned off, a value that is not finite) they run the fp32 layer
//! with the weight given, so a caller never has to check.

use super::plan::{Kind, Plan, quantize};
use super::quant;
use super::{Prim, Prims, enabled};
use burn::backend::Flex;
use burn::tensor::Tensor;
use burn::tensor::ops::{ConvOptions, ConvTransposeOptions};

/// Whether this CPU runs the reduced-precision layers.
pub fn available() -> bool {
    quant::available()
}

/// Whether the reduced-precision layers are worth using here: they run, and their inner
/// loop does at least 1.3× the fp32 loop's multiply-adds per second ([`speedup`]).
pub fn faster_here() -> bool {
    available() && speedup() >= 1.3
}

/// The reduced-precision inner loop's multiply-adds per second over the fp32 loop's, measured
/// once on this CPU (0 where the path does not run).
pub fn speedup() -> f64 {
    quant::speedup()
}

/// The instructions the reduced-precision layers run on this CPU, for `bench` to print.
pub fn instruction_set() -> &'static str {
    quant::instruction_set()
}

/// A layer's weight quantised for the reduced-precision path.
#[derive(Debug, Clone)]
pub struct QuantizedWeight {
    kind: Kind,
    dims: [usize; 4],
    weights: quant::Weights,
}

impl QuantizedWeight {
    /// A convolution's weight (`[out, in, kh, kw]`), or `None` where the path does not apply
    /// (not an f32 CPU tensor, no AVX2, a value that is not finite).
    pub fn conv(weight: &Tensor<4>) -> Option<Self> {
        Self::new(Kind::Conv, weight)
    }

    /// A transposed convolution's weight (`[in, out, kh, kw]`); see [`Self::conv`].
    pub fn conv_transpose(weight: &Tensor<4>) -> Option<Self> {
        Self::new(Kind::Transposed, weight)
    }

    fn new(kind: Kind, weight: &Tensor<4>) -> Option<Self> {
        if !available() {
            return None;
        }
        let Some(Prim::Plain(w)) = Prim::of(weight) else {
            return None;
        };
        let dims = weight.dims();
        Some(Self {
            kind,
            dims,
            weights: quantize(kind, &w, dims)?,
        })
    }

    /// Bytes held.
    pub fn bytes(&self) -> usize {
        self.weights.bytes()
    }
}

/// [`super::conv2d`] with `q` (quantised from `weight`) where the path applies.
pub fn conv2d_quantized(
    x: Tensor<4>,
    q: &QuantizedWeight,
    weight: Tensor<4>,
    bias: Option<Tensor<1>>,
    options: ConvOptions<2>,
) -> Tensor<4> {
    let plan = Plan::conv(x.dims(), q.dims, &options).filter(|_| q.kind == Kind::Conv);
    match plan.and_then(|plan| run(plan, &x, q, bias.as_ref())) {
        Some(y) => y,
        None => super::conv2d(x, weight, bias, options),
    }
}

/// [`super::conv_transpose2d`] with `q` (quantised from `weight`) where the path applies.
pub fn conv_transpose2d_quantized(
    x: Tensor<4>,
    q: &QuantizedWeight,
    weight: Tensor<4>,
    bias: Option<Tensor<1>>,
    options: ConvTransposeOptions<2>,
) -> Tensor<4> {
    let plan = Plan::transposed(x.dims(), q.dims, &options).filter(|_| q.kind == Kind::Transposed);
    match plan.and_then(|plan| run(plan, &x, q, bias.as_ref())) {
        Some(y) => y,
        None => super::conv_transpose2d(x, weight, bias, options),
    }
}

/// The quantised forward on plain flex tensors, else `None`.
fn run(
    plan: Plan,
    x: &Tensor<4>,
    q: &QuantizedWeight,
    bias: Option<&Tensor<1>>,
) -> Option<Tensor<4>> {
    if !enabled() {
        return None;
    }
    let y = match bias {
        None => match Prim::of(x)? {
            Prim::Plain(x) => plan.forward_quantized(&x, &q.weights, None)?,
            Prim::Tracked(_) => return None,
        },
        Some(b) => match Prim::all([Prim::of(x), Prim::of(b)])? {
            Prims::Plain([x, b]) => plan.forward_quantized(&x, &q.weights, Some(&b))?,
            Prims::Tracked(_) => return None,
        },
    };
    Some(Tensor::from_primitive::<Flex>(y))
}
