package metaldb

// Every fallible C call goes through a wrapper of mdbgo.h, which returns its status together
// with its message; this file turns them into Go errors and passes Go bytes to C.

// #include "mdbgo.h"
import "C"

import "unsafe"

// The wrappers of mdbgo.h are the only place where a C status turns into a Go error, so every
// error carries the message of its own call.
func (r C.mdbgo_result) err(op string, index *Address) error {
	if r.status == C.MDB_OK {
		return nil
	}
	e := &Error{Code: Code(r.status), Op: op}
	if r.msg != nil {
		e.Message = C.GoString(r.msg)
		C.free(unsafe.Pointer(r.msg))
	}
	if index != nil {
		e.Index = index.String()
	}
	return e
}

// bytesArg passes a byte slice to C without copying it: cgo allows a pointer to Go memory
// that holds no Go pointers for the duration of a call, and the library never keeps an input
// pointer. An empty slice passes NULL, which the library reads as empty.
func bytesArg(b []byte) (*C.uint8_t, C.size_t) {
	if len(b) == 0 {
		return nil, 0
	}
	return (*C.uint8_t)(unsafe.Pointer(&b[0])), C.size_t(len(b))
}

// groupArg is bytesArg for a group key, where NULL and empty differ: nil is the index outside
// any group, a non-nil empty slice the group member whose key is empty.
func groupArg(group []byte) (*C.uint8_t, C.size_t) {
	if group != nil && len(group) == 0 {
		return (*C.uint8_t)(&emptyKey[0]), 0
	}
	return bytesArg(group)
}

// emptyKey gives an empty group key a non-NULL pointer; the library reads no byte of it.
var emptyKey [1]byte

// stringArg passes a string's const uint8_t *to C without copying them (names have an explicit length
// and need no NUL). Strings are immutable and hold no pointers, so cgo allows it.
func stringArg(s string) (*C.char, C.size_t) {
	if len(s) == 0 {
		return nil, 0
	}
	// A string's first word is its data pointer (unsafe.StringData arrives in Go 1.20, and
	// this package supports 1.19).
	data := *(*unsafe.Pointer)(unsafe.Pointer(&s))
	return (*C.char)(data), C.size_t(len(s))
}

// takeBytes copies an owned output of the library into Go memory and frees it.
func takeBytes(b C.mdb_bytes) []byte {
	out := make([]byte, int(b.len))
	if b.len > 0 {
		copy(out, unsafe.Slice((*byte)(unsafe.Pointer(b.data)), int(b.len)))
	}
	C.mdbgo_bytes_free(b)
	return out
}

// borrowed views const uint8_t *that the library lends, without copying them.
func borrowed(p *C.uint8_t, n C.size_t) []byte {
	if n == 0 {
		return []byte{}
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(p)), int(n))
}
