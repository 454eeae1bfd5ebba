"""Merge the hand-graded report scores (theory questions Q1..Q17) into the gradebook.

    python -m autograder merge-report GRADES_CSV SCORES_CSV [--out PATH]

``GRADES_CSV`` is the ``grades.csv`` written by ``python -m autograder grade`` (columns
``submission,total,possible,status,<question ids...>``). ``SCORES_CSV`` is filled in by the graders,
one row per report: ``submission,Q1,...,Q17``, the points given for each question. The points each
question is worth are in ``autograder/points.toml``, section ``[report]``.

The result is a new file (``gradebook.csv`` next to ``GRADES_CSV`` unless ``--out`` says otherwise;
``GRADES_CSV`` itself is never overwritten): every row and column of the gradebook, plus

- ``report_total``: the sum of the submission's report scores;
- ``report_possible``: the sum of the points of the report questions (the same on every row);
- ``final``: ``total + report_total``.

Checks (each failure raises ``ReportScoresError`` with a message naming the file, line, submission,
column and value; ``main`` prints it to stderr and exits with status 2, writing nothing):

- the scores CSV has a ``submission`` column and one column per question of ``[report]``;
- every score is a plain number (``1``, ``0.5``, ``.5``) between 0 and the question's points;
  an empty cell is an error (write 0 for no points);
- every submission of the scores CSV is in the gradebook, and appears only once.

Choices:

- A gradebook submission with **no row** in the scores CSV keeps its row with ``report_total`` and
  ``final`` **empty**, not 0: its report is not graded yet, and an empty cell cannot be mistaken for
  a zero when the gradebook is read. A warning (``MissingReportWarning``; on stderr from the
  command line) lists these submissions. ``report_possible`` is filled in on every row.
- Columns of the scores CSV that are not question ids (``comment``, ``grader``, ...) are ignored; a
  column that looks like a question id (``Q18``) but is not in ``[report]`` is an error, as it
  means the scores and ``points.toml`` disagree.
- Spreadsheet exports are accepted as they come: UTF-8 with or without a byte-order mark, fields
  separated by ``,``, ``;`` or tabs (read from the header line), and, when the separator is not a
  comma, decimal commas (``0,5``). Blank lines are skipped; spaces around values are ignored.
- Numbers are written without trailing zeros (``10``, ``10.5``), rounded to 6 decimals.
"""
from __future__ import annotations

import argparse
import csv
import difflib
import math
import re
import sys
import warnings
from pathlib import Path

from .config import POINTS_FILE as POINTS_TOML
from .csvfile import write_csv

ADDED_COLUMNS = ("report_total", "report_possible", "final")
GRADEBOOK_REQUIRED = ("submission", "total")

_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
_QUESTION_ID = re.compile(r"Q\d+")


class ReportScoresError(ValueError):
    """A scores CSV, gradebook or points table that cannot be merged; the message says where."""


class MissingReportWarning(UserWarning):
    """Some gradebook submissions have no report scores: their report_total and final are empty."""


def load_report_points(path: Path = POINTS_TOML) -> dict[str, float]:
    """The ``[report]`` section of ``points.toml``: question id -> points, Q1..Q17 in order."""
    from .config import ConfigError, load

    try:
        return dict(load(Path(path)).report_points)
    except ConfigError as e:
        raise ReportScoresError(str(e)) from e


def _check_points(points: dict, where: str) -> None:
    if not points:
        raise ReportScoresError(f"{where}: no report questions")
    for question, value in points.items():
        if (isinstance(value, bool) or not isinstance(value, (int, float))
                or not math.isfinite(value) or value < 0):
            raise ReportScoresError(
                f"{where}: points of {question} must be a number >= 0, got {value!r}")


def _format(x: float) -> str:
    x = round(x, 6) + 0.0  # + 0.0 turns -0.0 into 0.0
    if x == int(x):
        return str(int(x))
    return f"{x:.6f}".rstrip("0").rstrip(".")


