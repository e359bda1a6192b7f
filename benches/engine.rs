//! Benchmarks of metaldb 1.0.0's workloads, each run on metaldb and on the raw `rocksdb` crate
//! in the same run, so that their ratio is meaningful.
//!
//! The raw side does the same work as metaldb, by hand: the same RocksDB options (those of
//! `DBOptions::default()`), the same column families (one named after the index, plus the
//! index pool for a list's length), the same stored keys (`LE64(id) ++ key`, docs/format.md),
//! the same sync setting per workload, and it decodes what it reads as metaldb does (the key
//! into a `u32`, the value into a `Vec<u8>`).
//!
//! `cargo bench --bench engine` runs them; `benches/ratios.py` turns criterion's estimates into
//! the ratio table of BENCHMARKS.md. Sizes: 1k and 10k items, plus 100k with the
//! `long_benchmarks` feature.
//!
//! They run on the wall clock, or with `METALDB_BENCH_CLOCK=cpu` on the CPU time of the
//! benchmark's thread (give that run its own `CRITERION_HOME`, so that the two kinds of
//! results are not compared with each other). The CPU time leaves out what both sides leave
//! to RocksDB's background threads and the wait for fsync, so its ratios are the stricter
//! measure of metaldb's own work; on a shared machine they also vary less.

use std::{hint::black_box, time::Duration};

use criterion::{
    criterion_group,
    measurement::{Measurement, ValueFormatter, WallTime},
    BatchSize, BenchmarkId, Criterion, Throughput,
};
use metaldb::{access::CopyAccessExt, DBOptions, Database, RocksDB};
use rand::{rngs::StdRng, seq::SliceRandom, SeedableRng};
use rocksdb::{Options, ReadOptions, WriteBatch, WriteOptions, DB};
use tempfile::TempDir;

const MAP_VALUE_LEN: usize = 64;
const LIST_VALUE_LEN: usize = 512;
/// The identifier metaldb gives the first index of a database.
const INDEX_ID: u64 = 1;
/// metaldb's column family of index metadata (docs/format.md).
const INDEXES_POOL: &str = "__INDEXES_POOL__";

fn sizes() -> Vec<u32> {
    if cfg!(feature = "long_benchmarks") {
        vec![1_000, 10_000, 100_000]
    } else {
        vec![1_000, 10_000]
    }
}

/// A metaldb database and a raw RocksDB database side by side, the raw one with the column
/// families metaldb uses for the index `index`.
struct Pair {
    metaldb: RocksDB,
    raw: DB,
    index: &'static str,
    _dirs: (TempDir, TempDir),
}

impl Pair {
    fn new(index: &'static str) -> Self {
        let metaldb_dir = TempDir::new().unwrap();
        let raw_dir = TempDir::new().unwrap();
        let db_options = DBOptions::default();
        let metaldb = RocksDB::open(metaldb_dir.path(), &db_options).unwrap();
        // metaldb's own conversion, so that both databases run with the same options
        // (compression included), for the database and for every column family (`open_cf`
        // would give the column families RocksDB's defaults, with Snappy compression).
        let mut options = Options::from(&db_options);
        options.create_missing_column_families(true);
        let column_families = [index, INDEXES_POOL].map(|name| (name, options.clone()));
        let raw = DB::open_cf_with_opts(&options, raw_dir.path(), column_families).unwrap();
        Self {
            metaldb,
            raw,
            index,
            _dirs: (metaldb_dir, raw_dir),
        }
    }

    /// Fills both maps with `n` items and flushes them to SST files. Reads then do not depend
    /// on the shape of a memtable: its skip list draws node heights from a thread-local random
    /// generator, so two databases filled one after the other get different shapes, and the
    /// one filled first was up to 15% cheaper to search (callgrind) whichever side it was.
    fn fill_and_flush_maps(&self, n: u32) {
        fill_metaldb_map(&self.metaldb, n);
        fill_raw_map(&self.raw, n);
        let metaldb = self.metaldb.get_db_lock_guard();
        metaldb
            .flush_cf(&metaldb.cf_handle("map").unwrap())
            .unwrap();
        self.raw
            .flush_cf(&self.raw.cf_handle("map").unwrap())
            .unwrap();
    }
}

/// The stored key of item `key` of the index: metaldb's layout.
fn raw_key(key: &[u8]) -> Vec<u8> {
    let mut stored = INDEX_ID.to_le_bytes().to_vec();
    stored.extend_from_slice(key);
    stored
}

/// The key range of the index, as metaldb deletes and iterates it: from its identifier's
/// bytes to their successor taken as a big-endian number (docs/format.md, "Data keys").
fn raw_range() -> ([u8; 8], [u8; 8]) {
    let start = INDEX_ID.to_le_bytes();
    let end = u64::from_be_bytes(start).wrapping_add(1).to_be_bytes();
    (start, end)
}

