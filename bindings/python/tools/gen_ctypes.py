#!/usr/bin/env python3
"""Generates metaldb/_ffi.py, the ctypes declarations of include/metaldb.h.

Usage: gen_ctypes.py [HEADER] [OUTPUT]    (defaults: the repository's header and module)
       gen_ctypes.py --check              (exit 1 if the committed module is stale)

The header is cbindgen output with a regular shape, so a small parser is enough: `#define`
constants, opaque `typedef struct x x;`, scalar typedefs, `typedef struct { ... } x;`, one
function-pointer typedef shape and function prototypes, some under `#if defined(...)`. Anything
else in the header is an error here rather than something silently skipped: a new shape must be
taught to this script, not lost from the binding.

Type mapping, chosen for how the binding calls C:
- `const char *` and `const uint8_t *` parameters are `c_char_p`, so Python `bytes` (and None
  for NULL) pass without a copy; a `const char *` result comes back as `bytes`.
- `char *` (a buffer the library writes) is `POINTER(c_char)`, for `create_string_buffer`.
- `const uint8_t **` (bytes the library lends) is `POINTER(c_void_p)`, read with `string_at`.
- Handles are `POINTER(<opaque Structure>)`, so ctypes rejects a handle of the wrong kind.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
DEFAULT_HEADER = REPO / "include" / "metaldb.h"
DEFAULT_OUTPUT = REPO / "bindings" / "python" / "metaldb" / "_ffi.py"

SCALARS = {
    "bool": "c_bool",
    "int32_t": "c_int32",
    "uint8_t": "c_uint8",
    "uint32_t": "c_uint32",
    "uint64_t": "c_uint64",
    "size_t": "c_size_t",
    "char": "c_char",
}

# Guards that the header needs and Python does not: the include guard and the C++ linkage block.
IGNORED_CONDITIONS = ("ifndef METALDB_H", "ifdef __cplusplus")


class HeaderError(Exception):
    """The header has a construct this generator does not know."""


@dataclass
class Constant:
    name: str
    value: str  # a Python expression
    doc: str


@dataclass
class Param:
    name: str
    ctype: str  # the C type, normalised: "const mdb_db *"


@dataclass
class Function:
    name: str
    restype: str
    params: list[Param]
    condition: str | None
    doc: str


@dataclass
class Struct:
    name: str
    fields: list[Param]
    doc: str


@dataclass
class Header:
    constants: list[Constant] = field(default_factory=list)
    opaque: list[tuple[str, str]] = field(default_factory=list)  # (name, doc)
    aliases: list[tuple[str, str, str]] = field(default_factory=list)  # (name, C type, doc)
    structs: list[Struct] = field(default_factory=list)
    callbacks: list[Function] = field(default_factory=list)
    functions: list[Function] = field(default_factory=list)


def summary(doc: str) -> str:
    """The first sentence of a doc comment, on one line."""
    text = " ".join(doc.split())
    match = re.match(r"(.+?[.!?])(\s|$)", text)
    return match.group(1) if match else text


def clean_doc(comment: str) -> str:
    """The text of a `/** ... */` comment, without the decoration."""
    body = comment[3:-2]
    lines = [re.sub(r"^\s*\*\s?", "", line) for line in body.splitlines()]
    return "\n".join(lines).strip()


def normalise_type(text: str) -> str:
    """`const  uint8_t**` -> `const uint8_t **`."""
    text = re.sub(r"\s*\*\s*", " *", text.strip())
    text = re.sub(r"\s+", " ", text)
    return text.replace("* *", "**").strip()


def split_declarator(decl: str) -> Param:
    """`const uint8_t *key` -> Param("key", "const uint8_t *")."""
    match = re.fullmatch(r"(.*?[\s*])(\w+)", decl.strip(), re.S)
    if not match:
        raise HeaderError(f"cannot parse the declaration {decl!r}")
    return Param(match.group(2), normalise_type(match.group(1)))


def parse_params(text: str) -> list[Param]:
    text = " ".join(text.split())
    if text in ("", "void"):
        return []
    return [split_declarator(part) for part in text.split(",")]


def parse(header: str) -> Header:
    result = Header()
    tokens = re.finditer(
        r"(?P<doc>/\*\*.*?\*/)|(?P<comment>/\*.*?\*/|//[^\n]*)|(?P<pp>^[ \t]*#[^\n]*)"
        # A struct's body may hold its fields' doc comments, and they any character.
        r'|(?P<linkage>extern "C" \{|\})|(?P<stmt>[^;#/{}]+?(?:\{(?:/\*(?:[^*]|\*(?!/))*\*/|[^}/]|/(?!\*))*+\}[^;]*)?;)'
        r"|(?P<space>\s+)",
        header,
        re.S | re.M,
    )
    doc = ""
    conditions: list[str | None] = []  # the open #if blocks; None for the ignored guards
    position = 0
    for token in tokens:
        if token.start() != position:
            raise HeaderError(f"unparsed text: {header[position:token.start()][:80]!r}")
        position = token.end()
        kind = token.lastgroup
        text = token.group(kind)
        if kind == "doc":
            doc = clean_doc(text)
        elif kind == "pp":
            directive = re.sub(r"/\*.*?\*/|//.*", "", text.strip()[1:])
            directive = " ".join(directive.split())
            if directive in IGNORED_CONDITIONS:
                conditions.append(None)
            elif directive.startswith("if "):
                conditions.append(directive[3:])
            elif directive == "endif":
                conditions.pop()
            elif directive.startswith("include ") or directive == "define METALDB_H":
                pass
            elif directive.startswith("define "):
                parts = directive.split(None, 2)
                if len(parts) != 3:
                    raise HeaderError(f"a #define without a value: {text!r}")
                result.constants.append(Constant(parts[1], python_value(parts[2]), doc))
                doc = ""
            else:
                raise HeaderError(f"unknown directive: {text!r}")
        elif kind == "linkage":
            # `extern "C" {` and its `}`: C++ linkage, only inside `#ifdef __cplusplus`.
            if not conditions or conditions[-1] is not None:
                raise HeaderError(f"{text!r} outside the C++ linkage block")
        elif kind == "stmt":
            condition = next((c for c in reversed(conditions) if c), None)
            statement(result, " ".join(text.split()), doc, condition)
            doc = ""
    if position != len(header):
        raise HeaderError(f"unparsed text at the end: {header[position:][:80]!r}")
    if conditions:
        raise HeaderError(f"unterminated #if blocks: {conditions}")
    return result


def python_value(text: str) -> str:
    """The Python expression of a #define value: an integer, a shift or a string."""
    if re.fullmatch(r"\d+", text) or re.fullmatch(r'"[^"\\]*"', text):
        return text
    if re.fullmatch(r"\(\d+ << \d+\)", text):
        return text[1:-1]
    raise HeaderError(f"unknown #define value: {text!r}")


