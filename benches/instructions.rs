//! The whole path of each workload, from `db.fork()` (or the snapshot) to the merge's return,
//! on metaldb and on the raw `rocksdb` crate doing the same work by hand, each in one function
//! of its own so that valgrind's callgrind counts the instructions of exactly that path on the
//! calling thread (`--toggle-collect`). `benches/callgrind.py` runs it under callgrind and
//! natively and prints the ratio table of BENCHMARKS.md ("Instructions").
//!
//! Usage: `instructions ITEMS [ROUNDS]`. Runs every workload at ITEMS items, ROUNDS times
//! (default 1), and prints one line per measured function and round. The side that runs first
//! meets colder caches (an iteration of 100 000 entries took 10% longer on the wall clock
//! first than second, whichever side it was), so metaldb runs first in even rounds (the
//! first: the one callgrind counts) and raw RocksDB in odd ones:
//!
//! ```text
//! <function> <items> <seconds> ok
//! ```
//!
//! The raw side writes what metaldb writes (docs/format.md): the same column families with
//! the same options, keys `LE64(id) ++ key`, one write batch per merge sized once, the list's
//! length in its metadata record, the same sync setting. Values start as owned `Vec`s made
//! before the measured function on both sides (metaldb takes them by value, the raw side
//! borrows them) and both sides free them inside it. Reads run on SST files on both sides
//! (see benches/engine.rs for why) and copy each value out, as metaldb returns it.

use std::{hint::black_box, time::Instant};

use metaldb::{access::CopyAccessExt, DBOptions, Database, RocksDB};
use rocksdb::{Options, ReadOptions, WriteBatch, WriteOptions, DB};
use tempfile::TempDir;

const MAP_VALUE_LEN: usize = 64;
const LIST_VALUE_LEN: usize = 512;
/// The identifier metaldb gives the first index of a database.
const INDEX_ID: u64 = 1;
/// metaldb's column family of index metadata (docs/format.md).
const INDEXES_POOL: &str = "__INDEXES_POOL__";
/// A write batch's header, and per record at most a type byte, the column family and two
/// lengths as varints: what metaldb reserves (src/backends/rocksdb.rs).
const BATCH_HEADER_LEN: usize = 12;
const BATCH_RECORD_OVERHEAD: usize = 16;

/// A metaldb database and a raw one with the column families metaldb would have.
struct Pair {
    metaldb: RocksDB,
    raw: DB,
    _dirs: (TempDir, TempDir),
}

impl Pair {
    fn new(index: &str) -> Self {
        let metaldb_dir = TempDir::new().unwrap();
        let raw_dir = TempDir::new().unwrap();
        let db_options = DBOptions::default();
        let metaldb = RocksDB::open(metaldb_dir.path(), &db_options).unwrap();
        let mut options = Options::from(&db_options);
        options.create_missing_column_families(true);
        let column_families = [index, INDEXES_POOL].map(|name| (name, options.clone()));
        let raw = DB::open_cf_with_opts(&options, raw_dir.path(), column_families).unwrap();
        Self {
            metaldb,
            raw,
            _dirs: (metaldb_dir, raw_dir),
        }
    }
}

/// Item `i`'s value: byte j is `j ^ i`, as in the other benchmarks.
fn value(len: usize, seed: u32) -> Vec<u8> {
    (0..len).map(|i| (i as u32 ^ seed) as u8).collect()
}

fn values(n: u32, len: usize) -> Vec<Vec<u8>> {
    (0..n).map(|i| value(len, i)).collect()
}

/// `LE64(INDEX_ID) ++ key`, on the stack.
fn stored_key<const N: usize>(key: [u8; N]) -> [u8; 32] {
    let mut stored = [0; 32];
    stored[..8].copy_from_slice(&INDEX_ID.to_le_bytes());
    stored[8..8 + N].copy_from_slice(&key);
    stored
}

fn batch_for(n: usize, key_len: usize, value_len: usize) -> WriteBatch {
    WriteBatch::with_capacity_bytes(
        BATCH_HEADER_LEN + n * (BATCH_RECORD_OVERHEAD + 8 + key_len + value_len),
    )
}

/// Each measured function is `#[inline(never)]` and called only once per round: the setup
/// calls the plain function it wraps.
#[inline(never)]
fn metaldb_map_put_merge_sync(db: &RocksDB, values: Vec<Vec<u8>>) {
    map_put_merge_sync(db, values);
}

// Inlined into its measured wrapper, so that the wrapper does not end in a jump that
// callgrind would not count as a call.
#[inline(always)]
fn map_put_merge_sync(db: &RocksDB, values: Vec<Vec<u8>>) {
    let fork = db.fork();
    let mut map = fork.get_map::<_, u32, Vec<u8>>("map");
    for (key, value) in (0_u32..).zip(values) {
        map.put(&key, value);
    }
    drop(map);
    db.merge_sync(fork.into_patch()).unwrap();
}

