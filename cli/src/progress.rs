//! Progress of long commands, shown on a terminal only.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};

/// A counter of processed entries, drawn on stderr when it is a terminal and hidden
/// otherwise, so that scripts and logs get only the command's own output.
pub struct Progress(ProgressBar);

impl Progress {
    /// A spinner that counts entries, labelled `what`.
    pub fn new(what: &'static str) -> Self {
        if !std::io::stderr().is_terminal() {
            return Self(ProgressBar::hidden());
        }
        let bar = ProgressBar::new_spinner().with_message(what);
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg}: {human_pos} entries ({per_sec})")
                .expect("the template is valid"),
        );
        bar.enable_steady_tick(std::time::Duration::from_millis(200));
        Self(bar)
    }

    /// Counts one more entry.
    pub fn inc(&self) {
        self.0.inc(1);
    }

    /// Removes the spinner.
    pub fn finish(&self) {
        self.0.finish_and_clear();
    }
}
