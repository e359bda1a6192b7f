package metaldb

import (
	"encoding/binary"
	"testing"
)

// The cost of one call through the binding: the cgo call, the handle's use count, and for Get
// the copy of the value into Go memory.

// benchMap opens a map in a fork, holding 1024 entries with 8-byte keys (0 to 1023,
// big-endian) and 32-byte values.
func benchMap(b *testing.B) *Map { return benchMapOf(b, 1024) }

// benchMapOf is benchMap with n entries.
func benchMapOf(b *testing.B, n int) *Map {
	db := tempDB(b)
	fork, err := db.Fork()
	must(b, err)
	b.Cleanup(func() { fork.Close() })
	m, err := fork.Map(Address{Name: "bench"})
	must(b, err)
	b.Cleanup(func() { m.Close() })
	key, value := make([]byte, 8), make([]byte, 32)
	for i := 0; i < n; i++ {
		binary.BigEndian.PutUint64(key, uint64(i))
		must(b, m.Put(key, value))
	}
	return m
}

func BenchmarkMapPut(b *testing.B) {
	m := benchMap(b)
	key, value := make([]byte, 8), make([]byte, 32)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		binary.BigEndian.PutUint64(key, uint64(i%1024))
		if err := m.Put(key, value); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMapGet(b *testing.B) {
	m := benchMap(b)
	key := make([]byte, 8)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		binary.BigEndian.PutUint64(key, uint64(i%1024))
		if _, found, err := m.Get(key); err != nil || !found {
			b.Fatal(err)
		}
	}
}

func BenchmarkIterNext(b *testing.B) { benchIterNext(b, benchMap(b)) }

// BenchmarkIterNextOver100kEntries is BenchmarkIterNext over a map of 100 000 entries, where
// an iterator is started once per 100 000 steps.
func BenchmarkIterNextOver100kEntries(b *testing.B) { benchIterNext(b, benchMapOf(b, 100_000)) }

// benchIterNext times one step of an iterator over m, starting a new iterator at its end.
func benchIterNext(b *testing.B, m *Map) {
	b.ReportAllocs()
	b.ResetTimer()
	var it *Iter
	for i := 0; i < b.N; i++ {
		if it == nil || !it.Next() {
			var err error
			if it, err = m.Iter(nil); err != nil {
				b.Fatal(err)
			}
			it.Next()
		}
		_ = it.KeyView()
	}
	it.Close()
}

// BenchmarkIterFirstEntry times an iteration that takes one entry and stops, as a lookup of
// the first key from a given one does.
func BenchmarkIterFirstEntry(b *testing.B) {
	m := benchMap(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		it, err := m.Iter(nil)
		if err != nil {
			b.Fatal(err)
		}
		if !it.Next() {
			b.Fatal(it.Err())
		}
		it.Close()
	}
}
