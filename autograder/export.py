"""Write the class's grades in the format Moodle, Canvas or Gradescope imports.

    python -m autograder export --to moodle|canvas|gradescope-csv GRADES_DIR [--roster CSV]
        [--out DIR] [--identity email|username|idnumber] [--item NAME]
        [--not-graded empty|total] [--missing empty|zero]

Reads ``GRADES_DIR/grades.csv`` (``submission,total,possible,status,<question ids...>``), and
``GRADES_DIR/gradebook.csv`` when ``merge-report`` wrote it (then the grade is ``final`` out of
``possible + report_possible``). Identities (names, emails, LMS ids) come from
``GRADES_DIR/handins.csv`` (written from ``handins.discover``) and from ``--roster``; roster students
with no row in grades.csv are exported as ``missing``. Writes into ``--out`` (default
``GRADES_DIR/export``):

- ``moodle``: ``moodle_grades.csv`` for Grades > Import > CSV file (an identity column, the grade,
  a feedback text) and ``moodle_feedback_files.zip`` for the assignment's "Upload multiple feedback
  files in a zip" (each student's report.html, in the folder Moodle expects);
- ``canvas``: ``canvas_grades.csv`` for Grades > Import (Student, ID, SIS User ID, SIS Login ID,
  Section, the assignment, and a Points Possible row);
- ``gradescope-csv``: ``gradescope_scores.csv`` (Name, SID, Email, Total Score, Max Points, Status).

Every file is UTF-8 without a byte-order mark, comma-separated, numbers with a decimal point and at
most 2 decimals. A student whose status is not ``graded`` gets an empty cell unless
``--not-graded total``; a student with no hand-in gets an empty cell unless ``--missing zero``:
in each system an empty cell means "no grade", never 0 (see the writers). Students the system
could not identify are left out of the file (Moodle refuses a whole import for one unknown user)
and listed in ``<system>-notes.txt`` with the empty cells.
"""
from __future__ import annotations

import argparse
import csv
import io
import math
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from .files import atomic_open
from .pipeline.discover import HANDINS_CSV, HandinsError, load_roster, safe_id

SYSTEMS = ("moodle", "canvas", "gradescope-csv")
MOODLE_IDENTITIES = {"email": "Email address", "username": "Username", "idnumber": "ID number"}
# Moodle refuses grades above $CFG->gradepointmax (100 unless "unlimited grades" is on):
# grade/import/csv/classes/load_data.php, insert_grade_record.
MOODLE_GRADEPOINTMAX = 100.0


class ExportError(ValueError):
    """A grades folder or roster that cannot be exported; the message names the file and line."""


@dataclass
class Student:
    """One gradebook row with what the LMS needs. score None: no grade to export (why in note)."""
    id: str
    status: str
    score: float | None
    possible: float
    questions: dict = field(default_factory=dict)  # question id -> points (text, as graded)
    name: str = ""
    email: str = ""
    lms_id: str = ""
    username: str = ""
    idnumber: str = ""
    section: str = ""
    source: str = ""
    note: str = ""
    report: Path | None = None


def number(x):
    """A grade as LMSs read it: decimal point, at most 2 decimals, no trailing zeros (`82.5`)."""
    x = round(float(x), 2) + 0.0
    return str(int(x)) if x == int(x) else f"{x:.2f}".rstrip("0").rstrip(".")


def _read_csv(path, what, required):
    try:
        text = Path(path).read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise ExportError(f"{what} {path} does not exist") from None
    except UnicodeDecodeError:
        raise ExportError(f"{what} {path} is not UTF-8 text") from None
    except OSError as e:
        raise ExportError(f"cannot read {what} {path}: {e.strerror}") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    rows = [(reader.line_num, r) for r in reader if any(c.strip() for c in r)]
    if not rows:
        raise ExportError(f"{what} {path} is empty")
    header = [c.strip() for c in rows[0][1]]
    missing = [c for c in required if c not in header]
    if missing:
        raise ExportError(f"{what} {path}: missing column(s) {', '.join(missing)}")
    return header, [(line, dict(zip(header, [c.strip() for c in r]))) for line, r in rows[1:]]