def statement(result: Header, text: str, doc: str, condition: str | None) -> None:
    if condition and not text.startswith(("mdb_", "void", "const", "size_t", "uint", "bool")):
        raise HeaderError(f"only functions may be conditional: {text!r}")
    if match := re.fullmatch(r"typedef struct (\w+) (\w+);", text):
        if match.group(1) != match.group(2):
            raise HeaderError(f"opaque struct with two names: {text!r}")
        result.opaque.append((match.group(1), doc))
    elif match := re.fullmatch(r"typedef struct \{(.*)\} (\w+);", text):
        body = re.sub(r"/\*.*?\*/", "", match.group(1))  # the fields' doc comments
        fields = [split_declarator(f) for f in body.split(";") if f.strip()]
        result.structs.append(Struct(match.group(2), fields, doc))
    elif match := re.fullmatch(r"typedef (.+?)\(\*(\w+)\)\((.*)\);", text):
        result.callbacks.append(
            Function(match.group(2), normalise_type(match.group(1)),
                     parse_params(match.group(3)), None, doc))
    elif match := re.fullmatch(r"typedef ([\w ]+) (\w+);", text):
        result.aliases.append((match.group(2), normalise_type(match.group(1)), doc))
    elif match := re.fullmatch(r"(.+?[\s*])(\w+)\((.*)\);", text):
        result.functions.append(
            Function(match.group(2), normalise_type(match.group(1)),
                     parse_params(match.group(3)), condition, doc))
    else:
        raise HeaderError(f"unknown declaration: {text!r}")


