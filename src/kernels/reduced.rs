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

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::{Device, Distribution};

    fn close(a: Tensor<4>, b: Tensor<4>) -> f32 {
        let scale = b.clone().abs().max().into_scalar::<f32>().max(1e-6);
        (a - b).abs().max().into_scalar::<f32>() / scale
    }

    /// Odd sizes, a bias, both kinds: near the fp32 layer (quantisation only), and exactly it
    /// with a weight of the other kind or with tensors tracked for gradients.
    #[test]
    fn quantised_layers_are_near_fp32_and_step_aside_under_autodiff() {
        if !available() {
            return;
        }
        let d = Device::flex();
        let (x, w, wt, b) = crate::model::seeded::seeded(&d, 21, || {
            let r = |s: [usize; 4]| Tensor::<4>::random(s, Distribution::Normal(0.0, 1.0), &d);
            let b = Tensor::<1>::random([7], Distribution::Normal(0.0, 1.0), &d);
            (r([1, 5, 9, 11]), r([7, 5, 4, 4]), r([5, 7, 4, 4]), b)
        });
        let conv = ConvOptions::new([2, 2], [1, 1], [1, 1], 1);
        let q = QuantizedWeight::conv(&w).expect("an f32 CPU weight");
        let exact = super::super::conv2d(x.clone(), w.clone(), Some(b.clone()), conv.clone());
        let fast = conv2d_quantized(x.clone(), &q, w.clone(), Some(b.clone()), conv.clone());
        assert_eq!(fast.dims(), exact.dims());
        assert!(close(fast, exact) < 0.02);

        let transposed = ConvTransposeOptions::new([2, 2], [1, 1], [0, 0], [1, 1], 1);
        let qt = QuantizedWeight::conv_transpose(&wt).expect("an f32 CPU weight");
        let exact = super::super::conv_transpose2d(
            x.clone(),
            wt.clone(),
            Some(b.clone()),
            transposed.clone(),
        );
        let fast = conv_transpose2d_quantized(
            x.clone(),
            &qt,
            wt.clone(),
            Some(b.clone()),
            transposed.clone(),
        );
        assert_eq!(fast.dims(), exact.dims());
        assert!(close(fast, exact) < 0.02);
        // A weight of the wrong kind is not used either.
        let mixed = conv2d_quantized(x.clone(), &qt, w.clone(), None, conv.clone());
        let exact = super::super::conv2d(x.clone(), w.clone(), None, conv.clone());
        assert_eq!(close(mixed, exact), 0.0);

        let ad = d.clone().autodiff();
        // Tracked for a gradient (training): the fp32 layer, whose backward pass exists.
        let tracked = |t: Tensor<4>| Tensor::<4>::from_inner(t).to_device(&ad).require_grad();
        let (xa, wa) = (tracked(x), tracked(w));
        let tracked = conv2d_quantized(xa.clone(), &q, wa.clone(), None, conv.clone());
        let exact = super::super::conv2d(xa, wa, None, conv);
        assert_eq!(close(tracked.inner(), exact.inner()), 0.0);
    }
}
