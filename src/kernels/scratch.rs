//! Per-thread scratch buffers: the kernels' working space (column matrices, transposed
//! operands, column-major products), kept between calls so steady-state calls do not allocate.

/// Run `f` with the thread-local buffer `key`, grown to `len` (contents unspecified).
pub(super) fn with_buffer<R>(
    key: &'static std::thread::LocalKey<std::cell::RefCell<Vec<f32>>>,
    len: usize,
    f: impl FnOnce(&mut [f32]) -> R,
) -> R {
    key.with(|cell| match cell.try_borrow_mut() {
        Ok(mut buf) => {
            if buf.len() < len {
                buf.resize(len, 0.0);
            }
            f(&mut buf[..len])
        }
        // Already lent out on this thread (it can steal another rayon task while a kernel
        // holds the buffer): a fresh one.
        Err(_) => f(&mut vec![0.0; len]),
    })
}
