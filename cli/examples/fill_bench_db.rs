//! Writes the database of the dump/load benchmark (`make bench-cli`): COUNT entries of a map
//! with 16-byte keys and 100-byte values, merged in patches of 100,000.
//!
//! Usage: `fill_bench_db PATH COUNT`

use metaldb::{access::CopyAccessExt, DBOptions, Database, RocksDB};

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(path), Some(count)) = (args.next(), args.next()) else {
        eprintln!("usage: fill_bench_db PATH COUNT");
        std::process::exit(2);
    };
    let count: u64 = count.parse().expect("COUNT is a number");
    let db = RocksDB::open(&path, &DBOptions::default()).expect("open the database");
    let mut written = 0;
    while written < count {
        let fork = db.fork();
        let mut map = fork.get_map::<_, [u8], Vec<u8>>("bench");
        for i in written..count.min(written + 100_000) {
            let key = [i.to_be_bytes(), (!i).to_be_bytes()].concat();
            map.put(&key, vec![(i % 251) as u8; 100]);
        }
        drop(map);
        db.merge(fork.into_patch()).expect("merge");
        written = count.min(written + 100_000);
    }
}