#[inline(never)]
fn raw_map_put_merge_sync(db: &DB, values: Vec<Vec<u8>>) {
    raw_map_put(db, values);
}

// Inlined into its measured wrapper, so that the wrapper does not end in a jump that
// callgrind would not count as a call.
#[inline(always)]
fn raw_map_put(db: &DB, values: Vec<Vec<u8>>) {
    let cf = db.cf_handle("map").unwrap();
    let mut batch = batch_for(values.len(), 4, MAP_VALUE_LEN);
    for (key, value) in (0_u32..).zip(&values) {
        batch.put_cf(&cf, &stored_key(key.to_be_bytes())[..12], value);
    }
    let mut options = WriteOptions::default();
    options.set_sync(true);
    db.write_opt(batch, &options).unwrap();
    drop(values);
}

#[inline(never)]
fn metaldb_list_push_merge(db: &RocksDB, values: Vec<Vec<u8>>) {
    list_push_merge(db, values);
}

// Inlined into its measured wrapper, so that the wrapper does not end in a jump that
// callgrind would not count as a call.
#[inline(always)]
fn list_push_merge(db: &RocksDB, values: Vec<Vec<u8>>) {
    let fork = db.fork();
    let mut list = fork.get_list::<_, Vec<u8>>("list");
    list.clear();
    for value in values {
        list.push(value);
    }
    drop(list);
    db.merge(fork.into_patch()).unwrap();
}

#[inline(never)]
fn raw_list_push_merge(db: &DB, values: Vec<Vec<u8>>) {
    raw_list_push(db, values);
}

// Inlined into its measured wrapper, so that the wrapper does not end in a jump that
// callgrind would not count as a call.
#[inline(always)]
fn raw_list_push(db: &DB, values: Vec<Vec<u8>>) {
    let cf = db.cf_handle("list").unwrap();
    let pool = db.cf_handle(INDEXES_POOL).unwrap();
    let mut batch = batch_for(values.len() + 1, 8, LIST_VALUE_LEN);
    let start = INDEX_ID.to_le_bytes();
    let end = u64::from_be_bytes(start).wrapping_add(1).to_be_bytes();
    batch.delete_range_cf(&cf, start, end);
    for (position, value) in (0_u64..).zip(&values) {
        batch.put_cf(&cf, &stored_key(position.to_be_bytes())[..16], value);
    }
    // The list's metadata record with its length (docs/format.md, "Index metadata").
    let mut metadata = [0; 28];
    metadata[..8].copy_from_slice(&INDEX_ID.to_le_bytes());
    metadata[8..12].copy_from_slice(&2_u32.to_le_bytes());
    metadata[16..20].copy_from_slice(&8_u32.to_le_bytes());
    metadata[20..].copy_from_slice(&(values.len() as u64).to_le_bytes());
    batch.put_cf(&pool, "list", metadata);
    db.write(batch).unwrap();
    drop(values);
}

#[inline(never)]
fn metaldb_map_random_reads(db: &RocksDB, keys: &[u32]) {
    let snapshot = db.snapshot();
    let map = snapshot.get_map::<_, u32, Vec<u8>>("map");
    for key in keys {
        black_box(map.get(key).unwrap());
    }
}

#[inline(never)]
fn raw_map_random_reads(db: &DB, keys: &[u32]) {
    let snapshot = db.snapshot();
    let cf = db.cf_handle("map").unwrap();
    for key in keys {
        let stored = stored_key(key.to_be_bytes());
        black_box(snapshot.get_cf(&cf, &stored[..12]).unwrap().unwrap());
    }
}

#[inline(never)]
fn metaldb_map_iteration(db: &RocksDB) -> usize {
    let snapshot = db.snapshot();
    let map = snapshot.get_map::<_, u32, Vec<u8>>("map");
    map.iter().inspect(|entry| _ = black_box(entry)).count()
}

#[inline(never)]
fn raw_map_iteration(db: &DB) -> usize {
    let snapshot = db.snapshot();
    let cf = db.cf_handle("map").unwrap();
    // As metaldb iterates an index: bounded by the next identifier, from its first key,
    // decoding each key and copying each value out.
    let start = INDEX_ID.to_le_bytes();
    let end = u64::from_be_bytes(start).wrapping_add(1).to_be_bytes();
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
    count
}

/// Runs `measured` and prints its line.
fn report<R>(name: &str, n: u32, measured: impl FnOnce() -> R, check: impl FnOnce(R) -> bool) {
    let start = Instant::now();
    let result = measured();
    let seconds = start.elapsed().as_secs_f64();
    assert!(check(result), "{name} at {n} items: wrong result");
    println!("{name} {n} {seconds:.9} ok");
}

