module github.com/metaldb/metaldb/bindings/go

go 1.19
