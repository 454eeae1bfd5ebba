"""A class graded for real, from Gradescope's export to the file Gradescope takes back.

The class of twelve (tests/lms_class.py) as Gradescope exports it, graded once for the module by
`python -m autograder grade` with Gradescope's own roster, the due date, and a late policy of 10 %
per started day; then exported. Every student is one row with the grade the grader gave their
notebook; the late one loses what the policy says, on their page too; the one with two notebooks and
the one with nothing are addressed as what they are; the class pages name everyone.
"""
import csv
import html
import re
import shutil
from dataclasses import replace

import pytest

from autograder import config, export, grade
from autograder.reports import TO_THE_STUDENT
from lms_class import ANA, CHLOE, CLASS, DANGELO, DEADLINE, gradescope_export, roster

pytestmark = pytest.mark.grading


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("round_trip")
    gradescope_export(root / "download")
    settings = replace(config.load(), late_policy="percent_per_day", late_percent=10.0)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(config, "load", lambda path=config.POINTS_FILE: settings)
        code = grade.main([str(root / "download"), "--out", str(root / "grades"), "--jobs", "2",
                           "--roster", str(roster("gradescope_roster.csv")), "--deadline", DEADLINE])
    return root, code, {row["submission"]: row for row in read_csv(root / "grades" / "grades.csv")}


def test_every_student_is_one_row_with_their_notebooks_grade(graded):
    _, code, rows = graded
    assert code == 0
    assert sorted(rows) == sorted(s.sid for s in CLASS)
    status = {s.sid: rows[s.sid]["status"] for s in CLASS}
    assert status == {s.sid: "missing" if s is ANA else "ambiguous" if s is CHLOE else "graded" for s in CLASS}
    total = {s.sid: float(rows[s.sid]["total"]) for s in CLASS}
    by_sample = {}
    for s in CLASS:
        if s.grades_as and s is not DANGELO:
            by_sample.setdefault(s.grades_as, set()).add(total[s.sid])
    assert all(len(v) == 1 for v in by_sample.values()), by_sample  # the same notebook, the same grade
    grade_of = {k: v.pop() for k, v in by_sample.items()}
    assert grade_of["reference"] == 100 and grade_of["unfilled"] == 0
    assert grade_of["summed_gradients"] == 100 - 14 * config.load().summed_gradient_credit
    assert grade_of["softmax_wrong_axis"] != grade_of["missing_tanh_derivative"]  # the two Maries differ
    assert all(0 < grade_of[k] < 100 for k in ("softmax_wrong_axis", "missing_tanh_derivative", "broken_svm"))
    # 25.5 h late: two started days at 10 % of the grade
    penalty = round(grade_of["summed_gradients"] * 0.2, 2)
    assert (total[DANGELO.sid], rows[DANGELO.sid]["late"], float(rows[DANGELO.sid]["late_penalty"])) == (
        round(grade_of["summed_gradients"] - penalty, 2), "yes", penalty)
    assert [sid for sid, row in rows.items() if row["late"]] == [DANGELO.sid]
    assert total[ANA.sid] == total[CHLOE.sid] == 0


def test_gradescope_takes_back_every_grade(graded, capsys):
    root, _, rows = graded
    assert export.main(["--to", "gradescope-csv", str(root / "grades")]) == 0
    out = read_csv(root / "grades" / "export" / "gradescope_scores.csv")
    assert [list(r.values()) for r in out] == [
        [s.full, s.sid, s.email, "" if s in (ANA, CHLOE) else export.number(float(rows[s.sid]["total"])), "100",
         "Missing" if s is ANA else "Ungraded" if s is CHLOE else "Graded"]
        for s in sorted(CLASS, key=lambda s: s.sid)]


def page(root, sid):
    return (root / "grades" / sid / "report.html").read_text(encoding="utf-8")


