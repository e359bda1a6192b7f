package metaldb

// #include "mdbgo.h"
import "C"

// lookup runs a C call that may hand over a value: the value is copied into Go memory and the
// library's copy freed. An absent value is (nil, false, nil), never an error.
func lookup[T any](h *handle[T], op string, f func(p *T, out *C.mdb_bytes, found *C.bool) C.mdbgo_result) ([]byte, bool, error) {
	var out C.mdb_bytes
	var found C.bool
	err := call(h, op, func(p *T) C.mdbgo_result { return f(p, &out, &found) })
	if err != nil || !bool(found) {
		return nil, false, err
	}
	return takeBytes(&out), true, nil
}

// test runs a C call that answers yes or no.
func test[T any](h *handle[T], op string, f func(p *T, found *C.bool) C.mdbgo_result) (bool, error) {
	var found C.bool
	err := call(h, op, func(p *T) C.mdbgo_result { return f(p, &found) })
	return bool(found) && err == nil, err
}

// count runs a C call that gives a number.
func count[T any](h *handle[T], op string, f func(p *T, n *C.uint64_t) C.mdbgo_result) (uint64, error) {
	var n C.uint64_t
	err := call(h, op, func(p *T) C.mdbgo_result { return f(p, &n) })
	if err != nil {
		return 0, err
	}
	return uint64(n), nil
}

// iterate runs a C call that starts an iterator.
func iterate[T any](h *handle[T], op string, f func(p *T, out **C.mdb_iter) C.mdbgo_result) (*Iter, error) {
	var out *C.mdb_iter
	if err := call(h, op, func(p *T) C.mdbgo_result { return f(p, &out) }); err != nil {
		return nil, err
	}
	return newIter(out), nil
}
