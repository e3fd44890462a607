//! pix2paint's own CPU kernels for the layers its networks are made of, plugged into Burn so
//! that every caller (app, trainer, eval, bench, tests) keeps one model code path.
//!
//! [`conv2d`], [`conv_transpose2d`], [`batch_norm_train`], [`leaky_relu`] and [`tanh`] take and
//! return Burn tensors like `burn::tensor::module::{conv2d, conv_transpose2d, batch_norm_train}`,
//! `burn::tensor::activation::leaky_relu` and `Tensor::tanh`; [`adam_update`] is Adam's step for
//! one parameter. On a flex device (with
//! or without autodiff) they run the im2col + GEMM kernels of [`conv`] and the two-pass
//! batch-norm kernels of [`batch_norm`], with handwritten backward passes ([`autodiff`]); on
//! every other device (wgpu) and for what they do not cover (groups, dilation, non-f32) they
//! call Burn's op. Burn's flex convolution converts NCHW↔NHWC around
//! every call and differentiates through its generic defaults (the weight gradient as a
//! convolution over batch↔channel-swapped tensors); these do each pass as one GEMM over the
//! batch on NCHW, weight gradients split along the pixels between threads.
//!
//! [`set_enabled`]`(false)` sends everything to Burn's ops, for `--burn-kernels` and the
//! exactness tests.

mod activation;
mod adam;
mod autodiff;
mod batch_norm;
mod conv;
mod dot;
mod flex;
mod im2col;
mod matmul;
mod norm;
mod panels;
mod plan;
mod quant;
mod reduced;
mod scratch;
mod tanh;

pub use adam::AdamStep;
use burn::backend::flex::FlexTensor;
use burn::backend::{Autodiff, Flex};
use burn::tensor::ops::{ConvOptions, ConvTransposeOptions};
use burn::tensor::{DType, Tensor};
use plan::Plan;
pub use reduced::{
    QuantizedWeight, available as reduced_precision_available, conv_transpose2d_quantized,
    conv2d_quantized, faster_here as reduced_precision_faster_here,
    instruction_set as reduced_precision_instructions, speedup as reduced_precision_speedup,
};
use std::sync::atomic::{AtomicBool, Ordering};

static ENABLED: AtomicBool = AtomicBool::new(true);

/// Use pix2paint's kernels on flex (`true`, the default) or Burn's ops everywhere.
pub fn set_enabled(on: bool) {
    ENABLED.store(on, Ordering::Relaxed);
}

/// Whether pix2paint's kernels are in use on flex.
pub fn enabled() -> bool {
    ENABLED.load(Ordering::Relaxed)
}

/// Which vector instructions the kernels run on this CPU: the dot-product and panel kernels'
/// (thin layers) and the `gemm` crate's (the rest; it picks its own at run time), e.g.
/// "dot products AVX2 + FMA, transposed panels AVX2 + FMA, GEMM AVX2 + FMA".
pub fn instruction_sets() -> String {
    #[cfg(target_arch = "x86_64")]
    let gemm = if std::arch::is_x86_feature_detected!("avx512f") {
        "AVX-512F"
    } else if std::arch::is_x86_feature_detected!("avx2")
        && std::arch::is_x86_feature_detected!("fma")
    {
        "AVX2 + FMA"
    } else {
        "SSE"
    };
    #[cfg(not(target_arch = "x86_64"))]
    let gemm = "its portable code";
    format!(
        "dot products {}, transposed panels {}, GEMM {gemm}",
        dot::instruction_set(),
        panels::instruction_set()
    )
}

/// A 2-D convolution; see the module docs for where it runs.
///
/// # Shapes
/// `x`: [B, C, H, W], `weight`: [O, C, kh, kw], `bias`: [O] → [B, O, H', W']
pub fn conv2d(
    x: Tensor<4>,
    weight: Tensor<4>,
    bias: Option<Tensor<1>>,
    options: ConvOptions<2>,
) -> Tensor<4> {
    match Plan::conv(x.dims(), weight.dims(), &options) {
        Some(plan) if enabled() => ours(plan, &x, &weight, bias.as_ref())
            .unwrap_or_else(|| burn::tensor::module::conv2d(x, weight, bias, options)),
        _ => burn::tensor::module::conv2d(x, weight, bias, options),
    }
}

