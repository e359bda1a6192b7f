package metaldb

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestProgramOutsideTheRepositoryUsesThePackageThroughReplace builds and runs a program in a
// module of its own that requires this package through a replace directive, with no module
// proxy: what a user of a checkout does.
func TestProgramOutsideTheRepositoryUsesThePackageThroughReplace(t *testing.T) {
	pkg, err := os.Getwd()
	must(t, err)
	app := t.TempDir()
	files := map[string]string{
		"go.mod": "module example.com/app\n\ngo 1.19\n\n" +
			"require github.com/metaldb/metaldb/bindings/go v0.0.0\n\n" +
			"replace github.com/metaldb/metaldb/bindings/go => " + pkg + "\n",
		"main.go": `package main

import (
	"fmt"
	"log"

	metaldb "github.com/metaldb/metaldb/bindings/go"
)

func main() {
	db, err := metaldb.OpenTemporary()
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	fork, err := db.Fork()
	if err != nil {
		log.Fatal(err)
	}
	m, err := fork.Map(metaldb.Address{Name: "greetings"})
	if err != nil {
		log.Fatal(err)
	}
	if err := m.Put([]byte("hello"), []byte("world")); err != nil {
		log.Fatal(err)
	}
	v, found, err := m.Get([]byte("hello"))
	fmt.Printf("hello %s %v %v\n", v, found, err)
}
`,
	}
	for name, text := range files {
		must(t, os.WriteFile(filepath.Join(app, name), []byte(text), 0o644))
	}
	cmd := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "run", ".")
	cmd.Dir = app
	cmd.Env = append(os.Environ(), "GOPROXY=off", "GOFLAGS=-mod=mod", "CGO_ENABLED=1")
	out, err := cmd.CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "hello world true <nil>" {
		t.Fatalf("go run of an outside program: %v\n%s", err, out)
	}
}
