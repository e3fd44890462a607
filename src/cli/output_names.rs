//! The file names a folder command (`colorize`, `prepare`) gives its outputs, chosen so that
//! none replaces another, on any disk.

use std::path::PathBuf;

/// The PNG each input of a folder command becomes: `NAME.png`, `NAME.EXT.png` where two inputs
/// share a name (`cat.jpg`, `cat.png`), and `-2`, `-3`… where names still differ only in case
/// (`Cat.png`, `cat.png`), so no output replaces another on a disk that ignores case (a USB
/// stick, macOS, Windows).
pub fn output_names(inputs: &[PathBuf]) -> Vec<String> {
    let lower =
        |s: Option<&std::ffi::OsStr>| s.unwrap_or_default().to_string_lossy().to_lowercase();
    let mut taken = std::collections::HashSet::new();
    inputs
        .iter()
        .map(|p| {
            let shared = inputs.iter().any(|q| {
                lower(q.file_stem()) == lower(p.file_stem())
                    && lower(q.extension()) != lower(p.extension())
            });
            let base = if shared {
                p.file_name().unwrap_or_default().to_string_lossy()
            } else {
                p.file_stem().unwrap_or_default().to_string_lossy()
            };
            let mut name = format!("{base}.png");
            let mut n = 1;
            while !taken.insert(name.to_lowercase()) {
                n += 1;
                name = format!("{base}-{n}.png");
            }
            name
        })
        .collect()
}
