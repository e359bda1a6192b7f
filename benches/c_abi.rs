//! The cost of the C ABI over the Rust API: the engine benchmark's workloads (benches/engine.rs)
//! run through the C ABI by `benches/c_abi.c` and through the Rust API here, in turn, in the
//! same run. Prints each side's median time per workload and their ratio.
//!
//! `make bench-c` runs it; by hand: `cargo bench --bench c_abi -- [--items 1000,10000]
//! [--rounds 9]`. The C program is compiled with `cc -O2` (`$CC` to change) twice, against the
//! libraries of `METALDB_BENCH_LIB_DIR` (`make bench-c` names the release build that `make
//! install` ships), or else those that cargo built with this binary (optimized as well):
//! once against `libmetaldb.so`, as C programs normally use metaldb, and once against
//! `libmetaldb.a`. The second isolates the C layer itself: code in a shared library reaches
//! its thread-local variables (RocksDB has many) through `__tls_get_addr` and is compiled
//! position-independent, which costs time whatever the API.
//!
//! Both sides time each workload on the wall clock and on the calling thread's CPU clock. On a
//! loaded machine the wall clock mostly measures waiting for a core; the CPU time is what the
//! calling thread itself spent, which is where the C layer's cost is (RocksDB's background
//! threads, and the wait for fsync in `map_insert_merge_sync`, are outside it on both sides).
//!
//! Rounds alternate which side goes first, so that a slow period of a shared machine does not
//! always hit the same side. Each round opens new databases on both sides, and each side checks
//! what it wrote, read and iterated; a wrong result fails the run.

use std::{
    collections::BTreeMap,
    env, fs,
    path::{Path, PathBuf},
    process::Command,
    sync::OnceLock,
    time::{Duration, Instant},
};

use metaldb::{access::CopyAccessExt, DBOptions, Database, RocksDB};
use tempfile::TempDir;

/// Wall-clock and calling-thread CPU time of one run of a workload.
#[derive(Debug, Clone, Copy)]
struct Times {
    wall: Duration,
    cpu: Duration,
}

/// The start of a timed section, on both clocks.
struct Timer {
    wall: Instant,
    cpu: Duration,
}

impl Timer {
    fn start() -> Self {
        Self {
            wall: Instant::now(),
            cpu: thread_cpu_time(),
        }
    }

    fn elapsed(&self) -> Times {
        Times {
            wall: self.wall.elapsed(),
            cpu: thread_cpu_time() - self.cpu,
        }
    }
}

/// The CPU time the calling thread has used, as `benches/c_abi.c` reads it.
fn thread_cpu_time() -> Duration {
    let mut time = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `time` is a valid, writable timespec; the clock exists on Linux.
    let result = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut time) };
    assert_eq!(result, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");
    Duration::new(time.tv_sec as u64, time.tv_nsec as u32)
}

const MAP_VALUE_LEN: usize = 64;
const LIST_VALUE_LEN: usize = 512;

/// The workloads, in the order both sides run them, with their target: the most the C ABI may
/// add over the Rust API (issue 4: 10% on batched writes, 25% on point reads; issue 10: 10% on
/// iteration). `map_batch_iteration` is `map_iteration` through `mdb_iter_next_batch` on the
/// C side; the Rust side iterates as in `map_iteration`.
const WORKLOADS: [(&str, Option<f64>); 6] = [
    ("map_insert_merge_sync", Some(1.10)),
    ("map_random_reads", Some(1.25)),
    ("map_iteration", Some(1.10)),
    ("map_batch_iteration", Some(1.10)),
    ("list_push_merge", Some(1.10)),
    ("map_clear_merge", None),
];

/// What to run: item counts and rounds per count.
struct Settings {
    items: Vec<u32>,
    rounds: usize,
}

impl Settings {
    /// Reads `--items 1000,10000` and `--rounds 9`; ignores the `--bench` that cargo passes.
    fn from_args() -> Self {
        let mut settings = Self {
            items: vec![1_000, 10_000, 100_000],
            rounds: 9,
        };
        let mut args = env::args().skip(1);
        while let Some(arg) = args.next() {
            let mut value = |name: &str| {
                args.next()
                    .unwrap_or_else(|| panic!("{} needs a value", name))
            };
            match arg.as_str() {
                "--items" => {
                    settings.items = value("--items")
                        .split(',')
                        .map(|n| n.parse().expect("--items takes numbers: 1000,10000"))
                        .collect();
                }
                "--rounds" => {
                    settings.rounds = value("--rounds").parse().expect("--rounds takes a number");
                    assert!(settings.rounds > 0, "--rounds must be at least 1");
                }
                "--bench" => {}
                other => panic!("unknown argument {:?}: use --items and --rounds", other),
            }
        }
        settings
    }
}

