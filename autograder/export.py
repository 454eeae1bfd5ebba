"""Write the class's grades in the file Moodle, Canvas or Gradescope imports: complete, or loud.

    python -m autograder export --to moodle|moodle-gradebook|canvas|gradescope-csv GRADES_DIR
        [--roster FILE] [--out DIR] [--identity email|username|idnumber] [--item NAME]
        [--not-graded empty|total] [--missing empty|zero]

Reads ``GRADES_DIR/grades.csv`` (``gradebook.csv`` when ``merge-report`` wrote it: the grade is then
``final``, out of ``possible + report_possible``), the identities of ``GRADES_DIR/handins.csv``
(one row per student, written by ``grade``) and ``--roster`` (any roster ``grade`` reads: the LMS's own
export, or the kit's CSV). Writes into ``--out`` (default ``GRADES_DIR/export``):

- ``moodle`` (the default for Moodle): ``moodle_grading_worksheet.csv``, the file the assignment's
  "Upload a file with grades" takes (the offline grading worksheet, mod/assign/feedback/offline),
  each student identified by their participant id (``Participant 1234567``); and
  ``moodle_feedback_files.zip`` for "Upload multiple feedback files in a zip";
- ``moodle-gradebook``: ``moodle_grades.csv`` for the course's Grades > Import > CSV file (an identity
  column, the grade, a feedback text), and the same feedback zip;
- ``canvas``: ``canvas_grades.csv`` for Grades > Import (Student, ID = the Canvas user id, SIS User
  ID, SIS Login ID, Section, the assignment, and a Points Possible row);
- ``gradescope-csv``: ``gradescope_scores.csv`` (Name, SID, Email, Total Score, Max Points, Status).

Every file goes through the kit's one CSV writer (autograder.csvfile: no cell a spreadsheet runs),
UTF-8 without a byte-order mark, comma-separated, numbers with a decimal point and at most 2 decimals.

A student without a grade (a status other than ``graded`` unless ``--not-graded total``; no hand-in
unless ``--missing zero``; several notebooks and no ``--pick``; a report not merged yet) gets an empty
cell, which each LMS reads as "no grade", never a 0, and no feedback (no text, no file: Moodle tells
a student each time their feedback changes). A student with a grade whom the file cannot identify
(no participant id, Canvas id, email or SID) is "left out": the command then exits 1 and names each
one; the file holds everyone else. The notes file (``<system>-notes.txt``) lists who is left out and
why, and each empty grade.
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import math
import re
import sys
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path

from .csvfile import restore, write_csv
from .files import atomic_open
from .handins import (HANDINS_CSV, LMS_OF_ROSTER, LMS_OF_SOURCE, Handin, HandinsError, RosterEntry, apply_roster,
                      load_roster)
from .handins.names import MOODLE_STRIPS
from .results import Status

SYSTEMS = ("moodle", "moodle-gradebook", "canvas", "gradescope-csv")
MOODLE_IDENTITIES = {"email": "Email address", "username": "Username", "idnumber": "ID number"}
# Moodle refuses grades above $CFG->gradepointmax (100 unless "unlimited grades" is on):
# grade/import/csv/classes/load_data.php, insert_grade_record; and its worksheet upload skips a grade
# above the assignment's maximum grade (assign_feedback_offline::process_import_grades, "Out of range").
MOODLE_GRADEPOINTMAX = 100.0
# The column names Moodle's worksheet upload looks for (assignfeedback_offline_grade_importer::init):
# get_string('recordid', 'assign'), get_string('gradenoun'), get_string('lastmodifiedgrade', 'assign'),
# and each feedback plugin's editor field by its description (the comments plugin's 'Feedback comments').
MOODLE_WORKSHEET_HEADER = ["Identifier", "Full name", "Email address", "Status", "Grade", "Maximum grade",
                           "Grade can be changed", "Last modified (grade)", "Feedback comments"]
MOODLE_PARTICIPANT = "Participant "  # get_string('hiddenuser', 'assign'): the importer strips it
EXIT_LEFT_OUT = 1
DEFAULT_ITEM = "TP1-ab"


class ExportError(ValueError):
    """A grades folder or roster that cannot be exported; the message names the file and line."""


@dataclass
class Student:
    """One student with what the LMS needs. score None: no grade to export (why in note).
    lms: the LMS whose id lms_id is ("moodle": participant id, "canvas": user id, "gradescope": SID;
    "" when a roster gave it without saying)."""
    id: str
    status: str
    score: float | None
    possible: float
    questions: dict = field(default_factory=dict)  # question id -> points (text, as graded)
    name: str = ""
    email: str = ""
    lms_id: str = ""
    lms: str = ""
    username: str = ""
    idnumber: str = ""
    section: str = ""
    source: str = ""
    note: str = ""
    report: Path | None = None
    late_penalty: float = 0.0
    on_roster: bool | None = None  # None: exported without a roster

    @property
    def person(self):
        return f"{self.name} ({self.id})" if self.name and self.name != self.id else self.id

    def lms_id_of(self, lms):
        """The id `lms` knows this student by, or ''."""
        return self.lms_id if self.lms_id and self.lms in (lms, "") else ""


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
    return header, [(line, dict(zip(header, [restore(c.strip()) for c in r]))) for line, r in rows[1:]]


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


NOT_QUESTIONS = {"report_total", "late", "late_penalty"}


def load_class(grades_dir, roster=None, not_graded="empty", missing="empty"):
    """(the class as [Student] in gradebook order, then the roster's students with no row; the Roster
    or None).

    grades_dir: the folder `grade` wrote; roster: None or a roster file (handins.load_roster);
    not_graded: "empty" or "total" for rows whose status is not `graded`; missing: "empty" or "zero"
    for students with no hand-in. Raises ExportError."""
    grades_dir = Path(grades_dir)
    merged = grades_dir / "gradebook.csv"
    use_final = merged.is_file()
    source = merged if use_final else grades_dir / "grades.csv"
    required = ["submission", "total", "possible", "status"] + (["final", "report_possible"] if use_final else [])
    header, rows = _read_csv(source, "the gradebook", required)
    question_ids = [c for c in header if c not in set(required) | NOT_QUESTIONS]
    people, entries = _identities(grades_dir, roster)
    students, seen = [], set()
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
        status = row["status"] or Status.GRADED
        if status == Status.MISSING:
            score = 0.0 if missing == "zero" else None
            note = "" if score is not None else "no hand-in (export with --missing zero to give 0)"
        elif status == Status.AMBIGUOUS:
            score, note = None, "several files handed in: grade again with --pick FILE"
        elif status != Status.GRADED and not_graded == "empty" and score is not None:
            score, note = None, f"status {status}: check it, then export with --not-graded total"
        report = grades_dir / sid / "report.html"
        person, lms, on_roster = people.pop(sid, None) or (Handin(sid, None, "", ""), "", None if entries is None else False)
        students.append(Student(sid, status, score, possible, {q: row.get(q, "") for q in question_ids},
                                note=note, report=report if report.is_file() and not report.is_symlink() else None,
                                late_penalty=_float(row.get("late_penalty") or "0", source, line, "late_penalty"),
                                on_roster=on_roster, **_identity(person, lms)))
    possible = max((s.possible for s in students), default=_default_possible(use_final))
    for person, lms, on_roster in people.values():  # in handins.csv or on the roster, no row in the gradebook
        if person.status == "missing":
            score = 0.0 if missing == "zero" else None
            note = "" if score is not None else "no hand-in (export with --missing zero to give 0)"
        else:
            score, note = None, f"in {HANDINS_CSV} but not in the gradebook: grade the class again"
        students.append(Student(person.id, person.status, score, possible, note=note, on_roster=on_roster,
                                **_identity(person, lms)))
    return students, entries


def _identity(person, lms):
    r = person.roster
    return {"name": person.name, "email": person.email, "lms_id": person.lms_id, "lms": lms,
            "username": getattr(r, "username", ""), "idnumber": getattr(r, "idnumber", ""),
            "section": getattr(r, "section", ""), "source": person.source}


def _default_possible(use_final):
    from .config import load

    settings = load()
    return sum(settings.question_points.values()) + (sum(settings.report_points.values()) if use_final else 0)


def _identities(grades_dir, roster):
    """({id: (Handin, lms)} of handins.csv with --roster's identities applied, the Roster or None). A
    roster student with no row in handins.csv is a `missing` Handin; lms: the LMS its lms_id is of."""
    rows, lms = [], {}
    handins_csv = grades_dir / HANDINS_CSV
    if handins_csv.is_file():
        _, records = _read_csv(handins_csv, "the hand-ins list", ["id"])
        for _, row in records:
            source = row.get("source", "")
            extra = RosterEntry(**{k: row.get(k, "") for k in ("username", "idnumber", "section")})
            status = row.get("status") or ("missing" if source == "roster" else "handin")
            rows.append(Handin(row["id"], None, source, "handins.csv", name=row.get("name", ""),
                               email=row.get("email", ""), lms_id=row.get("lms_id", ""), roster=extra, status=status))
            lms[row["id"]] = row.get("lms") or LMS_OF_SOURCE.get(source, "")
    entries, listed = None, set()  # listed: the ids the roster has a line for
    if roster is not None:
        try:
            entries = load_roster(roster)
        except HandinsError as e:
            raise ExportError(str(e)) from None
        before = {r.id: r for r in rows}
        rows, _, _ = apply_roster(rows, entries, keep_ids=True)
        own = {id(e) for e in entries}
        lines = defaultdict(list)
        for r in rows:
            if id(r.roster) in own:
                lines[r.roster.line].append(r.id)
        doubles = [ids for ids in lines.values() if len(ids) > 1]
        if doubles:
            raise ExportError("the roster has one line for several rows of the gradebook ("
                              + "; ".join(", ".join(ids) for ids in doubles)
                              + "): grade the class again with this roster, so that each student is one row")
        merged = []
        for r in rows:
            old = before.get(r.id)
            if id(r.roster) in own:
                listed.add(r.id)
                if r.roster.lms_id:
                    lms[r.id] = LMS_OF_ROSTER.get(entries.format, "")
                if old is not None and old.roster is not None:  # what handins.csv knew and the roster does not say
                    r = replace(r, roster=replace(r.roster, **{k: getattr(r.roster, k) or getattr(old.roster, k)
                                                               for k in ("username", "idnumber", "section")}))
            merged.append(r)
        rows = merged
    return {r.id: (r, lms.get(r.id, ""), None if entries is None else r.id in listed) for r in rows}, entries


def _question_points():
    from .config import load

    return dict(load().question_points)


def feedback_text(student, item):
    """The feedback cell: the grade and each question's points, in one line (no student content);
    empty for a student without a grade (an LMS tells the student whenever their feedback changes)."""
    if student.score is None:
        return ""
    points = _question_points()
    parts = [f"{q} {number(v)}/{number(points[q])}" for q, v in student.questions.items()
             if v != "" and q in points and _is_number(v)]
    text = f"{item}: {number(student.score)}/{number(student.possible)}."
    if student.status != Status.GRADED:
        text += f" Status: {student.status}."
    if parts:
        text += " Per question: " + ", ".join(parts) + "."
    if student.late_penalty:
        text += f" Late: {number(student.late_penalty)} points off (the late policy)."
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
    left_out: list = field(default_factory=list)  # (student, why): students with a grade not in the file
    not_listed: list = field(default_factory=list)  # (student, why): students without a grade, not in the file
    empty: list = field(default_factory=list)  # (student, why): in the file with an empty grade
    warnings: list = field(default_factory=list)


def _place(student, key, result, why):
    """Whether the student can go in the file (key: what identifies them there); else recorded."""
    if key:
        return True
    (result.left_out if student.score is not None else result.not_listed).append((student, why))
    return False


def _no_row(student, result, why):
    """A student without a grade, left out of a file whose importer reads a blank cell as a change."""
    result.not_listed.append((student, f"{student.note or 'no grade'}: no row, {why}"))


def _cell(student, result):
    if student.score is None:
        result.empty.append((student, student.note or "no grade"))
        return ""
    return number(student.score)


def moodle_time(when):
    """`Last modified (grade)` as the worksheet upload reads it (PHP's strtotime: ISO 8601 with its
    zone)."""
    return when.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def write_moodle_worksheet(students, out, item="TP1-ab", maximum=None, now=None):
    """Moodle: the assignment's offline grading worksheet, for View all submissions > Grading action
    "Upload a file with grades" (mod/assign/feedback/offline: importgradeslib.php reads the
    `Identifier`, `Grade` and `Last modified (grade)` columns, and each feedback plugin's column by its
    name; locallib.php process_import_grades applies them).

    Identifier: `Participant <participant id>` (the importer strips get_string('hiddenuser') and
    looks the number up with get_user_id_for_uniqueid); rows it cannot look up are skipped without a
    word, so a student without a participant id is left out here, loudly, and so is one the roster's
    worksheet does not list (a team submission's folder carries its group's id, which the importer
    would skip, or give to the participant who has that number). Grade: out of the assignment's
    maximum grade: with the maximum known (Moodle's own worksheet as the roster) the kit's points are
    scaled to it (82.5/100 is 16.5 on a maximum of 20); without it, grades are out of the kit's total
    and grades above 100 are warned about (Moodle skips a grade above the maximum). A student
    without a grade has no row: the importer would leave a blank grade alone but replace the
    feedback comment someone wrote there, and notify the student. Last modified (grade): the
    export's time; Moodle skips a row whose grade was changed in Moodle after it, unless "Allow
    updating records that have been modified more recently in Moodle than in the spreadsheet" is
    ticked. Feedback comments: the one-line feedback (a changed feedback notifies the student)."""
    result = Written()
    now = now or dt.datetime.now(dt.timezone.utc)
    rows = []
    scaled = False
    for s in students:
        pid = s.lms_id_of("moodle")
        if not _place(s, pid.isdigit() and pid, result, "no Moodle participant id: give Moodle's grading "
                      "worksheet as --roster (its Identifier column), or grade Moodle's own download"):
            continue
        if s.on_roster is False and maximum is not None:
            (result.left_out if s.score is not None else result.not_listed).append(
                (s, f"participant id {pid} is not on the roster's worksheet (a team submission? Moodle names a "
                    "team's folder by its group): Moodle would skip the row, or grade whoever has that number"))
            continue
        if s.score is None:
            _no_row(s, result, "so Moodle keeps what it has")
            continue
        grade, out_of = s.score, s.possible
        if maximum is not None and abs(maximum - s.possible) > 1e-9 and s.possible > 0:
            grade, out_of, scaled = s.score * maximum / s.possible, maximum, True
        limit = maximum if maximum is not None else MOODLE_GRADEPOINTMAX
        if grade > limit + 1e-9:
            if maximum is not None:
                result.left_out.append((s, f"{number(grade)} is above the assignment's maximum grade "
                                           f"{number(maximum)} (Moodle would skip it): raise the maximum grade"))
                continue
            result.warnings.append(f"{s.person}: {number(s.score)} is above 100: Moodle skips a grade above the "
                                   "assignment's maximum grade; set it to at least "
                                   f"{number(s.possible)} before the upload")
        rows.append([MOODLE_PARTICIPANT + pid, s.name, s.email, s.status, number(grade), number(out_of), "Yes",
                     moodle_time(now), feedback_text(s, item)])
    if scaled:
        result.warnings.append(f"grades scaled to the assignment's maximum grade, {number(maximum)} (the roster's "
                               "worksheet); the feedback gives the kit's points")
    path = write_csv(out / "moodle_grading_worksheet.csv", MOODLE_WORKSHEET_HEADER, rows)
    result.files.append(path)
    result.rows = len(rows)
    result.files.append(_moodle_feedback_zip(students, out, result))
    return result


def write_moodle_gradebook(students, out, identity="email", item="TP1-ab"):
    """Moodle: Grades > Import > CSV file, and the assignment's feedback files zip.

    The import maps one CSV column to a user field (email address, username or ID number:
    grade/import/csv/classes/load_data.php, map_user_data_with_value) and aborts the whole import
    when a value matches no user, so students without that identity are left out. A student without
    a grade has no row: the import reads `''` and `'-'` as a null grade and writes it as an override
    (grade_item::update_final_grade), which would erase a grade given by hand. Moodle reads the decimal
    point (unformat_float) and UTF-8; encoding and separator are chosen in the import form. A grade
    imported this way overrides the assignment's: the assignment's grading page can no longer change
    it (docs.moodle.org, Grade import)."""
    result = Written()
    header = MOODLE_IDENTITIES[identity]
    rows = []
    for s in students:
        key = getattr(s, identity)
        if not _place(s, key, result, f"no {header.lower()} (give it in the roster)"):
            continue
        if s.score is None:
            # a blank cell is not "no grade" here: the import writes a null grade and overrides the
            # assignment's (grade_item::update_final_grade), erasing a grade given by hand and locking it
            _no_row(s, result, "since a blank would erase and lock the gradebook's grade")
            continue
        cell = number(s.score)
        if s.score > MOODLE_GRADEPOINTMAX:
            result.warnings.append(f"{s.person}: {number(s.score)} is above {number(MOODLE_GRADEPOINTMAX)}, "
                                   "Moodle's default largest grade: raise the grade item's maximum "
                                   "and allow unlimited grades, or the import is refused")
        rows.append([key, s.name, cell, feedback_text(s, item)])
    path = write_csv(out / "moodle_grades.csv", [header, "Full name", item, f"{item} feedback"], rows)
    result.files.append(path)
    result.rows = len(rows)
    result.files.append(_moodle_feedback_zip(students, out, result))
    return result


def _moodle_feedback_zip(students, out, result):
    """moodle_feedback_files.zip: `<full name>_<participant id>_assignfeedback_file_/report.html`, for
    the students with a grade only, one each.

    Moodle's feedback zip import (mod/assign/feedback/file/importziplib.php,
    is_valid_filename_for_import) splits each folder name on `_` into
    fullname_participantid_plugintype_pluginname[_...] and matches the participant id, so the
    name must hold no `_` (Moodle's own download replaces them by spaces) and the id must be the
    participant id of the assignment; the name is cleaned as Moodle's own download cleans it (no `'`,
    `&`, `:`, ...: downloader.php's clean_filename). The trailing `_` keeps Moodle releases before 4.1,
    which required five parts, reading it. Each imported file notifies its student."""
    path = out / "moodle_feedback_files.zip"
    done = set()
    with atomic_open(path, "wb") as f:
        with zipfile.ZipFile(f, "w", zipfile.ZIP_DEFLATED) as zf:
            for s in students:
                if s.report is None or s.score is None:
                    continue
                pid = s.lms_id_of("moodle")
                if not pid.isdigit():
                    result.warnings.append(f"{s.person}: no Moodle participant id: their report.html is not in "
                                           "the feedback zip")
                    continue
                if pid in done:
                    continue
                done.add(pid)
                name = " ".join(MOODLE_STRIPS.sub("", (s.name or "Participant").replace("_", " ")).split())
                zf.write(s.report, f"{name}_{pid}_assignfeedback_file_/report.html")
    result.warnings.append(f"moodle_feedback_files.zip holds {len(done)} report(s)")
    return path


def write_canvas(students, out, item="TP1-ab"):
    """Canvas: Grades > Import. The importer (app/models/gradebook_importer.rb) wants a header
    `Student, ID, [SIS User ID, SIS Login ID,] Section, <assignments...>`, skips a row whose first
    cell holds `Points Possible` (and takes the points of an assignment it creates from it), finds
    each student by ID (the Canvas user id), then SIS User ID, then SIS Login ID, then name, and
    matches an assignment column `Name (assignment id)` by id, else by name, else creates it. Blank
    and `-` mean no score (no_score?), so a student without a grade stays ungraded rather than
    getting 0. Students with none of ID, SIS User ID, SIS Login ID are left out: matching by name
    alone can pick the wrong student."""
    result = Written()
    possible = max((s.possible for s in students), default=0.0)
    rows = [["Points Possible", "", "", "", "", number(possible)]]
    for s in students:
        uid = s.lms_id_of("canvas")
        why = ("an anonymous submission of Canvas (anonymous grading): its gradebook CSV cannot place it, enter "
               f"its grade in SpeedGrader, where Canvas shows it as {s.id}" if s.id.startswith("anon_") else
               "no Canvas user id, SIS User ID nor SIS Login ID (give Canvas's gradebook export as --roster)")
        if not _place(s, uid or s.idnumber or s.username, result, why):
            continue
        rows.append([s.name or s.id, uid, s.idnumber, s.username, s.section, _cell(s, result)])
    path = write_csv(out / "canvas_grades.csv", ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", item],
                     rows)
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
        sid = s.idnumber or s.lms_id_of("gradescope")
        if not _place(s, s.email or sid, result, "no email nor SID (give Gradescope's roster as --roster)"):
            continue
        cell = _cell(s, result)
        status = "Missing" if s.status == "missing" else ("Graded" if cell else "Ungraded")
        rows.append([s.name, sid, s.email, cell, number(s.possible), status])
    path = write_csv(out / "gradescope_scores.csv", ["Name", "SID", "Email", "Total Score", "Max Points", "Status"],
                     rows)
    result.files.append(path)
    result.rows = len(rows)
    return result


def canvas_column(entries, item):
    """(the Canvas assignment column to write, a warning or ""): the one --item names, else the roster's
    assignment column for this TP (Canvas's importer matches `Name (id)` by id, then by name, and
    otherwise creates a new assignment)."""
    if item is not None:
        return item, ""
    columns = getattr(entries, "assignments", [])
    ours = [c for c in columns if "tp1" in re.sub(r"[^a-z0-9]", "", c.casefold())]
    chosen = columns if len(columns) == 1 else ours
    if len(chosen) == 1:
        return chosen[0], ""
    if columns:
        return DEFAULT_ITEM, (f"the roster has {len(columns)} assignment columns ({', '.join(columns)}): the grades "
                              f"go in a column {DEFAULT_ITEM!r}, which Canvas creates; give --item \"Name (id)\" to "
                              "fill an existing one")
    return DEFAULT_ITEM, ""


def export(grades_dir, to, out=None, roster=None, identity="email", item=None,
           not_graded="empty", missing="empty"):
    """Write the files for `to` (one of SYSTEMS); returns Written (its left_out: the students with a
    grade that the file could not hold). Raises ExportError."""
    if to not in SYSTEMS:
        raise ExportError(f"--to must be one of {', '.join(SYSTEMS)}, not {to!r}")
    grades_dir = Path(grades_dir)
    if not grades_dir.is_dir():
        raise ExportError(f"{grades_dir} is not a folder (give the folder `grade --out` wrote)")
    out = Path(out) if out is not None else grades_dir / "export"
    students, entries = load_class(grades_dir, roster, not_graded=not_graded, missing=missing)
    out.mkdir(parents=True, exist_ok=True)
    column_warning = ""
    if to == "canvas":
        item, column_warning = canvas_column(entries, item)
    item = item if item is not None else DEFAULT_ITEM
    if to == "moodle":
        maximum = getattr(entries, "maximum", None)
        result = write_moodle_worksheet(students, out, item=item, maximum=maximum)
    elif to == "moodle-gradebook":
        result = write_moodle_gradebook(students, out, identity=identity, item=item)
    elif to == "canvas":
        result = write_canvas(students, out, item=item)
    else:
        result = write_gradescope(students, out)
    lines = [f"{len(result.left_out)} student(s) with a grade left out of the file (fix, then export again):"]
    lines += [f"  {s.person}: {why}" for s, why in result.left_out]
    lines += [f"{len(result.not_listed)} student(s) without a grade, not in the file:"]
    lines += [f"  {s.person}: {why}" for s, why in result.not_listed]
    lines += [f"{len(result.empty)} empty grade(s):"] + [f"  {s.person}: {why}" for s, why in result.empty]
    if column_warning:
        result.warnings.append(column_warning)
    if to == "moodle" and getattr(entries, "language", "en") != "en":
        # importgradeslib.php finds its columns by their names in the uploader's language
        result.warnings.append("the roster's worksheet is in French, the worksheet written is in English: Moodle "
                               "finds the columns by their names in the language of whoever uploads, so switch "
                               "your Moodle language to English for the upload (user menu > Language)")
    lines += result.warnings
    notes = out / f"{to}-notes.txt"
    with atomic_open(notes) as f:
        f.write("\n".join(lines) + "\n")
    result.files.append(notes)
    return result


HOW_TO_IMPORT = {
    "moodle": "Moodle: the assignment > View all submissions > Grading action \"Upload a file with grades\" "
              "(moodle_grading_worksheet.csv; check the preview), then \"Upload multiple feedback files in a zip\" "
              "(moodle_feedback_files.zip). Each student whose grade or feedback changes is notified",
    "moodle-gradebook": "Moodle: course > Grades > Import > CSV file (map the identity column under \"Identify "
                        "user by\", the grade to the assignment, the feedback to \"Feedback for\" it); the grades "
                        "then override the assignment's, which can no longer change them",
    "canvas": "Canvas: course > Grades > Import, then check the preview",
    "gradescope-csv": "Gradescope: the assignment's score upload (map Email or SID, and Total Score)",
}


def _parser():
    p = argparse.ArgumentParser(prog="python -m autograder export",
                                description="Write the grades in the format an LMS imports.")
    p.add_argument("--to", required=True, choices=SYSTEMS,
                   help="moodle: the assignment's grading worksheet (Upload a file with grades); moodle-gradebook: "
                        "the course gradebook's CSV import; canvas; gradescope-csv")
    p.add_argument("grades_dir", metavar="GRADES_DIR", type=Path,
                   help="the folder `python -m autograder grade --out` wrote")
    p.add_argument("--roster", type=Path, help="the class's roster: the LMS's own file (Moodle's grading worksheet "
                                               "or gradebook export, Canvas's gradebook export, Gradescope's roster) "
                                               "or a CSV with id, name, email, lms_id, username, idnumber, section")
    p.add_argument("--out", type=Path, help="where to write (default GRADES_DIR/export)")
    p.add_argument("--identity", choices=sorted(MOODLE_IDENTITIES),
                   help="moodle-gradebook only: the user field that identifies students (default email)")
    p.add_argument("--item", help=f"the grade item / assignment column name (default {DEFAULT_ITEM!r}; Canvas: "
                   "`Name (assignment id)` picks an existing assignment, and by default the roster's column for "
                   "the TP is used)")
    p.add_argument("--not-graded", choices=("empty", "total"), default="empty",
                   help="rows whose status is not `graded`: empty cell (default) or the points given")
    p.add_argument("--missing", choices=("empty", "zero"), default="empty",
                   help="students with no hand-in: empty cell (default) or 0")
    return p


def main(argv=None):
    """`export` subcommand: 0 when every student with a grade is in the file; 1 when some are left out
    (the file holds the others; each one is named); 2 on a usage error or an input it cannot read."""
    try:
        args = _parser().parse_args(argv)
    except SystemExit as e:
        return e.code if isinstance(e.code, int) else 2
    if args.identity and args.to != "moodle-gradebook":
        print("export: error: --identity applies to --to moodle-gradebook only", file=sys.stderr)
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
          f"{len(result.empty)} empty grade(s), {len(result.not_listed)} without a grade not listed")
    for warning in result.warnings:
        print(f"export: warning: {warning}", file=sys.stderr)
    if result.left_out:
        print(f"export: error: {len(result.left_out)} student(s) with a grade are not in the file:", file=sys.stderr)
        for s, why in result.left_out:
            print(f"  {s.person}: {why}", file=sys.stderr)
        return EXIT_LEFT_OUT
    print(f"import it: {HOW_TO_IMPORT[args.to]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
