//! The accounting of a command over a folder of files (`colorize`, `prepare`): an input that
//! cannot be used is skipped with a line saying why; an output that cannot be written (a full
//! disk, a vanished folder) is a failure, counted apart, and fails the command. Every output
//! is written whole or not at all, so the command can be given again. Ctrl+C or SIGTERM stops
//! it between two files; `--skip-existing` then finishes the rest without redoing the done.

use anyhow::{Result, bail};
use indicatif::ProgressBar;
use std::path::Path;

/// What became of each file of a folder command.
pub struct Tally<'a> {
    bar: &'a ProgressBar,
    /// How many files the command was given.
    total: usize,
    /// Outputs already there are kept (`--skip-existing`).
    skip_existing: bool,
    written: usize,
    kept: usize,
    skipped: usize,
    unwritten: usize,
}

/// Whether a folder command goes on to its next file.
pub enum Next {
    /// Make this output.
    Make,
    /// It is already there and is kept.
    Kept,
    /// A stop signal came: leave the loop.
    Stop,
}

impl<'a> Tally<'a> {
    /// Report above `bar` on `total` files; with `skip_existing`, outputs already there are
    /// kept. Catches Ctrl+C and SIGTERM (once per process), which then end the loop between
    /// two files.
    pub fn new(bar: &'a ProgressBar, total: usize, skip_existing: bool) -> Self {
        pix2paint::signals::on_stop(|_| {});
        Self {
            bar,
            total,
            skip_existing,
            written: 0,
            kept: 0,
            skipped: 0,
            unwritten: 0,
        }
    }

    /// What to do about `output`, the next file's.
    pub fn next(&mut self, output: &Path) -> Next {
        if pix2paint::signals::received().is_some() {
            Next::Stop
        } else if self.skip_existing && output.is_file() {
            self.kept += 1;
            self.bar.inc(1);
            Next::Kept
        } else {
            Next::Make
        }
    }

    /// An output was written.
    pub fn written(&mut self) {
        self.written += 1;
    }

    /// `input` cannot be used.
    pub fn skipped(&mut self, input: &Path, why: &anyhow::Error) {
        let line = format!("skipped {}: {}", input.display(), super::explain(why));
        self.bar.suspend(|| eprintln!("{line}"));
        self.skipped += 1;
    }

    /// `output` could not be written.
    pub fn unwritten(&mut self, output: &Path, why: &dyn std::fmt::Display) {
        let line = format!("could not write {}: {why}", output.display());
        self.bar.suspend(|| eprintln!("{line}"));
        self.unwritten += 1;
    }

    /// Say what was done; an error when outputs are missing (and, with `skips_fail`, when
    /// inputs were skipped). A command stopped by a signal ends here with the shell's code
    /// for it (128 + the signal), after saying how to finish.
    pub fn finish(self, what: &str, into: &Path, skips_fail: bool) -> Result<()> {
        self.bar.finish_and_clear();
        let mut also = String::new();
        if self.kept > 0 {
            also.push_str(&format!(", {} already there kept", self.kept));
        }
        if self.unwritten > 0 {
            also.push_str(&format!(
                ", {} outputs could not be written",
                self.unwritten
            ));
        }
        eprintln!(
            "wrote {} {what} to {} ({} inputs skipped{also})",
            self.written,
            into.display(),
            self.skipped,
        );
        if let Some(sig) = pix2paint::signals::received() {
            let done = self.written + self.kept + self.skipped + self.unwritten;
            let left = self.total.saturating_sub(done);
            eprintln!(
                "pix2paint: stopped by {} with {left} files to go; the {what} written are \
                 whole: give the same command with --skip-existing to finish the rest",
                pix2paint::signals::name(sig)
            );
            std::process::exit(128 + sig);
        }
        if self.unwritten > 0 {
            bail!(
                "{} of the {what} could not be written to {} (see above); the ones written are \
                 whole: give the command again once the problem is solved (with \
                 --skip-existing to keep them)",
                self.unwritten,
                into.display()
            );
        }
        if skips_fail && self.skipped > 0 {
            bail!("{} inputs could not be used (listed above)", self.skipped);
        }
        Ok(())
    }
}
