//! The AVX2 inner loops of the quantised product: the tile, its fp32 twin for
//! [`super::speedup`], and the activations' interleave.

use super::{TILE_COLS, TILE_ROWS};
use std::arch::x86_64::*;

/// `dst[2j] = even[j] · inverse`, `dst[2j + 1] = odd[j] · inverse` (0 without `odd`),
/// rounded, for 16 columns.
pub fn interleave(dst: &mut [i16], even: &[f32], odd: Option<&[f32]>, inverse: f32) {
    assert!(
        dst.len() == 2 * TILE_COLS && even.len() == TILE_COLS,
        "one strip row"
    );
    assert!(odd.is_none_or(|o| o.len() == TILE_COLS), "one strip row");
    assert!(super::available(), "AVX2");
    // SAFETY: AVX2 is present; every slice holds the lengths asserted.
    unsafe {
        interleave_avx2(
            dst.as_mut_ptr(),
            even.as_ptr(),
            odd.map(<[f32]>::as_ptr),
            inverse,
        )
    }
}

/// [`interleave`].
///
/// # Safety
/// AVX2; `dst` valid for 32 writes, `even` and `odd` for 16 reads.
#[target_feature(enable = "avx2")]
unsafe fn interleave_avx2(dst: *mut i16, even: *const f32, odd: Option<*const f32>, inverse: f32) {
    let scale = _mm256_set1_ps(inverse);
    let low = _mm256_set1_epi32(0xFFFF);
    for half in 0..2 {
        // SAFETY: 8 values at 8·half of 16 (the caller's contract).
        unsafe {
            let e = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(even.add(8 * half)), scale));
            let o = match odd {
                Some(o) => {
                    _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(o.add(8 * half)), scale))
                }
                None => _mm256_setzero_si256(),
            };
            let pairs = _mm256_or_si256(_mm256_and_si256(e, low), _mm256_slli_epi32(o, 16));
            _mm256_storeu_si256(dst.add(16 * half).cast(), pairs);
        }
    }
}

/// `dst[i·ld + j] += scale[i] · Σ_c A[i, c] · X[c, j]` for `i < rows`, `j < cols`: `a` a
/// panel's block of `depth` pairs, `b` a strip's.
///
/// # Safety
/// `dst` (the `(pointer, ld)`) must be valid for those elements and written by no other
/// thread meanwhile.
pub unsafe fn tile(
    a: &[i16],
    b: &[i16],
    depth: usize,
    (dst, ld): (*mut f32, usize),
    scale: &[f32],
    [rows, cols]: [usize; 2],
) {
    assert!(a.len() >= depth * TILE_ROWS * 2, "packed panel too short");
    assert!(b.len() >= depth * TILE_COLS * 2, "packed strip too short");
    assert!(
        rows <= TILE_ROWS && cols <= TILE_COLS && scale.len() >= TILE_ROWS,
        "tile shape"
    );
    assert!(super::available(), "AVX2 and FMA");
    // SAFETY: AVX2 and FMA are present; `a` and `b` hold `depth` packed pairs (asserted);
    // `dst` per the caller's contract.
    // Rows past `rows` multiply the panel's zero padding: computed, not stored.
    let sums = unsafe { tile_6x16(a.as_ptr(), b.as_ptr(), depth) };
    // SAFETY: the caller's contract; AVX2 and FMA are present.
    unsafe { add_scaled(&sums, (dst, ld), scale, [rows, cols]) }
}

/// The 6 × 16 tile of 32-bit sums over `depth` pairs, in registers.
///
/// # Safety
/// AVX2; `a` valid for depth·12 reads, `b` for depth·32.
#[target_feature(enable = "avx2")]
unsafe fn tile_6x16(a: *const i16, b: *const i16, depth: usize) -> [[__m256i; 2]; TILE_ROWS] {
    let mut acc = [[_mm256_setzero_si256(); 2]; TILE_ROWS];
    for c in 0..depth {
        // SAFETY: c < depth (the caller's contract).
        unsafe {
            let b0 = _mm256_loadu_si256(b.add(c * 32).cast());
            let b1 = _mm256_loadu_si256(b.add(c * 32 + 16).cast());
            let row = a.add(c * TILE_ROWS * 2);
            for (i, acc) in acc.iter_mut().enumerate() {
                let w = _mm256_set1_epi32(row.add(i * 2).cast::<i32>().read_unaligned());
                acc[0] = _mm256_add_epi32(acc[0], _mm256_madd_epi16(b0, w));
                acc[1] = _mm256_add_epi32(acc[1], _mm256_madd_epi16(b1, w));
            }
        }
    }
    acc
}