/// A random order of the keys 0..n (splitmix64), the same on every run.
fn shuffled_keys(n: u32) -> Vec<u32> {
    let mut keys: Vec<u32> = (0..n).collect();
    let mut state = u64::from(n);
    for i in (2..=n).rev() {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        let j = ((z ^ (z >> 31)) % u64::from(i)) as usize;
        keys.swap(i as usize - 1, j);
    }
    keys
}

fn run(n: u32, raw_first: bool) {
    // Maps: the index exists and holds every key, which the measured fills overwrite.
    let maps = Pair::new("map");
    map_put_merge_sync(&maps.metaldb, values(n, MAP_VALUE_LEN));
    raw_map_put(&maps.raw, values(n, MAP_VALUE_LEN));
    let map_holds = |db: &RocksDB| {
        let snapshot = db.snapshot();
        let map = snapshot.get_map::<_, u32, Vec<u8>>("map");
        n == 0 || map.get(&(n - 1)) == Some(value(MAP_VALUE_LEN, n - 1))
    };
    let (metaldb_table, raw_table) = (values(n, MAP_VALUE_LEN), values(n, MAP_VALUE_LEN));
    in_order(
        raw_first,
        || {
            report(
                "metaldb_map_put_merge_sync",
                n,
                || metaldb_map_put_merge_sync(&maps.metaldb, metaldb_table),
                |()| map_holds(&maps.metaldb),
            );
        },
        || {
            report(
                "raw_map_put_merge_sync",
                n,
                || raw_map_put_merge_sync(&maps.raw, raw_table),
                |()| true,
            );
        },
    );

    // Reads come from SST files on both sides.
    let guard = maps.metaldb.get_db_lock_guard();
    guard.flush_cf(&guard.cf_handle("map").unwrap()).unwrap();
    drop(guard);
    maps.raw
        .flush_cf(&maps.raw.cf_handle("map").unwrap())
        .unwrap();
    let keys = shuffled_keys(n);
    in_order(
        raw_first,
        || {
            report(
                "metaldb_map_random_reads",
                n,
                || metaldb_map_random_reads(&maps.metaldb, &keys),
                |()| true,
            );
        },
        || {
            report(
                "raw_map_random_reads",
                n,
                || raw_map_random_reads(&maps.raw, &keys),
                |()| true,
            );
        },
    );
    let all = |count: usize| count == n as usize;
    in_order(
        raw_first,
        || {
            report(
                "metaldb_map_iteration",
                n,
                || metaldb_map_iteration(&maps.metaldb),
                all,
            );
        },
        || report("raw_map_iteration", n, || raw_map_iteration(&maps.raw), all),
    );

    // Lists: the list exists with n items, which the measured fills replace.
    let lists = Pair::new("list");
    list_push_merge(&lists.metaldb, values(n, LIST_VALUE_LEN));
    raw_list_push(&lists.raw, values(n, LIST_VALUE_LEN));
    let (metaldb_table, raw_table) = (values(n, LIST_VALUE_LEN), values(n, LIST_VALUE_LEN));
    in_order(
        raw_first,
        || {
            report(
                "metaldb_list_push_merge",
                n,
                || metaldb_list_push_merge(&lists.metaldb, metaldb_table),
                |()| {
                    let snapshot = lists.metaldb.snapshot();
                    let list = snapshot.get_list::<_, Vec<u8>>("list");
                    list.len() == u64::from(n)
                        && (n == 0 || list.last() == Some(value(LIST_VALUE_LEN, n - 1)))
                },
            );
        },
        || {
            report(
                "raw_list_push_merge",
                n,
                || raw_list_push_merge(&lists.raw, raw_table),
                |()| true,
            );
        },
    );
}

/// Runs a workload's metaldb side and its raw side, the raw side first if `raw_first`.
fn in_order(raw_first: bool, metaldb: impl FnOnce(), raw: impl FnOnce()) {
    if raw_first {
        raw();
        metaldb();
    } else {
        metaldb();
        raw();
    }
}

fn main() {
    // cargo passes `--bench` to a bench target; it is not an argument of this program.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|arg| arg != "--bench")
        .collect();
    let number = |at: usize, default: Option<u32>| {
        args.get(at).map_or_else(
            || default.expect("usage: instructions ITEMS [ROUNDS]"),
            |arg| arg.parse().expect("ITEMS and ROUNDS are numbers"),
        )
    };
    let n = number(0, None);
    let rounds = number(1, Some(1));
    for round in 0..rounds {
        run(n, round % 2 == 1);
    }
}
