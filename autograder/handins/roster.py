"""The roster: who is in the class, read from the file the LMS itself exports, or the kit's own CSV.

Recognised by their headers (`roster_format`), as each LMS writes them:

- ``moodle-worksheet``: the assignment's grading worksheet (View all submissions > Grading action
  "Download grading worksheet", mod/assign/gradingtable.php with the offline grading worksheet
  plugin mod/assign/feedback/offline): `Identifier` (``Participant 1234567``: the participant id of
  the assignment, as in its "Download all submissions"), `Full name`, the identity fields the site
  shows (`Email address`, `ID number`, ...), `Status`, `Grade`, `Maximum grade`, ... With blind
  marking it has no name: the participant id is all there is.
- ``moodle-gradebook``: the course's gradebook export (Grades > Export > Plain text file,
  grade/export/txt and grade/export/lib.php): `First name`, `Last name`, `ID number`, `Institution`,
  `Department`, `Email address`, then one column per grade item. It has no participant id: hand-ins
  of a Moodle download are matched to it by name (see students.apply_roster).
- ``canvas-gradebook``: Canvas's gradebook export (Grades > Export, lib/gradebook_exporter.rb):
  `Student` (the sortable name, "Last, First"; `LastName`, `FirstName` when asked), `ID` (the Canvas
  user id, as in the names of its "Download Submissions"), `SIS User ID`, `SIS Login ID`, optionally
  `Integration ID` and `Root Account`, `Section`, then the assignments; a `Points Possible` row and
  possibly a `Manual Posting` (formerly `Muted`) row come before the students. Canvas writes a name
  that begins with `=` as `="..."`; it is read back as the name.
- ``gradescope``: Gradescope's roster (Roster > Download Roster: `First Name`, `Last Name`, `SID`,
  `Email`, `Role`, and `Sections` when the course has sections) and its grade exports (`SID`,
  `Email`, ...). Only rows whose role is Student are students.
- ``kit``: any other CSV with an id, an email or an LMS id column: `id`, `name` (or first name + last
  name), `email`, `lms_id` (Moodle participant id, Canvas user id, Gradescope SID), `username`,
  `idnumber`, `section`, with their usual spellings in English and French.

Every format: UTF-8 with or without a byte-order mark, fields separated by `,` `;` or tabs (read from
the header line), blank lines skipped, spaces around values ignored.
"""
from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from .folders import HandinsError
from .names import display

FORMATS = ("moodle-worksheet", "moodle-gradebook", "canvas-gradebook", "gradescope", "kit")
# Which LMS an lms_id belongs to: a row's from the download it was read from, else from its roster's format.
LMS_OF_SOURCE = {"moodle": "moodle", "canvas": "canvas", "gradescope": "gradescope"}
LMS_OF_ROSTER = {"moodle-worksheet": "moodle", "canvas-gradebook": "canvas", "gradescope": "gradescope"}


@dataclass(frozen=True)
class RosterEntry:
    """One student of the roster; every field is text ('' when absent). `line` is its line in the
    file. lms_id: the id the LMS's download carries (Moodle participant id, Canvas user id,
    Gradescope SID); idnumber: the institution's student number (Moodle ID number, Canvas SIS User ID,
    Gradescope SID); username: the login (Moodle username, Canvas SIS Login ID)."""
    id: str = ""
    name: str = ""
    email: str = ""
    lms_id: str = ""
    username: str = ""
    idnumber: str = ""
    section: str = ""
    line: int = 0


class Roster(list):
    """[RosterEntry] with where it came from: `format` (one of FORMATS), `path`, and `maximum`, the
    assignment's largest grade when the file says it (Moodle's grading worksheet), else None."""

    def __init__(self, entries=(), format="kit", path=None, maximum=None, assignments=()):
        super().__init__(entries)
        self.format = format
        self.path = path
        self.maximum = maximum
        self.assignments = list(assignments)  # Canvas's gradebook: its assignment columns, `Name (id)`
        self.language = "en"  # the language of Moodle's worksheet headers


def normal_header(text):
    """A header as compared: no byte-order mark, accents or case; runs of other characters a space."""
    text = unicodedata.normalize("NFKD", text.replace("\ufeff", ""))
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


