//! Elsewhere than x86-64 the quantised product does not run ([`super::available`] is false);
//! these stand in for the AVX2 loops so the module builds.

/// Never called: [`super::available`] is false here.
pub fn measured_speedup() -> f64 {
    0.0
}

/// Never called: [`super::available`] is false here.
pub fn interleave(_: &mut [i16], _: &[f32], _: Option<&[f32]>, _: f32) {
    unreachable!("the quantised product needs AVX2")
}

/// Never called: [`super::available`] is false here.
pub unsafe fn tile(_: &[i16], _: &[i16], _: usize, _: (*mut f32, usize), _: &[f32], _: [usize; 2]) {
    unreachable!("the quantised product needs AVX2")
}