def _read_csv(path: Path, what: str) -> tuple[list[str], list[tuple[int, list[str]]], str]:
    """(header, [(line number, fields)], delimiter); blank lines skipped, cells stripped."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError as e:
        raise ReportScoresError(f"{what} {path} does not exist") from e
    except UnicodeDecodeError as e:
        raise ReportScoresError(f"{what} {path} is not UTF-8 text: {e}") from e
    except OSError as e:
        raise ReportScoresError(f"cannot read the {what} {path}: {e.strerror}") from e
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    if not first_line:
        raise ReportScoresError(f"{what} {path} is empty (expected a header line)")
    delimiter = max(",;\t", key=first_line.count)
    reader = csv.reader(text.splitlines(), delimiter=delimiter)
    header: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    for fields in reader:
        if not any(cell.strip() for cell in fields):
            continue
        fields = [cell.strip() for cell in fields]
        if header is None:
            header = fields
            continue
        rows.append((reader.line_num, fields))
    assert header is not None
    duplicated = sorted({name for name in header if header.count(name) > 1})
    if duplicated:
        raise ReportScoresError(f"{what} {path}: column(s) {', '.join(duplicated)} appear twice "
                                f"in the header")
    return header, rows, delimiter


def _row_dict(header: list[str], fields: list[str], path: Path, line: int) -> dict[str, str]:
    if len(fields) > len(header):
        raise ReportScoresError(f"{path} line {line}: {len(fields)} fields but the header has "
                                f"{len(header)} columns")
    fields = fields + [""] * (len(header) - len(fields))
    return dict(zip(header, fields))


def _read_gradebook(path: Path) -> tuple[list[str], list[dict[str, str]], dict[str, float]]:
    header, rows, _ = _read_csv(path, "gradebook")
    missing = [c for c in GRADEBOOK_REQUIRED if c not in header]
    if missing:
        raise ReportScoresError(f"gradebook {path}: missing column(s) {', '.join(missing)} "
                                f"(expected submission,total,possible,status,...)")
    merged = [c for c in ADDED_COLUMNS if c in header]
    if merged:
        raise ReportScoresError(f"gradebook {path} already has column(s) {', '.join(merged)}: "
                                f"give the grades.csv written by the grader, not a merged gradebook")
    records: list[dict[str, str]] = []
    totals: dict[str, float] = {}
    first_line: dict[str, int] = {}
    for line, fields in rows:
        record = _row_dict(header, fields, path, line)
        submission = record["submission"]
        if not submission:
            raise ReportScoresError(f"gradebook {path} line {line}: empty submission")
        if submission in first_line:
            raise ReportScoresError(f"gradebook {path} line {line}: submission {submission!r} "
                                    f"appears twice (first on line {first_line[submission]})")
        first_line[submission] = line
        try:
            total = float(record["total"])
        except ValueError:
            total = math.nan
        if not math.isfinite(total):
            raise ReportScoresError(f"gradebook {path} line {line}, submission {submission!r}: "
                                    f"total {record['total']!r} is not a number")
        totals[submission] = total
        records.append(record)
    return header, records, totals


def _parse_score(value: str, delimiter: str) -> float | None:
    if delimiter != "," and re.fullmatch(r"[+-]?\d*,\d+", value):
        value = value.replace(",", ".")
    if not _NUMBER.fullmatch(value):
        return None
    return float(value)


def merge_report_scores(grades_csv: Path, scores_csv: Path,
                        points: dict[str, float]) -> list[dict[str, str]]:
    """The gradebook rows with ``report_total``, ``report_possible`` and ``final`` added.

    ``points`` maps each report question id (``Q1``...) to its points (see
    ``load_report_points``). Returns one dict per gradebook row, in the gradebook's order, with the
    gradebook's columns (values as read) followed by the three new ones, all as strings: ready for
    ``csv.DictWriter``. Raises ``ReportScoresError`` on any bad input (nothing is written here);
    warns ``MissingReportWarning`` when some gradebook submissions have no report scores.
    """
    grades_csv, scores_csv = Path(grades_csv), Path(scores_csv)
    _check_points(points, "points")
    _, gradebook, totals = _read_gradebook(grades_csv)

    header, rows, delimiter = _read_csv(scores_csv, "scores file")
    questions = list(points)
    missing = [c for c in ["submission", *questions] if c not in header]
    if missing:
        raise ReportScoresError(
            f"{scores_csv}: missing column(s) {', '.join(missing)} "
            f"(expected submission,{','.join(questions)})")
    unknown = [c for c in header if _QUESTION_ID.fullmatch(c) and c not in points]
    if unknown:
        raise ReportScoresError(
            f"{scores_csv}: column(s) {', '.join(unknown)} are not report questions in "
            f"points.toml [report] ({', '.join(questions)})")

    report_totals: dict[str, float] = {}
    first_line: dict[str, int] = {}
    for line, fields in rows:
        record = _row_dict(header, fields, scores_csv, line)
        submission = record["submission"]
        where = f"{scores_csv} line {line}"
        if not submission:
            raise ReportScoresError(f"{where}: empty submission")
        if submission in first_line:
            raise ReportScoresError(f"{where}: submission {submission!r} appears twice "
                                    f"(first on line {first_line[submission]})")
        first_line[submission] = line
        if submission not in totals:
            close = difflib.get_close_matches(submission, list(totals), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ReportScoresError(f"{where}: submission {submission!r} is not in the gradebook "
                                    f"{grades_csv}{hint}")
        total = 0.0
        for question in questions:
            value = record[question]
            where_cell = f"{where}, submission {submission!r}, column {question}"
            if value == "":
                raise ReportScoresError(f"{where_cell}: empty score (write 0 for no points)")
            score = _parse_score(value, delimiter)
            if score is None:
                raise ReportScoresError(f"{where_cell}: score {value!r} is not a number")
            if not 0 <= score <= points[question]:
                raise ReportScoresError(f"{where_cell}: score {value} is out of range "
                                        f"[0, {_format(points[question])}] (the points of "
                                        f"{question})")
            total += score
        report_totals[submission] = total

    possible = _format(sum(points.values()))
    merged: list[dict[str, str]] = []
    without: list[str] = []
    for record in gradebook:
        submission = record["submission"]
        if submission in report_totals:
            report_total = _format(report_totals[submission])
            final = _format(totals[submission] + report_totals[submission])
        else:
            report_total = final = ""
            without.append(submission)
        merged.append({**record, "report_total": report_total, "report_possible": possible,
                       "final": final})
    if without:
        warnings.warn(MissingReportWarning(
            f"no report scores for {len(without)} submission(s) of the gradebook: "
            f"{', '.join(without)} (report_total and final left empty)"), stacklevel=2)
    return merged


def write_gradebook(rows: list[dict[str, str]], out: Path) -> None:
    """Write rows (as returned by ``merge_report_scores``) to ``out``, atomically."""
    out = Path(out)
    if not rows:
        fieldnames = ["submission", "total", *ADDED_COLUMNS]
    else:
        fieldnames = list(rows[0])
    write_csv(out, fieldnames, [[row.get(name, "") for name in fieldnames] for row in rows])


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m autograder merge-report",
        description="Merge the hand-graded report scores (Q1..Q17, points in "
                    "autograder/points.toml [report]) into the gradebook: adds report_total, "
                    "report_possible and final = total + report_total.")
    parser.add_argument("grades_csv", metavar="GRADES_CSV", type=Path,
                        help="the grades.csv written by `python -m autograder grade`")
    parser.add_argument("scores_csv", metavar="SCORES_CSV", type=Path,
                        help="the graders' scores: columns submission,Q1,...,Q17")
    parser.add_argument("--out", metavar="PATH", type=Path, default=None,
                        help="where to write the merged gradebook "
                             "(default: gradebook.csv next to GRADES_CSV)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """``merge-report`` subcommand: 0 when written (even with warnings), 2 on any error."""
    try:
        args = _parser().parse_args(argv)
    except SystemExit as e:  # --help (0) or a usage error (2), already printed by argparse
        return e.code if isinstance(e.code, int) else 2
    out = args.out if args.out is not None else args.grades_csv.parent / "gradebook.csv"
    try:
        if out.resolve() == args.grades_csv.resolve():
            raise ReportScoresError(f"--out {out} is GRADES_CSV itself: write the merged "
                                    f"gradebook to another file")
        points = load_report_points()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            rows = merge_report_scores(args.grades_csv, args.scores_csv, points)
        write_gradebook(rows, out)
    except ReportScoresError as e:
        print(f"merge-report: error: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"merge-report: error: cannot write {out}: {e.strerror or e}", file=sys.stderr)
        return 2
    for w in caught:
        print(f"merge-report: warning: {w.message}", file=sys.stderr)
    graded = sum(1 for r in rows if r["report_total"] != "")
    print(f"wrote {out}: {len(rows)} submission(s), {graded} with report scores, "
          f"{len(rows) - graded} without")
    return 0


if __name__ == "__main__":
    sys.exit(main())
