//! The layers (convolutions and batch normalisation) as nodes of Burn's autodiff graph on flex, with their handwritten backward
//! passes (Burn's extension path: an op on `Autodiff<Flex>` registers a `Backward` whose pass
//! calls our kernels instead of Burn's generic convolution gradients).
//!
//! The inputs a backward pass needs are kept in the node's state as flex tensors (a reference
//! count each, no copy); pix2paint trains without gradient checkpointing, so nothing is
//! recomputed.

use super::activation;
use super::batch_norm::Dims;
use super::flex::{contiguous, tensor, values};
use super::norm;
use super::plan::Plan;
use super::tanh as tanh_kernel;
use burn::backend::autodiff::NodeId;
use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::NoCheckpointing;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::flex::FlexTensor;
use burn::backend::{Autodiff, Flex};

/// The autodiff tensor of flex that Burn's `Autodiff<Flex>` device holds.
pub type Tracked = <Autodiff<Flex> as burn::backend::BackendTypes>::FloatTensorPrimitive;

/// What the backward pass keeps: the layer's input and weight, and its plan.
#[derive(Debug, Clone)]
pub struct Saved {
    plan: Plan,
    x: FlexTensor,
    w: FlexTensor,
    w_shape: [usize; 4],
}

#[derive(Debug)]
struct Layer;

#[derive(Debug)]
struct LayerWithBias;

impl Saved {
    /// Compute and register the gradients the graph asks for: the input's and the weight's,
    /// for the nodes given.
    fn register(
        self,
        dy: &FlexTensor,
        x: Option<NodeId>,
        w: Option<NodeId>,
        grads: &mut Gradients,
    ) {
        if let Some(id) = x {
            grads.register::<Flex>(id, self.plan.backward_x(dy, &self.w));
        }
        if let Some(id) = w {
            grads.register::<Flex>(id, self.plan.backward_w(&self.x, dy, self.w_shape));
        }
    }
}

impl Backward<Flex, 2> for Layer {
    type State = Saved;

    fn backward(self, ops: Ops<Saved, 2>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [node_x, node_w] = ops.parents;
        let dy = grads.consume::<Flex>(&ops.node);
        ops.state
            .register(&dy, node_x.map(|n| n.id), node_w.map(|n| n.id), grads);
    }
}

impl Backward<Flex, 3> for LayerWithBias {
    type State = Saved;

    fn backward(self, ops: Ops<Saved, 3>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [node_x, node_w, node_b] = ops.parents;
        let dy = grads.consume::<Flex>(&ops.node);
        if let Some(node) = node_b {
            grads.register::<Flex>(node.id, ops.state.plan.backward_bias(&dy));
        }
        ops.state
            .register(&dy, node_x.map(|n| n.id), node_w.map(|n| n.id), grads);
    }
}

/// Run the layer on autodiff tensors, recording it for the backward pass.
pub fn forward(
    plan: Plan,
    x: Tracked,
    w: Tracked,
    bias: Option<Tracked>,
    w_shape: [usize; 4],
) -> Tracked {
    let saved = |x: &Tracked, w: &Tracked| Saved {
        plan,
        x: x.primitive().clone(),
        w: w.primitive().clone(),
        w_shape,
    };
    let run = |x: &Tracked, w: &Tracked, b: Option<&Tracked>| {
        plan.forward(x.primitive(), w.primitive(), b.map(|b| b.primitive()))
    };
    match bias {
        None => match Layer
            .prepare::<NoCheckpointing>([x.node(), w.node()])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => prep.finish(saved(&x, &w), run(&x, &w, None)),
            OpsKind::UnTracked(prep) => prep.finish(run(&x, &w, None)),
        },
        Some(b) => match LayerWithBias
            .prepare::<NoCheckpointing>([x.node(), w.node(), b.node()])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => prep.finish(saved(&x, &w), run(&x, &w, Some(&b))),
            OpsKind::UnTracked(prep) => prep.finish(run(&x, &w, Some(&b))),
        },
    }
}

/// What batch normalisation's backward pass keeps.
#[derive(Debug, Clone)]
pub struct NormSaved {
    x: FlexTensor,
    gamma: FlexTensor,
    mean: FlexTensor,
    var: FlexTensor,
    shape: Vec<usize>,
    dims: Dims,
    eps: f64,
}

#[derive(Debug)]
struct Norm;

impl Backward<Flex, 3> for Norm {
    type State = NormSaved;

