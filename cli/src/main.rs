//! `metaldb`: inspect, dump, load, verify and operate a metaldb database.
//!
//! Commands that only read open the database in RocksDB's read-only mode, so they work while
//! another process has it open for writing. See cli/README.md.

mod bytes;
mod dump;
mod progress;
mod verify;

use std::{
    collections::BTreeMap,
    io::{BufRead, IsTerminal, Write},
    path::{Path, PathBuf},
    process::ExitCode,
};

use anyhow::{bail, ensure, Context, Result};
use clap::{CommandFactory, Parser, Subcommand, ValueEnum};
use comfy_table::{presets::UTF8_FULL_CONDENSED, Table};
use metaldb::{
    catalogue::{Catalogue, CatalogueRecord},
    migration::{flush_migration, rollback_migration},
    DBOptions, Database, IndexType, RocksDB,
};
use serde_json::json;

use crate::bytes::{parse_bytes, parse_key, printable, show, to_hex};

/// Inspect, dump, load, verify and operate a metaldb database.
#[derive(Parser)]
#[command(name = "metaldb", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Size on disk, indexes by type, pending migrations and RocksDB's file statistics.
    Stat {
        /// The database directory.
        db: PathBuf,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// List the catalogue: every index with its type, identifier, length and size.
    Ls {
        /// The database directory.
        db: PathBuf,
        /// Only indexes of this namespace (the part of the name before its first `.`).
        #[arg(long)]
        namespace: Option<String>,
        /// Only indexes of this type.
        #[arg(long = "type", value_enum)]
        index_type: Option<TypeArg>,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Print the value of one key.
    ///
    /// Keys are text, or `0x` and hex digits; positions of lists are decimal numbers. An entry takes no key. Give a group member's group key before the
    /// key (as text or `0x` hex); prefix the index name with `^` for a pending migration's.
    Get {
        /// The database directory.
        db: PathBuf,
        /// The index name.
        index: String,
        /// `[GROUP_KEY] KEY`.
        #[arg(num_args = 0..=2)]
        keys: Vec<String>,
        #[command(flatten)]
        format: Format,
    },
    /// Print the entries of an index in key order, one `key<TAB>value` line each.
    Scan {
        /// The database directory.
        db: PathBuf,
        /// The index name (`^ns.name` for a pending migration's).
        index: String,
        /// The group key of a group member (text or `0x` hex).
        #[arg(long)]
        group_key: Option<String>,
        /// Start at this key (inclusive).
        #[arg(long)]
        from: Option<String>,
        /// Print at most this many entries.
        #[arg(long)]
        limit: Option<u64>,
        #[command(flatten)]
        format: Format,
    },
    /// Write indexes (all, or those named) to a dump file (cli/README.md, "Dump format").
    Dump {
        /// The database directory.
        db: PathBuf,
        /// Names of the indexes to dump (every group member and migration twin of each);
        /// all indexes if none.
        indexes: Vec<String>,
        /// The dump file to write.
        #[arg(short, long)]
        output: PathBuf,
    },
    /// Load a dump into a new (or empty) database.
    Load {
        /// The database directory, created if missing.
        db: PathBuf,
        /// The dump file.
        file: PathBuf,
    },
    /// Check the database's consistency; exits with 1 if anything is found.
    Verify {
        /// The database directory.
        db: PathBuf,
    },
    /// Write a checkpoint: a complete copy sharing unchanged files through hard links.
    ///
    /// The database must not be open for writing in another process: a checkpoint of a
    /// read-only instance would miss the writes still only in the write-ahead log. Beside a
    /// writer, copy with `metaldb dump` and `metaldb load` instead.
    Checkpoint {
        /// The database directory.
        db: PathBuf,
        /// The new directory; it must not exist.
        dir: PathBuf,
    },
    /// Compact the database, or the column family of one index name.
    Compact {
        /// The database directory.
        db: PathBuf,
        /// The index name whose column family to compact.
        index: Option<String>,
    },
    /// Pending migrations, and the two ways out of one.
    #[command(subcommand)]
    Migration(MigrationCommand),
    /// Write this tool's manual pages into a directory.
    ///
    /// `metaldb.1`, and `metaldb-COMMAND.1` for each command (`metaldb-migration-ls.1` for a
    /// nested one). `make install-tools` installs them into man1/.
    Manpages {
        /// The directory to write into; it must exist.
        dir: PathBuf,
    },
}

#[derive(Subcommand)]
enum MigrationCommand {
    /// List the namespaces with a pending migration and their indexes.
    Ls {
        /// The database directory.
        db: PathBuf,
    },
    /// Make a pending migration's indexes replace the old ones (destructive).
    Flush {
        /// The database directory.
        db: PathBuf,
        /// The migration's namespace.
        namespace: String,
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
    },
    /// Throw a pending migration's indexes away (destructive).
    Rollback {
        /// The database directory.
        db: PathBuf,
        /// The migration's namespace.
        namespace: String,
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
    },
}

/// How keys and values are printed.
#[derive(clap::Args)]
struct Format {
    /// Print keys and values as hex, even where they are printable text.
    #[arg(long)]
    hex: bool,
    /// Print JSON (hex bytes, plus the text where it is UTF-8).
    #[arg(long)]
    json: bool,
}

/// Index types as `--type` takes them.
#[derive(Clone, Copy, ValueEnum)]
enum TypeArg {
    Map,
    List,
    Entry,
    KeySet,
    SparseList,
    Tombstone,
}

impl From<TypeArg> for IndexType {
    fn from(arg: TypeArg) -> Self {
        match arg {
            TypeArg::Map => Self::Map,
            TypeArg::List => Self::List,
            TypeArg::Entry => Self::Entry,
            TypeArg::KeySet => Self::KeySet,
            TypeArg::SparseList => Self::SparseList,
            TypeArg::Tombstone => Self::Tombstone,
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("metaldb: error: {:#}", err);
            ExitCode::FAILURE
        }
    }
}

/// Opens an existing database read-only (beside any writer).
fn open_read_only(path: &Path) -> Result<RocksDB> {
    ensure!(
        path.is_dir(),
        "{} is not a database directory",
        path.display()
    );
    RocksDB::open_read_only(path, &DBOptions::default())
        .with_context(|| format!("opening {} read-only", path.display()))
}

/// Opens an existing database for writing, for a command that needs it because `why`; it
/// must not be open in another process.
fn open_writable(path: &Path, why: &str) -> Result<RocksDB> {
    ensure!(
        path.is_dir(),
        "{} is not a database directory",
        path.display()
    );
    let mut options = DBOptions::default();
    options.create_if_missing = false;
    open_for_writing(path, &options, why)
}

/// Opens the database at `path` with `options`, for a command that writes to it because
/// `why`, naming the other process's lock when there is one.
fn open_for_writing(path: &Path, options: &DBOptions, why: &str) -> Result<RocksDB> {
    RocksDB::open(path, options).map_err(|err| {
        // RocksDB reports the lock of another process only in its message: an I/O error
        // "While lock file: <db>/LOCK: Resource temporarily unavailable".
        if err.to_string().contains("While lock file") {
            anyhow::anyhow!(
                "{} is open for writing in another process, which holds its lock: {}",
                path.display(),
                why
            )
        } else {
            anyhow::Error::new(err).context(format!("opening {}", path.display()))
        }
    })
}

fn run(command: Command) -> Result<ExitCode> {
    match command {
        Command::Stat { db, json } => stat(&db, json)?,
        Command::Ls {
            db,
            namespace,
            index_type,
            json,
        } => ls(&db, namespace.as_deref(), index_type.map(Into::into), json)?,
        Command::Get {
            db,
            index,
            keys,
            format,
        } => return get(&db, &index, &keys, &format),
        Command::Scan {
            db,
            index,
            group_key,
            from,
            limit,
            format,
        } => scan(
            &db,
            &index,
            group_key.as_deref(),
            from.as_deref(),
            limit,
            &format,
        )?,
        Command::Dump {
            db,
            indexes,
            output,
        } => {
            let end = dump::dump(&open_read_only(&db)?, &indexes, &output)?;
            eprintln!(
                "dumped {} indexes, {} entries to {}",
                end.indexes,
                end.entries,
                output.display()
            );
        }
        Command::Load { db, file } => {
            let end = dump::load(&db, &file)?;
            eprintln!(
                "loaded {} indexes, {} entries into {}",
                end.indexes,
                end.entries,
                db.display()
            );
        }
        Command::Verify { db } => {
            let findings = verify::verify(&open_read_only(&db)?, &column_families(&db)?)?;
            for finding in &findings {
                println!("{}", finding);
            }
            if !findings.is_empty() {
                eprintln!("{}: {} problem(s) found", db.display(), findings.len());
                return Ok(ExitCode::FAILURE);
            }
            println!("{}: no problem found", db.display());
        }
        Command::Checkpoint { db, dir } => {
            ensure!(
                !dir.exists(),
                "{} exists: give a new directory",
                dir.display()
            );
            open_writable(
                &db,
                "a checkpoint is taken by the writing instance. RocksDB can take one from a \
                 read-only instance, but it would miss the writes still only in the \
                 write-ahead log. Take it in the writing process (RocksDB::create_checkpoint, \
                 mdb_db_checkpoint) or once that process has stopped, or copy the database \
                 beside it with `metaldb dump` and `metaldb load`",
            )?
            .create_checkpoint(&dir)?;
            println!("checkpoint written to {}", dir.display());
        }
        Command::Compact { db, index } => compact(&db, index.as_deref())?,
        Command::Migration(command) => migration(command)?,
        Command::Manpages { dir } => {
            ensure!(dir.is_dir(), "{} is not a directory", dir.display());
            clap_mangen::generate_to(Cli::command(), &dir)
                .with_context(|| format!("writing the manual pages into {}", dir.display()))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn column_families(path: &Path) -> Result<Vec<String>> {
    rocksdb::DB::list_cf(&rocksdb::Options::default(), path)
        .with_context(|| format!("listing the column families of {}", path.display()))
}

fn type_name(index_type: IndexType) -> &'static str {
    match index_type {
        IndexType::Map => "map",
        IndexType::List => "list",
        IndexType::Entry => "entry",
        IndexType::KeySet => "key-set",
        IndexType::SparseList => "sparse-list",
        IndexType::Tombstone => "tombstone",
        _ => "unknown",
    }
}

/// The sum of the sizes of the files in `dir`.
fn size_on_disk(dir: &Path) -> Result<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir(dir)? {
        let metadata = entry?.metadata()?;
        if metadata.is_file() {
            total += metadata.len();
        }
    }
    Ok(total)
}

fn stat(path: &Path, as_json: bool) -> Result<()> {
    let db = open_read_only(path)?;
    let catalogue = Catalogue::read(&db)?;
    let mut by_type: BTreeMap<&str, u64> = BTreeMap::new();
    for record in catalogue.records() {
        *by_type.entry(type_name(record.index_type)).or_default() += 1;
    }
    let rocksdb = db.get_db_lock_guard();
    let live_files = rocksdb.live_files()?;
    let mut files_per_level: BTreeMap<i32, usize> = BTreeMap::new();
    for file in &live_files {
        *files_per_level.entry(file.level).or_default() += 1;
    }
    let mut estimated_keys = 0;
    for family in column_families(path)? {
        if let Some(cf) = rocksdb.cf_handle(&family) {
            estimated_keys += rocksdb
                .property_int_value_cf(&cf, "rocksdb.estimate-num-keys")?
                .unwrap_or(0);
        }
    }
    let size = size_on_disk(path)?;
    let pending = catalogue.pending_migrations();
    if as_json {
        let value = json!({
            "size_on_disk": size,
            "indexes": catalogue.records().len(),
            "indexes_by_type": by_type,
            "identifier_counter": catalogue.identifier_counter(),
            "pending_migrations": pending,
            "sst_files": live_files.len(),
            "sst_files_per_level": files_per_level,
            "estimated_keys": estimated_keys,
        });
        println!("{}", serde_json::to_string_pretty(&value)?);
        return Ok(());
    }
    println!("database:            {}", path.display());
    println!("size on disk:        {} bytes", size);
    println!("indexes:             {}", catalogue.records().len());
    for (name, count) in &by_type {
        println!("  {:<18} {}", name, count);
    }
    println!("identifier counter:  {}", catalogue.identifier_counter());
    println!(
        "pending migrations:  {}",
        if pending.is_empty() {
            "none".to_owned()
        } else {
            pending.join(", ")
        }
    );
    println!("SST files:           {}", live_files.len());
    for (level, count) in &files_per_level {
        println!("  level {:<12} {}", level, count);
    }
    println!("estimated keys:      {}", estimated_keys);
    Ok(())
}

fn record_json(record: &CatalogueRecord) -> serde_json::Value {
    json!({
        "full_name": to_hex(&record.full_name),
        "name": record.name,
        "namespace": record.namespace,
        "in_migration": record.in_migration,
        "group_key": record.group_key.as_deref().map(to_hex),
        "type": type_name(record.index_type),
        "identifier": record.identifier,
        "tombstone": record.is_tombstone(),
        "len": record.len,
        "size_on_disk": record.size_on_disk,
    })
}

fn ls(
    path: &Path,
    namespace: Option<&str>,
    index_type: Option<IndexType>,
    as_json: bool,
) -> Result<()> {
    let db = open_read_only(path)?;
    let catalogue = Catalogue::read(&db)?;
    let records = catalogue.records().iter().filter(|record| {
        namespace.is_none_or(|ns| record.namespace.as_deref() == Some(ns))
            && index_type.is_none_or(|t| record.index_type == t)
    });
    if as_json {
        let values: Vec<_> = records.map(record_json).collect();
        println!("{}", serde_json::to_string_pretty(&values)?);
        return Ok(());
    }
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED).set_header([
        "name",
        "group key",
        "type",
        "id",
        "migration",
        "len",
        "size",
    ]);
    for record in records {
        table.add_row([
            record.name.clone(),
            record
                .group_key
                .as_deref()
                .map_or_else(String::new, |key| show(key, false)),
            type_name(record.index_type).to_owned(),
            record.identifier.to_string(),
            if record.in_migration { "pending" } else { "" }.to_owned(),
            record.len.map_or_else(String::new, |len| len.to_string()),
            record
                .size_on_disk
                .map_or_else(String::new, |size| size.to_string()),
        ]);
    }
    println!("{}", table);
    Ok(())
}

/// Finds the index `index` (`^ns.name` in a migration) with `group_key` in the catalogue.
fn find<'a>(
    catalogue: &'a Catalogue,
    index: &str,
    group_key: Option<&[u8]>,
) -> Result<&'a CatalogueRecord> {
    let (in_migration, name) = match index.strip_prefix('^') {
        Some(name) => (true, name),
        None => (false, index),
    };
    let found = catalogue.records().iter().find(|record| {
        record.in_migration == in_migration
            && record.name == name
            && record.group_key.as_deref() == group_key
    });
    match (found, group_key) {
        (Some(record), _) => Ok(record),
        (None, None)
            if catalogue
                .records()
                .iter()
                .any(|r| r.name == name && r.group_key.is_some()) =>
        {
            bail!(
                "{:?} is a group: give the group key of a member (`metaldb ls` lists them)",
                index
            )
        }
        (None, Some(key)) => bail!(
            "the database has no member {} of group {:?}",
            show(key, false),
            index
        ),
        (None, None) => bail!("the database has no index named {:?}", index),
    }
}