def _float(value, path, line, column, allow_empty=False):
    if value == "" and allow_empty:
        return None
    try:
        x = float(value)
    except ValueError:
        x = math.nan
    if not math.isfinite(x):
        raise ExportError(f"{path} line {line}: {column} {value!r} is not a number")
    return x


IDENTITY_FIELDS = ("name", "email", "lms_id", "username", "idnumber", "section", "source")


def load_class(grades_dir, roster=None, not_graded="empty", missing="empty"):
    """The class as [Student], in gradebook order then missing roster students.

    grades_dir: the folder `grade` wrote; roster: None or a roster CSV path (see
    handins.load_roster); not_graded: "empty" or "total" for rows whose status is not `graded`;
    missing: "empty" or "zero" for roster students with no hand-in. Raises ExportError."""
    grades_dir = Path(grades_dir)
    merged = grades_dir / "gradebook.csv"
    use_final = merged.is_file()
    source = merged if use_final else grades_dir / "grades.csv"
    required = ["submission", "total", "possible", "status"] + (["final", "report_possible"] if use_final else [])
    header, rows = _read_csv(source, "the gradebook", required)
    question_ids = [c for c in header if c not in set(required) | {"report_total"}]
    people = _identities(grades_dir, roster)
    index = {}
    for key in ("id", "lms_id", "email"):  # a submission id may be an LMS id (Moodle, Canvas)
        for person in people:
            value = person[key].casefold()
            if value:
                index.setdefault(value, person)
    for person in people:
        for alias in person.get("aliases", []):
            index.setdefault(alias.casefold(), person)
    students, seen, used = [], set(), set()
    for line, row in rows:
        sid = row["submission"]
        if not sid or sid in seen:
            raise ExportError(f"{source} line {line}: submission {sid!r} is empty or appears twice")
        seen.add(sid)
        possible = _float(row["possible"], source, line, "possible")
        total = _float(row["total"], source, line, "total")
        score, note = total, ""
        if use_final:
            possible += _float(row["report_possible"], source, line, "report_possible")
            score = _float(row["final"], source, line, "final", allow_empty=True)
            if score is None:
                note = "the report is not graded yet (merge-report left final empty)"
        status = row["status"] or "graded"
        if status != "graded" and not_graded == "empty" and score is not None:
            score, note = None, f"status {status}: check it, then export with --not-graded total"
        report = grades_dir / sid / "report.html"
        person = index.get(sid.casefold())
        if person is not None:
            used.add(id(person))
        students.append(Student(sid, status, score, possible,
                                {q: row.get(q, "") for q in question_ids}, note=note,
                                report=report if report.is_file() and not report.is_symlink() else None,
                                **{k: (person or {}).get(k, "") for k in IDENTITY_FIELDS}))
    possible = max((s.possible for s in students), default=_default_possible(use_final))
    for person in people:  # on the roster, no hand-in
        if id(person) in used or not person["roster"]:
            continue
        score = 0.0 if missing == "zero" else None
        note = "" if score is not None else "no hand-in (export with --missing zero to give 0)"
        students.append(Student(person["id"], "missing", score, possible, note=note,
                                 **{k: person.get(k, "") for k in IDENTITY_FIELDS}))
    return students


def _default_possible(use_final):
    from .config import load

    settings = load()
    return sum(settings.question_points.values()) + (sum(settings.report_points.values()) if use_final else 0)


