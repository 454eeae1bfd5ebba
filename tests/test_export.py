"""`python -m autograder export`: the files Moodle, Canvas and Gradescope import (autograder.export).

Each test builds a grades folder as `grade` (and `merge-report`) write it, exports it, and checks
the file against the format of the system: the columns and rows its importer reads (the rules
quoted in autograder/export.py, from Moodle's and Canvas's importers and Gradescope's export),
the encoding, the delimiter, the numbers, and what a student with no grade gets. The class of twelve
from each LMS's own files is in test_lms.py."""
import csv
import io
import json
import zipfile

import pytest

from autograder import export
from autograder.handins import discover

ORDER = ["init_params", "forward", "loss_accuracy", "backward", "sgd", "circles_accuracy",
         "init_params_autograd", "sgd_autograd", "init_model", "loss_accuracy_nn", "sgd_nn",
         "init_model_optim", "MNIST_HPARAMS", "mnist_accuracy", "fit_svm"]
FULL = [5, 10, 6, 14, 5, 8, 5, 6, 6, 5, 5, 5, 2, 8, 10]


def grades_folder(root, rows, merged=None, reports=()):
    """grades.csv as write_gradebook writes it; gradebook.csv when merged (report_total, final)."""
    root.mkdir(parents=True, exist_ok=True)
    with open(root / "grades.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["submission", "total", "possible", "status", *ORDER])
        for sid, total, status, scores in rows:
            w.writerow([sid, total, 100.0, status, *scores])
    if merged:
        with open(root / "gradebook.csv", "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(["submission", "total", "possible", "status", *ORDER, "report_total",
                        "report_possible", "final"])
            for sid, total, status, scores in rows:
                report_total, final = merged.get(sid, ("", ""))
                w.writerow([sid, total, 100.0, status, *scores, report_total, 19, final])
    for sid in reports:
        (root / sid).mkdir()
        (root / sid / "report.html").write_text(f"<html><body>report of {sid}</body></html>")
    return root


ALICE = [5, 10, 6, 14, 5, 8, 5, 6, 6, 5, 5, 5, 2, 8, 10]
BOB = [5, 7.5, 6, 7, 5, 4, 5, 6, 6, 5, 5, 5, 2, 0, 10]  # 82.5
CHLOE = [5, 10, 6, 0, 5, 0, 5, 6, 6, 5, 5, 5, 2, 0, 0]  # timeout after 60


def moodle_class(tmp_path):
    """A Moodle download, the hand-ins list discover() writes, and the grades of that class."""
    dl = tmp_path / "download"
    for folder in ("Alice Martin_1234567_assignsubmission_file", "Bob Durand_1234568_assignsubmission_file",
                   "Chloé Petit_1234569_assignsubmission_file"):
        (dl / folder).mkdir(parents=True)
        (dl / folder / "tp1_ab.ipynb").write_text(json.dumps({"cells": []}))
    roster = tmp_path / "roster.csv"
    roster.write_bytes("\ufeffid;Nom complet;Adresse email;Participant ID;Username;ID number;Section\n"
                       "21001;Alice Martin;alice@uni.example;1234567;amartin;E21001;G1\n"
                       "21002;Bob Durand;bob@uni.example;1234568;bdurand;E21002;G1\n"
                       "21003;Chloé Petit;chloe@uni.example;1234569;cpetit;E21003;G2\n"
                       "21004;Zoé Lefèvre;zoe@uni.example;;zlefevre;E21004;G2\n"
                       "21005;Noé Sans-Courriel;;;;;G2\n".encode("utf-8"))
    grades = tmp_path / "grades"
    grades.mkdir()
    discovery = discover([dl], roster=roster)
    assert [h.id for h in discovery.handins] == ["21001", "21002", "21003"]
    discovery.write_csv(grades / "handins.csv")
    grades_folder(grades, [("21001", 100.0, "graded", ALICE), ("21002", 82.5, "graded", BOB),
                           ("21003", 60.0, "timeout", CHLOE)], reports=("21001", "21002", "21003"))
    return grades


def read(path, delimiter=","):
    raw = path.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")  # no byte-order mark
    return list(csv.reader(io.StringIO(raw.decode("utf-8"), newline=""), delimiter=delimiter))


# --- Moodle ------------------------------------------------------------------------------------

