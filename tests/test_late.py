"""The late policy ([late] in points.toml, autograder/late.py) and what the pages say with it.

Pure functions and rendered pages from results made here (no grading: test_round_trip.py grades a
class with a late student for real)."""
import html
import tomllib
from dataclasses import replace

import pytest

from autograder import config, late
from autograder.reports import TO_THE_STUDENT, summary_data, write_student_report, write_summary
from autograder.results import State, zero_result


@pytest.mark.parametrize("policy, percent, hours, expected", [
    ("none", 10, 30.0, (0.0, "Handed in late (1 day 6 h after the deadline). The course's late policy takes "
                            "no points off.")),
    ("percent", 15, 0.5, (12.0, "Handed in late (30 min after the deadline): the late policy takes 12 points off "
                                "(15 % of the grade off a late hand-in).")),
    ("percent_per_day", 10, 49.0, (24.0, "Handed in late (2 days 1 h after the deadline): the late policy takes "
                                         "24 points off (10 % of the grade per started day late, 3 days).")),
    ("percent_per_day", 10, None, (8.0, "Handed in late (marked late by the LMS): the late policy takes 8 points "
                                        "off (10 % of the grade per started day late, 1 day).")),
    ("percent_per_day", 40, 80.0, (80.0, "Handed in late (3 days 8 h after the deadline): the late policy takes 80 "
                                         "points off (40 % of the grade per started day late, 4 days).")),
])
def test_penalty(policy, percent, hours, expected):
    total = 80.0
    assert late.penalty(policy, percent, total, True, hours) == expected
    assert late.penalty(policy, percent, total, False, hours) == (0.0, "")


def test_the_policy_is_declared_once_with_its_default_and_checked():
    with open(config.POINTS_FILE, "rb") as f:
        data = tomllib.load(f)
    assert data["late"] == {"policy": "none", "percent": 10}
    assert (config.load().late_policy, config.load().late_percent) == ("none", 10.0)
    assert set(config.LATE_POLICIES) == {"none", "percent", "percent_per_day"}
    without = {k: v for k, v in data.items() if k != "late"}
    assert config.parse(without).late_policy == "none"  # the default when the table is absent
    with pytest.raises(config.ConfigError, match=r"\[late\] policy must be one of none, percent, percent_per_day"):
        config.parse({**data, "late": {"policy": "half"}})
    with pytest.raises(config.ConfigError, match=r"\[late\] percent must be a number in \[0, 100\]"):
        config.parse({**data, "late": {"policy": "percent", "percent": 120}})
    with pytest.raises(config.ConfigError, match=r"\[late\]: unknown key\(s\) days"):
        config.parse({**data, "late": {"days": 2}})


def result(sid, total, status="graded", name="", **kwargs):
    r = zero_result(sid, f"{sid}.ipynb", status, "" if status == "graded" else "why", name=name, **kwargs)
    left = total
    for q in r.questions:
        q.score = min(q.max_score, left)
        q.state = State.JUDGED.value if status == "graded" else q.state
        left -= q.score
    return r


def test_the_students_page_shows_the_penalty(tmp_path):
    r = result("21002", 93, name="D'Angelo Smith-Jones")
    r.late_penalty, r.late = late.penalty("percent_per_day", 10, r.points, True, 25.5)
    assert (r.points, r.total) == (93, 74.4)
    write_student_report(r, tmp_path / "page.html")
    text = html.unescape((tmp_path / "page.html").read_text(encoding="utf-8"))
    assert "<h1>TP1-ab: feedback for D'Angelo Smith-Jones (21002)</h1>" in text
    assert "Total: 74.4 / 100" in text
    assert ("Handed in late (1 day 1 h after the deadline): the late policy takes 18.6 points off (10 % of the "
            "grade per started day late, 2 days). Before the late penalty: 93 / 100.") in text


@pytest.mark.parametrize("status", ["missing", "ambiguous"])
def test_nothing_graded_is_said_to_the_student_not_a_zero(tmp_path, status):
    r = zero_result("21006", "", status, "2 notebooks (a.ipynb, b.ipynb): grade one with --pick FILE", name="Chloé")
    write_student_report(r, tmp_path / "page.html")
    text = html.unescape((tmp_path / "page.html").read_text(encoding="utf-8"))
    assert TO_THE_STUDENT[status] in text
    assert "0 / 100" not in text and "--pick" not in text and "Total" not in text


def test_statistics_count_the_graded_submissions_only(tmp_path):
    results = [result("a", 100, name="Ana"), result("b", 50), result("c", 0, "missing"), result("d", 0, "ambiguous"),
               result("e", 0, "unreadable"), result("f", 40, "timeout")]
    data = summary_data(results)
    assert (data["n"], data["n_graded"], data["n_scored"]) == (6, 2, 3)
    assert data["mean"] == pytest.approx((100 + 50 + 40) / 3)
    forward = data["questions"][1]
    assert forward["id"] == "forward" and forward["mean"] == pytest.approx((10 + 10 + 10) / 3)
    init = data["questions"][0]
    assert init["full_rate"] == 1.0  # a, b and f have its 5 points; c, d, e are not counted as zeros
    write_summary(results, tmp_path)
    text = " ".join(html.unescape((tmp_path / "summary.html").read_text(encoding="utf-8")).split())
    assert "Over the 3 submissions that could be graded (the 3 without a grade are left out)." in text
    assert '<a href="a/report.html">Ana (a)</a>' in text


def test_a_late_hand_in_changes_nothing_under_the_default_policy():
    r = result("x", 80)
    r.late_penalty, r.late = late.penalty(config.load().late_policy, config.load().late_percent, r.points, True, 2.0)
    assert (r.total, r.late_penalty) == (80, 0.0) and "takes no points off" in r.late
    assert replace(r, late_penalty=100).total == 0  # never below zero
