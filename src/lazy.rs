//! Lazily opened indexes.

use std::marker::PhantomData;

use crate::{
    access::{Access, AccessError, FromAccess},
    IndexAddress,
};

/// An object (an index, or a struct of indexes) that is opened only when asked for.
///
/// Building a `Lazy` checks nothing; each [`get`](Self::get) builds a new instance, so errors
/// such as a wrong index type surface there.
#[derive(Debug)]
pub struct Lazy<T, I> {
    access: T,
    address: IndexAddress,
    // `fn() -> I`: a `Lazy` owns no `I`, so dropping it must not count as dropping one (which
    // would keep a fork borrowed until the end of the scope).
    _index: PhantomData<fn() -> I>,
}

impl<T, I> FromAccess<T> for Lazy<T, I>
where
    T: Access,
    I: FromAccess<T>,
{
    fn from_access(access: T, addr: IndexAddress) -> Result<Self, AccessError> {
        Ok(Self {
            access,
            address: addr,
            _index: PhantomData,
        })
    }
}

impl<T, I> Lazy<T, I>
where
    T: Access,
    I: FromAccess<T>,
{
    /// Opens the object.
    ///
    /// # Panics
    ///
    /// Panics with `"MerkleDB error: ..."` if it cannot be opened.
    pub fn get(&self) -> I {
        self.try_get()
            .unwrap_or_else(|e| panic!("MerkleDB error: {}", e))
    }

    /// Opens the object.
    ///
    /// # Errors
    ///
    /// Returns the access error of opening it, such as a wrong index type.
    pub fn try_get(&self) -> Result<I, AccessError> {
        I::from_access(self.access.clone(), self.address.clone())
    }
}

#[cfg(test)]
mod tests {
    use assert_matches::assert_matches;

    use super::*;
    use crate::{
        access::{AccessErrorKind, CopyAccessExt},
        Database, IndexType, ListIndex, MapIndex, TemporaryDB,
    };

    #[test]
    fn lazy_index_reports_a_wrong_type_only_when_opened() {
        let db = TemporaryDB::new();
        let fork = db.fork();
        fork.get_list("list").extend(vec![1_u32, 2]);
        let lazy = Lazy::<_, ListIndex<_, u32>>::from_access(&fork, "list".into()).unwrap();
        assert_eq!(lazy.get().len(), 2);
        let lazy_map = Lazy::<_, MapIndex<_, u32, u32>>::from_access(&fork, "list".into()).unwrap();
        let err = lazy_map.try_get().unwrap_err();
        assert_matches!(
            err.kind,
            AccessErrorKind::WrongIndexType {
                actual: IndexType::List,
                ..
            }
        );
    }
}
