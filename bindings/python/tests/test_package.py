"""The package as shipped: generated declarations, library lookup and version checks, the
coverage of the header, the wheel's contents."""

from __future__ import annotations

import ast
import importlib.metadata
import importlib.util
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import metaldb
from metaldb import _ffi, _lib

from conftest import REPO

PACKAGE = Path(metaldb.__file__).parent
SOURCE_PACKAGE = REPO / "bindings" / "python" / "metaldb"


def load_generator():
    spec = importlib.util.spec_from_file_location(
        "gen_ctypes", REPO / "bindings" / "python" / "tools" / "gen_ctypes.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_committed_ffi_module_is_generated_from_the_header():
    generated = load_generator().generate()
    committed = (SOURCE_PACKAGE / "_ffi.py").read_text(encoding="utf-8")
    assert committed == generated, (
        "bindings/python/metaldb/_ffi.py is stale: run bindings/python/tools/gen_ctypes.py")


def test_installed_ffi_module_is_the_committed_one():
    assert (PACKAGE / "_ffi.py").read_text() == (SOURCE_PACKAGE / "_ffi.py").read_text(), (
        "the installed wheel was built from another _ffi.py: rebuild it (make wheel)")


def test_generator_refuses_a_declaration_it_does_not_know(tmp_path):
    generator = load_generator()
    header = tmp_path / "metaldb.h"
    header.write_text("union mdb_value { int a; float b; };\n")
    with pytest.raises(generator.HeaderError, match="union mdb_value"):
        generator.generate(header)


def test_generator_reads_field_docs_holding_braces_and_semicolons(tmp_path):
    generator = load_generator()
    source = (REPO / "include" / "metaldb.h").read_text(encoding="utf-8")
    field_doc = "   * The bytes, or NULL for an empty value.\n"
    assert field_doc in source, "the field doc this test edits is gone: pick another"
    header = tmp_path / "metaldb.h"
    header.write_text(source.replace(
        field_doc, "   * The bytes, or NULL for an empty value (`{}`; see `mdb_bytes_free`).\n"))
    assert generator.render(generator.parse(header.read_text()), "metaldb.h") == \
        generator.render(generator.parse(source), "metaldb.h")


def test_tests_run_against_the_installed_package_and_its_bundled_library():
    assert SOURCE_PACKAGE not in PACKAGE.parents and PACKAGE != SOURCE_PACKAGE
    if "METALDB_LIBRARY" not in os.environ:
        assert Path(metaldb.library_path) == PACKAGE / "_native" / "libmetaldb.so"
    assert (PACKAGE / "py.typed").exists()
    wheel = importlib.metadata.distribution("metaldb").read_text("WHEEL")
    assert "Root-Is-Purelib: false" in wheel
    tags = [line.split(": ")[1] for line in wheel.splitlines() if line.startswith("Tag: ")]
    assert tags and all(tag.startswith("py3-none-") and not tag.endswith("-any")
                        for tag in tags), tags


def wrapped_functions() -> set[str]:
    """The C functions the package's modules name: as an attribute (`lib.mdb_x`), or as a
    string ("mdb_x") other than a key of UNWRAPPED."""
    names = set()
    for module in PACKAGE.glob("*.py"):
        if module.name == "_ffi.py":
            continue
        tree = ast.parse(module.read_text())
        unwrapped_keys = {
            id(key) for node in ast.walk(tree)
            if isinstance(node, ast.AnnAssign) or isinstance(node, ast.Assign)
            for target in ([node.target] if isinstance(node, ast.AnnAssign) else node.targets)
            if isinstance(target, ast.Name) and target.id == "UNWRAPPED"
            and isinstance(node.value, ast.Dict)
            for key in node.value.keys
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in _ffi.FUNCTIONS:
                names.add(node.attr)
            elif isinstance(node, ast.Constant) and node.value in _ffi.FUNCTIONS \
                    and id(node) not in unwrapped_keys:
                names.add(node.value)
    return names


def test_every_header_function_is_wrapped_or_deliberately_unwrapped():
    wrapped = wrapped_functions()
    header = set(_ffi.FUNCTIONS)
    neither = header - wrapped - set(_lib.UNWRAPPED)
    assert not neither, f"functions of metaldb.h neither wrapped nor in UNWRAPPED: {neither}"
    assert not wrapped - header, f"the package calls functions not in metaldb.h: {wrapped - header}"
    both = wrapped & set(_lib.UNWRAPPED)
    assert not both, f"listed as unwrapped but called: {both}"
    assert set(_lib.UNWRAPPED) <= header, "UNWRAPPED names functions that metaldb.h lacks"


def test_every_status_code_has_its_exception_class():
    codes = {value for name, value in vars(_ffi).items() if name.startswith("MDB_ERR_")}
    assert codes == set(metaldb._errors.BY_CODE)
    for code, cls in metaldb._errors.BY_CODE.items():
        assert issubclass(cls, metaldb.Error) and cls.code == code
        assert getattr(_ffi, cls.code_name) == code


def test_enums_match_the_header_constants():
    compression = {n[len("MDB_COMPRESSION_"):]: v for n, v in vars(_ffi).items()
                   if n.startswith("MDB_COMPRESSION_")}
    assert {c.name: c.value for c in metaldb.Compression} == compression
    index_types = {n[len("MDB_INDEX_"):]: v for n, v in vars(_ffi).items()
                   if n.startswith("MDB_INDEX_")}
    assert {t.name: t.value for t in metaldb.IndexType} == index_types


def test_versions_of_binding_and_library_agree():
    assert metaldb.__version__ == _ffi.METALDB_VERSION_STRING
    assert metaldb.library_version.split(".")[0] == str(_lib.SUPPORTED_MAJOR)
    assert "snappy" in metaldb.features()


def python(code: str, library: str, **kwargs) -> subprocess.CompletedProcess:
    """Runs `code` in a new interpreter with METALDB_LIBRARY set, outside the source tree."""
    return subprocess.run([sys.executable, "-c", code], cwd=Path(library).parent,
                          env=dict(os.environ, METALDB_LIBRARY=library), capture_output=True,
                          text=True, timeout=60, **kwargs)


def import_in_subprocess(library: str) -> subprocess.CompletedProcess:
    return python("import metaldb", library)


def fake_library(tmp_path: Path, version_number: int) -> str:
    """A shared library whose only function is mdb_version_number."""
    source = tmp_path / "fake.c"
    source.write_text(textwrap.dedent(f"""\
        #include <stdint.h>
        uint32_t mdb_version_number(void) {{ return {version_number}; }}
    """))
    fake = tmp_path / "libfake.so"
    subprocess.run(["cc", "-shared", "-fPIC", "-o", str(fake), str(source)], check=True)
    return str(fake)


def test_import_names_both_versions_when_the_library_major_differs(tmp_path):
    result = import_in_subprocess(fake_library(tmp_path, 2003004))
    assert result.returncode != 0
    assert "ImportError" in result.stderr
    assert "2.3.4" in result.stderr, result.stderr
    assert f"supports major version {_lib.SUPPORTED_MAJOR}" in result.stderr, result.stderr


def test_import_names_the_functions_an_older_library_lacks(tmp_path):
    result = import_in_subprocess(fake_library(tmp_path, _ffi.METALDB_VERSION_NUMBER))
    assert "ImportError" in result.stderr, result.stderr
    assert "lacks mdb_abort_handle_abort" in result.stderr, result.stderr
    assert "mdb_fault_injection_arm_panic" not in result.stderr  # optional: test builds only


def test_import_names_the_library_it_cannot_load(tmp_path):
    missing = tmp_path / "no-such-libmetaldb.so"
    result = import_in_subprocess(str(missing))
    assert "ImportError" in result.stderr and str(missing) in result.stderr, result.stderr
    assert "METALDB_LIBRARY" in result.stderr


def test_metaldb_library_takes_precedence_over_the_bundled_copy(tmp_path):
    copy = tmp_path / "libmetaldb-copy.so"
    copy.write_bytes(Path(metaldb.library_path).read_bytes())
    result = python("import metaldb; print(metaldb.library_path)", str(copy), check=True)
    assert result.stdout.strip() == str(copy)


def test_library_lookup_order_is_environment_then_wheel_then_system(monkeypatch, tmp_path):
    found = []
    monkeypatch.setattr(_lib.ctypes.util, "find_library",
                        lambda name: found.append(name) or "libmetaldb.so.1")
    monkeypatch.setenv("METALDB_LIBRARY", "/from/the/environment.so")
    assert _lib._locate()[0] == "/from/the/environment.so"
    monkeypatch.delenv("METALDB_LIBRARY")
    bundled = tmp_path / "libmetaldb.so"
    bundled.write_bytes(b"")
    monkeypatch.setattr(_lib, "BUNDLED", bundled)
    assert _lib._locate()[0] == str(bundled)
    monkeypatch.setattr(_lib, "BUNDLED", tmp_path / "not-bundled.so")
    assert _lib._locate() == ("libmetaldb.so.1", "the system (ctypes.util.find_library)")
    assert found == ["metaldb"]
    monkeypatch.setattr(_lib.ctypes.util, "find_library", lambda name: None)
    with pytest.raises(ImportError, match="METALDB_LIBRARY"):
        _lib._locate()