def test_moodle_gradebook_import_csv(tmp_path, capsys):
    grades = moodle_class(tmp_path)
    assert export.main(["--to", "moodle-gradebook", str(grades)]) == 0
    assert "the grades then override the assignment's, which can no longer change them" in capsys.readouterr().out
    rows = read(grades / "export" / "moodle_grades.csv")
    assert rows[0] == ["Email address", "Full name", "TP1-ab", "TP1-ab feedback"]
    # no row without a grade (timeout: not until checked; no hand-in): Moodle's import reads a blank as a
    # null grade and overrides the assignment's with it (grade_item::update_final_grade)
    assert rows[1:] == [
        ["alice@uni.example", "Alice Martin", "100", rows[1][3]],
        ["bob@uni.example", "Bob Durand", "82.5", rows[2][3]],
    ]
    assert rows[2][3].startswith("TP1-ab: 82.5/100. Per question: init_params 5/5, forward 7.5/10, ")
    assert rows[2][3].endswith("fit_svm 10/10. The details are in the attached report.html.")
    for r in rows[1:]:
        assert 0 <= float(r[2]) <= export.MOODLE_GRADEPOINTMAX
    notes = (grades / "export" / "moodle-gradebook-notes.txt").read_text(encoding="utf-8")
    assert "Noé Sans-Courriel (21005): no email address (give it in the roster)" in notes
    blank = ": no row, since a blank would erase and lock the gradebook's grade"
    assert f"Chloé Petit (21003): status timeout: check it, then export with --not-graded total{blank}" in notes
    assert f"Zoé Lefèvre (21004): no hand-in (export with --missing zero to give 0){blank}" in notes
    raw = (grades / "export" / "moodle_grades.csv").read_bytes()
    assert b"\r\n" in raw and "Martin".encode("utf-8") in raw


def test_moodle_worksheet_is_the_default_and_says_participant(tmp_path):
    grades = moodle_class(tmp_path)
    assert export.main(["--to", "moodle", str(grades)]) == 0
    rows = read(grades / "export" / "moodle_grading_worksheet.csv")
    assert [r[:7] for r in rows[1:]] == [
        ["Participant 1234567", "Alice Martin", "alice@uni.example", "graded", "100", "100", "Yes"],
        ["Participant 1234568", "Bob Durand", "bob@uni.example", "graded", "82.5", "100", "Yes"]]
    notes = (grades / "export" / "moodle-notes.txt").read_text(encoding="utf-8")
    # timeout: no grade until checked, so no row (an empty feedback would replace a comment and notify)
    assert ("Chloé Petit (21003): status timeout: check it, then export with --not-graded total: no row, so Moodle "
            "keeps what it has") in notes
    assert "Zoé Lefèvre (21004): no Moodle participant id" in notes  # no grade to send: not an error


@pytest.mark.parametrize("identity, header, alice", [("username", "Username", "amartin"),
                                                     ("idnumber", "ID number", "E21001")])
def test_moodle_identity_column_is_chosen(tmp_path, identity, header, alice, capsys):
    grades = moodle_class(tmp_path)
    # --missing zero gives Noé a grade, 0, and the roster gives him no identity: named, exit 1
    assert export.main(["--to", "moodle-gradebook", str(grades), "--identity", identity,
                        "--not-graded", "total", "--missing", "zero"]) == export.EXIT_LEFT_OUT
    assert f"  Noé Sans-Courriel (21005): no {header.lower()} (give it in the roster)" in capsys.readouterr().err
    rows = read(grades / "export" / "moodle_grades.csv")
    assert rows[0][0] == header and rows[1][0] == alice
    assert [r[2] for r in rows[1:]] == ["100", "82.5", "60", "0"]


def moodle_split(folder):
    """Moodle's importziplib.php: explode('_', $pathpart, 5), participant id at [1], plugin [2],[3]."""
    parts = folder.split("_", 4)
    return parts