/// One key and value as `--json` prints them.
fn entry_json(key: &[u8], value: &[u8]) -> serde_json::Value {
    json!({
        "key": to_hex(key),
        "value": to_hex(value),
        "key_text": printable(key),
        "value_text": printable(value),
    })
}

fn get(path: &Path, index: &str, keys: &[String], format: &Format) -> Result<ExitCode> {
    let db = open_read_only(path)?;
    let catalogue = Catalogue::read(&db)?;
    // An entry takes no key: one argument is then its group key.
    let is_entry = |group: Option<&[u8]>| {
        find(&catalogue, index, group).is_ok_and(|r| r.index_type == IndexType::Entry)
    };
    let (group_key, key) = match keys {
        [] => (None, None),
        [one] if is_entry(Some(&parse_bytes(one)?)) => (Some(parse_bytes(one)?), None),
        [key] => (None, Some(key)),
        [group, key] => (Some(parse_bytes(group)?), Some(key)),
        _ => unreachable!("clap takes at most two"),
    };
    let record = find(&catalogue, index, group_key.as_deref())?;
    let key = match (record.index_type, key) {
        (IndexType::Entry, None) => Vec::new(),
        (IndexType::Entry, Some(_)) => bail!("{:?} is an entry: it takes no key", index),
        (IndexType::Tombstone, _) => bail!("{:?} is a tombstone: it holds no data", index),
        (_, None) => bail!("give the key to look up in {:?}", index),
        (index_type, Some(key)) => parse_key(key, index_type)?,
    };
    let value = db.snapshot().get(&record.resolved_address(), &key);
    let Some(value) = value else {
        eprintln!("{:?} has no key {}", index, show(&key, format.hex));
        return Ok(ExitCode::FAILURE);
    };
    if format.json {
        println!("{}", entry_json(&key, &value));
    } else {
        println!("{}", show(&value, format.hex));
    }
    Ok(ExitCode::SUCCESS)
}

