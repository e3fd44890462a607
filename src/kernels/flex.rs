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

/// The f32 elements of `t` to write in place: its own storage when nothing else holds it,
/// else (copy on write) a private copy. `t` must be an f32 tensor.
pub fn values_mut(t: &mut FlexTensor) -> &mut [f32] {
    if !t.is_contiguous() {
        *t = t.to_contiguous();
    }
    let (start, end) = t
        .layout()
        .contiguous_offsets()
        .expect("a contiguous tensor has contiguous offsets");
    &mut t.storage_mut::<f32>()[start..end]
}
