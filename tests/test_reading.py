"""Reading a submission: what the grader reads of a notebook (code cells' sources, Otter's
assignment name), within caps on every part of the file whatever it holds, and the cell magics whose
body is the notebook's Python."""
import copy
import csv
import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from autograder import checks, similarity
from autograder.pipeline import read
from autograder.pipeline.read import UnreadableSubmission, program_of, read_notebook
from submissions import REFERENCE, SAMPLES, edited, function_cell, write

ROOT = Path(__file__).resolve().parent.parent


def _json(path):
    return json.loads(Path(path).read_text())


def _dump(raw, path):
    Path(path).write_text(json.dumps(raw, separators=(",", ":")))
    return Path(path)


def _zipped(raw, path):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("tp1_ab.ipynb", json.dumps(raw, separators=(",", ":")))
    return Path(path)


MARKDOWN = {"cell_type": "markdown", "metadata": {}, "source": ["padding"]}
STREAM = {"output_type": "stream", "name": "stdout", "text": ["epoch 1\n"]}


def markdown_flood(n):
    raw = _json(REFERENCE)
    raw["cells"] += [MARKDOWN] * n
    return raw


def outputs_flood(n):
    raw = _json(REFERENCE)
    raw["cells"][-1]["outputs"] = [STREAM] * n
    return raw


def attachments_flood(n):
    raw = _json(REFERENCE)
    raw["cells"].insert(0, {"cell_type": "markdown", "metadata": {}, "source": ["![a](attachment:a0.png)"],
                            "attachments": {f"a{i}.png": {"image/png": "iVBORw0KGgo="} for i in range(n)}})
    return raw


def _refused(path):
    with pytest.raises(UnreadableSubmission) as e:
        read_notebook(path)
    return e.value


def _same_program(a, b):
    return (a.cells, [s.source for s in a.statements], a.notes) == (b.cells, [s.source for s in b.statements], b.notes)


# --- what is read ------------------------------------------------------------------------------

@pytest.mark.parametrize("sample", sorted(p.name for p in SAMPLES.glob("*.ipynb")))
def test_the_samples_read_as_jupyter_reads_them(sample):
    nb = nbformat.read(SAMPLES / sample, as_version=4)
    got = read_notebook(SAMPLES / sample)
    assert _same_program(program_of(got), program_of(nb))
    assert got["metadata"]["otter"] == {"assignment_name": nb.metadata.otter.assignment_name}


def test_what_is_skipped_changes_nothing(tmp_path):
    """Markdown, outputs, attachments, metadata, escapes in keys and duplicate keys under the caps:
    the same code cells as Jupyter's own reader."""
    raw = _json(REFERENCE)
    raw["cells"] = [c if c["cell_type"] != "code" else dict(c, outputs=[STREAM, {
        "output_type": "display_data", "data": {"image/png": "iVBORw0KGgo" * 5000, "text/plain": ["<Figure>"]},
        "metadata": {"nested": [[{"a": [1, -2.5e-3, True, None, "]}\\\"["]}]]}}]) for c in raw["cells"]]
    raw["cells"].insert(3, {"cell_type": "raw", "id": "raw-1", "metadata": {}, "source": "{[(", "attachments": {}})
    raw["metadata"]["widgets"] = {"state": {str(i): {"x": [i] * 10} for i in range(300)}}
    text = json.dumps(raw, indent=1, ensure_ascii=False)
    text = text.replace('"cell_type": "code"', '"cell\\u005ftype": "c\\u006fde"', 1)  # escapes, as JSON allows
    path = tmp_path / "padded.ipynb"
    path.write_text(text)
    assert _same_program(program_of(read_notebook(path)), program_of(nbformat.reads(text, as_version=4)))
    dup = tmp_path / "duplicate.ipynb"  # the last of two "source" keys wins, as in Python's json
    dup.write_text(text.replace('"source": ', '"source": "x = 1", "source": ', 1))
    assert _same_program(program_of(read_notebook(dup)), program_of(nbformat.reads(dup.read_text(), as_version=4)))


@pytest.mark.parametrize("content,says", [
    (b"{ this is not json", "not JSON"),
    (b'{"cells": [{"cell_type": "code", "source": "x = 1"}', "not JSON"),
    (b'{"cells": [], "metadata": {"a": [1, 2}}', "not JSON"),
    (b'{"cells": []} []', "not JSON"),
    (b'[1, 2, 3]', "JSON but not a Jupyter notebook"),
    (b'{"metadata": {}}', "JSON but not a Jupyter notebook"),
    (b'{"cells": [], "metadata": {"a": "caf\xe9"}}', "not UTF-8 text at byte 36"),
])
def test_what_is_not_a_notebook_is_named(tmp_path, content, says):
    path = tmp_path / "bad.ipynb"
    path.write_bytes(content)
    refused = _refused(path)
    assert refused.status == "unreadable" and says in str(refused)


# --- the caps, on every part ----------------------------------------------------------------------

