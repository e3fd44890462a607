//! The accounting of a command over a folder of files (`colorize`, `prepare`): an input that
//! cannot be used is skipped with a line saying why; an output that cannot be written (a full
//! disk, a vanished folder) is a failure, counted apart, and fails the command. Every output
//! is written whole or not at all, so the command can be given again.

use anyhow::{Result, bail};
use indicatif::ProgressBar;
use std::path::Path;

/// What became of each file of a folder command.
pub struct Tally<'a> {
    bar: &'a ProgressBar,
    written: usize,
    skipped: usize,
    unwritten: usize,
}

impl<'a> Tally<'a> {
    /// Report above `bar`.
    pub fn new(bar: &'a ProgressBar) -> Self {
        Self {
            bar,
            written: 0,
            skipped: 0,
            unwritten: 0,
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
    /// inputs were skipped).
    pub fn finish(self, what: &str, into: &Path, skips_fail: bool) -> Result<()> {
        self.bar.finish_and_clear();
        eprintln!(
            "wrote {} {what} to {} ({} inputs skipped{})",
            self.written,
            into.display(),
            self.skipped,
            if self.unwritten > 0 {
                format!(", {} outputs could not be written", self.unwritten)
            } else {
                String::new()
            }
        );
        if self.unwritten > 0 {
            bail!(
                "{} of the {what} could not be written to {} (see above); the ones written are \
                 whole: give the command again once the problem is solved",
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