/// A 2-D transposed convolution; see the module docs for where it runs.
///
/// # Shapes
/// `x`: [B, C, H, W], `weight`: [C, O, kh, kw], `bias`: [O] → [B, O, H', W']
pub fn conv_transpose2d(
    x: Tensor<4>,
    weight: Tensor<4>,
    bias: Option<Tensor<1>>,
    options: ConvTransposeOptions<2>,
) -> Tensor<4> {
    match Plan::transposed(x.dims(), weight.dims(), &options) {
        Some(plan) if enabled() => ours(plan, &x, &weight, bias.as_ref())
            .unwrap_or_else(|| burn::tensor::module::conv_transpose2d(x, weight, bias, options)),
        _ => burn::tensor::module::conv_transpose2d(x, weight, bias, options),
    }
}

/// A tensor's primitive on the CPU backend, when it is an f32 flex tensor: plain (painting) or
/// under autodiff (training). Every kernel below dispatches on it; anything else goes to Burn.
enum Prim {
    Plain(FlexTensor),
    Tracked(autodiff::Tracked),
}

impl Prim {
    fn of<const D: usize>(t: &Tensor<D>) -> Option<Self> {
        if t.dtype() != DType::F32 {
            return None;
        }
        if let Ok(p) = t.clone().try_into_primitive::<Flex>() {
            return Some(Self::Plain(p));
        }
        t.clone()
            .try_into_primitive::<Autodiff<Flex>>()
            .ok()
            .map(Self::Tracked)
    }

    /// The primitives `ps`, all plain or all tracked; `None` when they differ or one is not
    /// an f32 flex tensor.
    fn all<const N: usize>(ps: [Option<Self>; N]) -> Option<Prims<N>> {
        let ps: [Self; N] = ps
            .into_iter()
            .collect::<Option<Vec<_>>>()?
            .try_into()
            .ok()?;
        if ps.iter().all(|p| matches!(p, Self::Plain(_))) {
            Some(Prims::Plain(ps.map(|p| match p {
                Self::Plain(p) => p,
                Self::Tracked(_) => unreachable!("all plain"),
            })))
        } else if ps.iter().all(|p| matches!(p, Self::Tracked(_))) {
            Some(Prims::Tracked(ps.map(|p| match p {
                Self::Tracked(p) => p,
                Self::Plain(_) => unreachable!("all tracked"),
            })))
        } else {
            None
        }
    }
}

/// Several tensors' primitives of one kind ([`Prim::all`]).
enum Prims<const N: usize> {
    Plain([FlexTensor; N]),
    Tracked([autodiff::Tracked; N]),
}

/// The layer through our kernels when every tensor is an f32 flex tensor (plain or
/// autodiff), else `None` for Burn's op.
fn ours(plan: Plan, x: &Tensor<4>, w: &Tensor<4>, bias: Option<&Tensor<1>>) -> Option<Tensor<4>> {
    let w_dims = w.dims();
    match bias {
        None => match Prim::all([Prim::of(x), Prim::of(w)])? {
            Prims::Plain([x, w]) => {
                Some(Tensor::from_primitive::<Flex>(plan.forward(&x, &w, None)))
            }
            Prims::Tracked([x, w]) => Some(Tensor::from_primitive::<Autodiff<Flex>>(
                autodiff::forward(plan, x, w, None, w_dims),
            )),
        },
        Some(b) => match Prim::all([Prim::of(x), Prim::of(w), Prim::of(b)])? {
            Prims::Plain([x, w, b]) => Some(Tensor::from_primitive::<Flex>(plan.forward(
                &x,
                &w,
                Some(&b),
            ))),
            Prims::Tracked([x, w, b]) => Some(Tensor::from_primitive::<Autodiff<Flex>>(
                autodiff::forward(plan, x, w, Some(b), w_dims),
            )),
        },
    }
}

/// Batch normalisation's output with the batch statistics it used.
pub struct BatchNormTrain<const D: usize> {
    /// The normalised tensor.
    pub output: Tensor<D>,
    /// Per-channel mean (not tracked by autodiff).
    pub mean: Tensor<1>,
    /// Per-channel biased variance (not tracked by autodiff).
    pub variance: Tensor<1>,
}

