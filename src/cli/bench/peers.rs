//! The peers run in the same bench: ONNX Runtime (inference) and PyTorch (training), through
//! the Python scripts in `benches/`.

use anyhow::{Context, Result, bail};
use std::path::Path;

use super::args::BenchArgs;

pub(super) fn write_f32(path: &Path, v: &[f32]) -> Result<()> {
    std::fs::write(path, bytemuck::cast_slice(v))
        .with_context(|| format!("writing {}", path.display()))
}

/// Where the peer scripts live: `$PIX2PAINT_BENCHES` when set (and only there), else the
/// `benches/` folder of the checkout the binary sits in (`target/release/pix2paint` → `../../`),
/// beside it, or the one it was built from.
pub(super) fn peer_script(name: &str) -> Result<std::path::PathBuf> {
    const VAR: &str = "PIX2PAINT_BENCHES";
    let candidates: Vec<std::path::PathBuf> = match std::env::var_os(VAR) {
        Some(dir) => vec![std::path::PathBuf::from(dir)],
        None => {
            let exe_dir = std::env::current_exe()
                .ok()
                .and_then(|e| e.parent().map(Path::to_path_buf));
            let mut dirs: Vec<_> = exe_dir
                .iter()
                .flat_map(|d| [d.join("../../benches"), d.join("benches")])
                .collect();
            dirs.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("benches"));
            dirs
        }
    };
    candidates
        .iter()
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
        .ok_or_else(|| {
            anyhow::anyhow!(
                "the peer script {name} is not in {}: set {VAR} to the benches/ folder of a \
                 pix2paint checkout, or pass --no-peer",
                candidates
                    .iter()
                    .map(|d| d.display().to_string())
                    .collect::<Vec<_>>()
                    .join(" or ")
            )
        })
}

/// Run a Python peer script from `benches/` with `args` (plus `--iters`, `--warmup` and the
/// thread count) and return the JSON object it prints last.
pub(super) fn run_python_peer(
    script: &str,
    args: &[String],
    bench: &BenchArgs,
) -> Result<serde_json::Value> {
    let script = peer_script(script)?;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let out = std::process::Command::new("python3")
        .arg(&script)
        .args(args)
        .args(["--iters", &bench.iters.to_string()])
        .args(["--warmup", &bench.warmup.to_string()])
        .args(["--threads", &threads.to_string()])
        .stderr(std::process::Stdio::inherit())
        .output()
        .with_context(|| format!("running {}", script.display()))?;
    if !out.status.success() {
        bail!("the peer {} failed ({})", script.display(), out.status);
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .rev()
        .find(|l| l.starts_with('{'))
        .context("peer printed no result")?;
    Ok(serde_json::from_str(line)?)
}

/// Run the ONNX Runtime peer on the same weights and input (`int8`: after ONNX Runtime's
/// dynamic quantisation); returns its median ms, its relative difference from our fp32
/// output and its PSNR against it in dB.
pub(super) fn run_peer(
    model: &Path,
    input: &Path,
    reference: &Path,
    int8: bool,
    args: &BenchArgs,
) -> Result<(f64, f64, f64)> {
    let path = |p: &Path| p.display().to_string();
    let mut flags = vec![
        "--model".into(),
        path(model),
        "--input".into(),
        path(input),
        "--reference".into(),
        path(reference),
    ];
    if int8 {
        flags.push("--int8".into());
    }
    let v = run_python_peer("peer_onnx.py", &flags, args)?;
    let number = |key: &str| {
        v[key]
            .as_f64()
            .with_context(|| format!("peer result lacks {key}"))
    };
    Ok((
        number("median_ms")?,
        number("rel_diff")?,
        number("psnr_db")?,
    ))
}

/// The PyTorch training peer's result: median ms per step and its parameter counts.
pub(super) struct TorchPeer {
    pub(super) median_ms: f64,
    pub(super) g_params: u64,
    pub(super) d_params: u64,
    pub(super) version: String,
}

pub(super) fn run_torch_peer(ngf: usize, args: &BenchArgs) -> Result<TorchPeer> {
    let v = run_python_peer(
        "peer_torch_train.py",
        &[
            "--ngf".into(),
            ngf.to_string(),
            "--ndf".into(),
            args.ndf.to_string(),
            "--batch".into(),
            args.batch.to_string(),
        ],
        args,
    )?;
    Ok(TorchPeer {
        median_ms: v["median_ms"]
            .as_f64()
            .context("peer result lacks median_ms")?,
        g_params: v["g_params"]
            .as_u64()
            .context("peer result lacks g_params")?,
        d_params: v["d_params"]
            .as_u64()
            .context("peer result lacks d_params")?,
        version: v["torch"].as_str().unwrap_or("?").to_string(),
    })
}
