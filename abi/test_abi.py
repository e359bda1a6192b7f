"""Tests of the comparison rules of abi.py (`make abi-check` runs them before the check)."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import abi  # noqa: E402

BASELINE = abi.parse_abi(
    """\
# comment
platform = x86_64-linux-gnu
constant MDB_OK = 0
function mdb_map_put = mdb_status (mdb_map *, const uint8_t *, size_t)
typedef mdb_map = opaque struct
struct mdb_bytes = size 24, align 8, frozen
field mdb_bytes.data = offset 0, size 8, uint8_t *
field mdb_bytes.len = offset 8, size 8, size_t
field mdb_bytes.capacity = offset 16, size 8, size_t
struct mdb_db_options = size 16, align 8, extensible (struct_size)
field mdb_db_options.struct_size = offset 0, size 8, size_t
field mdb_db_options.max_open_files = offset 8, size 4, int32_t
field mdb_db_options.create_if_missing = offset 12, size 1, _Bool
symbol mdb_map_put = METALDB_1.0
"""
)


def changed(**entries):
    """The baseline with some entries replaced (None removes one)."""
    current = dict(BASELINE)
    for key, value in entries.items():
        key = key.replace("__", " ").replace("_DOT_", ".")
        if value is None:
            del current[key]
        else:
            current[key] = value
    return current


class CompareTest(unittest.TestCase):
    def assert_compatible(self, current, *added):
        found_added, broken = abi.compare(BASELINE, current)
        self.assertEqual(broken, [])
        for expected in added:
            self.assertTrue(any(expected in line for line in found_added), (expected, found_added))

    def assert_broken(self, current, *expected):
        _, broken = abi.compare(BASELINE, current)
        self.assertEqual(len(broken), len(expected), broken)
        for line, text in zip(broken, expected):
            self.assertIn(text, line)

    def test_the_same_abi_is_compatible_and_adds_nothing(self):
        self.assertEqual(abi.compare(BASELINE, dict(BASELINE)), ([], []))

    def test_a_new_function_in_a_new_version_node_is_an_addition(self):
        current = changed()
        current["function mdb_map_count"] = "mdb_status (const mdb_map *, uint64_t *)"
        current["symbol mdb_map_count"] = "METALDB_1.1"
        current["constant MDB_ERR_CONFLICT"] = "14"
        self.assert_compatible(current, "function mdb_map_count", "symbol mdb_map_count")

    def test_a_new_symbol_in_a_released_version_node_breaks(self):
        current = changed()
        current["function mdb_map_count"] = "mdb_status (const mdb_map *, uint64_t *)"
        current["symbol mdb_map_count"] = "METALDB_1.0"
        self.assert_broken(current, "released: give it a node of its own")

    def test_a_removed_function_breaks(self):
        self.assert_broken(
            changed(function__mdb_map_put=None, symbol__mdb_map_put=None),
            "removed function mdb_map_put",
            "removed symbol mdb_map_put",
        )

    def test_a_changed_parameter_type_breaks_and_shows_both_prototypes(self):
        self.assert_broken(
            changed(function__mdb_map_put="mdb_status (mdb_map *, const uint8_t *, uint32_t)"),
            "changed function mdb_map_put\n      baseline: mdb_status (mdb_map *, const uint8_t *, "
            "size_t)\n      now:      mdb_status (mdb_map *, const uint8_t *, uint32_t)",
        )

    def test_a_changed_constant_or_symbol_version_breaks(self):
        self.assert_broken(
            changed(constant__MDB_OK="1", symbol__mdb_map_put="(no version)"),
            "changed constant MDB_OK",
            "changed symbol mdb_map_put",
        )

    def test_an_extensible_struct_may_grow_by_fields_after_its_baseline_size(self):
        current = changed(struct__mdb_db_options="size 24, align 8, extensible (struct_size)")
        current["field mdb_db_options.max_total_wal_size"] = "offset 16, size 8, uint64_t"
        self.assert_compatible(current, "grew from 16 to 24 bytes")

    def test_a_field_inside_the_baseline_size_of_an_extensible_struct_breaks(self):
        # A field in the old tail padding: an old library would ignore it without an error.
        current = changed()
        current["field mdb_db_options.compression"] = "offset 13, size 1, uint8_t"
        self.assert_broken(current, "inside the baseline's 16 bytes")

    def test_an_extensible_struct_must_not_shrink_or_change_alignment(self):
        self.assert_broken(
            changed(struct__mdb_db_options="size 32, align 16, extensible (struct_size)"),
            "changed struct mdb_db_options",
        )

    def test_a_frozen_struct_cannot_grow_or_move_a_field(self):
        current = changed(struct__mdb_bytes="size 32, align 8, frozen")
        current["field mdb_bytes.extra"] = "offset 24, size 8, size_t"
        self.assert_broken(current, "added to struct mdb_bytes, which is frozen", "changed struct mdb_bytes")
        self.assert_broken(
            changed(field__mdb_bytes_DOT_len="offset 16, size 8, size_t"),
            "changed field mdb_bytes.len",
        )

    def test_a_handle_that_becomes_a_visible_struct_breaks(self):
        self.assert_broken(changed(typedef__mdb_map="struct"), "changed typedef mdb_map")

    def test_the_baseline_format_round_trips(self):
        self.assertEqual(abi.parse_abi(abi.format_abi(BASELINE)), BASELINE)


if __name__ == "__main__":
    unittest.main()
