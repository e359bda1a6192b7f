package metaldb

import (
	"encoding/binary"
	"testing"
)

// The cost of one call through the binding: the cgo call, the handle's use count, and for Get
// the copy of the value into Go memory.

// benchMap opens a map in a fork, holding 1024 entries with 8-byte keys (0 to 1023,
// big-endian) and 32-byte values.
func benchMap(b *testing.B) *Map {
	db := tempDB(b)
	fork, err := db.Fork()
	must(b, err)
	b.Cleanup(func() { fork.Close() })
	m, err := fork.Map(Address{Name: "bench"})
	must(b, err)
	b.Cleanup(func() { m.Close() })
	key, value := make([]byte, 8), make([]byte, 32)
	for i := 0; i < 1024; i++ {
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

func BenchmarkIterNext(b *testing.B) {
	m := benchMap(b)
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
