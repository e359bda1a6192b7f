//! The dump format, and `dump` and `load`.
//!
//! A dump is UTF-8 text, one JSON object per line (JSON Lines), read and written as a stream:
//!
//! ```text
//! {"format":"metaldb-dump","version":1,"identifier_counter":N}      header, first line
//! {"index":{"full_name":HEX,"metadata":HEX}}                         one per index, then
//! {"k":HEX,"v":HEX}                                                  its entries, in key order
//! ...
//! {"end":{"indexes":I,"entries":E}}                                  last line
//! ```
//!
//! `full_name` is the index's key in the index pool (`['^'] name [0x00 group-key]`) and
//! `metadata` its stored metadata record (identifier, type, state) as docs/format.md
//! describes them; `k` is a key without its identifier prefix, `v` the stored value. Every
//! index kind, group members, migration namespaces (`^ns.`) and scratchpads are dumped the
//! same way, so `load` rebuilds the same catalogue (identifiers included) and contents. The
//! end line makes a truncated dump detectable. A reader refuses another `format` or a
//! `version` above the one it knows; version 1 is the only one so far.

use std::{
    fs::File,
    io::{BufRead, BufReader, BufWriter, Write},
    path::Path,
};

use anyhow::{bail, ensure, Context, Result};
use metaldb::{catalogue::Catalogue, DBOptions, ResolvedAddress, RocksDB};
use serde::{Deserialize, Serialize};

use crate::{
    bytes::{from_hex, to_hex},
    progress::Progress,
};

/// The name in the header line.
const FORMAT: &str = "metaldb-dump";
/// The version this tool writes and the highest it reads.
const VERSION: u32 = 1;
/// The column family of the index pool (docs/format.md, "Column families").
const POOL: &str = "__INDEXES_POOL__";
/// Bytes of keys and values that `load` gathers in one write batch.
const BATCH_BYTES: usize = 16 << 20;

#[derive(Serialize, Deserialize)]
struct Header {
    format: String,
    version: u32,
    identifier_counter: u64,
}

#[derive(Serialize, Deserialize)]
struct IndexLine {
    full_name: String,
    metadata: String,
}

/// The totals of a dump: its last line.
#[derive(Serialize, Deserialize)]
pub struct End {
    /// Indexes in the dump.
    pub indexes: u64,
    /// Entries in the dump.
    pub entries: u64,
}

/// One line after the header.
#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum Line {
    Index { index: IndexLine },
    Entry { k: String, v: String },
    End { end: End },
}

/// Writes the indexes of `db` named in `names` (all if empty) to `output`.
pub fn dump(db: &RocksDB, names: &[String], output: &Path) -> Result<End> {
    let catalogue = Catalogue::read(db)?;
    for name in names {
        let known = catalogue.records().iter().any(|r| &r.name == name);
        ensure!(known, "the database has no index named {:?}", name);
    }
    let file = File::create(output)
        .with_context(|| format!("creating the dump file {}", output.display()))?;
    let mut out = BufWriter::new(file);
    write_line(
        &mut out,
        &Header {
            format: FORMAT.to_owned(),
            version: VERSION,
            identifier_counter: catalogue.identifier_counter(),
        },
    )?;
    let snapshot = metaldb::Database::snapshot(db);
    let pool = ResolvedAddress {
        name: POOL.to_owned(),
        id: None,
    };
    let progress = Progress::new("dumping");
    let mut totals = End {
        indexes: 0,
        entries: 0,
    };
    for record in catalogue.records() {
        if !names.is_empty() && !names.contains(&record.name) {
            continue;
        }
        let metadata = snapshot
            .get(&pool, &record.full_name)
            .context("an index vanished from the pool while it was dumped")?;
        write_line(
            &mut out,
            &Line::Index {
                index: IndexLine {
                    full_name: to_hex(&record.full_name),
                    metadata: to_hex(&metadata),
                },
            },
        )?;
        totals.indexes += 1;
        let mut iter = snapshot.iter(&record.resolved_address(), &[]);
        while let Some((key, value)) = iter.next() {
            write_line(
                &mut out,
                &Line::Entry {
                    k: to_hex(key),
                    v: to_hex(value),
                },
            )?;
            totals.entries += 1;
            progress.inc();
        }
    }
    write_line(
        &mut out,
        &Line::End {
            end: End {
                indexes: totals.indexes,
                entries: totals.entries,
            },
        },
    )?;
    out.into_inner()
        .map_err(|e| e.into_error())?
        .sync_all()
        .with_context(|| format!("writing {}", output.display()))?;
    progress.finish();
    Ok(totals)
}

