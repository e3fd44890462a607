//! Parameters and their gradients on the autodiff device: what a step needs of them besides the
//! optimizer (shared by the GAN and the segmenter).

use burn::module::Module;
use burn::optim::GradientsParams;
use burn::tensor::Tensor;

/// Make every parameter of a loaded module a fresh leaf of the autodiff graph that requires
/// gradients. Parameters written by the weights loader on an autodiff device are otherwise
/// not leaves, and the second backward pass of a step would find their tape consumed.
pub(crate) fn trainable<M: Module>(module: M) -> M {
    struct Leaves;
    impl burn::module::ModuleMapper for Leaves {
        fn map_float<const D: usize>(
            &mut self,
            param: burn::module::Param<Tensor<D>>,
        ) -> burn::module::Param<Tensor<D>> {
            param.map(|t| t.detach().autodiff().require_grad())
        }
    }
    module.map(&mut Leaves)
}

/// Work around a layout bug of burn 0.22's wgpu backend: the weight gradient of a convolution
/// with a single output channel (the PatchGAN's last layer) comes back with strides that the
/// optimizer's element-wise kernels misread, so all but a few of its weights got wrong updates
/// (caught by `tests/wgpu.rs`, which compares a training step on wgpu with the CPU). Gradients
/// of parameters with a size-1 dimension are small; they are rebuilt in a plain layout here.
pub(crate) fn settle_gradients<M: Module>(grads: &mut GradientsParams, module: &M) {
    struct Settle<'a>(&'a mut GradientsParams);
    impl burn::module::ModuleVisitor for Settle<'_> {
        fn visit_float<const D: usize>(&mut self, param: &burn::module::Param<Tensor<D>>) {
            let shape = param.shape();
            if D < 2 || !shape.iter().any(|&d| d == 1) {
                return;
            }
            if let Some(g) = self.0.remove::<D>(param.id) {
                let device = g.device();
                let plain = Tensor::<D>::from_data(g.into_data(), &device);
                self.0.register::<D>(param.id, plain);
            }
        }
    }
    module.visit(&mut Settle(grads));
}
