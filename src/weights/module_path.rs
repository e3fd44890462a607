//! Where a Burn module visitor or mapper is in the module tree: the one piece of bookkeeping
//! every walk over a network's tensors needs (saving, loading, averaging).

/// The path of module names a walk is at, pushed and popped as it enters and leaves modules.
#[derive(Debug, Default)]
pub(crate) struct ModulePath(Vec<String>);

impl ModulePath {
    /// Entering module `name` (from `enter_module`).
    pub(crate) fn enter(&mut self, name: &str) {
        self.0.push(name.to_owned());
    }

    /// Leaving the current module (from `exit_module`).
    pub(crate) fn exit(&mut self) {
        self.0.pop();
    }

    /// The tensor name here: `prefix.a.b.c`, or `a.b.c` with an empty prefix.
    pub(crate) fn name(&self, prefix: &str) -> String {
        let path = self.0.join(".");
        if prefix.is_empty() {
            path
        } else {
            format!("{prefix}.{path}")
        }
    }
}
