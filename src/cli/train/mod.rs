//! `pix2paint train DATA --out MODEL`: the same training loop as the app's panel, with a
//! progress bar and periodic loss lines.

mod args;

pub use args::TrainArgs;

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use pix2paint::dataset::Dataset;
use pix2paint::train::{self, Control, Job, Start, TrainEvent};
use pix2paint::weights::Direction;
use std::path::Path;

/// Run the training job in this thread.
pub fn run(args: TrainArgs) -> Result<()> {
    let layout = args.layout();
    let direction = Direction::from_btoa(args.btoa);
    let data = Dataset::open(&args.data, layout, direction, args.masks.clone())?;
    eprintln!(
        "pix2paint: {} examples ({:?} layout) in {}",
        data.len(),
        data.layout,
        data.root.display()
    );
    if !data.skipped.is_empty() {
        eprintln!("pix2paint: skipped {} files:", data.skipped.len());
        for (p, why) in data.skipped.iter().take(20) {
            eprintln!("  {}: {why}", p.display());
        }
        if data.skipped.len() > 20 {
            eprintln!("  … and {} more", data.skipped.len() - 20);
        }
    }
    if args.batch_size == 0 {
        bail!("--batch-size must be at least 1");
    }

    let steps = match (args.steps, args.epochs) {
        (Some(s), _) => s,
        (None, Some(e)) => pix2paint::train::steps_for_epochs(e, data.len(), args.batch_size)
            .with_context(|| {
                format!(
                    "--epochs {e} over {} examples is more than a billion steps; give fewer",
                    data.len()
                )
            })?,
        (None, None) => bail!("say how long to train: --steps N or --epochs N"),
    };
    if let Some(from) = args.decay_from.filter(|&from| from >= steps) {
        bail!(
            "--decay-from {from} is not before the run's last step ({steps}); give a smaller step"
        );
    }
    let config = args.config(steps);
    let checkpoint = args
        .checkpoint
        .clone()
        .unwrap_or_else(|| args.out.with_extension("ckpt.safetensors"));
    // Every folder the run writes into, tried now rather than when its first file is due.
    let model_dir = args.out.parent().unwrap_or(Path::new(""));
    let checkpoint_dir = checkpoint.parent().unwrap_or(Path::new(""));
    let folders = [Some(model_dir), Some(checkpoint_dir)]
        .into_iter()
        .chain([args.samples.as_deref(), args.snapshots.as_deref()]);
    for dir in folders.flatten() {
        pix2paint::files::check_writable(dir).with_context(|| {
            format!(
                "the run could not write into {}: give a folder it can write to",
                dir.display()
            )
        })?;
    }
    let start = if checkpoint.is_file() && !args.fresh {
        eprintln!("pix2paint: resuming {}", checkpoint.display());
        Start::Resume(checkpoint.clone())
    } else if let Some(from) = &args.from {
        Start::FineTune(from.clone())
    } else {
        Start::Fresh {
            name: args
                .out
                .file_stem()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned(),
        }
    };
    let compute = super::select_device(args.cpu);
    let job = Job {
        data,
        config,
        start,
        output: args.out.clone(),
        checkpoint,
    };
    let bar = ProgressBar::new(steps);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} steps {msg} ETA {eta}")
            .expect("valid template"),
    );
    let (control_tx, control) = std::sync::mpsc::channel::<Control>();
    // Ctrl+C or SIGTERM: finish the step, write the checkpoint and the model, and say how to go
    // on; a second signal ends at once (the last checkpoint stays whole).
    let stop_bar = bar.clone();
    pix2paint::signals::on_stop(move |sig| {
        stop_bar.suspend(|| {
            eprintln!(
                "pix2paint: {} received: stopping after this step and writing the checkpoint \
                 (send it again to quit at once)",
                pix2paint::signals::name(sig)
            )
        });
        let _ = control_tx.send(Control::Stop);
    });
    let log_every = args.log_every.max(1);
    let samples_dir = args.samples.clone();
    // Batch-1 losses jump from step to step; the log shows their mean since the last line.
    let mut since_log = (0u64, [0f64; 4]);
    let result = train::run(
        &job,
        &compute.device.clone().autodiff(),
        |event| match event {
            TrainEvent::Started {
                step,
                total,
                examples,
                masked,
            } => {
                bar.set_length(total);
                bar.set_position(step);
                bar.reset_eta();
                say(&bar, train::describe_split(examples.0, examples.1));
                if let Some((photos, share)) = masked {
                    say(
                        &bar,
                        format!(
                            "{photos} of them {} a mask; {:.0} % of the examples come from them",
                            if photos == 1 { "has" } else { "have" },
                            share * 100.0
                        ),
                    );
                }
            }
            TrainEvent::Progress {
                step,
                losses,
                steps_per_sec,
                data_share,
                ..
            } => {
                bar.set_position(step);
                bar.set_message(format!("{steps_per_sec:.2} steps/s"));
                let (n, sums) = &mut since_log;
                *n += 1;
                let values = [losses.d, losses.g_gan, losses.g_l1].map(f64::from);
                for (sum, v) in sums.iter_mut().zip(values.into_iter().chain([data_share])) {
                    *sum += v;
                }
                if step % log_every == 0 {
                    let [d, g_gan, g_l1, data] = sums.map(|sum| sum / *n as f64);
                    say(
                        &bar,
                        format!(
                            "step {step}: D {d:.3}  G_GAN {g_gan:.3}  G_L1 {g_l1:.4}  (mean of {n} steps; {steps_per_sec:.2} steps/s, {:.0} % in data{})",
                            100.0 * data,
                            pix2paint::memory::resident_bytes()
                                .map(|b| format!(", {} MB resident", b >> 20))
                                .unwrap_or_default()
                        ),
                    );
                    since_log = (0, [0.0; 4]);
                }
            }
            TrainEvent::Checkpoint { step, path, .. } => {
                say(&bar, format!("step {step}: checkpoint {}", path.display()));
                if let Some(dir) = &args.snapshots
                    && let Err(e) = super::run_files::snapshot(&path, dir, step)
                {
                    say(
                        &bar,
                        format!(
                            "step {step}: the snapshot could not be kept ({e:#}); training goes on"
                        ),
                    );
                }
            }
            TrainEvent::Samples { step, images } => {
                if let Some(dir) = &samples_dir
                    && let Err(e) = super::run_files::save_samples(dir, step, &images)
                {
                    say(
                        &bar,
                        format!(
                            "step {step}: the samples could not be written ({e:#}); training goes on"
                        ),
                    );
                }
            }
            TrainEvent::Skipped { name, error, left } => say(
                &bar,
                format!("skipped {name}: {error}; training goes on with {left} examples"),
            ),
            TrainEvent::CheckpointFailed {
                step,
                last_good,
                error,
            } => say(
                &bar,
                format!(
                    "step {step}: the checkpoint could not be written ({error}); training goes on, \
                     the last checkpoint is still step {last_good}'s"
                ),
            ),
            TrainEvent::Diverged { step, restored } => say(
                &bar,
                format!(
                    "step {step}: a loss became NaN/infinite; restored the checkpoint of step {restored}"
                ),
            ),
            TrainEvent::Paused(_) => {}
            TrainEvent::Finished { step, path, .. } => {
                bar.finish_and_clear();
                eprintln!("pix2paint: wrote {} after {step} steps", path.display());
            }
        },
        &control,
    );
    result.context("training stopped")?;
    if let Some(sig) = pix2paint::signals::received() {
        eprintln!(
            "pix2paint: stopped by {}; the checkpoint {} continues the run: give the same \
             command again",
            pix2paint::signals::name(sig),
            job.checkpoint.display()
        );
        // The shell's convention for a command ended by a signal.
        std::process::exit(128 + sig);
    }
    Ok(())
}

/// Print a line above the progress bar, or plainly when stderr is not a terminal (a log file
/// then still gets every line).
fn say(bar: &ProgressBar, line: String) {
    bar.suspend(|| eprintln!("{line}"));
}