/// [`super::speedup`]: the 6 × 16 tile on a block in L1, against the same tile in fp32
/// FMAs (what the fp32 kernels' inner loops do), best of 3 runs each.
pub fn measured_speedup() -> f64 {
    use std::time::Instant;
    const DEPTH: usize = 128;
    const REPS: usize = 400;
    let (a, b) = (vec![1i16; DEPTH * 12], vec![1i16; DEPTH * 32]);
    let (af, bf) = (vec![1.0f32; DEPTH * 6], vec![1.0f32; DEPTH * 16]);
    let best = |f: &dyn Fn()| {
        (0..3)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed().as_secs_f64()
            })
            .fold(f64::MAX, f64::min)
    };
    // SAFETY (both closures): AVX2 and FMA are present (the caller checked `available`);
    // the blocks hold DEPTH pairs / values.
    let int = best(&|| {
        for _ in 0..REPS {
            std::hint::black_box(unsafe { tile_6x16(a.as_ptr(), b.as_ptr(), DEPTH) });
        }
    });
    let float = best(&|| {
        for _ in 0..REPS {
            std::hint::black_box(unsafe { fma_6x16(af.as_ptr(), bf.as_ptr(), DEPTH) });
        }
    });
    // Per pass: 2·DEPTH·96 multiply-adds in 16 bits, DEPTH·96 in fp32.
    2.0 * float / int.max(1e-9)
}

/// The fp32 twin of [`tile_6x16`] for [`measured_speedup`]: 6 broadcast weights × 16
/// values, 12 FMA accumulators.
///
/// # Safety
/// AVX2 and FMA; `a` valid for depth·6 reads, `b` for depth·16.
#[target_feature(enable = "avx2,fma")]
unsafe fn fma_6x16(a: *const f32, b: *const f32, depth: usize) -> [[__m256; 2]; TILE_ROWS] {
    let mut acc = [[_mm256_setzero_ps(); 2]; TILE_ROWS];
    for c in 0..depth {
        // SAFETY: c < depth (the caller's contract).
        unsafe {
            let b0 = _mm256_loadu_ps(b.add(c * 16));
            let b1 = _mm256_loadu_ps(b.add(c * 16 + 8));
            for (i, acc) in acc.iter_mut().enumerate() {
                let w = _mm256_broadcast_ss(&*a.add(c * TILE_ROWS + i));
                acc[0] = _mm256_fmadd_ps(b0, w, acc[0]);
                acc[1] = _mm256_fmadd_ps(b1, w, acc[1]);
            }
        }
    }
    acc
}

/// `dst[i·ld + j] += scale[i] · sums[i][j]` for `i < rows`, `j < cols`.
///
/// # Safety
/// AVX2 and FMA; `dst` valid for those elements.
#[target_feature(enable = "avx2,fma")]
unsafe fn add_scaled(
    sums: &[[__m256i; 2]; TILE_ROWS],
    (dst, ld): (*mut f32, usize),
    scale: &[f32],
    [rows, cols]: [usize; 2],
) {
    for (i, row) in sums.iter().enumerate().take(rows) {
        let s = _mm256_set1_ps(scale[i]);
        let v = [_mm256_cvtepi32_ps(row[0]), _mm256_cvtepi32_ps(row[1])];
        // SAFETY: row i < rows, columns < cols (the caller's contract).
        unsafe {
            let out = dst.add(i * ld);
            if cols == TILE_COLS {
                for (h, v) in v.iter().enumerate() {
                    let o = out.add(8 * h);
                    _mm256_storeu_ps(o, _mm256_fmadd_ps(*v, s, _mm256_loadu_ps(o)));
                }
            } else {
                let mut lanes = [0.0f32; TILE_COLS];
                _mm256_storeu_ps(lanes.as_mut_ptr(), v[0]);
                _mm256_storeu_ps(lanes.as_mut_ptr().add(8), v[1]);
                for (j, lane) in lanes.iter().enumerate().take(cols) {
                    *out.add(j) += lane * scale[i];
                }
            }
        }
    }
}