# The kit's own roster: the usual spellings of each column.
KIT_HEADERS = {
    "id": {"id", "student id", "studentid", "submission", "identifiant", "matricule",
           "student number", "numero etudiant", "n etudiant"},
    "name": {"name", "full name", "fullname", "student", "student name", "nom complet", "nom prenom",
             "display name"},
    "first": {"first name", "firstname", "given name", "prenom"},
    "last": {"last name", "lastname", "surname", "family name", "nom de famille", "nom"},
    "email": {"email", "e mail", "email address", "mail", "courriel", "adresse de courriel",
              "adresse email", "adresse mail"},
    "lms_id": {"lms id", "lmsid", "participant id", "participant", "user id", "userid",
               "canvas user id", "canvas id", "moodle id", "lms user id"},
    "username": {"username", "user name", "login", "login id", "sis login id",
                 "nom d utilisateur"},
    "idnumber": {"idnumber", "id number", "sis user id", "sis id", "numero d identification"},
    "section": {"section", "sections", "group", "groupe"},
}
# Moodle's strings (lang/en and lang/fr): recordid 'Identifier', fullname, email, idnumber,
# username, maxgrade, firstname, lastname ('Surname' before Moodle 3.x), institution, department.
MOODLE_WORKSHEET = {"id": {"identifier", "identifiant"},
                    "name": {"full name", "nom complet"},
                    "email": {"email address", "adresse de courriel", "adresse courriel"},
                    "idnumber": {"id number", "numero d identification"},
                    "username": {"username", "nom d utilisateur"},
                    "maximum": {"maximum grade", "note maximale"}}
MOODLE_GRADEBOOK = {"first": {"first name", "prenom"},
                    "last": {"last name", "surname", "nom"},
                    "idnumber": {"id number", "numero d identification"},
                    "email": {"email address", "adresse de courriel", "adresse courriel"},
                    "username": {"username", "nom d utilisateur"}}
MOODLE_GRADEBOOK_MARKS = {"institution", "department", "last downloaded from this course",
                          "etablissement", "departement", "dernier telechargement depuis ce cours"}
GRADESCOPE = {"name": {"name", "full name"}, "first": {"first name"}, "last": {"last name"},
              "lms_id": {"sid"}, "email": {"email"}, "role": {"role"},
              "section": {"sections", "section", "section name"}}


def roster_format(header):
    """Which LMS wrote a roster, from its header row (cells as written)."""
    cells = [normal_header(c) for c in header]
    names = set(cells)
    raw = [c.replace("\ufeff", "").strip() for c in header]
    # Canvas's importer checks the same: "Student" then "ID" (or LastName, FirstName, ID), and a
    # Section column (app/models/gradebook_importer.rb, row_has_student_headers?).
    if len(raw) > 3 and "section" in names and (
            ("Student" in raw[0] and raw[1] == "ID") or (raw[:3] == ["LastName", "FirstName", "ID"])):
        return "canvas-gradebook"
    if ({"identifier", "status", "grade"} <= names or {"identifiant", "statut", "note"} <= names):
        return "moodle-worksheet"
    if names & MOODLE_GRADEBOOK["first"] and names & MOODLE_GRADEBOOK["email"] and names & MOODLE_GRADEBOOK_MARKS:
        return "moodle-gradebook"
    if "sid" in names and "email" in names:
        return "gradescope"
    return "kit"


