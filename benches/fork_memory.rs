//! The memory a fork holding N changes uses, against the bytes of their keys and values.
//!
//! Usage: `fork_memory [ITEMS...]` (default 100000 1000000). For each size it fills a new fork
//! of a RocksDB database with ITEMS map puts (`u32` keys, 64-byte values) and, in another
//! fork, ITEMS list pushes (512-byte values), and prints the peak of the heap bytes that Rust
//! code had allocated while the fork existed, from `db.fork()` to `into_patch`, over its
//! state before (a counting global allocator: bytes requested, not the allocator's own
//! overhead; RocksDB's C++ allocations are not counted and a fork makes none but its snapshot):
//!
//! ```text
//! <workload> <items> <data bytes> <peak bytes> <peak / data>
//! ```
//!
//! Each value is made just before it is written and handed to the index, so that the values
//! are the fork's own, as a user's would be.

use std::{
    alloc::{GlobalAlloc, Layout, System},
    sync::atomic::{AtomicUsize, Ordering},
};

use metaldb::{access::CopyAccessExt, DBOptions, Database, Fork, RocksDB};
use tempfile::TempDir;

/// The system allocator, counting the bytes allocated and their peak.
struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

impl Counting {
    fn grew(by: usize) {
        let current = CURRENT.fetch_add(by, Ordering::Relaxed) + by;
        PEAK.fetch_max(current, Ordering::Relaxed);
    }

    fn shrank(by: usize) {
        CURRENT.fetch_sub(by, Ordering::Relaxed);
    }
}

// SAFETY: every call is passed on to the system allocator unchanged; only counters change.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let pointer = unsafe { System.alloc(layout) };
        if !pointer.is_null() {
            Self::grew(layout.size());
        }
        pointer
    }

    unsafe fn dealloc(&self, pointer: *mut u8, layout: Layout) {
        unsafe { System.dealloc(pointer, layout) };
        Self::shrank(layout.size());
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let pointer = unsafe { System.alloc_zeroed(layout) };
        if !pointer.is_null() {
            Self::grew(layout.size());
        }
        pointer
    }

    // A reallocation counts as its old block freed after its new one is allocated: its peak
    // is both, as when the allocator has to move the block.
    unsafe fn realloc(&self, pointer: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let moved = unsafe { System.realloc(pointer, layout, new_size) };
        if !moved.is_null() {
            Self::grew(new_size);
            Self::shrank(layout.size());
        }
        moved
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Runs `fill` on a new fork of `db` and returns the peak bytes allocated above the state
/// before the fork, up to its `into_patch`.
fn peak_of(db: &RocksDB, fill: impl FnOnce(&Fork)) -> usize {
    let before = CURRENT.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let fork = db.fork();
    fill(&fork);
    let patch = fork.into_patch();
    let peak = PEAK.load(Ordering::Relaxed) - before;
    drop(patch);
    peak
}

fn value(len: usize, seed: u32) -> Vec<u8> {
    (0..len).map(|i| (i as u32 ^ seed) as u8).collect()
}

fn report(workload: &str, n: u32, data: usize, peak: usize) {
    println!(
        "{workload} {n} {data} {peak} {:.3}",
        peak as f64 / data as f64
    );
}

fn main() {
    let sizes: Vec<u32> = std::env::args()
        .skip(1)
        .filter(|arg| arg != "--bench")
        .map(|arg| arg.parse().expect("sizes are numbers of items"))
        .collect();
    let sizes = if sizes.is_empty() {
        vec![100_000, 1_000_000]
    } else {
        sizes
    };
    let dir = TempDir::new().unwrap();
    let db = RocksDB::open(dir.path(), &DBOptions::default()).unwrap();
    // The indexes exist, so that the measured forks only hold the changes.
    let fork = db.fork();
    fork.get_map::<_, u32, Vec<u8>>("map");
    fork.get_list::<_, Vec<u8>>("list");
    db.merge(fork.into_patch()).unwrap();
    for n in sizes {
        let peak = peak_of(&db, |fork| {
            let mut map = fork.get_map::<_, u32, Vec<u8>>("map");
            for key in 0..n {
                map.put(&key, value(64, key));
            }
        });
        report("map_put", n, n as usize * (4 + 64), peak);
        let peak = peak_of(&db, |fork| {
            let mut list = fork.get_list::<_, Vec<u8>>("list");
            for i in 0..n {
                list.push(value(512, i));
            }
        });
        report("list_push", n, n as usize * (8 + 512), peak);
    }
}