fn value(len: usize, seed: u32) -> Vec<u8> {
    (0..len).map(|i| (i as u32 ^ seed) as u8).collect()
}

/// A write batch for `n` puts of `value_len`-byte values, reserved at once as metaldb reserves
/// its batches, so that the comparison is not about how the batch grows.
fn raw_batch(n: u32, key_len: usize, value_len: usize) -> WriteBatch {
    // A batch's header, and per record a type byte, the column family and two lengths.
    WriteBatch::with_capacity_bytes(12 + n as usize * (16 + 8 + key_len + value_len))
}

fn sync_options() -> WriteOptions {
    let mut options = WriteOptions::default();
    options.set_sync(true);
    options
}

fn fill_metaldb_map(db: &RocksDB, n: u32) {
    let fork = db.fork();
    let mut map = fork.get_map::<_, u32, Vec<u8>>("map");
    for key in 0..n {
        map.put(&key, value(MAP_VALUE_LEN, key));
    }
    drop(map);
    db.merge_sync(fork.into_patch()).unwrap();
}

fn fill_raw_map(db: &DB, n: u32) {
    let cf = db.cf_handle("map").unwrap();
    let mut batch = raw_batch(n, 4, MAP_VALUE_LEN);
    for key in 0..n {
        batch.put_cf(&cf, raw_key(&key.to_be_bytes()), value(MAP_VALUE_LEN, key));
    }
    db.write_opt(batch, &sync_options()).unwrap();
}

fn map_insert_merge_sync<M: Measurement>(c: &mut Criterion<M>) {
    let mut group = c.benchmark_group("map_insert_merge_sync");
    group.sample_size(10);
    for n in sizes() {
        group.throughput(Throughput::Elements(n.into()));
        let pair = Pair::new("map");
        group.bench_with_input(BenchmarkId::new("metaldb", n), &n, |b, &n| {
            b.iter(|| fill_metaldb_map(&pair.metaldb, n))
        });
        group.bench_with_input(BenchmarkId::new("rocksdb", n), &n, |b, &n| {
            b.iter(|| fill_raw_map(&pair.raw, n))
        });
    }
    group.finish();
}

fn shuffled_keys(n: u32) -> Vec<u32> {
    let mut keys: Vec<u32> = (0..n).collect();
    keys.shuffle(&mut StdRng::seed_from_u64(n.into()));
    keys
}

fn map_random_reads<M: Measurement>(c: &mut Criterion<M>) {
    let mut group = c.benchmark_group("map_random_reads");
    group.sample_size(10);
    for n in sizes() {
        group.throughput(Throughput::Elements(n.into()));
        let pair = Pair::new("map");
        pair.fill_and_flush_maps(n);
        let keys = shuffled_keys(n);
        group.bench_with_input(BenchmarkId::new("metaldb", n), &keys, |b, keys| {
            let snapshot = pair.metaldb.snapshot();
            let map = snapshot.get_map::<_, u32, Vec<u8>>("map");
            b.iter(|| {
                for key in keys {
                    black_box(map.get(key).unwrap());
                }
            })
        });
        group.bench_with_input(BenchmarkId::new("rocksdb", n), &keys, |b, keys| {
            let snapshot = pair.raw.snapshot();
            let cf = pair.raw.cf_handle(pair.index).unwrap();
            b.iter(|| {
                for key in keys {
                    black_box(
                        snapshot
                            .get_cf(&cf, raw_key(&key.to_be_bytes()))
                            .unwrap()
                            .unwrap(),
                    );
                }
            })
        });
    }
    group.finish();
}

fn map_iteration<M: Measurement>(c: &mut Criterion<M>) {
    let mut group = c.benchmark_group("map_iteration");
    group.sample_size(10);
    for n in sizes() {
        group.throughput(Throughput::Elements(n.into()));
        let pair = Pair::new("map");
        pair.fill_and_flush_maps(n);
        group.bench_with_input(BenchmarkId::new("metaldb", n), &n, |b, &n| {
            let snapshot = pair.metaldb.snapshot();
            let map = snapshot.get_map::<_, u32, Vec<u8>>("map");
            b.iter(|| {
                assert_eq!(
                    map.iter().inspect(|entry| _ = black_box(entry)).count(),
                    n as usize
                )
            })
        });
        group.bench_with_input(BenchmarkId::new("rocksdb", n), &n, |b, &n| {
            let snapshot = pair.raw.snapshot();
            let cf = pair.raw.cf_handle(pair.index).unwrap();
            b.iter(|| {
                // As metaldb iterates an index: bounded by the next identifier, from its first
                // key, decoding each key and copying each value out.
                let (start, end) = raw_range();
                let mut read_options = ReadOptions::default();
                read_options.set_iterate_upper_bound(end.to_vec());
                let mut iter = snapshot.raw_iterator_cf_opt(&cf, read_options);
                iter.seek(start);
                let mut count = 0;
                while let Some((key, value)) = iter.item() {
                    let key = u32::from_be_bytes(key[8..].try_into().unwrap());
                    black_box((key, value.to_vec()));
                    count += 1;
                    iter.next();
                }
                iter.status().unwrap();
                assert_eq!(count, n as usize);
            })
        });
    }
    group.finish();
}