def test_moodle_feedback_files_zip_follows_moodles_names(tmp_path):
    grades = moodle_class(tmp_path)
    export.main(["--to", "moodle", str(grades)])
    with zipfile.ZipFile(grades / "export" / "moodle_feedback_files.zip") as zf:
        names = sorted(zf.namelist())
        # Chloé's timeout has no grade yet: no feedback file (Moodle would notify her of one)
        assert names == ["Alice Martin_1234567_assignfeedback_file_/report.html",
                         "Bob Durand_1234568_assignfeedback_file_/report.html"]
        assert zf.read(names[1]) == b"<html><body>report of 21002</body></html>"
    for name in names:
        folder = name.split("/")[0]
        parts = moodle_split(folder)
        assert len(parts) == 5 and parts[1].isdigit()  # five parts: read by Moodle before and after 4.1
        assert (parts[2], parts[3], parts[4]) == ("assignfeedback", "file", "")
    export.main(["--to", "moodle", str(grades), "--not-graded", "total"])
    with zipfile.ZipFile(grades / "export" / "moodle_feedback_files.zip") as zf:
        assert len(zf.namelist()) == 3


def test_moodle_warns_about_grades_above_its_maximum(tmp_path):
    grades = grades_folder(tmp_path / "g", [("a", 95, "graded", ALICE)], merged={"a": (17, 112)})
    roster = tmp_path / "r.csv"
    roster.write_text("id,email\na,a@x.example\n")
    result = export.export(grades, "moodle-gradebook", roster=roster)
    assert read(grades / "export" / "moodle_grades.csv")[1][:3] == ["a@x.example", "", "112"]
    assert any("112 is above 100, Moodle's default largest grade" in w for w in result.warnings)


# --- Canvas ------------------------------------------------------------------------------------

# The shape of the file Canvas's importer reads (app/models/gradebook_importer.rb): its header
# checks, and the rows of a gradebook export as Canvas writes it.
CANVAS_SAMPLE = """\
Student,ID,SIS User ID,SIS Login ID,Section,TP1-ab (4242)\r
Points Possible,,,,,119\r
"Martin, Alice",340934,E21001,amartin,G1,119\r
"""


def canvas_header_ok(row):
    """row_has_student_headers? and the last student column being Section, as Canvas checks."""
    return (len(row) > 3 and "Student" in row[0] and "ID" in row[1]
            and row[2] == "SIS User ID" and row[3] == "SIS Login ID" and "Section" in row[4])


def test_canvas_gradebook_csv_matches_the_importer(tmp_path):
    sample = list(csv.reader(io.StringIO(CANVAS_SAMPLE)))
    assert canvas_header_ok(sample[0]) and sample[1][0] == "Points Possible"
    grades = grades_folder(tmp_path / "grades", [("340934", 100, "graded", ALICE),
                                                 ("340935", 82.5, "graded", BOB),
                                                 ("340936", 0, "unreadable", [0] * 15)],
                           merged={"340934": (19, 119), "340935": (12.25, 94.75)})
    roster = tmp_path / "roster.csv"
    roster.write_text("id,name,lms_id,sis user id,sis login id,section\n"
                      "340934,\"Martin, Alice\",340934,E21001,amartin,G1\n"
                      "340935,\"Durand, Bob\",340935,E21002,bdurand,G1\n"
                      "340936,\"Petit, Chloé\",340936,E21003,cpetit,G2\n"
                      "340937,\"Lefèvre, Zoé\",340937,,,G2\n", encoding="utf-8")
    assert export.main(["--to", "canvas", str(grades), "--roster", str(roster),
                        "--item", "TP1-ab (4242)"]) == 0
    rows = read(grades / "export" / "canvas_grades.csv")
    assert rows[:3] == sample
    assert rows[3:] == [["Durand, Bob", "340935", "E21002", "bdurand", "G1", "94.75"],
                        ["Petit, Chloé", "340936", "E21003", "cpetit", "G2", ""],  # unreadable
                        ["Lefèvre, Zoé", "340937", "", "", "G2", ""]]  # no hand-in
    assert canvas_header_ok(rows[0])


def test_canvas_leaves_out_students_it_could_only_match_by_name(tmp_path):
    grades = grades_folder(tmp_path / "g", [("alice", 50, "graded", ALICE)])
    result = export.export(grades, "canvas")
    assert read(grades / "export" / "canvas_grades.csv") == [
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "TP1-ab"],
        ["Points Possible", "", "", "", "", "100"]]
    assert [(s.id, why) for s, why in result.left_out] == [
        ("alice", "no Canvas user id, SIS User ID nor SIS Login ID (give Canvas's gradebook export as --roster)")]
    assert export.main(["--to", "canvas", str(grades)]) == export.EXIT_LEFT_OUT


# --- Gradescope --------------------------------------------------------------------------------

