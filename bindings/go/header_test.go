package metaldb

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// The functions of metaldb.h this package deliberately does not call, and why.
var unwrapped = map[string]string{
	"mdb_last_error_message": "each wrapper in mdbgo.h copies the message with mdb_last_error_copy in the failing call's own cgo call; the borrowed pointer could not outlive it",
	"mdb_abort_handle_free":  "freeing an abort handle aborts its migration, and Close and finalizers must not: they forget (mdb_abort_handle_forget); AbortHandle.Abort then Close does what it does",
}

// headerPath is the repository's header, the source of truth for what the package must wrap.
const headerPath = "../../include/metaldb.h"

func readHeader(t *testing.T) string {
	t.Helper()
	text, err := os.ReadFile(headerPath)
	if err != nil {
		t.Fatalf("the header check needs the repository's %s: %v", headerPath, err)
	}
	return string(text)
}

var (
	headerFunction = regexp.MustCompile(`(?m)^[A-Za-z_][\w \*]*?\b(mdb_\w+)\(`)
	headerType     = regexp.MustCompile(`(?m)^(?:typedef .*|\}) \**(mdb_\w+);$`)
	calledFunction = regexp.MustCompile(`\bmdb_\w+\(`)
	blockComment   = regexp.MustCompile(`(?s)/\*.*?\*/`)
	lineComment    = regexp.MustCompile(`(?m)//.*$`)
)

// calledFunctions lists the mdb_* functions the package's sources call: in mdbgo.h, and
// directly from Go (C.mdb_x(...)). Comments do not count.
func calledFunctions(t *testing.T) map[string]bool {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	called := map[string]bool{}
	for _, f := range append(files, "mdbgo.h") {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		text, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		code := lineComment.ReplaceAllString(blockComment.ReplaceAllString(string(text), ""), "")
		for _, name := range calledFunction.FindAllString(code, -1) {
			called[strings.TrimSuffix(name, "(")] = true
		}
	}
	return called
}

func TestEveryHeaderFunctionIsWrappedOrListedAsUnwrapped(t *testing.T) {
	header := readHeader(t)
	declared := map[string]bool{}
	for _, m := range headerFunction.FindAllStringSubmatch(header, -1) {
		declared[m[1]] = true
	}
	types := map[string]bool{}
	for _, m := range headerType.FindAllStringSubmatch(header, -1) {
		types[m[1]] = true
	}
	if len(declared) < 50 {
		t.Fatalf("found only %d functions in %s: the parser no longer understands it", len(declared), headerPath)
	}
	called := calledFunctions(t)
	var missing, stale []string
	for name := range declared {
		if !called[name] && unwrapped[name] == "" {
			missing = append(missing, name)
		}
		if called[name] && unwrapped[name] != "" {
			stale = append(stale, name+" (called, yet listed as unwrapped)")
		}
	}
	for name := range unwrapped {
		if !declared[name] {
			stale = append(stale, name+" (listed as unwrapped, not in the header)")
		}
	}
	for name := range called {
		if !declared[name] && !types[name] { // a conversion such as C.mdb_status(c) is no call
			stale = append(stale, name+" (called, not in the header)")
		}
	}
	sort.Strings(missing)
	sort.Strings(stale)
	if len(missing) > 0 {
		t.Errorf("functions of %s that the Go package neither wraps nor lists in `unwrapped`: %s", headerPath, strings.Join(missing, ", "))
	}
	if len(stale) > 0 {
		t.Errorf("out of date: %s", strings.Join(stale, "; "))
	}
}

func TestEveryHeaderStatusCodeHasASentinelError(t *testing.T) {
	codes := regexp.MustCompile(`(?m)^#define (MDB_ERR_\w+) (\d+)`).FindAllStringSubmatch(readHeader(t), -1)
	if len(codes) < 13 {
		t.Fatalf("found only %d status codes in %s", len(codes), headerPath)
	}
	have := map[Code]bool{}
	for _, s := range sentinels {
		have[s.Code] = true
	}
	for _, c := range codes {
		n, err := strconv.Atoi(c[2])
		if err != nil {
			t.Fatal(err)
		}
		if !have[Code(n)] {
			t.Errorf("%s (%d) has no sentinel error in errors.go", c[1], n)
		}
	}
}

// TestHeaderOfAnotherMajorVersionStopsTheBuild builds the package against a copy of the header
// that claims major version 2: the #error of mdbgo.h must stop it.
func TestHeaderOfAnotherMajorVersionStopsTheBuild(t *testing.T) {
	dir := t.TempDir()
	header := strings.Replace(readHeader(t), "#define METALDB_VERSION_MAJOR 1\n", "#define METALDB_VERSION_MAJOR 2\n", 1)
	if !strings.Contains(header, "#define METALDB_VERSION_MAJOR 2\n") {
		t.Fatal("the header has no METALDB_VERSION_MAJOR 1 to change")
	}
	must(t, os.WriteFile(filepath.Join(dir, "metaldb.h"), []byte(header), 0o644))
	cmd := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-tags", "metaldb_nopkgconfig", ".")
	cmd.Env = append(os.Environ(), "CGO_CFLAGS=-I"+dir, "CGO_ENABLED=1")
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "supports metaldb.h 1.x only") {
		t.Fatalf("building against a 2.x header: err %v, output:\n%s", err, out)
	}
}
