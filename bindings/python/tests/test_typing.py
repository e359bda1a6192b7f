"""The type hints the package ships (py.typed) hold: the package and a program using it
type-check under mypy --strict."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

USER_PROGRAM = '''
    import metaldb

    def total(db: metaldb.Database) -> int:
        with db.transaction() as fork:
            balances: metaldb.MapIndex = fork.map("balances", group=b"eu")
            balances[b"alice"] = b"100"
            events: metaldb.ListIndex = fork.list("events")
            events.append(b"opened")
        with db.snapshot() as snapshot:
            value: bytes | None = snapshot.map("balances", b"eu").get(b"alice")
            pairs: list[tuple[bytes, bytes]] = list(snapshot.map("balances").items(start=b"a"))
            positions: list[int] = list(snapshot.sparse_list("s"))
            with db.migration("ns") as helper:
                handle: metaldb.AbortHandle | None = helper.abort_handle
                finished: bool = handle.finished if handle else True
            return len(pairs) + len(positions) + int(finished) + len(value or b"")
'''


def run_mypy(*args: str) -> subprocess.CompletedProcess:
    pytest.importorskip("mypy", reason="mypy is installed by `make py-test`")
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", *args],
        capture_output=True, text=True, timeout=600,
        env=dict(os.environ, MYPY_CACHE_DIR=os.devnull))


def test_package_type_checks_strictly():
    result = run_mypy("-p", "metaldb")
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_program_using_the_package_type_checks(tmp_path):
    program = tmp_path / "program.py"
    program.write_text(textwrap.dedent(USER_PROGRAM))
    result = run_mypy(str(program))
    assert result.returncode == 0, result.stdout + result.stderr
    wrong = tmp_path / "wrong.py"
    wrong.write_text("import metaldb\nmetaldb.temporary().fork().map(1)\n")
    result = run_mypy(str(wrong))
    assert result.returncode == 1 and 'incompatible type "int"' in result.stdout, result.stdout