# Gradescope's own score export (first columns), as third-party tools read it back, with a
# student who handed nothing in: empty Total Score, status Missing.
GRADESCOPE_SAMPLE = """\
Name,SID,Email,Total Score,Max Points,Status
Alice Smith,12345678,alice@example.com,95.0,100.0,Submitted
Charlie Brown,11223344,charlie@example.com,,100.0,Missing
"""


def test_gradescope_scores_csv(tmp_path):
    sample = list(csv.reader(io.StringIO(GRADESCOPE_SAMPLE)))
    export_dir = tmp_path / "gs"
    (export_dir / "submission_7").mkdir(parents=True)
    (export_dir / "submission_7" / "tp1_ab.ipynb").write_text("{}")
    (export_dir / "submission_metadata.yml").write_text(
        "submission_7:\n  :submitters:\n  - :name: Zoé Lefèvre\n    :sid: '21004'\n"
        "    :email: zoe@uni.example\n  - :name: Léa Noël\n    :sid: ''\n    :email: lea@uni.example\n")
    grades = tmp_path / "grades"
    grades.mkdir()
    discovery = discover([export_dir])
    discovery.write_csv(grades / "handins.csv")
    grades_folder(grades, [("21004", 87.25, "graded", ALICE), ("lea@uni.example", 87.25, "graded", ALICE)])
    roster = tmp_path / "roster.csv"
    roster.write_text("email,name,idnumber\nzoe@uni.example,Zoé Lefèvre,21004\n"
                      "lea@uni.example,Léa Noël,\nmax@uni.example,Max Dupont,21009\n", encoding="utf-8")
    assert export.main(["--to", "gradescope-csv", str(grades), "--roster", str(roster)]) == 0
    rows = read(grades / "export" / "gradescope_scores.csv")
    assert rows[0] == sample[0]
    assert rows[1:] == [["Zoé Lefèvre", "21004", "zoe@uni.example", "87.25", "100", "Graded"],
                        ["Léa Noël", "", "lea@uni.example", "87.25", "100", "Graded"],
                        ["Max Dupont", "21009", "max@uni.example", "", "100", "Missing"]]
    assert [r[3:6:2] for r in sample[2:]] == [["", "Missing"]]  # the same convention as Gradescope's


# --- inputs ------------------------------------------------------------------------------------

def test_report_not_merged_yet_gives_an_empty_final(tmp_path):
    grades = grades_folder(tmp_path / "g", [("a", 90, "graded", ALICE), ("b", 80, "graded", BOB)],
                           merged={"a": (15.5, 105.5)})
    roster = tmp_path / "r.csv"
    roster.write_text("id,email\na,a@x.example\nb,b@x.example\n")
    result = export.export(grades, "gradescope-csv", roster=roster)
    rows = read(grades / "export" / "gradescope_scores.csv")
    assert [r[3:5] for r in rows[1:]] == [["105.5", "119"], ["", "119"]]
    assert [(s.id, why) for s, why in result.empty] == [
        ("b", "the report is not graded yet (merge-report left final empty)")]


@pytest.mark.parametrize("content, message", [
    ("submission,total,possible\na,1,2\n", "missing column(s) status"),
    ("submission,total,possible,status\na,abc,100,graded\n", "line 2: total 'abc' is not a number"),
    ("submission,total,possible,status\na,1,100,graded\na,2,100,graded\n", "line 3: submission 'a' is empty or appears twice"),
])
def test_bad_gradebooks_are_refused_with_where(tmp_path, content, message, capsys):
    (tmp_path / "grades.csv").write_text(content)
    assert export.main(["--to", "canvas", str(tmp_path)]) == 2
    assert message in capsys.readouterr().err


def test_usage_errors(tmp_path, capsys):
    assert export.main(["--to", "canvas", str(tmp_path / "nope")]) == 2
    assert "is not a folder" in capsys.readouterr().err
    assert export.main(["--to", "canvas", str(tmp_path), "--identity", "email"]) == 2
    assert "--identity applies to --to moodle-gradebook only" in capsys.readouterr().err
    assert export.main(["--to", "blackboard", str(tmp_path)]) == 2


def test_numbers_are_written_as_lms_read_them():
    assert [export.number(x) for x in (100.0, 82.5, 94.75, 1 / 3, 0.0, -0.0, 7.125)] == [
        "100", "82.5", "94.75", "0.33", "0", "0", "7.12"]