@pytest.mark.parametrize("build,cap,says", [
    (markdown_flood, "MAX_CELLS_ALL", "cells (markdown, code and raw together)"),
    (outputs_flood, "MAX_OUTPUTS", "outputs"),
    (attachments_flood, "MAX_ATTACHMENTS", "attachments"),
])
@pytest.mark.parametrize("zipped", [False, True])
def test_a_padded_notebook_is_refused_naming_its_cap(tmp_path, build, cap, says, zipped):
    limit = getattr(read, cap)
    path = (_zipped if zipped else _dump)(build(limit + 1), tmp_path / ("padded.zip" if zipped else "padded.ipynb"))
    refused = _refused(path)
    assert refused.status == "too_large" and f"more than {limit:,} {says}" in str(refused)
    at_cap = (_zipped if zipped else _dump)(build(limit - 80), tmp_path / ("ok.zip" if zipped else "ok.ipynb"))
    assert _same_program(program_of(read_notebook(at_cap)), program_of(nbformat.read(REFERENCE, as_version=4)))


def test_nested_lists_and_a_long_file_list_are_refused(tmp_path):
    raw = _json(REFERENCE)
    raw["metadata"]["pad"] = [[]] * read.MAX_CONTAINERS
    refused = _refused(_dump(raw, tmp_path / "nested.ipynb"))
    assert refused.status == "too_large" and f"more than {read.MAX_CONTAINERS:,} JSON objects" in str(refused)
    many = tmp_path / "many.zip"
    with zipfile.ZipFile(many, "w") as zf:
        zf.writestr("tp1_ab.ipynb", REFERENCE.read_text())
        for i in range(read.MAX_ZIP_DIRECTORY_BYTES // 60):
            zf.writestr(f"pad/{i:012d}.txt", "")
    refused = _refused(many)
    assert refused.status == "too_large" and "lists more files than an export zip holds" in str(refused)


def test_a_huge_list_of_strings_is_skipped_not_decoded(tmp_path):
    raw = _json(REFERENCE)
    raw["metadata"]["pad"] = ["ab"] * 2_000_000
    assert _same_program(program_of(read_notebook(_dump(raw, tmp_path / "long.ipynb"))),
                         program_of(nbformat.read(REFERENCE, as_version=4)))


# --- cell magics ------------------------------------------------------------------------------------

def _with_magic(magic, function="fit_svm"):
    nb = edited()
    cell = function_cell(nb, function)
    cell.source = magic + "\n" + cell.source
    return nb


@pytest.mark.parametrize("magic", ["%%time", "%%capture out", "%%prun -q", "%%capture --no-stderr\n%%time", "\n  %%time"])
def test_a_python_cell_magic_defines_its_functions(magic):
    program = program_of(_with_magic(magic))
    assert "fit_svm" in program.defined
    assert any(s.source.startswith("def fit_svm(") for s in program.statements)


@pytest.mark.parametrize("magic", ["%%bash", "%%writefile svm.py", "%%html", "%%timeit", "%%time\n%%bash", "%%"])
def test_other_cell_magics_are_not_the_notebooks_python(magic):
    program = program_of(_with_magic(magic))
    assert "fit_svm" not in program.defined and not any("fit_svm" in s.source for s in program.statements)


def test_the_similarity_report_reads_cell_magics_by_the_same_rule():
    for magic in ["%%time", "%%capture out\n%%time", "%%bash", "%%timeit", "%%writefile x.py"]:
        source = magic + "\ndef f(x):\n    return x\n"
        python, not_python = similarity._blank_magics(source)
        assert not_python == (read.strip_ipython(source)[1]), magic
        if not not_python:
            assert python == read.strip_ipython(source)[0]


# --- a class with padded hand-ins ---------------------------------------------------------------------

@pytest.mark.grading
def test_padded_hand_ins_get_their_row_and_the_others_are_unchanged(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    write(nbformat.read(REFERENCE, as_version=4), subs / "reference.ipynb")
    write(_with_magic("%%time"), subs / "timed_svm.ipynb")
    write(_with_magic("%%capture out\n%%time", "forward"), subs / "captured_forward.ipynb")
    _zipped(markdown_flood(read.MAX_CELLS_ALL + 1), subs / "markdown_flood.zip")
    _dump(outputs_flood(read.MAX_OUTPUTS + 1), subs / "outputs_flood.ipynb")
    _dump(attachments_flood(read.MAX_ATTACHMENTS + 1), subs / "attachments_flood.ipynb")
    out = tmp_path / "out"
    run = subprocess.run([sys.executable, "-m", "autograder", "grade", str(subs), "--out", str(out), "--jobs", "2"],
                         capture_output=True, text=True, cwd=ROOT, timeout=900)
    assert run.returncode == 0, run.stderr
    with open(out / "grades.csv") as f:
        grades = {row["submission"]: row for row in csv.DictReader(f)}
    assert set(grades) == {"reference", "timed_svm", "captured_forward", "markdown_flood", "outputs_flood",
                           "attachments_flood"}
    for sid in ("reference", "timed_svm", "captured_forward"):
        assert grades[sid]["status"] == "graded" and float(grades[sid]["total"]) == 100.0, grades[sid]
        assert all(float(grades[sid][q]) == checks.points(q) for q in checks.ORDER)
    for sid, says in (("markdown_flood", f"more than {read.MAX_CELLS_ALL:,} cells"),
                      ("outputs_flood", f"more than {read.MAX_OUTPUTS:,} outputs"),
                      ("attachments_flood", f"more than {read.MAX_ATTACHMENTS:,} attachments")):
        assert grades[sid]["status"] == "too_large" and float(grades[sid]["total"]) == 0, grades[sid]
        assert says in json.loads((out / sid / "results.json").read_text())["output"]