/// Loads the dump `input` into the database at `path`, which must be new or hold no index.
pub fn load(path: &Path, input: &Path) -> Result<End> {
    let file =
        File::open(input).with_context(|| format!("opening the dump {}", input.display()))?;
    let mut reader = BufReader::new(file);
    let mut text = String::new();
    let mut line_number = 1;
    reader.read_line(&mut text)?;
    let header: Header = serde_json::from_str(&text)
        .with_context(|| format!("{}: line 1 is not a metaldb dump header", input.display()))?;
    ensure!(
        header.format == FORMAT,
        "{} is a {:?} file, not a {:?}",
        input.display(),
        header.format,
        FORMAT
    );
    ensure!(
        header.version <= VERSION,
        "{} is a dump of version {}; this tool reads versions up to {}",
        input.display(),
        header.version,
        VERSION
    );

    let db = crate::open_for_writing(
        path,
        &DBOptions::default(),
        "loading writes to the database; stop that process first, or load into a new directory",
    )?;
    let existing = Catalogue::read(&db)?;
    ensure!(
        existing.records().is_empty(),
        "{} already holds {} indexes: load only into a new or empty database",
        path.display(),
        existing.records().len()
    );
    let rocksdb = db.get_db_lock_guard();
    let cf_options = rocksdb::Options::from(&DBOptions::default());
    let mut batch = rocksdb::WriteBatch::default();
    let mut current: Option<(String, [u8; 8])> = None;
    let mut totals = End {
        indexes: 0,
        entries: 0,
    };
    let mut ended = None;
    let progress = Progress::new("loading");
    let mut stored_key = Vec::new();
    let flush = |batch: &mut rocksdb::WriteBatch| -> Result<()> {
        rocksdb.write(std::mem::take(batch))?;
        Ok(())
    };
    let ensure_cf = |name: &str| -> Result<()> {
        if rocksdb.cf_handle(name).is_none() {
            rocksdb.create_cf(name, &cf_options)?;
        }
        Ok(())
    };
    ensure_cf(POOL)?;
    loop {
        text.clear();
        if reader.read_line(&mut text)? == 0 {
            break;
        }
        line_number += 1;
        ensure!(
            ended.is_none(),
            "{}: line {}: data after the end line",
            input.display(),
            line_number
        );
        let context = || format!("{}: line {}", input.display(), line_number);
        let line: Line = serde_json::from_str(&text).with_context(context)?;
        match line {
            Line::Index { index } => {
                let full_name = from_hex(&index.full_name).with_context(context)?;
                let metadata = from_hex(&index.metadata).with_context(context)?;
                let id: [u8; 8] = metadata
                    .get(..8)
                    .and_then(|id| id.try_into().ok())
                    .with_context(|| format!("{}: metadata shorter than 8 bytes", context()))?;
                let unmarked = full_name.strip_prefix(b"^").unwrap_or(&full_name);
                let name = unmarked.split(|&b| b == 0).next().unwrap_or_default();
                let name = String::from_utf8(name.to_vec())
                    .with_context(|| format!("{}: the index name is not UTF-8", context()))?;
                ensure_cf(&name)?;
                let pool = rocksdb.cf_handle(POOL).expect("created above");
                batch.put_cf(&pool, &full_name, &metadata);
                current = Some((name, id));
                totals.indexes += 1;
            }
            Line::Entry { k, v } => {
                let Some((name, id)) = &current else {
                    bail!("{}: an entry before any index", context());
                };
                let cf = rocksdb.cf_handle(name).expect("created with its index");
                stored_key.clear();
                stored_key.extend_from_slice(id);
                stored_key.extend_from_slice(&from_hex(&k).with_context(context)?);
                batch.put_cf(&cf, &stored_key, from_hex(&v).with_context(context)?);
                totals.entries += 1;
                progress.inc();
            }
            Line::End { end } => ended = Some(end),
        }
        if batch.size_in_bytes() >= BATCH_BYTES {
            flush(&mut batch)?;
        }
    }
    let Some(end) = ended else {
        bail!(
            "{} ends without its end line: the dump is truncated; the database at {} holds \
             part of it and should be deleted",
            input.display(),
            path.display()
        );
    };
    ensure!(
        end.indexes == totals.indexes && end.entries == totals.entries,
        "{} announces {} indexes and {} entries but holds {} and {}",
        input.display(),
        end.indexes,
        end.entries,
        totals.indexes,
        totals.entries
    );
    // The counter last: a load that stops early leaves no counter claiming the identifiers.
    let pool = rocksdb.cf_handle(POOL).expect("created above");
    batch.put_cf(&pool, [], header.identifier_counter.to_le_bytes());
    flush(&mut batch)?;
    // Durable before `load` reports success.
    rocksdb.flush_wal(true)?;
    progress.finish();
    Ok(totals)
}

/// Writes `line` as one JSON line.
fn write_line(out: &mut impl Write, line: &impl Serialize) -> Result<()> {
    serde_json::to_writer(&mut *out, line)?;
    out.write_all(b"\n")?;
    Ok(())
}
