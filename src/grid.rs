//! Flood fill on a `w`×`h` grid of pixels (row-major indices), 4-connected: the region-finding
//! step shared by the segmenter's refinement and the drawn evaluation's silhouettes.

/// Mark in `seen` every pixel reachable from `seeds` through pixels where `inside` holds
/// (seeds included when they are inside and not yet seen), and return them.
pub(crate) fn flood(
    w: usize,
    h: usize,
    seeds: impl IntoIterator<Item = usize>,
    seen: &mut [bool],
    inside: impl Fn(usize) -> bool,
) -> Vec<usize> {
    let mut stack: Vec<usize> = Vec::new();
    for i in seeds {
        if !seen[i] && inside(i) {
            seen[i] = true;
            stack.push(i);
        }
    }
    let mut region = Vec::new();
    while let Some(i) = stack.pop() {
        region.push(i);
        let (x, y) = (i % w, i / w);
        let next = [
            (x > 0).then(|| i - 1),
            (x + 1 < w).then(|| i + 1),
            (y > 0).then(|| i - w),
            (y + 1 < h).then(|| i + w),
        ];
        for j in next.into_iter().flatten() {
            if !seen[j] && inside(j) {
                seen[j] = true;
                stack.push(j);
            }
        }
    }
    region
}
