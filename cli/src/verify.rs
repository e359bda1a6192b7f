//! `verify`: the consistency checks of a database.

use std::collections::{HashMap, HashSet};

use anyhow::Result;
use metaldb::{catalogue::Catalogue, IndexType, RocksDB};

use crate::progress::Progress;

/// Column families that hold no index data keyed by identifiers (docs/format.md).
const SYSTEM_FAMILIES: [&str; 3] = ["default", "__DB_METADATA__", "__INDEXES_POOL__"];

/// Runs every check on `db`, whose column families are `families`, and returns the findings:
/// one line each, empty for a healthy database.
pub fn verify(db: &RocksDB, families: &[String]) -> Result<Vec<String>> {
    let mut findings = Vec::new();
    let catalogue = match Catalogue::read(db) {
        Ok(catalogue) => catalogue,
        Err(err) => {
            // Nothing else can be checked against metadata that does not decode.
            findings.push(format!("metadata does not decode: {}", err));
            return Ok(findings);
        }
    };
    let rocksdb = db.get_db_lock_guard();
    let counter = catalogue.identifier_counter();
    let mut owners: HashMap<u64, &str> = HashMap::new();
    // Identifiers with data per column family, for the orphan check.
    let mut ids_by_family: HashMap<&str, HashSet<u64>> = HashMap::new();
    let progress = Progress::new("verifying");
    for record in catalogue.records() {
        let shown = String::from_utf8_lossy(&record.full_name).replace('\0', "\\0");
        if let Some(other) = owners.insert(record.identifier, &record.name) {
            findings.push(format!(
                "identifier {} is shared by index {:?} and an index of {:?}",
                record.identifier, shown, other
            ));
        }
        if record.identifier > counter {
            findings.push(format!(
                "index {:?} has identifier {}, above the identifier counter {}",
                shown, record.identifier, counter
            ));
        }
        ids_by_family
            .entry(&record.name)
            .or_default()
            .insert(record.identifier);
        if record.is_tombstone() {
            continue;
        }
        let Some(cf) = rocksdb.cf_handle(&record.name) else {
            findings.push(format!(
                "index {:?} has no column family {:?}: its data is missing",
                shown, record.name
            ));
            continue;
        };
        if !matches!(record.index_type, IndexType::List | IndexType::SparseList) {
            continue;
        }
        let prefix = record.identifier.to_le_bytes();
        let mut iter = rocksdb.raw_iterator_cf(&cf);
        iter.seek(prefix);
        let (mut count, mut last) = (0_u64, None);
        while let Some(key) = iter.key() {
            if !key.starts_with(&prefix) {
                break;
            }
            count += 1;
            last = key[8..].try_into().ok().map(u64::from_be_bytes);
            progress.inc();
            iter.next();
        }
        iter.status()?;
        let len = record.len.unwrap_or(0);
        if count != len {
            findings.push(format!(
                "{:?} {:?} records length {} but holds {} entries",
                record.index_type, shown, len, count
            ));
        }
        let bound = match record.index_type {
            IndexType::List => len,
            _ => record.capacity.unwrap_or(0),
        };
        if let Some(last) = last.filter(|&last| last >= bound) {
            findings.push(format!(
                "{:?} {:?} holds position {}, beyond its recorded {} {}",
                record.index_type,
                shown,
                last,
                if record.index_type == IndexType::List {
                    "length"
                } else {
                    "capacity"
                },
                bound
            ));
        }
    }
    for family in families {
        if SYSTEM_FAMILIES.contains(&family.as_str()) {
            continue;
        }
        // A family without indexes is no finding by itself: flushing a migration that removes
        // an index leaves its (empty) family behind. Data in it is.
        let known = ids_by_family.get(family.as_str());
        let Some(cf) = rocksdb.cf_handle(family) else {
            continue;
        };
        let mut iter = rocksdb.raw_iterator_cf(&cf);
        iter.seek_to_first();
        while let Some(key) = iter.key() {
            let Some(id) = key.get(..8).and_then(|id| id.try_into().ok()) else {
                findings.push(format!(
                    "column family {:?} holds a key of {} bytes, shorter than an identifier",
                    family,
                    key.len()
                ));
                iter.next();
                continue;
            };
            let id = u64::from_le_bytes(id);
            if !known.is_some_and(|ids| ids.contains(&id)) {
                findings.push(format!(
                    "column family {:?} holds data under identifier {}, which no index of it \
                     has (orphan data{})",
                    family,
                    id,
                    if id <= counter {
                        ", as a rolled-back migration leaves behind"
                    } else {
                        ", above the identifier counter"
                    }
                ));
            }
            // Past every key of this identifier.
            let next = metaldb::rocksdb::next_id_bytes(id.to_le_bytes());
            if next == [0; 8] {
                break;
            }
            iter.seek(next);
        }
        iter.status()?;
    }
    progress.finish();
    Ok(findings)
}
