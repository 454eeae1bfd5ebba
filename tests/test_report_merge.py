"""Merging the hand-graded report scores into the gradebook (autograder/report_merge.py)."""
import csv
import tomllib
from pathlib import Path

import pytest

from autograder.report_merge import (MissingReportWarning, ReportScoresError, load_report_points,
                                     main, merge_report_scores)

ROOT = Path(__file__).resolve().parents[1]
POINTS = {"Q1": 1.0, "Q2": 2.0}
GRADES = ("submission,total,possible,status,forward,backward\n"
          "alice,7.5,10,graded,4,3.5\n"
          "bob,3,10,timeout,3,0\n"
          "carol,10,10,graded,5,5\n")


@pytest.fixture
def grades(tmp_path):
    path = tmp_path / "out" / "grades.csv"
    path.parent.mkdir()
    path.write_text(GRADES)
    return path


def _scores(tmp_path, text, name="scores.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _merge(grades, scores, points=POINTS):
    return merge_report_scores(grades, scores, points)


def _error(grades, scores, points=POINTS):
    with pytest.raises(ReportScoresError) as info:
        _merge(grades, scores, points)
    return str(info.value)


def test_merge_adds_report_total_possible_and_final(grades, tmp_path):
    scores = _scores(tmp_path, "submission,Q1,Q2\nbob,0,2\nalice,1,1.5\ncarol,0.25,0\n")
    rows = _merge(grades, scores)
    assert rows == [
        {"submission": "alice", "total": "7.5", "possible": "10", "status": "graded",
         "forward": "4", "backward": "3.5",
         "report_total": "2.5", "report_possible": "3", "final": "10"},
        {"submission": "bob", "total": "3", "possible": "10", "status": "timeout",
         "forward": "3", "backward": "0",
         "report_total": "2", "report_possible": "3", "final": "5"},
        {"submission": "carol", "total": "10", "possible": "10", "status": "graded",
         "forward": "5", "backward": "5",
         "report_total": "0.25", "report_possible": "3", "final": "10.25"},
    ]


def test_submission_without_report_row_gets_empty_totals_and_a_warning(grades, tmp_path):
    scores = _scores(tmp_path, "submission,Q1,Q2\nalice,1,2\n")
    with pytest.warns(MissingReportWarning) as record:
        rows = _merge(grades, scores)
    assert [(r["submission"], r["report_total"], r["report_possible"], r["final"]) for r in rows] == [
        ("alice", "3", "3", "10.5"), ("bob", "", "3", ""), ("carol", "", "3", "")]
    assert str(record[0].message) == ("no report scores for 2 submission(s) of the gradebook: "
                                      "bob, carol (report_total and final left empty)")


def test_spreadsheet_export_semicolons_decimal_commas_bom_blank_lines_extra_columns(grades,
                                                                                    tmp_path):
    text = ("\ufeffsubmission;Q2;comment;Q1\n\n"
            " alice ; 1,5 ; good ; 0,5 \n"
            "bob;2;;1\n"
            "carol;0;missing;0\n")
    rows = _merge(grades, _scores(tmp_path, text))
    assert [(r["report_total"], r["final"]) for r in rows] == [("2", "9.5"), ("3", "6"),
                                                               ("0", "10")]


@pytest.mark.parametrize("text, message", [
    ("submission,Q1,Q2\nalice,1,2\ndave,1,1\n",
     "{scores} line 3: submission 'dave' is not in the gradebook {grades}"),
    ("submission,Q1,Q2\nalcie,1,2\n",
     "{scores} line 2: submission 'alcie' is not in the gradebook {grades} (did you mean 'alice'?)"),
    ("submission,Q1\nalice,1\n",
     "{scores}: missing column(s) Q2 (expected submission,Q1,Q2)"),
    ("student,Q1,Q2\nalice,1,2\n",
     "{scores}: missing column(s) submission (expected submission,Q1,Q2)"),
    ("submission,Q1,Q2\nalice,1,\n",
     "{scores} line 2, submission 'alice', column Q2: empty score (write 0 for no points)"),
    ("submission,Q1,Q2\nalice,1\n",
     "{scores} line 2, submission 'alice', column Q2: empty score (write 0 for no points)"),
    ("submission,Q1,Q2\nalice,1,2\nbob,one,2\n",
     "{scores} line 3, submission 'bob', column Q1: score 'one' is not a number"),
    ("submission,Q1,Q2\nalice,nan,2\n",
     "{scores} line 2, submission 'alice', column Q1: score 'nan' is not a number"),
    ("submission,Q1,Q2\nalice,1,2.5\n",
     "{scores} line 2, submission 'alice', column Q2: score 2.5 is out of range "
     "[0, 2] (the points of Q2)"),
    ("submission,Q1,Q2\nalice,-0.5,2\n",
     "{scores} line 2, submission 'alice', column Q1: score -0.5 is out of range "
     "[0, 1] (the points of Q1)"),
    ("submission,Q1,Q2\nalice,1,2\nbob,1,1\nalice,0,0\n",
     "{scores} line 4: submission 'alice' appears twice (first on line 2)"),
    ("submission,Q1,Q2\n,1,2\n",
     "{scores} line 2: empty submission"),
    ("submission,Q1,Q2,Q18\nalice,1,2,1\n",
     "{scores}: column(s) Q18 are not report questions in points.toml [report] (Q1, Q2)"),
    ("submission,Q1,Q2\nalice,1,2,3\n",
     "{scores} line 2: 4 fields but the header has 3 columns"),
    ("",
     "scores file {scores} is empty (expected a header line)"),
])
def test_bad_scores_raise_a_clear_error(grades, tmp_path, text, message):
    scores = _scores(tmp_path, text)
    assert _error(grades, scores) == message.format(scores=scores, grades=grades)


def test_bad_gradebooks_raise_a_clear_error(tmp_path):
    scores = _scores(tmp_path, "submission,Q1,Q2\nalice,1,2\n")
    merged = _scores(tmp_path, "submission,total,report_total,final\nalice,1,1,2\n", "merged.csv")
    assert _error(merged, scores) == (
        f"gradebook {merged} already has column(s) report_total, final: give the grades.csv "
        f"written by the grader, not a merged gradebook")
    no_total = _scores(tmp_path, "submission,score\nalice,1\n", "no_total.csv")
    assert _error(no_total, scores) == (
        f"gradebook {no_total}: missing column(s) total "
        f"(expected submission,total,possible,status,...)")
    bad_total = _scores(tmp_path, "submission,total\nalice,\n", "bad_total.csv")
    assert _error(bad_total, scores) == (
        f"gradebook {bad_total} line 2, submission 'alice': total '' is not a number")
    twice = _scores(tmp_path, "submission,total\nalice,1\nalice,2\n", "twice.csv")
    assert _error(twice, scores) == (
        f"gradebook {twice} line 3: submission 'alice' appears twice (first on line 2)")
    missing = tmp_path / "nowhere.csv"
    assert _error(missing, scores) == f"gradebook {missing} does not exist"


def test_bad_points_raise_a_clear_error(grades, tmp_path):
    scores = _scores(tmp_path, "submission,Q1,Q2\nalice,1,2\n")
    assert _error(grades, scores, {"Q1": 1, "Q2": -1}) == (
        "points: points of Q2 must be a number >= 0, got -1")


def test_points_toml_report_section_has_q1_to_q17():
    points = load_report_points()
    assert list(points) == [f"Q{i}" for i in range(1, 18)]
    assert all(value > 0 for value in points.values())
    with open(ROOT / "autograder" / "points.toml", "rb") as f:
        assert tomllib.load(f)["report"] == {k: v for k, v in points.items()}


def _full_scores(tmp_path, rows):
    questions = [f"Q{i}" for i in range(1, 18)]
    lines = [",".join(["submission", *questions])]
    lines += [",".join([name, *[str(value)] * 17]) for name, value in rows]
    return _scores(tmp_path, "\n".join(lines) + "\n")


def test_main_writes_gradebook_next_to_grades(grades, tmp_path, capsys):
    scores = _full_scores(tmp_path, [("alice", 1), ("bob", 0.5)])
    possible = sum(load_report_points().values())
    assert main([str(grades), str(scores)]) == 0
    out = grades.parent / "gradebook.csv"
    with out.open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["submission", "total", "possible", "status", "forward", "backward",
                             "report_total", "report_possible", "final"]
    assert [(r["submission"], r["report_total"], r["final"]) for r in rows] == [
        ("alice", "17", "24.5"), ("bob", "8.5", "11.5"), ("carol", "", "")]
    assert {r["report_possible"] for r in rows} == {f"{possible:g}"}
    captured = capsys.readouterr()
    assert captured.out == f"wrote {out}: 3 submission(s), 2 with report scores, 1 without\n"
    assert captured.err == ("merge-report: warning: no report scores for 1 submission(s) of the "
                            "gradebook: carol (report_total and final left empty)\n")
    assert grades.read_text() == GRADES


def test_main_out_option(grades, tmp_path, capsys):
    scores = _full_scores(tmp_path, [("alice", 0), ("bob", 0), ("carol", 0)])
    out = tmp_path / "elsewhere" / "final.csv"
    assert main([str(grades), str(scores), "--out", str(out)]) == 0
    assert out.exists() and not (grades.parent / "gradebook.csv").exists()
    assert capsys.readouterr().err == ""


def test_main_reports_errors_on_stderr_with_status_2(grades, tmp_path, capsys):
    scores = _full_scores(tmp_path, [("alice", 1), ("zoe", 1)])
    assert main([str(grades), str(scores)]) == 2
    captured = capsys.readouterr()
    assert captured.err == (f"merge-report: error: {scores} line 3: submission 'zoe' is not in "
                            f"the gradebook {grades}\n")
    assert captured.out == ""
    assert not (grades.parent / "gradebook.csv").exists()


def test_main_refuses_to_overwrite_grades(grades, tmp_path, capsys):
    scores = _full_scores(tmp_path, [("alice", 1)])
    assert main([str(grades), str(scores), "--out", str(grades)]) == 2
    assert "is GRADES_CSV itself" in capsys.readouterr().err
    assert grades.read_text() == GRADES


def test_main_usage_errors(capsys):
    assert main([]) == 2
    assert "usage: python -m autograder merge-report" in capsys.readouterr().err
    assert main(["--help"]) == 0
    assert "GRADES_CSV SCORES_CSV" in capsys.readouterr().out
