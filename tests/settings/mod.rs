//! Sizes and seeds of the reliability tests (crash, concurrency, bad on-disk state).
//!
//! Each test runs at a size that fits CI by default; an environment variable raises it for a
//! long run (RELIABILITY.md lists them). Random choices come from a seeded generator: the seed
//! is printed, and `METALDB_RELIABILITY_SEED` replays a run.

// Each test crate uses a different subset of these helpers.
#![allow(dead_code)]

use std::{
    env,
    time::{SystemTime, UNIX_EPOCH},
};

use rand::{rngs::StdRng, SeedableRng};

/// The environment variable that fixes the seed of every reliability test.
pub const SEED_VAR: &str = "METALDB_RELIABILITY_SEED";

/// The value of the environment variable `name`, or `default` when it is not set.
pub fn size(name: &str, default: u64) -> u64 {
    match env::var(name) {
        Ok(value) => value
            .parse()
            .unwrap_or_else(|err| panic!("{name}={value:?} is not a number: {err}")),
        Err(_) => default,
    }
}

/// A generator seeded from `METALDB_RELIABILITY_SEED`, or from the clock; the seed is
/// printed, and returned for failure messages.
pub fn seeded_rng(test: &str) -> (StdRng, u64) {
    let seed = match env::var(SEED_VAR) {
        Ok(value) => value
            .parse()
            .unwrap_or_else(|err| panic!("{SEED_VAR}={value:?} is not a number: {err}")),
        Err(_) => SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("the clock is after 1970")
            .as_nanos() as u64,
    };
    println!("{test}: seed {seed} (replay with {SEED_VAR}={seed})");
    (StdRng::seed_from_u64(seed), seed)
}