def _identities(grades_dir, roster):
    """[{id, name, email, lms_id, username, idnumber, section, source, roster}] from handins.csv
    (written from handins.discover) and the roster; roster: True for students who must have a
    row (everyone on a roster)."""
    people = []
    handins_csv = grades_dir / HANDINS_CSV
    if handins_csv.is_file():
        _, rows = _read_csv(handins_csv, "the hand-ins list", ["id"])
        for _, row in rows:
            people.append({"id": row["id"], **{k: row.get(k, "") for k in IDENTITY_FIELDS},
                           "roster": row.get("source") == "roster"})
    if roster is None:
        return people
    try:
        entries = load_roster(roster)
    except HandinsError as e:
        raise ExportError(str(e)) from None
    for r in entries:
        person = next((p for p in people for key in ("id", "lms_id", "email")
                       if getattr(r, key) and p[key].casefold() == getattr(r, key).casefold()), None)
        if person is None:
            person = {"id": safe_id(r.id or r.email or r.lms_id), **{k: "" for k in IDENTITY_FIELDS},
                      "source": "roster"}
            people.append(person)
        person["roster"] = True
        for key in ("name", "email", "lms_id", "username", "idnumber", "section"):
            if getattr(r, key):
                person[key] = getattr(r, key)
        if r.id and person["id"] != safe_id(r.id):  # matched by lms_id or email: keep both ids findable
            person.setdefault("aliases", []).append(r.id)
    return people


def _question_points():
    from .config import load

    return dict(load().question_points)


def feedback_text(student, item):
    """The feedback cell: the grade and each question's points, in one line (no student content)."""
    if student.score is None:
        return (f"{item}: no grade yet ({student.status})." if student.status != "missing"
                else f"{item}: no hand-in received.")
    points = _question_points()
    parts = [f"{q} {number(v)}/{number(points[q])}" for q, v in student.questions.items()
             if v != "" and q in points and _is_number(v)]
    text = f"{item}: {number(student.score)}/{number(student.possible)}."
    if student.status != "graded":
        text += f" Status: {student.status}."
    if parts:
        text += " Per question: " + ", ".join(parts) + "."
    if student.report:
        text += " The details are in the attached report.html."
    return text


def _is_number(value):
    try:
        return math.isfinite(float(value))
    except ValueError:
        return False


@dataclass
class Written:
    files: list = field(default_factory=list)
    rows: int = 0
    left_out: list = field(default_factory=list)  # (student id, why)
    empty: list = field(default_factory=list)  # (student id, why)
    warnings: list = field(default_factory=list)


def _write_csv(path, header, rows):
    with atomic_open(path, newline="") as f:
        w = csv.writer(f, lineterminator="\r\n")  # RFC 4180 line ends: every importer reads them
        w.writerow(header)
        w.writerows(rows)


def _cell(student, result):
    if student.score is None:
        result.empty.append((student.id, student.note or "no grade"))
        return ""
    return number(student.score)


def write_moodle(students, out, identity="email", item="TP1-ab"):
    """Moodle: Grades > Import > CSV file, and the assignment's feedback files zip.

    The import maps one CSV column to a user field (email address, username or ID number:
    grade/import/csv/classes/load_data.php, map_user_data_with_value) and aborts the whole import
    when a value matches no user, so students without that identity are left out. An empty grade
    means "no grade" there (`''` and `'-'` are read as null), not 0. Moodle reads the decimal
    point (unformat_float) and UTF-8; encoding and separator are chosen in the import form."""
    result = Written()
    header = MOODLE_IDENTITIES[identity]
    rows = []
    for s in students:
        key = getattr(s, identity)
        if not key:
            result.left_out.append((s.id, f"no {header.lower()} (give it in the roster)"))
            continue
        cell = _cell(s, result)
        if s.score is not None and s.score > MOODLE_GRADEPOINTMAX:
            result.warnings.append(f"{s.id}: {number(s.score)} is above {number(MOODLE_GRADEPOINTMAX)}, "
                                   "Moodle's default largest grade: raise the grade item's maximum "
                                   "and allow unlimited grades, or the import is refused")
        rows.append([key, s.name, cell, feedback_text(s, item)])
    path = out / "moodle_grades.csv"
    _write_csv(path, [header, "Full name", item, f"{item} feedback"], rows)
    result.files.append(path)
    result.rows = len(rows)
    result.files.append(_moodle_feedback_zip(students, out, result))
    return result