/// Batch normalisation with the batch's own statistics; see the module docs for where it runs.
///
/// # Shapes
/// `x`: [B, C, ...], `gamma`, `beta`: [C] → output like `x`, statistics [C]
pub fn batch_norm_train<const D: usize>(
    x: Tensor<D>,
    gamma: Tensor<1>,
    beta: Tensor<1>,
    epsilon: f64,
) -> BatchNormTrain<D> {
    if enabled()
        && let Some(r) = norm_ours(&x, &gamma, &beta, epsilon)
    {
        return r;
    }
    let r = burn::tensor::module::batch_norm_train(x, gamma, beta, epsilon);
    BatchNormTrain {
        output: r.output,
        mean: r.mean,
        variance: r.variance,
    }
}

fn norm_ours<const D: usize>(
    x: &Tensor<D>,
    gamma: &Tensor<1>,
    beta: &Tensor<1>,
    eps: f64,
) -> Option<BatchNormTrain<D>> {
    let shape = x.dims().to_vec();
    let dims = norm::dims(&shape)?;
    if gamma.dims() != [dims.channels] || beta.dims() != [dims.channels] {
        return None;
    }
    Some(
        match Prim::all([Prim::of(x), Prim::of(gamma), Prim::of(beta)])? {
            Prims::Plain([xp, gp, bp]) => {
                let r = norm::forward(&xp, &shape, dims, &gp, &bp, eps);
                BatchNormTrain {
                    output: Tensor::from_primitive::<Flex>(r.output),
                    mean: Tensor::from_primitive::<Flex>(r.mean),
                    variance: Tensor::from_primitive::<Flex>(r.var),
                }
            }
            Prims::Tracked([xp, gp, bp]) => {
                let (output, mean, var) = autodiff::batch_norm(xp, gp, bp, shape, dims, eps);
                BatchNormTrain {
                    output: Tensor::from_primitive::<Autodiff<Flex>>(output),
                    mean: Tensor::from_primitive::<Autodiff<Flex>>(mean),
                    variance: Tensor::from_primitive::<Autodiff<Flex>>(var),
                }
            }
        },
    )
}

/// LeakyReLU with negative `slope` (ReLU at 0); see the module docs for where it runs.
pub fn leaky_relu<const D: usize>(x: Tensor<D>, slope: f64) -> Tensor<D> {
    if enabled()
        && let Some(y) = activation_ours(&x, slope as f32)
    {
        return y;
    }
    burn::tensor::activation::leaky_relu(x, slope)
}

/// `relu(cat([a, b], 1))`, the input of every decoder but the innermost: on plain flex (the
/// painting path) one threaded pass that writes the concatenation already rectified (Burn's
/// `cat` copies on one thread, then ReLU passes over the copy); under autodiff and elsewhere
/// Burn's `cat` and [`leaky_relu`].
///
/// # Shapes
/// `a`: [B, C₁, H, W], `b`: [B, C₂, H, W] → [B, C₁ + C₂, H, W]
pub fn cat_relu(a: Tensor<4>, b: Tensor<4>) -> Tensor<4> {
    let ([n, c1, h, w], [n2, c2, h2, w2]) = (a.dims(), b.dims());
    let same = n == n2 && (h, w) == (h2, w2);
    if enabled()
        && same
        && a.dtype() == DType::F32
        && b.dtype() == DType::F32
        && let (Ok(ap), Ok(bp)) = (
            a.clone().try_into_primitive::<Flex>(),
            b.clone().try_into_primitive::<Flex>(),
        )
    {
        let (ap, bp) = (flex::contiguous(&ap), flex::contiguous(&bp));
        let out = activation::cat_relu(flex::values(&ap), flex::values(&bp), n);
        return Tensor::from_primitive::<Flex>(flex::tensor(out, &[n, c1 + c2, h, w]));
    }
    leaky_relu(Tensor::cat(vec![a, b], 1), 0.0)
}

/// Only under autodiff: without it Burn's flex op works in place on a tensor nothing else
/// holds, which a new output cannot beat (measured 5 % slower inference).
fn activation_ours<const D: usize>(x: &Tensor<D>, slope: f32) -> Option<Tensor<D>> {
    match Prim::of(x)? {
        Prim::Tracked(xp) => Some(Tensor::from_primitive::<Autodiff<Flex>>(
            autodiff::leaky_relu(xp, x.dims().to_vec(), slope),
        )),
        Prim::Plain(_) => None,
    }
}