def _read_rows(path):
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise HandinsError(f"the roster {display(str(path))} does not exist") from None
    except UnicodeDecodeError:
        raise HandinsError(f"the roster {display(str(path))} is not UTF-8 text: save it as "
                           f"\"CSV UTF-8\"") from None
    except OSError as e:
        raise HandinsError(f"cannot read the roster {display(str(path))}: {e.strerror}") from None
    first = next((line for line in text.splitlines() if line.strip()), "")
    if not first:
        raise HandinsError(f"the roster {display(str(path))} is empty (expected a header line)")
    delimiter = max(",;\t", key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = []
    for fields in reader:
        if any(c.strip() for c in fields):
            rows.append((reader.line_num, [c.strip() for c in fields]))
    return rows


def _columns(header, spellings):
    columns = {}
    for i, cell in enumerate(normal_header(c) for c in header):
        for key, names in spellings.items():
            if cell in names and key not in columns:
                columns[key] = i
    return columns


def _getter(columns, fields):
    def get(key):
        i = columns.get(key)
        return fields[i] if i is not None and i < len(fields) else ""
    return get


def _number(text):
    """A grade as Moodle writes it in its worksheet (format_float: `100.00`, or `100,00` in a locale
    with a decimal comma), or None."""
    text = text.replace("\u00a0", "").replace(" ", "")
    if re.fullmatch(r"\d+,\d+", text):
        text = text.replace(",", ".")
    try:
        return float(text)
    except ValueError:
        return None


def _canvas_name(cell):
    """Canvas writes a name beginning with `=` as `="name"` (gradebook_exporter.rb, student_name)."""
    m = re.fullmatch(r'="(.*)"', cell, re.S)
    return m.group(1) if m else cell


def load_roster(path):
    """The roster file as a Roster of RosterEntry (see the module's formats). Raises HandinsError
    naming the file, line and column of any problem."""
    rows = _read_rows(path)
    header_line, header = rows[0]
    fmt = roster_format(header)
    roster = Roster(format=fmt, path=Path(path))
    where = display(str(path))
    if fmt == "canvas-gradebook":
        first_last = header[0].strip() == "LastName"
        roster.assignments = [c.strip() for c in header if re.fullmatch(r".+ \(\d+\)", c.strip())]
        columns = _columns(header, {"lms_id": {"id"}, "idnumber": {"sis user id"},
                                    "username": {"sis login id"}, "section": {"section"}})
        for line, fields in rows[1:]:
            get = _getter(columns, fields)
            if "Points Possible" in fields[0] or all(
                    re.fullmatch(r"\s*(Muted|Manual Posting.*)?\s*", c, re.I) for c in fields):
                continue  # the rows Canvas's importer skips too (check_for_non_student_row)
            if [c.strip() for c in fields[:2 if first_last else 1]] in (["Student, Test"], ["Student", "Test"]):
                continue  # Canvas's "Student View" user (Course#student_view_student: "Test Student")
            name = (f"{_canvas_name(fields[1])} {_canvas_name(fields[0])}".strip() if first_last
                    else _canvas_name(fields[0]))
            roster.append(RosterEntry(name=name, lms_id=get("lms_id"), idnumber=get("idnumber"),
                                      username=get("username"), section=get("section"), line=line))
    elif fmt == "moodle-worksheet":
        columns = _columns(header, MOODLE_WORKSHEET)
        if any(normal_header(c) == "identifiant" for c in header):
            roster.language = "fr"
        for line, fields in rows[1:]:
            get = _getter(columns, fields)
            m = re.search(r"(\d+)\s*$", get("id"))
            if not m:
                raise HandinsError(f"the roster {where} line {line}: Identifier {get('id')!r} is not "
                                   f"Moodle's \"Participant <number>\"")
            if roster.maximum is None and get("maximum"):
                roster.maximum = _number(get("maximum"))
            roster.append(RosterEntry(name=get("name"), email=get("email"), lms_id=m.group(1),
                                      idnumber=get("idnumber"), username=get("username"), line=line))
    elif fmt == "moodle-gradebook":
        columns = _columns(header, MOODLE_GRADEBOOK)
        for line, fields in rows[1:]:
            get = _getter(columns, fields)
            roster.append(RosterEntry(name=" ".join(p for p in (get("first"), get("last")) if p),
                                      email=get("email"), idnumber=get("idnumber"),
                                      username=get("username"), line=line))
    elif fmt == "gradescope":
        columns = _columns(header, GRADESCOPE)
        for line, fields in rows[1:]:
            get = _getter(columns, fields)
            if "role" in columns and get("role").casefold() not in ("student", ""):
                continue  # the roster lists the staff too
            name = get("name") or " ".join(p for p in (get("first"), get("last")) if p)
            roster.append(RosterEntry(name=name, email=get("email"), lms_id=get("lms_id"),
                                      idnumber=get("lms_id"), section=get("section"), line=line))
    else:
        columns = _columns(header, KIT_HEADERS)
        if not {"id", "email", "lms_id"} & set(columns):
            raise HandinsError(
                f"the roster {where} has none of the columns id, email, lms_id (its header: "
                f"{', '.join(header)}), and is none of the LMS exports the kit reads (Moodle's "
                f"grading worksheet or gradebook export, Canvas's gradebook export, Gradescope's roster)")
        for line, fields in rows[1:]:
            get = _getter(columns, fields)
            name = get("name") or " ".join(p for p in (get("first"), get("last")) if p)
            roster.append(RosterEntry(id=get("id"), name=name, email=get("email"), lms_id=get("lms_id"),
                                      username=get("username"), idnumber=get("idnumber"),
                                      section=get("section"), line=line))
    for key in ("id", "email", "lms_id"):
        seen = {}
        for r in roster:
            value = getattr(r, key).casefold()
            if value and value in seen:
                raise HandinsError(f"the roster {where}: {key} {getattr(r, key)!r} appears on lines "
                                   f"{seen[value]} and {r.line}")
            seen.setdefault(value, r.line)
    return roster