def _moodle_feedback_zip(students, out, result):
    """moodle_feedback_files.zip: `<full name>_<participant id>_assignfeedback_file_/report.html`.

    Moodle's feedback zip import (mod/assign/feedback/file/importziplib.php,
    is_valid_filename_for_import) splits each folder name on `_` into
    fullname_participantid_plugintype_pluginname[_...] and matches the participant id, so the
    name must hold no `_` (Moodle's own download replaces them by spaces) and the id must be the
    participant id of the assignment (the id read from its download, or the roster's lms_id). The
    trailing `_` keeps Moodle releases before 4.1, which required five parts, reading it."""
    path = out / "moodle_feedback_files.zip"
    count = 0
    with atomic_open(path, "wb") as f:
        with zipfile.ZipFile(f, "w", zipfile.ZIP_DEFLATED) as zf:
            for s in students:
                if s.report is None:
                    continue
                pid = s.lms_id if s.lms_id.isdigit() else ""
                if not pid:
                    result.warnings.append(f"{s.id}: no Moodle participant id (lms_id), its "
                                           "report.html is not in the feedback zip")
                    continue
                name = " ".join((s.name or "Participant").replace("_", " ").replace("/", " ").split())
                zf.write(s.report, f"{name}_{pid}_assignfeedback_file_/report.html")
                count += 1
    result.warnings.append(f"moodle_feedback_files.zip holds {count} report(s)")
    return path