    fn backward(self, ops: Ops<NormSaved, 3>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [node_x, node_gamma, node_beta] = ops.parents;
        let dy = grads.consume::<Flex>(&ops.node);
        let s = ops.state;
        let [dx, dgamma, dbeta] = norm::backward(
            &s.x,
            &dy,
            &s.shape,
            s.dims,
            [&s.gamma, &s.mean, &s.var],
            s.eps,
        );
        for (node, g) in [(node_x, dx), (node_gamma, dgamma), (node_beta, dbeta)] {
            if let Some(node) = node {
                grads.register::<Flex>(node.id, g);
            }
        }
    }
}

/// Batch normalisation with batch statistics on autodiff tensors, recorded for the backward
/// pass; the statistics come back as untracked tensors (they feed running averages only).
pub fn batch_norm(
    x: Tracked,
    gamma: Tracked,
    beta: Tracked,
    shape: Vec<usize>,
    dims: Dims,
    eps: f64,
) -> (Tracked, Tracked, Tracked) {
    let r = norm::forward(
        x.primitive(),
        &shape,
        dims,
        gamma.primitive(),
        beta.primitive(),
        eps,
    );
    let stats = (Tracked::new(r.mean.clone()), Tracked::new(r.var.clone()));
    let out = match Norm
        .prepare::<NoCheckpointing>([x.node(), gamma.node(), beta.node()])
        .compute_bound()
        .stateful()
    {
        OpsKind::Tracked(prep) => prep.finish(
            NormSaved {
                x: x.primitive().clone(),
                gamma: gamma.primitive().clone(),
                mean: r.mean,
                var: r.var,
                shape,
                dims,
                eps,
            },
            r.output,
        ),
        OpsKind::UnTracked(prep) => prep.finish(r.output),
    };
    (out, stats.0, stats.1)
}

/// What LeakyReLU's backward pass keeps: its input.
#[derive(Debug, Clone)]
pub struct ActSaved {
    x: FlexTensor,
    shape: Vec<usize>,
    slope: f32,
}

#[derive(Debug)]
struct Act;

impl Backward<Flex, 1> for Act {
    type State = ActSaved;

    fn backward(self, ops: Ops<ActSaved, 1>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [node_x] = ops.parents;
        let dy = grads.consume::<Flex>(&ops.node);
        if let Some(node) = node_x {
            let s = ops.state;
            let (x, dy) = (contiguous(&s.x), contiguous(&dy));
            let dx = activation::backward(values(&x), values(&dy), s.slope);
            grads.register::<Flex>(node.id, tensor(dx, &s.shape));
        }
    }
}

/// LeakyReLU on an autodiff tensor, recorded for the backward pass.
pub fn leaky_relu(x: Tracked, shape: Vec<usize>, slope: f32) -> Tracked {
    let input = contiguous(x.primitive());
    let y = tensor(activation::forward(values(&input), slope), &shape);
    match Act
        .prepare::<NoCheckpointing>([x.node()])
        .compute_bound()
        .stateful()
    {
        OpsKind::Tracked(prep) => prep.finish(
            ActSaved {
                x: input,
                shape,
                slope,
            },
            y,
        ),
        OpsKind::UnTracked(prep) => prep.finish(y),
    }
}

/// What tanh's backward pass keeps: its output.
#[derive(Debug, Clone)]
pub struct TanhSaved {
    y: FlexTensor,
    shape: Vec<usize>,
}

#[derive(Debug)]
struct Tanh;

impl Backward<Flex, 1> for Tanh {
    type State = TanhSaved;

    fn backward(self, ops: Ops<TanhSaved, 1>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [node_x] = ops.parents;
        let dy = grads.consume::<Flex>(&ops.node);
        if let Some(node) = node_x {
            let s = ops.state;
            let dy = contiguous(&dy);
            let dx = tanh_kernel::backward(values(&s.y), values(&dy));
            grads.register::<Flex>(node.id, tensor(dx, &s.shape));
        }
    }
}

/// tanh on an autodiff tensor, recorded for the backward pass.
pub fn tanh(x: Tracked, shape: Vec<usize>) -> Tracked {
    let input = contiguous(x.primitive());
    let y = tensor(tanh_kernel::forward(values(&input)), &shape);
    match Tanh
        .prepare::<NoCheckpointing>([x.node()])
        .compute_bound()
        .stateful()
    {
        OpsKind::Tracked(prep) => prep.finish(
            TanhSaved {
                y: y.clone(),
                shape,
            },
            y,
        ),
        OpsKind::UnTracked(prep) => prep.finish(y),
    }
}
