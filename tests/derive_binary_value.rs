//! `#[derive(BinaryValue)]` (metaldb-derive): values encoded with bincode, as metaldb-derive
//! 1.0.0 encoded them, so that values written by a 1.0.0 program decode here.

use std::{borrow::Cow, collections::BTreeMap};

use metaldb::{access::CopyAccessExt, BinaryValue, Database, TemporaryDB};
use metaldb_derive::BinaryValue;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, BinaryValue)]
#[binary_value(codec = "bincode")]
struct Wallet {
    username: String,
    balance: u64,
    history: Vec<u32>,
}

/// Without the attribute: bincode is the default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, BinaryValue)]
enum Event {
    Opened,
    Paid { to: String, amount: u64 },
}

/// Generic types work too (metaldb-derive 1.0.0 ignored the parameters and failed to compile).
#[derive(Debug, PartialEq, Serialize, Deserialize, BinaryValue)]
struct Tagged<T> {
    tag: u8,
    value: T,
}

fn wallet() -> Wallet {
    Wallet {
        username: "Alice".to_owned(),
        balance: 100,
        history: vec![1, 2, 3],
    }
}

#[test]
fn values_are_encoded_with_bincode() {
    let wallet = wallet();
    assert_eq!(wallet.to_bytes(), bincode::serialize(&wallet).unwrap());
    assert_eq!(wallet.clone().into_bytes(), wallet.to_bytes());
    // bincode 1's default layout: a u64 LE length before the string bytes, integers LE.
    let mut expected = 5_u64.to_le_bytes().to_vec();
    expected.extend_from_slice(b"Alice");
    expected.extend_from_slice(&100_u64.to_le_bytes());
    expected.extend_from_slice(&3_u64.to_le_bytes());
    for n in [1_u32, 2, 3] {
        expected.extend_from_slice(&n.to_le_bytes());
    }
    assert_eq!(wallet.to_bytes(), expected);

    let event = Event::Paid {
        to: "Bob".to_owned(),
        amount: 5,
    };
    assert_eq!(event.to_bytes(), bincode::serialize(&event).unwrap());
    let tagged = Tagged {
        tag: 1,
        value: 7_i16,
    };
    assert_eq!(tagged.to_bytes(), bincode::serialize(&tagged).unwrap());
}

#[test]
fn encoded_values_decode_to_equal_values() {
    let wallet = wallet();
    assert_eq!(
        Wallet::from_bytes(wallet.to_bytes().into()).unwrap(),
        wallet
    );
    for event in [
        Event::Opened,
        Event::Paid {
            to: "Bob".to_owned(),
            amount: 5,
        },
    ] {
        assert_eq!(
            Event::from_bytes(Cow::Owned(event.to_bytes())).unwrap(),
            event
        );
    }
    let tagged = Tagged {
        tag: 2,
        value: BTreeMap::from([("k".to_owned(), vec![1_u8])]),
    };
    assert_eq!(
        Tagged::from_bytes(Cow::Borrowed(&tagged.to_bytes())).unwrap(),
        tagged
    );
}

#[test]
fn malformed_bytes_are_an_error_not_a_panic() {
    let bytes = wallet().to_bytes();
    let err = Wallet::from_bytes(Cow::Borrowed(&bytes[..bytes.len() - 1])).unwrap_err();
    assert!(err.to_string().contains("unexpected end of file"), "{err}");
    let err = Event::from_bytes(Cow::Borrowed(&[9, 0, 0, 0])).unwrap_err();
    assert!(err.to_string().contains("variant index"), "{err}");
}

#[test]
fn derived_values_are_stored_in_indexes() {
    let db = TemporaryDB::new();
    let fork = db.fork();
    fork.get_map("wallets").put("alice", wallet());
    fork.get_list("events").extend([
        Event::Opened,
        Event::Paid {
            to: "Bob".to_owned(),
            amount: 5,
        },
    ]);
    // A type declared in a function body (1.0.0's derive could not see it from its module).
    #[derive(Debug, PartialEq, Serialize, Deserialize, BinaryValue)]
    struct Local(u8);
    fork.get_entry("local").set(Local(4));
    db.merge(fork.into_patch()).unwrap();

    let snapshot = db.snapshot();
    assert_eq!(
        snapshot.get_map::<_, str, Wallet>("wallets").get("alice"),
        Some(wallet())
    );
    assert_eq!(snapshot.get_list::<_, Event>("events").len(), 2);
    assert_eq!(
        snapshot.get_entry::<_, Local>("local").get(),
        Some(Local(4))
    );
    // The stored bytes are bincode's, readable without the derive.
    let raw = snapshot.get_map::<_, str, Vec<u8>>("wallets").get("alice");
    assert_eq!(raw, Some(bincode::serialize(&wallet()).unwrap()));
}
