//! Reading and making Burn flex tensors of f32.

use burn::backend::flex::FlexTensor;
use burn::tensor::TensorData;

/// `t` itself when its elements are in order, else a compact copy.
pub fn contiguous(t: &FlexTensor) -> FlexTensor {
    if t.as_slice::<f32>().is_some() {
        t.clone()
    } else {
        t.to_contiguous()
    }
}

/// The f32 elements of a tensor made by [`contiguous`].
pub fn values(t: &FlexTensor) -> &[f32] {
    t.as_slice::<f32>()
        .expect("routing admits only f32 tensors and `contiguous` compacts them")
}

/// A flex tensor of `shape` holding `values`.
pub fn tensor(values: Vec<f32>, shape: &[usize]) -> FlexTensor {
    FlexTensor::from_data(TensorData::new(values, shape.to_vec()))
}