fn scan(
    path: &Path,
    index: &str,
    group_key: Option<&str>,
    from: Option<&str>,
    limit: Option<u64>,
    format: &Format,
) -> Result<()> {
    let db = open_read_only(path)?;
    let catalogue = Catalogue::read(&db)?;
    let group_key = group_key.map(parse_bytes).transpose()?;
    let record = find(&catalogue, index, group_key.as_deref())?;
    let from = from
        .map(|key| parse_key(key, record.index_type))
        .transpose()?
        .unwrap_or_default();
    let snapshot = db.snapshot();
    let mut iter = snapshot.iter(&record.resolved_address(), &from);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut printed = 0;
    while let Some((key, value)) = iter.next() {
        if limit.is_some_and(|limit| printed >= limit) {
            break;
        }
        let result = if format.json {
            writeln!(out, "{}", entry_json(key, value))
        } else {
            let shown_key = match record.index_type {
                IndexType::List | IndexType::SparseList if !format.hex => key
                    .try_into()
                    .map(|position| u64::from_be_bytes(position).to_string())
                    .unwrap_or_else(|_| show(key, false)),
                _ => show(key, format.hex),
            };
            writeln!(out, "{}\t{}", shown_key, show(value, format.hex))
        };
        // A closed pipe (`| head`) ends the listing quietly.
        if result.is_err() {
            return Ok(());
        }
        printed += 1;
    }
    out.flush().ok();
    Ok(())
}