fn list_push_merge<M: Measurement>(c: &mut Criterion<M>) {
    let mut group = c.benchmark_group("list_push_merge");
    group.sample_size(10);
    for n in sizes() {
        group.throughput(Throughput::Elements(n.into()));
        let pair = Pair::new("list");
        group.bench_with_input(BenchmarkId::new("metaldb", n), &n, |b, &n| {
            b.iter(|| {
                let fork = pair.metaldb.fork();
                let mut list = fork.get_list::<_, Vec<u8>>("list");
                list.clear();
                for i in 0..n {
                    list.push(value(LIST_VALUE_LEN, i));
                }
                drop(list);
                pair.metaldb.merge(fork.into_patch()).unwrap();
            })
        });
        group.bench_with_input(BenchmarkId::new("rocksdb", n), &n, |b, &n| {
            let cf = pair.raw.cf_handle(pair.index).unwrap();
            let pool = pair.raw.cf_handle(INDEXES_POOL).unwrap();
            b.iter(|| {
                let mut batch = raw_batch(n, 8, LIST_VALUE_LEN);
                let (start, end) = raw_range();
                batch.delete_range_cf(&cf, start, end);
                for i in 0..u64::from(n) {
                    batch.put_cf(
                        &cf,
                        raw_key(&i.to_be_bytes()),
                        value(LIST_VALUE_LEN, i as u32),
                    );
                }
                // The list's length, which metaldb keeps in the index's metadata record.
                batch.put_cf(&pool, pair.index, u64::from(n).to_le_bytes());
                pair.raw.write(batch).unwrap();
            })
        });
    }
    group.finish();
}

fn map_clear<M: Measurement>(c: &mut Criterion<M>) {
    let mut group = c.benchmark_group("map_clear_merge");
    group.sample_size(10);
    for n in sizes() {
        group.throughput(Throughput::Elements(n.into()));
        let pair = Pair::new("map");
        group.bench_with_input(BenchmarkId::new("metaldb", n), &n, |b, &n| {
            b.iter_batched(
                || fill_metaldb_map(&pair.metaldb, n),
                |()| {
                    let fork = pair.metaldb.fork();
                    fork.get_map::<_, u32, Vec<u8>>("map").clear();
                    pair.metaldb.merge(fork.into_patch()).unwrap();
                },
                BatchSize::PerIteration,
            )
        });
        group.bench_with_input(BenchmarkId::new("rocksdb", n), &n, |b, &n| {
            let cf = pair.raw.cf_handle(pair.index).unwrap();
            b.iter_batched(
                || fill_raw_map(&pair.raw, n),
                |()| {
                    let mut batch = WriteBatch::default();
                    let (start, end) = raw_range();
                    batch.delete_range_cf(&cf, start, end);
                    pair.raw.write(batch).unwrap();
                },
                BatchSize::PerIteration,
            )
        });
    }
    group.finish();
}

/// Criterion's measurement of the CPU time of the benchmark's thread.
struct ThreadCpuTime;

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

impl Measurement for ThreadCpuTime {
    type Intermediate = Duration;
    type Value = Duration;

    fn start(&self) -> Duration {
        thread_cpu_time()
    }

    fn end(&self, start: Duration) -> Duration {
        thread_cpu_time() - start
    }

    fn add(&self, first: &Duration, second: &Duration) -> Duration {
        *first + *second
    }

    fn zero(&self) -> Duration {
        Duration::ZERO
    }

    fn to_f64(&self, value: &Duration) -> f64 {
        value.as_nanos() as f64
    }

    fn formatter(&self) -> &dyn ValueFormatter {
        // Durations print the same whichever clock measured them.
        static WALL_TIME: WallTime = WallTime;
        WALL_TIME.formatter()
    }
}

criterion_group!(
    wall_clock,
    map_insert_merge_sync,
    map_random_reads,
    map_iteration,
    list_push_merge,
    map_clear
);

criterion_group! {
    name = cpu_clock;
    config = Criterion::default().with_measurement(ThreadCpuTime);
    targets = map_insert_merge_sync, map_random_reads, map_iteration, list_push_merge, map_clear
}

fn main() {
    match std::env::var("METALDB_BENCH_CLOCK").as_deref() {
        Ok("cpu") => cpu_clock(),
        Ok("wall") | Err(_) => wall_clock(),
        Ok(other) => panic!(
            "METALDB_BENCH_CLOCK must be `wall` or `cpu`, not {:?}",
            other
        ),
    }
    Criterion::default().configure_from_args().final_summary();
}
