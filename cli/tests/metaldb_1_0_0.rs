//! The `metaldb` binary on a database written by metaldb 1.0.0 as published: the fixture
//! `tests/fixtures/metaldb-1.0.0/db`, made by the generator beside it (its README says how,
//! with which versions). These tests know what the generator wrote.

mod common;

use std::path::{Path, PathBuf};

use common::{contents, fails, metaldb, ok};
use metaldb::{catalogue::Catalogue, DBOptions, RocksDB};
use tempfile::TempDir;

/// The fixture as committed. Tests work on copies: opening a database writes to it.
fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/metaldb-1.0.0/db")
}

/// A copy of the fixture in a temporary directory.
struct Copy {
    dir: TempDir,
}

impl Copy {
    fn new() -> Self {
        let dir = TempDir::new().unwrap();
        let db = dir.path().join("db");
        std::fs::create_dir(&db).unwrap();
        for file in std::fs::read_dir(fixture()).unwrap() {
            let file = file.unwrap();
            std::fs::copy(file.path(), db.join(file.file_name())).unwrap();
        }
        Self { dir }
    }

    fn db(&self) -> PathBuf {
        self.dir.path().join("db")
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

/// The generator's large value (64 KiB holding every byte value) as `get` prints it.
fn big_value_shown() -> String {
    let mut shown = "0x".to_owned();
    for i in 0..64 * 1024_u32 {
        shown.push_str(&format!("{:02x}", i % 251));
    }
    shown
}

#[test]
fn ls_shows_every_index_with_its_type_namespace_group_and_length() {
    let copy = Copy::new();
    let json: serde_json::Value =
        serde_json::from_str(&ok(metaldb(&[&"ls", &copy.db(), &"--json"]))).unwrap();
    let rows: Vec<String> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            format!(
                "{} ns={} group={} {} migration={} len={}",
                r["name"].as_str().unwrap(),
                r["namespace"],
                r["group_key"],
                r["type"].as_str().unwrap(),
                r["in_migration"],
                r["len"]
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            "app.config ns=\"app\" group=null tombstone migration=true len=null",
            "app.log ns=\"app\" group=null list migration=true len=1",
            "__scratchpad__ ns=null group=\"6170702e706f736974696f6e\" entry migration=false len=null",
            "app.config ns=\"app\" group=null entry migration=false len=null",
            "app.log ns=\"app\" group=null list migration=false len=3",
            "app.sparse ns=\"app\" group=null sparse-list migration=false len=1",
            "balances ns=null group=\"626f62\" map migration=false len=null",
            "balances ns=null group=\"ab00\" map migration=false len=null",
            "done.new ns=\"done\" group=null entry migration=false len=null",
            "tags ns=null group=null key-set migration=false len=null",
            "users ns=null group=null map migration=false len=null",
        ]
    );
    let table = ok(metaldb(&[&"ls", &copy.db(), &"--type", &"map"]));
    assert!(
        table.contains("0xab00") && table.contains("bob") && table.contains("users"),
        "{}",
        table
    );
}

#[test]
fn get_and_scan_return_the_values_metaldb_1_0_0_wrote() {
    let copy = Copy::new();
    let db = copy.db();
    let get = |args: &[&str]| {
        let mut all: Vec<&dyn AsRef<std::ffi::OsStr>> = vec![&"get", &db];
        for arg in args {
            all.push(arg);
        }
        ok(metaldb(&all))
    };
    assert_eq!(get(&["app.config"]), "debug\n");
    assert_eq!(get(&["app.log", "0"]), "one\n");
    assert_eq!(get(&["app.log", "1"]), "0x000102\n");
    assert_eq!(get(&["app.log", "2"]), big_value_shown() + "\n");
    assert_eq!(get(&["^app.log", "0"]), "migrated\n");
    assert_eq!(get(&["app.sparse", "2"]), "two\n");
    assert_eq!(get(&["users", "alice"]), "admin\n");
    assert_eq!(get(&["users", "0xff007f"]), "0xffad\n");
    assert_eq!(get(&["users", "big"]), big_value_shown() + "\n");
    assert_eq!(get(&["balances", "0xab00", "x"]), "0x0100000000000000\n");
    assert_eq!(get(&["balances", "bob", "y"]), "0x0200000000000000\n");
    assert_eq!(get(&["done.new"]), "0x02\n");
    assert_eq!(get(&["__scratchpad__", "app.position"]), "resume\n");
    let removed = fails(metaldb(&[&"get", &db, &"done.old"]));
    assert!(
        removed.contains("no index named \"done.old\""),
        "{}",
        removed
    );

    assert_eq!(
        ok(metaldb(&[&"scan", &db, &"app.sparse"])),
        "2\ttwo\n",
        "position 9 was removed"
    );
    assert_eq!(ok(metaldb(&[&"scan", &db, &"tags"])), "0x0102\t\nrust\t\n");
    let users = ok(metaldb(&[&"scan", &db, &"users", &"--limit", &"1"]));
    assert_eq!(users, "alice\tadmin\n");
    let tail = ok(metaldb(&[&"scan", &db, &"users", &"--from", &"c"]));
    assert_eq!(tail, "0xff007f\t0xffad\n");
    let member = ok(metaldb(&[
        &"scan",
        &db,
        &"balances",
        &"--group-key",
        &"bob",
    ]));
    assert_eq!(member, "y\t0x0200000000000000\n");
}

#[test]
fn verify_finds_the_1_0_0_database_healthy() {
    let copy = Copy::new();
    let text = ok(metaldb(&[&"verify", &copy.db()]));
    assert!(text.contains("no problem found"), "{}", text);
}

#[test]
fn stat_counts_the_indexes_by_type_and_names_the_pending_migration() {
    let copy = Copy::new();
    let json: serde_json::Value =
        serde_json::from_str(&ok(metaldb(&[&"stat", &copy.db(), &"--json"]))).unwrap();
    assert_eq!(
        json["indexes_by_type"],
        serde_json::json!({
            "entry": 3, "key-set": 1, "list": 2, "map": 3, "sparse-list": 1, "tombstone": 1
        })
    );
    assert_eq!(json["pending_migrations"], serde_json::json!(["app"]));
    assert!(json["sst_files"].as_u64().unwrap() > 0);
    let text = ok(metaldb(&[&"stat", &copy.db()]));
    assert!(text.contains("pending migrations:  app"), "{}", text);
}

#[test]
fn dump_and_load_round_trip_the_1_0_0_database_exactly() {
    let copy = Copy::new();
    let dump = copy.path("all.dump");
    ok(metaldb(&[&"dump", &copy.db(), &"-o", &dump]));
    let loaded = copy.path("loaded");
    ok(metaldb(&[&"load", &loaded, &dump]));
    let (original, reloaded) = (contents(&copy.db()), contents(&loaded));
    assert_eq!(original.len(), 11);
    assert_eq!(original.len(), reloaded.len());
    for (a, b) in original.iter().zip(&reloaded) {
        assert_eq!(a, b, "index {:?} differs", String::from_utf8_lossy(&a.0));
    }
    let counter = |path: &Path| {
        Catalogue::read(&RocksDB::open_read_only(path, &DBOptions::default()).unwrap())
            .unwrap()
            .identifier_counter()
    };
    assert_eq!(counter(&copy.db()), counter(&loaded));
    ok(metaldb(&[&"verify", &loaded]));
}

#[test]
fn migration_commands_see_and_flush_the_pending_1_0_0_migration() {
    let copy = Copy::new();
    let db = copy.db();
    assert_eq!(ok(metaldb(&[&"migration", &"ls", &db])), "app\t2 indexes\n");
    ok(metaldb(&[&"migration", &"flush", &db, &"app", &"--yes"]));
    assert_eq!(ok(metaldb(&[&"migration", &"ls", &db])), "");
    assert_eq!(ok(metaldb(&[&"get", &db, &"app.log", &"0"])), "migrated\n");
    let removed = fails(metaldb(&[&"get", &db, &"app.config"]));
    assert!(removed.contains("no index named"), "{}", removed);
    ok(metaldb(&[&"verify", &db]));
}