fn compact(path: &Path, index: Option<&str>) -> Result<()> {
    let db = open_writable(
        path,
        "compacting rewrites the database's files; stop that process first",
    )?;
    let rocksdb = db.get_db_lock_guard();
    let families = match index {
        Some(name) => {
            let catalogue = Catalogue::read(&db)?;
            ensure!(
                catalogue.records().iter().any(|r| r.name == name),
                "the database has no index named {:?}",
                name
            );
            vec![name.to_owned()]
        }
        None => column_families(path)?,
    };
    let progress = progress::Progress::new("compacting column families");
    for family in &families {
        let cf = rocksdb
            .cf_handle(family)
            .with_context(|| format!("the column family {:?} is missing", family))?;
        rocksdb.compact_range_cf(&cf, None::<&[u8]>, None::<&[u8]>);
        progress.inc();
    }
    progress.finish();
    println!("compacted {} column families", families.len());
    Ok(())
}

/// Asks whether to `action`; refuses without a terminal to ask on.
fn confirm(action: &str) -> Result<()> {
    if !std::io::stdin().is_terminal() {
        bail!(
            "refusing to {} without confirmation: no terminal to ask on; pass --yes",
            action
        );
    }
    eprint!("{}? [y/N] ", action);
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    ensure!(
        matches!(answer.trim(), "y" | "Y" | "yes"),
        "not confirmed: nothing was changed"
    );
    Ok(())
}

