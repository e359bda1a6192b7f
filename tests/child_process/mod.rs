//! A child process that runs one ignored test of the current test binary, reports its
//! progress in lines on stdout, and may be killed at any moment.
//!
//! The crash tests re-execute their own binary: the child role is an `#[ignore]`d test that
//! does nothing unless its environment variables are set. The child prints one line per fact
//! the parent must know (a merge that returned, the start of a flush) and flushes it at once,
//! so the lines the parent reads after a `SIGKILL` are exactly what the child had done. Where
//! the parent must time a kill against a step shorter than its own reaction to a report, the
//! child waits for the parent's word on stdin before the step.

// Each test crate uses a different subset of these helpers.
#![allow(dead_code)]

use std::{
    env,
    ffi::OsStr,
    io::{self, BufRead, BufReader, Read, Write},
    process::{Child, ChildStdin, Command, ExitStatus, Stdio},
    sync::mpsc::{self, Receiver, RecvTimeoutError},
    thread::{self, JoinHandle},
    time::{Duration, Instant},
};

/// Prefix of the lines a child writes for its parent; the test harness writes other lines.
const REPORT_PREFIX: &str = "@report ";

/// Writes one report line for the parent and flushes it, so that it is in the pipe before
/// the child does anything else. Called in the child.
pub fn report(line: &str) {
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{REPORT_PREFIX}{line}")
        .and_then(|()| stdout.flush())
        .expect("write a report line to the parent");
}

/// Blocks until the parent sends `word` with [`ChildProcess::send`]. Called in the child.
pub fn wait_for_parent(word: &str) {
    let mut line = String::new();
    io::stdin()
        .lock()
        .read_line(&mut line)
        .expect("read a line from the parent");
    assert_eq!(line.trim_end(), word, "the parent's word");
}

/// The mean time a step of the children took (to open the database, say), as measured so
/// far. Tests draw random kill times relative to it, so that kills land before and after the
/// step's end in the same proportion on a fast machine and on a loaded one.
#[derive(Debug)]
pub struct MeanTime {
    total: Duration,
    count: u32,
}

impl MeanTime {
    /// Starts from a guess, which counts as one measurement.
    pub fn new(guess: Duration) -> Self {
        Self {
            total: guess,
            count: 1,
        }
    }

    pub fn record(&mut self, time: Duration) {
        self.total += time;
        self.count += 1;
    }

    pub fn mean(&self) -> Duration {
        self.total / self.count
    }
}

/// A running child, with the report lines read from it so far.
pub struct ChildProcess {
    child: Child,
    stdin: ChildStdin,
    spawned: Instant,
    lines: Receiver<String>,
    reader: Option<JoinHandle<()>>,
    stderr: Option<JoinHandle<String>>,
    received: Vec<String>,
}

/// A child that has ended: every report line it wrote, its exit status and its stderr.
#[derive(Debug)]
pub struct Finished {
    pub reports: Vec<String>,
    pub status: ExitStatus,
    pub stderr: String,
}

impl ChildProcess {
    /// Starts the ignored test `test_name` of the running test binary in a child process,
    /// with `vars` added to its environment.
    pub fn spawn(test_name: &str, vars: &[(&str, &OsStr)]) -> Self {
        let mut command = Command::new(env::current_exe().expect("the test binary has a path"));
        command
            .args([
                "--ignored",
                "--exact",
                test_name,
                "--nocapture",
                "--test-threads=1",
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (name, value) in vars {
            command.env(name, value);
        }
        let spawned = Instant::now();
        let mut child = command.spawn().expect("start the child process");

        let stdin = child.stdin.take().expect("stdin is piped");
        let stdout = child.stdout.take().expect("stdout is piped");
        let (sender, lines) = mpsc::channel();
        let reader = thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                // The harness may have started the line (`test name ... `) before the report.
                if let Some(at) = line.find(REPORT_PREFIX) {
                    if sender
                        .send(line[at + REPORT_PREFIX.len()..].to_owned())
                        .is_err()
                    {
                        break;
                    }
                }
            }
        });
        let mut stderr = child.stderr.take().expect("stderr is piped");
        let stderr = thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text);
            text
        });
        Self {
            child,
            stdin,
            spawned,
            lines,
            reader: Some(reader),
            stderr: Some(stderr),
            received: Vec::new(),
        }
    }

    /// The process id, for messages.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Sends `word` to a child blocked in [`wait_for_parent`], or about to be.
    ///
    /// A child that has already ended cannot read it; the write then fails, and the error is
    /// not reported here because the child's exit status, checked once it is collected, says
    /// why it ended.
    pub fn send(&mut self, word: &str) {
        let _ = writeln!(self.stdin, "{word}").and_then(|()| self.stdin.flush());
    }

    /// How long ago the process was started.
    pub fn age(&self) -> Duration {
        self.spawned.elapsed()
    }

    /// Waits up to `timeout` for the next report line. `None` if the child closed its stdout
    /// (it ended) or the time ran out; [`Self::has_exited`] tells which.
    pub fn next_report(&mut self, timeout: Duration) -> Option<String> {
        match self.lines.recv_timeout(timeout) {
            Ok(line) => {
                self.received.push(line.clone());
                Some(line)
            }
            Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => None,
        }
    }

    /// Waits until a report line satisfies `wanted`, and returns it; `None` if the child
    /// ends first. Panics after `timeout`, with `context` (which should carry the seed).
    pub fn wait_for_report(
        &mut self,
        timeout: Duration,
        context: &str,
        mut wanted: impl FnMut(&str) -> bool,
    ) -> Option<String> {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.next_report(left.min(Duration::from_millis(100))) {
                Some(line) if wanted(&line) => return Some(line),
                Some(_) => {}
                None if self.has_exited() => return None,
                None if Instant::now() >= deadline => {
                    let _ = self.child.kill();
                    panic!(
                        "the child process {} sent no expected report within {:?} ({}); \
                         reports so far: {:?}",
                        self.child.id(),
                        timeout,
                        context,
                        self.received
                    );
                }
                None => {}
            }
        }
    }

    /// Whether the process has ended.
    pub fn has_exited(&mut self) -> bool {
        self.child
            .try_wait()
            .expect("query the child process")
            .is_some()
    }

    /// Kills the process with `SIGKILL` (if it still runs) and collects what it wrote.
    pub fn kill(mut self) -> Finished {
        // Fails only if the process has already been reaped, which `finish` does.
        let _ = self.child.kill();
        self.finish()
    }

    /// Waits for the process to end on its own and collects what it wrote.
    pub fn wait(self) -> Finished {
        self.finish()
    }

    fn finish(mut self) -> Finished {
        let status = self.child.wait().expect("wait for the child process");
        // The pipe holds every line written before the end; the reader drains it to EOF.
        self.reader
            .take()
            .expect("joined once")
            .join()
            .expect("the stdout reader does not panic");
        self.received.extend(self.lines.try_iter());
        let stderr = self
            .stderr
            .take()
            .expect("joined once")
            .join()
            .expect("the stderr reader does not panic");
        Finished {
            reports: std::mem::take(&mut self.received),
            status,
            stderr,
        }
    }
}

impl Drop for ChildProcess {
    fn drop(&mut self) {
        // A test that fails half-way must not leave a child running.
        if self.reader.is_some() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