class TypeMapper:
    """Maps normalised C types to ctypes expressions."""

    def __init__(self, header: Header):
        self.opaque = {name for name, _ in header.opaque}
        self.named = self.opaque | {s.name for s in header.structs} | {
            name for name, _, _ in header.aliases} | {c.name for c in header.callbacks}

    def base(self, name: str) -> str:
        if name in SCALARS:
            return SCALARS[name]
        if name in self.named:
            return name
        raise HeaderError(f"unknown type {name!r}")

    def map(self, ctype: str, *, param: bool) -> str:
        const = ctype.startswith("const ")
        core = ctype[6:] if const else ctype
        depth = core.count("*")
        name = core.replace("*", "").strip()
        if depth == 0:
            return "None" if name == "void" else self.base(name)
        if depth == 1:
            if name == "void":
                return "c_void_p"
            if const and name == "char":
                return "c_char_p"
            if const and param and name == "uint8_t":
                return "c_char_p"
            return f"POINTER({self.base(name)})"
        if depth == 2:
            if name == "uint8_t":
                return "POINTER(c_void_p)"
            return f"POINTER(POINTER({self.base(name)}))"
        raise HeaderError(f"unsupported pointer depth: {ctype!r}")


def render(header: Header, source: str) -> str:
    types = TypeMapper(header)
    out: list[str] = []
    emit = out.append
    emit(f'"""ctypes declarations of {source}.\n')
    emit("Generated by bindings/python/tools/gen_ctypes.py; do not edit. A test fails when this")
    emit('module differs from what the script generates from the header.\n"""')
    emit("# ruff: noqa")
    emit("# fmt: off")
    emit("# flake8: noqa\n")
    emit("from ctypes import (")
    emit("    CFUNCTYPE, POINTER, Structure, c_bool, c_char, c_char_p, c_int32, c_size_t,")
    emit("    c_uint8, c_uint32, c_uint64, c_void_p,")
    emit(")")
    emit("from typing import Any, NamedTuple, Optional, Tuple\n")
    emit("\n# Constants (#define)\n")
    for constant in header.constants:
        if constant.doc:
            emit(f"#: {summary(constant.doc)}")
        emit(f"{constant.name} = {constant.value}")
    emit("\n\n# Opaque handle types\n")
    for name, doc in header.opaque:
        emit(f"\nclass {name}(Structure):")
        emit(f"    {docstring(summary(doc))}\n")
    emit("\n# Types\n")
    for name, ctype, doc in header.aliases:
        emit(f"#: {summary(doc)}")
        emit(f"{name} = {types.map(ctype, param=False)}")
    for struct in header.structs:
        emit(f"\n\nclass {struct.name}(Structure):")
        emit(f"    {docstring(summary(struct.doc))}\n")
        emit("    _fields_ = [")
        for f in struct.fields:
            emit(f'        ("{f.name}", {types.map(f.ctype, param=False)}),')
        emit("    ]")
    for callback in header.callbacks:
        args = ", ".join(types.map(p.ctype, param=True) for p in callback.params)
        emit(f"\n\n#: {summary(callback.doc)}")
        emit(f"{callback.name} = CFUNCTYPE({types.map(callback.restype, param=False)}, {args})")
    emit("\n\nclass Function(NamedTuple):")
    emit('    """A function of the header: its ctypes signature, and the `#if` it is under."""\n')
    emit("    restype: Any")
    emit("    argtypes: Tuple[Any, ...]")
    emit("    argnames: Tuple[str, ...]")
    emit("    condition: Optional[str]")
    emit("    summary: str\n")
    emit("\n#: Every function of the header, in header order.")
    emit("FUNCTIONS = {")
    for fn in header.functions:
        argtypes = "".join(f"{types.map(p.ctype, param=True)}, " for p in fn.params)
        argnames = "".join(f'"{p.name}", ' for p in fn.params)
        emit(f'    "{fn.name}": Function(')
        emit(f"        {types.map(fn.restype, param=False)},")
        emit(f"        ({argtypes.rstrip()}),")
        emit(f"        ({argnames.rstrip()}),")
        emit(f"        {fn.condition!r},")
        emit(f"        {summary(fn.doc)!r},")
        emit("    ),")
    emit("}")
    return "\n".join(out) + "\n"


def docstring(text: str) -> str:
    return '"""' + text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"') + '"""'


def generate(header_path: Path = DEFAULT_HEADER) -> str:
    source = "include/metaldb.h" if header_path == DEFAULT_HEADER else header_path.name
    return render(parse(header_path.read_text(encoding="utf-8")), source)


def main(argv: list[str]) -> int:
    if argv == ["--check"]:
        expected = generate()
        if DEFAULT_OUTPUT.read_text(encoding="utf-8") != expected:
            print(f"{DEFAULT_OUTPUT} is stale: run {Path(__file__).name}", file=sys.stderr)
            return 1
        return 0
    header = Path(argv[0]) if argv else DEFAULT_HEADER
    output = Path(argv[1]) if len(argv) > 1 else DEFAULT_OUTPUT
    output.write_text(generate(header), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
