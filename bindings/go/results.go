package metaldb

// #include "mdbgo.h"
import "C"

// callOut runs one C call with outputs on the handle (see MDBGO_OUT in mdbgo.h).
func callOut[T any](h *handle[T], op string, f func(p *T) C.mdbgo_out) (C.mdbgo_out, error) {
	p, err := h.acquire(op)
	if err != nil {
		return C.mdbgo_out{}, err
	}
	r := f(p)
	h.release()
	return r, r.result.err(op, h.addr)
}

// lookup runs a C call that may hand over a value: the value is copied into Go memory and the
// library's copy freed. An absent value is (nil, false, nil), never an error.
func lookup[T any](h *handle[T], op string, f func(p *T) C.mdbgo_out) ([]byte, bool, error) {
	r, err := callOut(h, op, f)
	if err != nil || !bool(r.found) {
		return nil, false, err
	}
	return takeBytes(r.value), true, nil
}

// test runs a C call that answers yes or no.
func test[T any](h *handle[T], op string, f func(p *T) C.mdbgo_out) (bool, error) {
	r, err := callOut(h, op, f)
	return err == nil && bool(r.found), err
}

// count runs a C call that gives a number.
func count[T any](h *handle[T], op string, f func(p *T) C.mdbgo_out) (uint64, error) {
	r, err := callOut(h, op, f)
	if err != nil {
		return 0, err
	}
	return uint64(r.n), nil
}

// iterate runs a C call that starts an iterator.
func iterate[T any](h *handle[T], op string, f func(p *T, out **C.mdb_iter) C.mdbgo_result) (*Iter, error) {
	var out *C.mdb_iter
	if err := call(h, op, func(p *T) C.mdbgo_result { return f(p, &out) }); err != nil {
		return nil, err
	}
	return newIter(out), nil
}