/// The value for `seed` (its first `len` bytes), copied from a table made once, as
/// `benches/c_abi.c` does (`value_for`): byte i is `i ^ seed`, as in benches/engine.rs.
fn value(len: usize, seed: u32) -> Vec<u8> {
    static VALUES: OnceLock<Vec<[u8; LIST_VALUE_LEN]>> = OnceLock::new();
    let values = VALUES.get_or_init(|| {
        (0..=u8::MAX)
            .map(|seed| std::array::from_fn(|i| i as u8 ^ seed))
            .collect()
    });
    values[seed as usize & 0xFF][..len].to_vec()
}

/// The check of `benches/c_abi.c`: length, first and last byte.
fn value_matches(value: &[u8], len: usize, seed: u32) -> bool {
    value.len() == len
        && value[0] == seed as u8
        && value[len - 1] == ((len - 1) as u32 ^ seed) as u8
}

/// splitmix64, as in `benches/c_abi.c`.
fn next_random(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The keys 0..n in the C program's random order.
fn shuffled_keys(n: u32) -> Vec<u32> {
    let mut keys: Vec<u32> = (0..n).collect();
    let mut state = u64::from(n);
    for i in (2..=n).rev() {
        let j = (next_random(&mut state) % u64::from(i)) as usize;
        keys.swap(i as usize - 1, j);
    }
    keys
}

fn fill_map(db: &RocksDB, n: u32, sync: bool) {
    let fork = db.fork();
    let mut map = fork.get_map::<_, u32, Vec<u8>>("map");
    for key in 0..n {
        map.put(&key, value(MAP_VALUE_LEN, key));
    }
    drop(map);
    let patch = fork.into_patch();
    if sync {
        db.merge_sync(patch).unwrap();
    } else {
        db.merge(patch).unwrap();
    }
}

fn map_holds(db: &RocksDB, key: u32) -> bool {
    let snapshot = db.snapshot();
    let map = snapshot.get_map::<_, u32, Vec<u8>>("map");
    map.get(&key)
        .is_some_and(|value| value_matches(&value, MAP_VALUE_LEN, key))
}

fn push_list(db: &RocksDB, n: u32) {
    let fork = db.fork();
    let mut list = fork.get_list::<_, Vec<u8>>("list");
    list.clear();
    for i in 0..n {
        list.push(value(LIST_VALUE_LEN, i));
    }
    drop(list);
    db.merge(fork.into_patch()).unwrap();
}

/// Closes and reopens a database, so that its data is read from SST files, as `benches/c_abi.c`
/// does (`reopen_db`).
fn reopen(db: RocksDB, path: &Path) -> RocksDB {
    drop(db);
    RocksDB::open(path, &DBOptions::default()).unwrap()
}

/// Runs one workload through the Rust API, as `benches/c_abi.c` does through the C ABI, in a
/// new database in `dir`; returns its times and whether its check passed.
fn run_rust(workload: &str, n: u32, dir: &Path) -> (Times, bool) {
    let path = dir.join(workload);
    let db = RocksDB::open(&path, &DBOptions::default()).unwrap();
    match workload {
        "map_insert_merge_sync" => {
            fill_map(&db, n, true);
            let timer = Timer::start();
            fill_map(&db, n, true);
            let time = timer.elapsed();
            (time, n == 0 || (map_holds(&db, 0) && map_holds(&db, n - 1)))
        }
        "map_random_reads" => {
            let keys = shuffled_keys(n);
            fill_map(&db, n, false);
            let db = reopen(db, &path);
            let snapshot = db.snapshot();
            let map = snapshot.get_map::<_, u32, Vec<u8>>("map");
            let timer = Timer::start();
            let mut wrong = 0;
            for key in &keys {
                match map.get(key) {
                    Some(value) if value_matches(&value, MAP_VALUE_LEN, *key) => {}
                    _ => wrong += 1,
                }
            }
            (timer.elapsed(), wrong == 0)
        }
        "map_iteration" | "map_batch_iteration" => {
            fill_map(&db, n, false);
            let db = reopen(db, &path);
            let snapshot = db.snapshot();
            let map = snapshot.get_map::<_, u32, Vec<u8>>("map");
            let timer = Timer::start();
            let (mut count, mut wrong) = (0, 0);
            for (key, value) in &map {
                if key != count || !value_matches(&value, MAP_VALUE_LEN, count) {
                    wrong += 1;
                }
                count += 1;
            }
            (timer.elapsed(), count == n && wrong == 0)
        }
        "list_push_merge" => {
            push_list(&db, n);
            let timer = Timer::start();
            push_list(&db, n);
            let time = timer.elapsed();
            let snapshot = db.snapshot();
            let list = snapshot.get_list::<_, Vec<u8>>("list");
            let last_ok = match list.last() {
                Some(last) => n > 0 && value_matches(&last, LIST_VALUE_LEN, n - 1),
                None => n == 0,
            };
            (time, list.len() == u64::from(n) && last_ok)
        }
        "map_clear_merge" => {
            fill_map(&db, n, true);
            let timer = Timer::start();
            let fork = db.fork();
            fork.get_map::<_, u32, Vec<u8>>("map").clear();
            db.merge(fork.into_patch()).unwrap();
            let time = timer.elapsed();
            (
                time,
                n == 0 || (!map_holds(&db, 0) && !map_holds(&db, n - 1)),
            )
        }
        other => unreachable!("unknown workload {}", other),
    }
}

/// The repository, where `benches/c_abi.c` and `include/` are.
fn repo() -> PathBuf {
    env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
}

/// Runs `command`, failing the benchmark with its output if it fails.
fn run(command: &mut Command) -> String {
    let output = command
        .output()
        .unwrap_or_else(|err| panic!("cannot run {:?}: {}", command, err));
    assert!(
        output.status.success(),
        "{:?} failed ({}):\n{}{}",
        command,
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// How a C program is linked to metaldb.
#[derive(Debug, Clone, Copy)]
enum Linking {
    Shared,
    Static,
}

/// Compiles `benches/c_abi.c` against the library in the directory that
/// `METALDB_BENCH_LIB_DIR` names (`make bench-c`: the optimized build that `make install`
/// ships), or else the one built with this binary, in its `deps/` directory; returns the
/// program.
fn build_c_program(linking: Linking) -> PathBuf {
    let exe_dir = env::current_exe()
        .expect("the benchmark has a path")
        .parent()
        .expect("bench binaries live in <target>/<profile>/deps")
        .to_path_buf();
    let deps = env::var_os("METALDB_BENCH_LIB_DIR").map_or_else(|| exe_dir.clone(), PathBuf::from);
    let library = deps.join("libmetaldb.so");
    assert!(
        library.is_file() && deps.join("libmetaldb.a").is_file(),
        "{} has no libmetaldb.so and libmetaldb.a (METALDB_BENCH_LIB_DIR, or built with the \
         benchmark)",
        deps.display()
    );
    let dir = exe_dir
        .parent()
        .expect("deps/ has a parent")
        .join("c-bench");
    fs::create_dir_all(&dir).expect("create the C benchmark's directory");
    // Programs load the library by its SONAME, which cargo does not create.
    let soname = dir.join(format!("libmetaldb.so.{}", env!("CARGO_PKG_VERSION_MAJOR")));
    let _ = fs::remove_file(&soname);
    std::os::unix::fs::symlink(&library, &soname).expect("link the library's SONAME");
    let mut command = Command::new(env::var("CC").unwrap_or_else(|_| "cc".to_owned()));
    command
        .args([
            "-std=c99",
            "-O2",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-pedantic",
        ])
        .arg("-I")
        .arg(repo().join("include"))
        .arg(repo().join("benches").join("c_abi.c"))
        .arg("-o");
    let program = match linking {
        Linking::Shared => {
            let program = dir.join("c_abi");
            command
                .arg(&program)
                .arg(format!("-L{}", deps.display()))
                .arg("-lmetaldb")
                .arg(format!("-Wl,-rpath,{}", dir.display()));
            program
        }
        Linking::Static => {
            let program = dir.join("c_abi_static");
            // The libraries of metaldb.pc's `Libs.private`.
            command.arg(&program).arg(deps.join("libmetaldb.a")).args([
                "-lstdc++",
                "-lgcc_s",
                "-lutil",
                "-lrt",
                "-lpthread",
                "-lm",
                "-ldl",
            ]);
            program
        }
    };
    run(&mut command);
    program
}

/// Runs the C program once at `n` items; returns each workload's times.
fn run_c(program: &Path, n: u32) -> BTreeMap<String, Times> {
    let dir = TempDir::new().unwrap();
    let stdout = run(Command::new(program).arg(dir.path()).arg(n.to_string()));
    let mut times = BTreeMap::new();
    for line in stdout.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [workload, items, wall, cpu, "ok"] = fields[..] else {
            panic!("unexpected line from the C program: {:?}", line);
        };
        assert_eq!(items, n.to_string(), "the C program ran another size");
        let seconds =
            |field: &str| Duration::from_secs_f64(field.parse().expect("a time in seconds"));
        let (wall, cpu) = (seconds(wall), seconds(cpu));
        times.insert(workload.to_owned(), Times { wall, cpu });
    }
    let expected: Vec<&str> = WORKLOADS.iter().map(|(name, _)| *name).collect();
    let mut ran: Vec<&str> = times.keys().map(String::as_str).collect();
    ran.sort_by_key(|name| expected.iter().position(|e| e == name));
    assert_eq!(ran, expected, "the C program ran other workloads");
    times
}

/// The median wall and CPU times, each taken on its own. Not the best time: a workload's cost
/// varies from round to round with RocksDB's state (memtable growth, flushes, page faults on
/// fresh memory), in ways that can favour either side in one round.
fn median(times: &[Times]) -> Times {
    let median_of = |clock: fn(&Times) -> Duration| {
        let mut durations: Vec<Duration> = times.iter().map(clock).collect();
        durations.sort();
        durations[durations.len() / 2]
    };
    Times {
        wall: median_of(|times| times.wall),
        cpu: median_of(|times| times.cpu),
    }
}

/// The three ways the workloads run.
const SIDES: [&str; 3] = ["Rust API", "C ABI, .so", "C ABI, .a"];

/// Each workload's times on each side (in the order of [`SIDES`]).
type Results = BTreeMap<&'static str, [Vec<Times>; 3]>;

fn print_table(results: &Results, n: u32, clock: &str, read: fn(&Times) -> Duration) {
    for (workload, target) in WORKLOADS {
        let [rust, shared, fixed] = results[workload]
            .each_ref()
            .map(|times| read(&median(times)).as_secs_f64());
        let target = target.map_or_else(|| "-".to_owned(), |t| format!("≤ {:.2}x", t));
        println!(
            "| {} | {} | {} | {:.3} ms | {:.3} ms | {:.2}x | {:.3} ms | {:.2}x | {} |",
            workload,
            n,
            clock,
            rust * 1e3,
            shared * 1e3,
            shared / rust,
            fixed * 1e3,
            fixed / rust,
            target
        );
    }
}

fn main() {
    let settings = Settings::from_args();
    // Makes the table of values before anything is timed.
    value(0, 0);
    let shared = build_c_program(Linking::Shared);
    let fixed = build_c_program(Linking::Static);
    println!(
        "Medians of {} rounds per size; ratio = C ABI / Rust API; CPU = the calling thread's\n",
        settings.rounds
    );
    println!(
        "| workload | items | clock | {} | {} | ratio | {} | ratio | target |",
        SIDES[0], SIDES[1], SIDES[2]
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for &n in &settings.items {
        let mut results = Results::new();
        for round in 0..settings.rounds {
            // Each side goes first in turn.
            for turn in 0..SIDES.len() {
                let side = (round + turn) % SIDES.len();
                let times = match side {
                    0 => {
                        let dir = TempDir::new().unwrap();
                        WORKLOADS
                            .iter()
                            .map(|&(workload, _)| {
                                let (times, correct) = run_rust(workload, n, dir.path());
                                assert!(correct, "{} at {} items: wrong result", workload, n);
                                (workload.to_owned(), times)
                            })
                            .collect()
                    }
                    1 => run_c(&shared, n),
                    _ => run_c(&fixed, n),
                };
                for (workload, _) in WORKLOADS {
                    results.entry(workload).or_default()[side].push(times[workload]);
                }
            }
        }
        print_table(&results, n, "CPU", |times| times.cpu);
        print_table(&results, n, "wall", |times| times.wall);
    }
}