def test_the_late_students_page_says_what_the_policy_took(graded):
    root, _, rows = graded
    text = html.unescape(page(root, DANGELO.sid))
    assert "<title>TP1-ab feedback: D'Angelo Smith-Jones (21002)</title>" in text
    penalty = rows[DANGELO.sid]["late_penalty"]
    assert (f"Handed in late (1 day 1 h after the deadline): the late policy takes {penalty} points off (10 % of "
            f"the grade per started day late, 2 days). Before the late penalty: 93 / 100.") in text
    assert f"Total: {rows[DANGELO.sid]['total'].removesuffix('.0')} / 100" in text
    assert "late" not in html.unescape(page(root, CLASS[0].sid)).lower().replace("calculate", "")


@pytest.mark.parametrize("student", [CHLOE, ANA], ids=["two notebooks", "no hand-in"])
def test_a_student_with_nothing_graded_reads_no_zero_and_no_instruction_meant_for_the_instructor(graded, student):
    root, _, _ = graded
    text = html.unescape(page(root, student.sid))
    assert f"TP1-ab: feedback for {student.full} ({student.sid})" in text
    assert TO_THE_STUDENT["missing" if student is ANA else "ambiguous"] in text
    assert "0 / 100" not in text and "Total" not in text
    assert "--pick" not in text and "roster" not in text


def test_the_class_summary_names_the_students_and_counts_graded_submissions_only(graded):
    root, _, rows = graded
    text = " ".join(html.unescape((root / "grades" / "summary.html").read_text(encoding="utf-8")).split())
    assert "12 submissions, 10 graded normally" in text
    assert "over the 10 submissions that could be graded (the 2 without a grade" in text  # the mean's
    assert "Over the 10 submissions that could be graded (the 2 without a grade are left out)." in text  # questions'

    for s in CLASS:
        assert f">{s.full} ({s.sid})</a>" in text
    # The instructor, not the student, reads what to do about the two notebooks.
    assert re.search(r"Chloé O'Connor \(21006\)</a></td>\s*<td>ambiguous</td><td>.*grade one with --pick FILE", text)
    graded_rows = [r for r in rows.values() if r["status"] == "graded"]
    mean = sum(float(r["forward"]) for r in graded_rows) / len(graded_rows)
    assert f'<code>forward</code></td><td class="num">10</td> <td class="num">{mean:.2f}</td>' in text
    # the mistakes' "who", and the similarity pairs (Zoé and Łukasz handed in the same notebook; what
    # the samples share with every other is counted less, so the pair is among the closest, not flagged)
    assert "Marie Dubois (21003)" in text.split("Most frequent mistakes")[1].split("Submissions that could not")[0]
    assert "<td>Zoé Lefèvre (21001)</td><td>Łukasz Wiśniewski (21009)</td>" in text.split("Similar submissions")[1]


def test_picking_the_notebook_grades_that_student_and_reuses_the_others(graded, capsys):
    root, _, _ = graded
    final = next((root / "download").rglob("TP1 final.ipynb"))
    out = root / "grades_picked"
    shutil.copytree(root / "grades", out)  # the same class graded again: only Chloé's file is new
    settings = replace(config.load(), late_policy="percent_per_day", late_percent=10.0)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(config, "load", lambda path=config.POINTS_FILE: settings)
        capsys.readouterr()
        assert grade.main([str(root / "download"), "--out", str(out), "--jobs", "2", "--pick", str(final),
                           "--roster", str(roster("gradescope_roster.csv")), "--deadline", DEADLINE]) == 0
    assert "12 submissions, 11 graded, 1 with problems (10 unchanged since the last run" in capsys.readouterr().out
    rows = {r["submission"]: r for r in read_csv(out / "grades.csv")}
    assert (rows[CHLOE.sid]["status"], float(rows[CHLOE.sid]["total"])) == ("graded", 100.0)
    assert len(rows) == 12 and rows[ANA.sid]["status"] == "missing"
    picked = html.unescape((out / CHLOE.sid / "report.html").read_text(encoding="utf-8"))
    assert "Total: 100 / 100" in picked and TO_THE_STUDENT["ambiguous"] not in picked