fn migration(command: MigrationCommand) -> Result<()> {
    let (path, namespace, yes, flush) = match command {
        MigrationCommand::Ls { db } => {
            let catalogue = Catalogue::read(&open_read_only(&db)?)?;
            for namespace in catalogue.pending_migrations() {
                let indexes = catalogue
                    .records()
                    .iter()
                    .filter(|r| r.in_migration && r.namespace.as_deref() == Some(&namespace))
                    .count();
                println!("{}\t{} indexes", namespace, indexes);
            }
            return Ok(());
        }
        MigrationCommand::Flush { db, namespace, yes } => (db, namespace, yes, true),
        MigrationCommand::Rollback { db, namespace, yes } => (db, namespace, yes, false),
    };
    let valid = !namespace.is_empty()
        && namespace
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    ensure!(
        valid,
        "{:?} is not a migration namespace (letters, digits, `_` and `-`)",
        namespace
    );
    let db = open_writable(
        &path,
        "ending a migration writes to the database; stop that process first",
    )?;
    let catalogue = Catalogue::read(&db)?;
    ensure!(
        catalogue.pending_migrations().contains(&namespace),
        "{} has no pending migration in namespace {:?}",
        path.display(),
        namespace
    );
    let verb = if flush { "flush" } else { "roll back" };
    if !yes {
        confirm(&format!("{} the migration {:?}", verb, namespace))?;
    }
    let mut fork = db.fork();
    if flush {
        flush_migration(&mut fork, &namespace);
    } else {
        rollback_migration(&mut fork, &namespace);
    }
    db.merge_sync(fork.into_patch())?;
    println!("migration {:?}: {} done", namespace, verb);
    Ok(())
}