/// tanh; see the module docs for where it runs (ours on flex, with or without autodiff: Burn's
/// calls the C library's scalar `tanhf` per element).
pub fn tanh<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    let shape = x.dims().to_vec();
    match enabled().then(|| Prim::of(&x)).flatten() {
        Some(Prim::Plain(xp)) => {
            let input = flex::contiguous(&xp);
            Tensor::from_primitive::<Flex>(flex::tensor(
                tanh::forward(flex::values(&input)),
                &shape,
            ))
        }
        Some(Prim::Tracked(xp)) => {
            Tensor::from_primitive::<Autodiff<Flex>>(autodiff::tanh(xp, shape))
        }
        None => x.tanh(),
    }
}

/// `f` applied in place to the f32 values of `t` (with the values of `other`, same shape, when
/// given), threads over chunks of `chunk` elements (a multiple of whatever `f` works on), for
/// flex tensors with or without autodiff (the result is then untracked: for weights between
/// steps). Anything else is handed back (`Err`) for Burn's ops.
// The tensor handed back is moved once per call; boxing it would only add an allocation.
#[allow(clippy::result_large_err)]
pub fn update_values<const D: usize>(
    t: Tensor<D>,
    other: Option<&Tensor<D>>,
    chunk: usize,
    f: impl Fn(&mut [f32], &[f32]) + Sync,
) -> Result<Tensor<D>, Tensor<D>> {
    use rayon::prelude::*;
    let fits = |x: &Tensor<D>| x.dtype() == DType::F32 && x.dims() == t.dims();
    if !enabled() || !fits(&t) || other.is_some_and(|o| !fits(o)) {
        return Err(t);
    }
    // The plain flex tensor under `x` (its inner one under autodiff), or `x` back.
    let plain = |x: Tensor<D>| -> Result<(Tensor<D>, bool), Tensor<D>> {
        if x.clone().try_into_primitive::<Flex>().is_ok() {
            Ok((x, false))
        } else if x.clone().try_into_primitive::<Autodiff<Flex>>().is_ok() {
            Ok((x.inner(), true))
        } else {
            Err(x)
        }
    };
    let other = match other.map(|o| plain(o.clone())) {
        Some(Err(_)) => return Err(t),
        Some(Ok((o, _))) => Some(flex::contiguous(
            &o.try_into_primitive::<Flex>().expect("probed above"),
        )),
        None => None,
    };
    let (t, tracked) = plain(t)?;
    let mut values = t.try_into_primitive::<Flex>().expect("probed above");
    let chunk = chunk.max(1);
    let data = flex::values_mut(&mut values);
    match &other {
        Some(o) => data
            .par_chunks_mut(chunk)
            .zip(flex::values(o).par_chunks(chunk))
            .for_each(|(x, y)| f(x, y)),
        None => data.par_chunks_mut(chunk).for_each(|x| f(x, &[])),
    }
    let updated = Tensor::from_primitive::<Flex>(values);
    Ok(if tracked {
        Tensor::from_inner(updated)
    } else {
        updated
    })
}

/// Adam's update of one parameter in one pass ([`adam`]), in place where nothing else holds
/// the tensors: `(param, m, v)` → their updated values. Only for f32 flex tensors of one
/// shape; anything else is handed back untouched (`Err`) for Burn's optimizer.
#[allow(clippy::type_complexity, clippy::result_large_err)]
pub fn adam_update<const D: usize>(
    param: Tensor<D>,
    grad: Tensor<D>,
    m: Tensor<D>,
    v: Tensor<D>,
    step: AdamStep,
) -> Result<(Tensor<D>, Tensor<D>, Tensor<D>), [Tensor<D>; 4]> {
    let all = [param, grad, m, v];
    let dims = all[0].dims();
    // Probe on clones (dropped at once, so a tensor held only here stays unshared).
    let fits = enabled()
        && all.iter().all(|t| {
            t.dtype() == DType::F32
                && t.dims() == dims
                && t.clone().try_into_primitive::<Flex>().is_ok()
        });
    if !fits {
        return Err(all);
    }
    let [mut p, g, mut m, mut v] =
        all.map(|t| t.try_into_primitive::<Flex>().expect("probed above"));
    let g = flex::contiguous(&g);
    adam::update(
        flex::values_mut(&mut p),
        flex::values(&g),
        flex::values_mut(&mut m),
        flex::values_mut(&mut v),
        step,
    );
    Ok((
        Tensor::from_primitive::<Flex>(p),
        Tensor::from_primitive::<Flex>(m),
        Tensor::from_primitive::<Flex>(v),
    ))
}
