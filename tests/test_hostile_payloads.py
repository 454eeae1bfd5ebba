"""The hostile payloads of tests/hostile/ are real Python files, each used by a case of test_hostile.

No grading here: the files are read, parsed and filled in as test_hostile builds its notebooks.
A file that does not parse, a file no case uses and a case naming a file that is not there stop the
collection of test_hostile with the file's name; these tests check that they do.
"""
import ast
import re
from pathlib import Path

import pytest

import hostile_harness as harness
import test_hostile

PAYLOAD_FILES = sorted(harness.HOSTILE.glob("*.py"))
EVERY_CELLS = ([case.cells for case in test_hostile.CASES + test_hostile.SHM_CASES]
               + [cells for table in (test_hostile.HONEST, test_hostile.NO_CGROUP_HONEST) for cells in table.values()])


@pytest.mark.parametrize("path", PAYLOAD_FILES, ids=[p.name for p in PAYLOAD_FILES])
def test_every_payload_file_parses(path):
    ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    assert harness.PAYLOADS[path.stem] == path.read_text(encoding="utf-8")


def test_every_payload_file_is_used_and_every_case_names_files_that_exist():
    assert len(PAYLOAD_FILES) >= 50
    harness.check_payloads_used(EVERY_CELLS)  # raises PayloadError naming the files otherwise
    used = {harness.PRELUDE} | {name for cells in EVERY_CELLS for name in harness.cell_names(cells)}
    assert used == {p.stem for p in PAYLOAD_FILES}


def test_a_payload_that_does_not_parse_is_named(tmp_path):
    (tmp_path / "fine.py").write_text("def forward(params, X):\n    return X\n")
    (tmp_path / "broken.py").write_text("def forward(params, X):\nreturn X\n")
    with pytest.raises(harness.PayloadError, match=re.escape(str(tmp_path / "broken.py"))):
        harness.read_payloads(tmp_path)
    (tmp_path / "broken.py").unlink()
    assert harness.read_payloads(tmp_path) == {"fine": "def forward(params, X):\n    return X\n"}


def test_an_unused_payload_and_a_missing_one_are_named(tmp_path):
    payloads = {"prelude": "", "used": "", "forgotten": ""}
    with pytest.raises(harness.PayloadError) as unused:
        harness.check_payloads_used([["used"]], payloads, folder=tmp_path)
    assert str(tmp_path / "forgotten.py") in str(unused.value) and "used.py" not in str(unused.value)
    with pytest.raises(harness.PayloadError) as missing:
        harness.check_payloads_used([["used", ("forgotten", "absent")]], payloads, folder=tmp_path)
    assert str(tmp_path / "absent.py") in str(missing.value) and "forgotten.py" not in str(missing.value)
    harness.check_payloads_used([[("used", "forgotten")]], payloads, folder=tmp_path)  # a joined cell uses both


def test_every_cell_is_python_once_its_placeholders_are_filled():
    """The placeholders are names a payload may use (__OUT__, __XSS__, ...); once filled with the
    values of a batch, every cell a notebook gets still parses and holds none of them."""
    placeholders = harness.placeholders(Path("/var/tmp/out"), Path("/var/tmp/subs"), Path("/var/tmp/canary.txt"),
                                        Path("/var/tmp/public"))
    assert set(placeholders) == set(harness.PLACEHOLDERS)
    named = {name for source in harness.PAYLOADS.values() for name in re.findall(r"__([A-Z]+)__", source)}
    assert named <= set(harness.PLACEHOLDERS), f"unknown placeholders: {named - set(harness.PLACEHOLDERS)}"
    assert {"OUT", "SUBS", "CANARY", "KIT", "PUBLIC", "MARK", "XSS"} <= named
    for cells in EVERY_CELLS:
        for cell in [harness.PRELUDE, *(cells or ())]:
            source = harness.fill(harness.cell_source(cell), placeholders)
            ast.parse(source)
            assert not re.search(r"__(%s)__" % "|".join(harness.PLACEHOLDERS), source), cell
    prelude = harness.fill(harness.cell_source(harness.PRELUDE), placeholders)
    assert "_OUT = '/var/tmp/out'" in prelude and f"_MARK = {harness.MARK!r}" in prelude