def write_canvas(students, out, item="TP1-ab"):
    """Canvas: Grades > Import. The importer (app/models/gradebook_importer.rb) wants a header
    `Student, ID, [SIS User ID, SIS Login ID,] Section, <assignments...>`, reads an optional
    `Points Possible` row (the points of an assignment it creates), finds each student by ID (the
    Canvas user id), then SIS User ID, then SIS Login ID, then name, and matches an assignment
    column `Name (assignment id)` by id, else by name, else creates it. Blank and `-` mean no
    score (no_score?), so a student without a grade stays ungraded rather than getting 0.
    Students with none of ID, SIS User ID, SIS Login ID are left out: matching by name alone can
    pick the wrong student."""
    result = Written()
    possible = max((s.possible for s in students), default=0.0)
    rows = [["Points Possible", "", "", "", "", number(possible)]]
    for s in students:
        if not (s.lms_id or s.idnumber or s.username):
            result.left_out.append((s.id, "no Canvas user id, SIS User ID nor SIS Login ID "
                                          "(give lms_id, idnumber or username in the roster)"))
            continue
        rows.append([s.name or s.id, s.lms_id, s.idnumber, s.username, s.section, _cell(s, result)])
    path = out / "canvas_grades.csv"
    _write_csv(path, ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", item], rows)
    result.files.append(path)
    result.rows = len(rows) - 1
    return result


def write_gradescope(students, out):
    """Gradescope: the columns of Gradescope's own score export (`Name, SID, Email, Total Score,
    Max Points, Status`), which its score upload maps to the roster by Email or SID. As in that
    export, a student without a grade has an empty Total Score and the status `Missing` (no
    hand-in) or `Ungraded`. Students with neither email nor SID are left out."""
    result = Written()
    rows = []
    for s in students:
        sid = s.idnumber or s.lms_id
        if not (s.email or sid):
            result.left_out.append((s.id, "no email nor SID (give email or idnumber in the roster)"))
            continue
        cell = _cell(s, result)
        status = "Missing" if s.status == "missing" else ("Graded" if cell else "Ungraded")
        rows.append([s.name, sid, s.email, cell, number(s.possible), status])
    path = out / "gradescope_scores.csv"
    _write_csv(path, ["Name", "SID", "Email", "Total Score", "Max Points", "Status"], rows)
    result.files.append(path)
    result.rows = len(rows)
    return result


def export(grades_dir, to, out=None, roster=None, identity="email", item="TP1-ab",
           not_graded="empty", missing="empty"):
    """Write the files for `to` (one of SYSTEMS); returns Written. Raises ExportError."""
    if to not in SYSTEMS:
        raise ExportError(f"--to must be one of {', '.join(SYSTEMS)}, not {to!r}")
    grades_dir = Path(grades_dir)
    if not grades_dir.is_dir():
        raise ExportError(f"{grades_dir} is not a folder (give the folder `grade --out` wrote)")
    out = Path(out) if out is not None else grades_dir / "export"
    students = load_class(grades_dir, roster, not_graded=not_graded, missing=missing)
    out.mkdir(parents=True, exist_ok=True)
    if to == "moodle":
        result = write_moodle(students, out, identity=identity, item=item)
    elif to == "canvas":
        result = write_canvas(students, out, item=item)
    else:
        result = write_gradescope(students, out)
    notes = out / f"{to}-notes.txt"
    lines = [f"{len(result.left_out)} student(s) left out of the file:"]
    lines += [f"  {sid}: {why}" for sid, why in result.left_out]
    lines += [f"{len(result.empty)} empty grade(s):"] + [f"  {sid}: {why}" for sid, why in result.empty]
    lines += result.warnings
    notes.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result.files.append(notes)
    return result


HOW_TO_IMPORT = {
    "moodle": "Moodle: course > Grades > Import > CSV file (map the identity column under "
              "\"Identify user by\", the grade to the assignment, the feedback to \"Feedback for\" it); "
              "feedback files: the assignment > View all submissions > Grading action \"Upload "
              "multiple feedback files in a zip\"",
    "canvas": "Canvas: course > Grades > Import, then check the preview",
    "gradescope-csv": "Gradescope: the assignment's score upload (map Email or SID, and Total Score)",
}


def _parser():
    p = argparse.ArgumentParser(prog="python -m autograder export",
                                description="Write the grades in the format an LMS imports.")
    p.add_argument("--to", required=True, choices=SYSTEMS)
    p.add_argument("grades_dir", metavar="GRADES_DIR", type=Path,
                   help="the folder `python -m autograder grade --out` wrote")
    p.add_argument("--roster", type=Path, help="a roster CSV: id, name, email, lms_id, "
                                               "username, idnumber, section")
    p.add_argument("--out", type=Path, help="where to write (default GRADES_DIR/export)")
    p.add_argument("--identity", choices=sorted(MOODLE_IDENTITIES),
                   help="moodle only: the user field that identifies students (default email)")
    p.add_argument("--item", default="TP1-ab", help="the grade item / assignment column name "
                   "(Canvas: `Name (assignment id)` picks an existing assignment)")
    p.add_argument("--not-graded", choices=("empty", "total"), default="empty",
                   help="rows whose status is not `graded`: empty cell (default) or the points given")
    p.add_argument("--missing", choices=("empty", "zero"), default="empty",
                   help="roster students with no hand-in: empty cell (default) or 0")
    return p


def main(argv=None):
    """`export` subcommand: 0 when written, 2 on a usage error or an input it cannot read."""
    try:
        args = _parser().parse_args(argv)
    except SystemExit as e:
        return e.code if isinstance(e.code, int) else 2
    if args.identity and args.to != "moodle":
        print("export: error: --identity applies to --to moodle only", file=sys.stderr)
        return 2
    try:
        result = export(args.grades_dir, args.to, out=args.out, roster=args.roster,
                        identity=args.identity or "email", item=args.item,
                        not_graded=args.not_graded, missing=args.missing)
    except ExportError as e:
        print(f"export: error: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"export: error: cannot write: {e.strerror or e}", file=sys.stderr)
        return 2
    print(f"wrote {', '.join(str(f) for f in result.files)}: {result.rows} student(s), "
          f"{len(result.empty)} empty grade(s), {len(result.left_out)} left out (see the notes file)")
    print(f"import it: {HOW_TO_IMPORT[args.to]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
