"""Read a class's hand-ins as the LMS downloads them: which file to grade for which student.

    discovery = discover(["downloads/"], id_from="auto", roster="roster.csv")
    for handin in discovery.handins:    # Handin: id, path, source, id_from, name, email, lms_id, notes
        ...
    discovery.skipped                   # [Skipped]: every file not graded, with why
    discovery.errors                    # [HandinError]: students whose hand-in is ambiguous (not graded)
    discovery.missing                   # [RosterEntry]: roster students with no hand-in
    discovery.unknown                   # [Handin]: hand-ins whose student is not in the roster
    discovery.summary()                 # what an instructor reads (the skipped files grouped)
    discovery.write_csv(path)           # handins.csv: id,name,email,lms_id,source,... for `export`

Layouts (`id_from`):

- ``file``: notebooks (``.ipynb``) or Otter export zips in a folder; the id is the file name without
  its extension (and without the ``_<timestamp>`` that Otter's export adds).
- ``folder``: one folder per student; the id is the folder's name.
- ``moodle``: Moodle's "Download all submissions", extracted; the id is Moodle's participant id.
- ``canvas``: Canvas's "Download Submissions", extracted; the id is the Canvas user id.
- ``gradescope``: Gradescope's "Export Submissions", extracted; the id is each submitter's SID
  (their email when the SID is empty).
- ``auto``: the layout is read from the names; a folder that mixes layouts is refused with a
  message that asks for an explicit choice.

Rules that hold in every layout: symbolic links are never followed (they are listed as skipped);
hidden files, ``__MACOSX`` and ``.ipynb_checkpoints`` are never graded; extensions are compared
without case (``bob.IPYNB`` is graded); a notebook saved by a browser as ``alice.ipynb.txt`` is
graded, with a note, because its content is the notebook and dropping it would drop the student
from the gradebook; messages never quote a file's content; names that are not UTF-8 are read as
Latin-1 (the encoding of older zip tools and Windows file systems), so ids and messages are text.
"""
from __future__ import annotations

import ast
import csv
import io
import os
import re
import unicodedata
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from ..config import QUESTION_IDS
from ..files import atomic_open
from .read import RESERVED_IDS

ASSIGNMENT_NAME = "tp1_ab"  # Otter's metadata.otter.assignment_name of the release notebook
NOTEBOOK_NAME = ASSIGNMENT_NAME + ".ipynb"
# The graded names of the contract (docs/contract.md): every question id but the two accuracies
# the grader trains itself. A notebook that defines none of them at top level is not this assignment.
GRADED_NAMES = frozenset(QUESTION_IDS) - {"circles_accuracy", "mnist_accuracy"}
HANDINS_CSV = "handins.csv"
# Ids a student folder may not take: the output folder's own files and folders.
RESERVED = frozenset(RESERVED_IDS | {HANDINS_CSV, "export"})
LAYOUTS = ("file", "folder", "moodle", "canvas", "gradescope")

# Otter's export cell names its zip `<notebook stem>_<%Y_%m_%dT%H_%M_%S_%f>.zip`
# (otter/check/notebook.py, Notebook.export, Otter-Grader 7.0.0).
OTTER_STAMP = re.compile(r"^(?P<stem>.*?)_(?P<stamp>\d{4}_\d{2}_\d{2}T\d{2}_\d{2}_\d{2}_\d{6})$")
# Moodle 3.1+ (mod/assign/classes/downloader.php, get_student_prefix and
# load_submissionplugin_filelist): one folder per student and plugin,
# `<full name>_<participant id>_assignsubmission_<plugin>`, with a trailing `_` before Moodle 4.1;
# underscores in the full name are turned into spaces, so the name holds none. With "Download
# submissions in folders" off (and before 3.1) the files are flat:
# `<full name>_<participant id>_assignsubmission_<plugin>_<file name>`. Team submissions use the
# group's name and id in place of the student's; blind marking uses "Participant".
MOODLE_FOLDER = re.compile(r"^(?P<name>[^_]*)_(?P<pid>\d+)_assignsubmission_(?P<plugin>[a-z]+)_?$")
MOODLE_FILE = re.compile(r"^(?P<name>[^_]*)_(?P<pid>\d+)_assignsubmission_(?P<plugin>[a-z]+)_(?P<file>.+)$")
# Canvas's "Download Submissions" zip is flat: `<lastnamefirstname>[_LATE]_<user id>_<submission
# id>_<original file name>`, and a resubmitted file gets `-<n>` before its extension
# (examples: `smithbob_340934_208490284_BobsWork.zip` in mikewesthad/canvas-unzipper's README;
# the LATE field and the `-<n>` suffix in TimHanneman/Canvas_submission_sort).
CANVAS_FILE = re.compile(r"^(?P<name>[^_]+?)(?P<late>_LATE)?_(?P<uid>\d+)_(?P<sub>\d+)_(?P<file>.+)$")


def canvas_match(name):
    """The Canvas fields of a file name, or None. `dave_2026_11_29T08_35_44_319881.zip` has
    Canvas's shape too, but it is Otter's export name of a notebook `dave.ipynb`."""
    m = CANVAS_FILE.match(name)
    if m:
        suffix = _suffix(name)
        otter = OTTER_STAMP.match(name[: len(name) - len(suffix)] if suffix else name)
        if otter and otter.group("stem") == m.group("name"):
            return None
    return m


CANVAS_RESUBMITTED = re.compile(r"^(?P<stem>.+)-\d+(?P<ext>\.[^.]*)?$")
# Gradescope's "Export Submissions": `assignment_<id>_export/submission_metadata.yml` and one
# folder per submission, `submission_<id>/`; the yml maps each folder name to
# `:submitters: [{:name, :sid, :email}]` (e.g. the `REPO_METADATA` sample exported from Gradescope
# in the Provenance project's repo-zip tests, and gradescope_preprocessor scripts reading
# `:submitters`, `:sid`, `:history`, `:created_at`).
GRADESCOPE_METADATA = "submission_metadata.yml"
GRADESCOPE_FOLDER = re.compile(r"^submission_(?P<sub>\d+)$")

NOTEBOOK_SUFFIXES = (".ipynb",)
BROWSER_SUFFIXES = (".ipynb.txt",)  # a browser's "Save as" of a notebook
ZIP_SUFFIXES = (".zip",)
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".svg", ".bmp", ".tif", ".tiff", ".webp", ".heic"}
SYSTEM_FILES = {"thumbs.db", "desktop.ini"}


class HandinsError(ValueError):
    """discover() was misused or cannot decide alone: a missing path, an ambiguous layout, a bad
    roster. The message says what was seen and what to pass."""


@dataclass(frozen=True)
class RosterEntry:
    """One roster row; every field is text ('' when absent). `line` is its line in the CSV."""
    id: str = ""
    name: str = ""
    email: str = ""
    lms_id: str = ""
    username: str = ""
    idnumber: str = ""
    section: str = ""
    line: int = 0


@dataclass(frozen=True)
class Handin:
    """One student's file to grade.

    id: the student id (safe as a folder name and a spreadsheet cell); path: the .ipynb (or
    .ipynb.txt) or export .zip to grade, as found (never resolved through a link); source: the
    layout it was read from (one of LAYOUTS); id_from: where the id came from, in words; name,
    email, lms_id (Moodle participant id, Canvas user id, Gradescope SID): what the LMS or the
    roster says, '' when unknown; notes: things the instructor should know (a late hand-in, a file
    picked among several, a group submission); group: the ids of the other students of a group
    submission, who share this file.
    """
    id: str
    path: Path
    source: str
    id_from: str
    name: str = ""
    email: str = ""
    lms_id: str = ""
    notes: tuple = ()
    group: tuple = ()
    roster: RosterEntry | None = None


@dataclass(frozen=True)
class Skipped:
    """A file (or folder) that is not graded. category groups the list (see CATEGORIES)."""
    path: Path
    category: str
    reason: str


@dataclass(frozen=True)
class HandinError:
    """Students whose hand-in cannot be decided alone: not graded until the instructor decides.
    ids: the student ids concerned; paths: the files concerned; message: what to do."""
    ids: tuple
    paths: tuple
    message: str


# How the skipped files are grouped for the instructor, in this order.
CATEGORIES = {
    "symlink": "symbolic links (never followed)",
    "not chosen": "other files in a student's hand-in (one file is graded per student)",
    "pdf": "PDF files (the report is graded by hand)",
    "image": "images",
    "python": "Python files (the grader reads notebooks or their export zip)",
    "html": "HTML files (e.g. Moodle's online text)",
    "other": "other files that are not notebooks",
    "unmatched": "names that do not follow the layout",
    "hidden": "hidden files (.DS_Store, Otter's .OTTER_LOG, ...)",
    "checkpoints": "Jupyter's autosave copies (.ipynb_checkpoints)",
    "macos": "macOS archive metadata (__MACOSX)",
    "system": "system files (Thumbs.db, desktop.ini, ~ backups)",
    "special": "special files (devices, pipes, sockets)",
}


@dataclass
class Discovery:
    layout: str  # the layout used ("mixed" never happens: an ambiguous folder raises)
    handins: list = field(default_factory=list)
    skipped: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    missing: list = field(default_factory=list)
    unknown: list = field(default_factory=list)

    def skipped_summary(self, examples=3):
        """One line per category of skipped files: count, what they are, a few examples."""
        by_category = defaultdict(list)
        for s in self.skipped:
            by_category[s.category].append(s)
        lines = []
        for category in CATEGORIES:
            items = by_category.get(category)
            if not items:
                continue
            shown = ", ".join(display(str(s.path)) for s in items[:examples])
            more = f", and {len(items) - examples} more" if len(items) > examples else ""
            lines.append(f"{len(items)} {CATEGORIES[category]}: {shown}{more}")
        return lines

    def summary(self):
        """What an instructor reads before grading: counts, then every problem to look at."""
        out = [f"{len(self.handins)} hand-in(s) to grade ({self.layout} layout)"]
        late = [h.id for h in self.handins if any(n.startswith("late") for n in h.notes)]
        noted = [h for h in self.handins if h.notes]
        for error in self.errors:
            out.append(f"NOT GRADED {', '.join(error.ids)}: {error.message}")
        for h in noted:
            out.append(f"note {h.id}: {'; '.join(h.notes)}")
        if late:
            out.append(f"{len(late)} late hand-in(s): {', '.join(late)}")
        if self.missing:
            out.append(f"{len(self.missing)} roster student(s) with no hand-in: "
                       + ", ".join(r.id or r.email or r.lms_id for r in self.missing))
        if self.unknown:
            out.append(f"{len(self.unknown)} hand-in(s) from students not in the roster: "
                       + ", ".join(h.id for h in self.unknown))
        if self.skipped:
            out.append(f"{len(self.skipped)} file(s) not graded:")
            out += ["  " + line for line in self.skipped_summary()]
        return "\n".join(out)

    def write_csv(self, path):
        """handins.csv, the identities `python -m autograder export` reads back: one row per
        hand-in and per roster student without one (file empty)."""
        path = Path(path)
        fields = ["id", "name", "email", "lms_id", "username", "idnumber", "section", "source",
                  "file"]
        rows = []
        for h in self.handins:
            r = h.roster or RosterEntry()
            rows.append([h.id, h.name, h.email, h.lms_id, r.username, r.idnumber, r.section,
                         h.source, display(str(h.path))])
        for r in self.missing:
            rows.append([safe_id(r.id or r.email or r.lms_id), r.name, r.email, r.lms_id,
                         r.username, r.idnumber, r.section, "roster", ""])
        with atomic_open(path, newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(fields)
            w.writerows(rows)
        return path


# ---------------------------------------------------------------------------------------------
# Names: text, ids, kinds of file


def display(name):
    """A path or file name as valid text: bytes that were not UTF-8 (a Latin-1 `st\\xe9phane`,
    which os.fsdecode turns into surrogates) are read as Latin-1 (`stéphane`)."""
    raw = os.fsencode(name)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def safe_id(text):
    """A student id safe as a folder name, a link and a spreadsheet cell: letters (any script),
    digits and ._-+@ kept, anything else becomes _; at most 120 characters; no leading dot or
    formula sign (= + - @); never one of the output folder's own names; never empty."""
    text = unicodedata.normalize("NFC", display(text))
    sid = re.sub(r"[^\w.+@-]", "_", text)[:120] or "_"
    if sid[0] in ".=+-@" or sid.lower() in RESERVED:
        sid = "_" + sid[:119]
    return sid


def _suffix(name):
    low = name.lower()
    for suffix in BROWSER_SUFFIXES + NOTEBOOK_SUFFIXES + ZIP_SUFFIXES:
        if low.endswith(suffix):
            return suffix
    return Path(low).suffix


def _stem(name):
    """The file name without its (gradable) extension and without Otter's export timestamp."""
    suffix = _suffix(name)
    stem = name[: len(name) - len(suffix)] if suffix else name
    m = OTTER_STAMP.match(stem)
    return m.group("stem") if m and m.group("stem") else stem


def _is_candidate(name):
    return _suffix(name) in BROWSER_SUFFIXES + NOTEBOOK_SUFFIXES + ZIP_SUFFIXES


def _noise(name, is_dir):
    """The category of a name that is never graded nor reported one by one, or None."""
    if name == "__MACOSX":
        return "macos"
    if name == ".ipynb_checkpoints":
        return "checkpoints"
    if name.startswith("."):
        return "hidden"
    if not is_dir and (name.lower() in SYSTEM_FILES or name.startswith("~$") or name.endswith("~")):
        return "system"
    return None


def _not_a_notebook(path):
    """Skipped entry for a regular file that is not gradable."""
    suffix = Path(path.name.lower()).suffix
    if suffix == ".pdf":
        return Skipped(path, "pdf", "a PDF: the grader reads notebooks; the report is graded by hand")
    if suffix in IMAGE_SUFFIXES:
        return Skipped(path, "image", "an image, not a notebook")
    if suffix == ".py":
        return Skipped(path, "python", "a Python file: hand in the notebook (.ipynb) or its export zip")
    if suffix in (".html", ".htm"):
        return Skipped(path, "html", "an HTML file (Moodle's online text, or a notebook exported "
                                     "to HTML): not a notebook")
    what = f"a {suffix} file" if suffix else "a file without extension"
    return Skipped(path, "other", f"{what}: not a notebook (.ipynb) nor an export zip")


@dataclass
class _Entry:
    path: Path
    kind: str  # "file", "dir", "link", "special"


def _scan(folder):
    """The entries of a folder, sorted by name, without following symbolic links."""
    entries = []
    try:
        with os.scandir(folder) as it:
            for e in it:
                path = Path(folder) / e.name
                if e.is_symlink():
                    entries.append(_Entry(path, "link"))
                elif e.is_dir(follow_symlinks=False):
                    entries.append(_Entry(path, "dir"))
                elif e.is_file(follow_symlinks=False):
                    entries.append(_Entry(path, "file"))
                else:
                    entries.append(_Entry(path, "special"))
    except OSError as e:
        raise HandinsError(f"cannot read the folder {display(str(folder))}: {e.strerror}") from e
    return sorted(entries, key=lambda e: os.fsencode(e.path.name))


def _walk_files(folder, skipped):
    """Every gradable file under folder (recursively), in name order; the rest go to skipped."""
    found = []
    for entry in _scan(folder):
        _classify(entry, found, skipped, recurse=True)
    return found


def _classify(entry, found, skipped, recurse):
    name = entry.path.name
    if entry.kind == "link":
        skipped.append(Skipped(entry.path, "symlink", "a symbolic link: not followed"))
        return
    noise = _noise(name, entry.kind == "dir")
    if noise:
        skipped.append(Skipped(entry.path, noise, CATEGORIES[noise]))
        return
    if entry.kind == "special":
        skipped.append(Skipped(entry.path, "special", "not a regular file"))
    elif entry.kind == "dir":
        if recurse:
            found += _walk_files(entry.path, skipped)
        else:
            skipped.append(Skipped(entry.path, "unmatched", "a folder in a folder of files"))
    elif _is_candidate(name):
        found.append(entry.path)
    else:
        skipped.append(_not_a_notebook(entry.path))


# ---------------------------------------------------------------------------------------------
# One student's files -> the file to grade


def _otter_stamp(path):
    m = OTTER_STAMP.match(path.name[: -len(_suffix(path.name))] if _suffix(path.name) else path.name)
    return m.group("stamp") if m else None


def choose(files, original_name=lambda p: p.name):
    """(the file to grade, notes, error message) for one student's candidate files.

    The Gradescope autograder's rule (gradescope.find_submission): a single notebook; among
    several, the one named tp1_ab.ipynb; without a notebook, the export zip; among several export
    zips, the newest by Otter's timestamp (a student who ran the export cell twice)."""
    notes = []
    notebooks = [f for f in files if _suffix(f.name) in NOTEBOOK_SUFFIXES + BROWSER_SUFFIXES]
    zips = [f for f in files if _suffix(f.name) in ZIP_SUFFIXES]
    chosen = None
    if len(notebooks) == 1:
        chosen = notebooks[0]
    elif notebooks:
        named = [f for f in notebooks if original_name(f).lower() == NOTEBOOK_NAME]
        if len(named) == 1:
            chosen = named[0]
        else:
            return None, notes, (f"{len(notebooks)} notebooks ("
                                 + ", ".join(display(original_name(f)) for f in notebooks)
                                 + f"): keep one, or name the one to grade {NOTEBOOK_NAME}")
    elif len(zips) == 1:
        chosen = zips[0]
    elif zips:
        stamped = [f for f in zips if _otter_stamp(Path(original_name(f)))]
        if len(stamped) == len(zips):
            chosen = max(zips, key=lambda f: _otter_stamp(Path(original_name(f))))
            notes.append(f"{len(zips)} export zips: graded the newest, {display(original_name(chosen))}")
        else:
            return None, notes, (f"{len(zips)} zip files ("
                                 + ", ".join(display(original_name(f)) for f in zips)
                                 + "): keep one, the zip made by the notebook's last cell")
    else:
        return None, notes, "no notebook (.ipynb) nor export zip"
    if _suffix(chosen.name) in BROWSER_SUFFIXES:
        notes.append(f"{display(chosen.name)} was saved by a browser as .txt: graded as a notebook")
    return chosen, notes, None


# ---------------------------------------------------------------------------------------------
# Layouts


def _detect(folder, entries):
    """The layout of a folder from its names: {layout: [examples]} of every layout seen."""
    seen = defaultdict(list)
    for e in entries:
        name = e.path.name
        if e.kind == "link" or _noise(name, e.kind == "dir"):
            continue
        if e.kind == "file" and name == GRADESCOPE_METADATA:
            seen["gradescope"].append(name)
        elif e.kind == "dir" and GRADESCOPE_FOLDER.match(name) and (folder / GRADESCOPE_METADATA).is_file():
            seen["gradescope"].append(name)
        elif (e.kind == "dir" and MOODLE_FOLDER.match(name)) or (e.kind == "file" and MOODLE_FILE.match(name)):
            seen["moodle"].append(name)
        elif e.kind == "file" and canvas_match(name):  # PDFs too: Canvas renames every file
            seen["canvas"].append(name)
        elif e.kind == "dir":
            seen["folder"].append(name)
        elif e.kind == "file" and _is_candidate(name):
            seen["file"].append(name)
    if "gradescope" in seen:  # its submission_<n> folders would otherwise count as "folder"
        return {"gradescope": seen["gradescope"]}
    return dict(seen)


def _layout_of(folder):
    entries = _scan(folder)
    seen = _detect(folder, entries)
    # An export folder one level down (Gradescope zips hold assignment_<id>_export/).
    real = [e for e in entries if e.kind == "dir" and not _noise(e.path.name, True)]
    if not seen.get("gradescope") and len(real) == 1 and (real[0].path / GRADESCOPE_METADATA).is_file():
        return "gradescope", real[0].path
    if set(seen) - {"folder", "file"} and _only_empty_dirs(folder, seen):
        seen.pop("folder", None)
    kinds = [k for k in ("gradescope", "moodle", "canvas", "folder", "file") if k in seen]
    if not kinds:
        return None, folder
    if len(kinds) > 1:
        detail = "; ".join(f"{k}: {len(seen[k])} (e.g. {display(seen[k][0])})" for k in kinds)
        raise HandinsError(
            f"{display(str(folder))} mixes layouts ({detail}): say which one names the students "
            f"with id_from / --id-from ({', '.join(kinds)})")
    return kinds[0], folder


def _only_empty_dirs(folder, seen):
    """True when the plain subfolders next to LMS-named entries hold nothing gradable (e.g. an
    empty folder a tool left): they do not make the layout ambiguous."""
    for name in seen.get("folder", []):
        if _walk_files(Path(folder) / name, []):
            return False
    return True


class _Collector:
    """Accumulates hand-ins per student id, then resolves clashes."""

    def __init__(self):
        self.handins = []
        self.skipped = []
        self.errors = []

    def student(self, sid, files, source, id_from, where=None, original_name=lambda p: p.name,
                notes=(), **identity):
        """One student's candidate files: the chosen one becomes a Handin, the others are listed
        as skipped; when none can be chosen, an error (the student is not graded)."""
        chosen, more_notes, error = choose(files, original_name)
        if error:
            self.errors.append(HandinError((sid,), tuple(files) or ((where,) if where else ()),
                                           f"{id_from}: {error}"))
            return
        self.skipped += [Skipped(f, "not chosen", f"not graded: {sid} hands in {display(chosen.name)}")
                         for f in files if f != chosen]
        self.handins.append(Handin(sid, chosen, source, id_from, notes=tuple(notes) + tuple(more_notes),
                                   **identity))


def _layout_file(folder, col, recurse):
    files = []
    given = [_Entry(folder, "file" if folder.is_file() else "special")]
    for entry in _scan(folder) if folder.is_dir() else given:
        _classify(entry, files, col.skipped, recurse=recurse)
    for f in files:
        _zip_is_class_download(f)
        stem = _stem(f.name)
        col.student(safe_id(stem), [f], "file", f"file name {display(f.name)}")


def _layout_folder(folder, col):
    for entry in _scan(folder):
        if entry.kind != "dir" or _noise(entry.path.name, True):
            found = []
            _classify(entry, found, col.skipped, recurse=False)
            for f in found:  # a loose notebook next to the student folders
                col.skipped.append(Skipped(f, "unmatched", "a file next to the student folders "
                                                           "(each student has a folder)"))
            continue
        files = _walk_files(entry.path, col.skipped)
        col.student(safe_id(entry.path.name), files, "folder", f"folder {display(entry.path.name)}",
                    where=entry.path)


def _layout_moodle(folder, col):
    per_student = defaultdict(list)  # participant id -> candidate files
    names = {}
    for entry in _scan(folder):
        name = entry.path.name
        m_dir = MOODLE_FOLDER.match(name) if entry.kind == "dir" else None
        m_file = MOODLE_FILE.match(name) if entry.kind == "file" else None
        m = m_dir or m_file
        if not m or entry.kind == "link":
            if entry.kind == "link" or _noise(name, entry.kind == "dir"):
                _classify(entry, [], col.skipped, recurse=False)
            else:
                col.skipped.append(Skipped(entry.path, "unmatched",
                                           "not named as Moodle names its downloads "
                                           "(<full name>_<participant id>_assignsubmission_<plugin>)"))
            continue
        pid = m.group("pid")
        names.setdefault(pid, display(m.group("name")))
        if m.group("plugin") != "file":  # onlinetext and others: text typed in Moodle
            col.skipped.append(Skipped(entry.path, "html", f"Moodle's {m.group('plugin')} "
                                                           "submission: not a notebook"))
            continue
        if m_dir:
            per_student[pid] += _walk_files(entry.path, col.skipped)
        elif _is_candidate(m_file.group("file")):
            per_student[pid].append(entry.path)
        else:
            col.skipped.append(_not_a_notebook(entry.path))
    for pid, name in names.items():
        original = lambda p: (MOODLE_FILE.match(p.name).group("file")  # noqa: E731
                              if p.parent == folder and MOODLE_FILE.match(p.name) else p.name)
        col.student(safe_id(pid), per_student.get(pid, []), "moodle",
                    f"Moodle participant {pid} ({name})", original_name=original,
                    name=name, lms_id=pid, where=folder / name)


def _canvas_original(path):
    m = canvas_match(path.name)
    original = m.group("file") if m else path.name
    r = CANVAS_RESUBMITTED.match(original)
    return (r.group("stem") + (r.group("ext") or "")) if r else original


def _layout_canvas(folder, col):
    per_student = defaultdict(list)
    info = {}
    for entry in _scan(folder):
        m = canvas_match(entry.path.name) if entry.kind == "file" else None
        if not m:
            if entry.kind == "link" or _noise(entry.path.name, entry.kind == "dir"):
                _classify(entry, [], col.skipped, recurse=False)
            else:
                col.skipped.append(Skipped(entry.path, "unmatched", "not named as Canvas names its "
                                           "downloads (<name>_<user id>_<submission id>_<file>)"))
            continue
        uid = m.group("uid")
        name, late = info.get(uid, (display(m.group("name")), False))
        info[uid] = (name, late or bool(m.group("late")))
        if _is_candidate(m.group("file")):
            per_student[uid].append(entry.path)
        else:
            col.skipped.append(_not_a_notebook(entry.path))
    for uid, (name, late) in info.items():
        col.student(safe_id(uid), per_student.get(uid, []), "canvas",
                    f"Canvas user {uid} ({name})", original_name=_canvas_original, name=name,
                    lms_id=uid, notes=("late (Canvas marked the file LATE)",) if late else (),
                    where=folder / name)


def _gradescope_metadata(path):
    """submission_metadata.yml as {folder name: [(name, sid, email)]}; Ruby-tagged nodes are read
    as plain data and never constructed."""
    import yaml

    class Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # the C parser when built: 5x faster
        pass

    def plain(loader, _suffix, node):
        if isinstance(node, yaml.MappingNode):
            return loader.construct_mapping(node, deep=True)
        if isinstance(node, yaml.SequenceNode):
            return loader.construct_sequence(node, deep=True)
        return loader.construct_scalar(node)

    Loader.add_multi_constructor("!", plain)
    Loader.add_multi_constructor("tag:yaml.org,2002:", plain)
    try:
        data = yaml.load(path.read_bytes(), Loader=Loader)  # noqa: S506 - a SafeLoader subclass
    except (OSError, yaml.YAMLError) as e:
        raise HandinsError(f"{display(str(path))} is not readable YAML ({type(e).__name__}); "
                           f"re-download Gradescope's export") from None
    if not isinstance(data, dict):
        raise HandinsError(f"{display(str(path))} does not map submissions to submitters")

    def text(value):
        return "" if value is None else str(value).strip()

    submissions = {}
    for key, record in data.items():
        people = record.get(":submitters") if isinstance(record, dict) else None
        if not isinstance(people, list):
            continue
        submissions[str(key)] = [(text(p.get(":name")), text(p.get(":sid")), text(p.get(":email")))
                                 for p in people if isinstance(p, dict)]
    return submissions


def _layout_gradescope(folder, col):
    metadata = _gradescope_metadata(folder / GRADESCOPE_METADATA)
    on_disk = set()
    for entry in _scan(folder):
        name = entry.path.name
        if entry.kind == "file" and name == GRADESCOPE_METADATA:
            continue
        if entry.kind == "dir" and name in metadata:
            on_disk.add(name)
            continue
        if entry.kind == "link" or _noise(name, entry.kind == "dir"):
            _classify(entry, [], col.skipped, recurse=False)
        else:
            col.skipped.append(Skipped(entry.path, "unmatched",
                                       f"not a submission listed in {GRADESCOPE_METADATA}"))
    for key, people in metadata.items():
        ids = [safe_id(sid or email or key) for _, sid, email in people] or [safe_id(key)]
        if key not in on_disk:
            col.errors.append(HandinError(tuple(ids), (folder / key,),
                                          f"Gradescope submission {key} is in {GRADESCOPE_METADATA} "
                                          f"but its folder is missing: re-download the export"))
            continue
        files = _walk_files(folder / key, col.skipped)
        chosen, notes, error = choose(files)
        if error:
            col.errors.append(HandinError(tuple(ids), tuple(files) or (folder / key,),
                                          f"Gradescope submission {key}: {error}"))
            continue
        col.skipped += [Skipped(f, "not chosen", f"not graded: submission {key} hands in "
                                                 f"{display(chosen.name)}") for f in files if f != chosen]
        for (name, sid, email), student in zip(people or [("", "", "")], ids):
            others = tuple(i for i in ids if i != student)
            source = "SID" if sid else ("email" if email else "submission id")
            extra = [f"group submission with {', '.join(others)}"] if others else []
            if not sid and not email:
                extra.append("Gradescope gives this submitter neither SID nor email")
            col.handins.append(Handin(student, chosen, "gradescope", f"Gradescope {source} of {key}",
                                      name=name, email=email, lms_id=sid,
                                      notes=tuple(notes + extra), group=others))


def _zip_is_class_download(path):
    """Refuse a whole-class LMS download zip handed over as if it were one student's export."""
    if _suffix(path.name) not in ZIP_SUFFIXES:
        return
    try:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
    except (OSError, zipfile.BadZipFile, ValueError):
        return  # graded, and reported unreadable by the grader
    first = {n.split("/")[0] for n in names}
    tops = {n.rstrip("/").split("/")[-1] for n in names}
    lms = ("Gradescope" if GRADESCOPE_METADATA in tops
           else "Moodle" if any(MOODLE_FOLDER.match(t) or MOODLE_FILE.match(t) for t in first)
           else "Canvas" if sum(bool(canvas_match(t)) for t in first) >= 2 else None)
    if lms:
        raise HandinsError(f"{display(str(path))} is a {lms} download of the whole class: extract "
                           f"it (unzip it into a folder) and pass that folder")


# ---------------------------------------------------------------------------------------------
# Roster

_HEADERS = {
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


def _normal_header(text):
    text = unicodedata.normalize("NFKD", text.replace("\ufeff", ""))
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


def load_roster(path):
    """The roster CSV as [RosterEntry]. Accepts UTF-8 with or without a byte-order mark, fields
    separated by `,` `;` or tabs (read from the header line), and the usual spellings of the
    headers (id/student id, name or first name + last name, email/e-mail, lms_id/participant
    id/user id, username/SIS Login ID, idnumber/SIS User ID, section). Raises HandinsError naming
    the file, line and column of any problem."""
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
    lines = text.splitlines()
    first = next((line for line in lines if line.strip()), "")
    if not first:
        raise HandinsError(f"the roster {display(str(path))} is empty (expected a header line)")
    delimiter = max(",;\t", key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header, columns, entries = None, {}, []
    for fields in reader:
        if not any(c.strip() for c in fields):
            continue
        if header is None:
            header = [_normal_header(c) for c in fields]
            for i, h in enumerate(header):
                for key, spellings in _HEADERS.items():
                    if h in spellings and key not in columns:
                        columns[key] = i
            if not {"id", "email", "lms_id"} & set(columns):
                raise HandinsError(
                    f"the roster {display(str(path))} has none of the columns id, email, lms_id "
                    f"(its header: {', '.join(c.strip() for c in fields)})")
            continue

        def get(key):
            i = columns.get(key)
            return fields[i].strip() if i is not None and i < len(fields) else ""

        name = get("name") or " ".join(p for p in (get("first"), get("last")) if p)
        entries.append(RosterEntry(id=get("id"), name=name, email=get("email"),
                                   lms_id=get("lms_id"), username=get("username"),
                                   idnumber=get("idnumber"), section=get("section"),
                                   line=reader.line_num))
    for key in ("id", "email", "lms_id"):
        seen = {}
        for r in entries:
            value = getattr(r, key).casefold()
            if value and value in seen:
                raise HandinsError(f"the roster {display(str(path))}: {key} {getattr(r, key)!r} "
                                   f"appears on lines {seen[value]} and {r.line}")
            seen.setdefault(value, r.line)
    return entries


def _match(handin, roster):
    """(roster entry, how) for a hand-in, or (None, None)."""
    by = {"id": {}, "lms_id": {}, "email": {}}
    for r in roster:
        for key in by:
            value = getattr(r, key).casefold()
            if value:
                by[key].setdefault(value, r)
    candidates = [("id", handin.id), ("lms_id", handin.lms_id), ("lms_id", handin.id),
                  ("email", handin.email)]
    for key, value in candidates:
        entry = by[key].get(value.casefold()) if value else None
        if entry:
            return entry, key
    return None, None


def _apply_roster(handins, roster):
    matched, unknown, used = [], [], set()
    for h in handins:
        entry, how = _match(h, roster)
        if entry is None:
            unknown.append(h)
            matched.append(h)
            continue
        used.add(entry.line)
        new_id, id_from = h.id, h.id_from
        if how != "id" and entry.id:
            new_id = safe_id(entry.id)
            id_from = f"roster line {entry.line} (matched by {how.replace('_', ' ')}; {h.id_from})"
        matched.append(Handin(new_id, h.path, h.source, id_from, name=entry.name or h.name,
                              email=entry.email or h.email, lms_id=entry.lms_id or h.lms_id,
                              notes=h.notes, group=h.group, roster=entry))
    missing = [r for r in roster if r.line not in used]
    return matched, unknown, missing


# ---------------------------------------------------------------------------------------------


def _resolve_clashes(col):
    """Hand-ins that resolve to the same id (ignoring case: folders on macOS and Windows) are not
    graded; each becomes an error naming the files."""
    by_id = defaultdict(list)
    for h in col.handins:
        by_id[h.id.casefold()].append(h)
    kept = []
    for key, group in by_id.items():
        if len(group) == 1:
            kept += group
            continue
        col.errors.append(HandinError(
            tuple(sorted({h.id for h in group})), tuple(h.path for h in group),
            "two hand-ins resolve to the same student id: "
            + "; ".join(f"{display(str(h.path))} ({h.id_from})" for h in group)
            + " — keep one, or choose another id_from"))
    col.handins = kept


def discover(paths, id_from="auto", roster=None):
    """The hand-ins under paths (files or folders), read in the given layout.

    paths: iterable of str/Path; id_from: "auto" or one of LAYOUTS; roster: None, a CSV path, or a
    list of RosterEntry. Returns a Discovery (hand-ins sorted by id). Raises HandinsError when a
    path does not exist, when id_from is unknown, when "auto" sees a mix of layouts, when a zip is
    a whole-class LMS download, or when the roster is unreadable."""
    if id_from != "auto" and id_from not in LAYOUTS:
        raise HandinsError(f"id_from must be auto or one of {', '.join(LAYOUTS)}, not {id_from!r}")
    roster_entries = load_roster(roster) if isinstance(roster, (str, os.PathLike)) else roster
    col = _Collector()
    layouts = set()
    for raw in paths:
        path = Path(raw)
        if path.is_symlink():
            col.skipped.append(Skipped(path, "symlink", "a symbolic link: not followed (pass the "
                                                        "folder or file it points to)"))
            continue
        if not path.exists():
            raise HandinsError(f"no such file or folder: {display(str(path))}")
        if not path.is_dir():
            layouts.add("file")
            _layout_file(path, col, recurse=False)
            continue
        layout, root = (id_from, path) if id_from != "auto" else _layout_of(path)
        if layout == "gradescope" and not (root / GRADESCOPE_METADATA).is_file():
            sub = [e.path for e in _scan(root) if e.kind == "dir"
                   and (e.path / GRADESCOPE_METADATA).is_file()]
            if len(sub) != 1:
                raise HandinsError(f"{display(str(path))} has no {GRADESCOPE_METADATA}: is it "
                                   f"Gradescope's \"Export Submissions\", extracted?")
            root = sub[0]
        if layout is None:
            continue  # a folder with nothing gradable: its files are listed as skipped below
        layouts.add(layout)
        {"file": lambda: _layout_file(root, col, recurse=id_from == "file"),
         "folder": lambda: _layout_folder(root, col),
         "moodle": lambda: _layout_moodle(root, col),
         "canvas": lambda: _layout_canvas(root, col),
         "gradescope": lambda: _layout_gradescope(root, col)}[layout]()
    for raw in paths:  # folders where nothing was recognised: say what they held
        path = Path(raw)
        if path.is_dir() and not path.is_symlink() and id_from == "auto" and _layout_of_quiet(path) is None:
            _walk_files(path, col.skipped)
    unknown, missing = [], []
    if roster_entries is not None:
        col.handins, unknown, missing = _apply_roster(col.handins, roster_entries)
    _resolve_clashes(col)
    unknown = [h for h in unknown if h in col.handins]
    layout = layouts.pop() if len(layouts) == 1 else ("+".join(sorted(layouts)) or "empty")
    return Discovery(layout, sorted(col.handins, key=lambda h: h.id), col.skipped, col.errors,
                     missing, unknown)


def _layout_of_quiet(path):
    try:
        return _layout_of(path)[0]
    except HandinsError:
        return "mixed"


# ---------------------------------------------------------------------------------------------
# Is it this assignment?


def _top_level_names(source):
    from .read import MAX_CELL_CHARS, strip_ipython, top_level_names

    if len(source) > MAX_CELL_CHARS:
        return set()
    try:
        return top_level_names(ast.parse(strip_ipython(source)[0]))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return set()


def assignment_mismatch(notebook, defined=None):
    """Why a notebook is not TP1-ab, or None when it is.

    notebook: a parsed notebook (nbformat NotebookNode or the dict of its JSON). Not this
    assignment when Otter's `metadata.otter.assignment_name` names another assignment, or when no
    code cell defines any graded name (GRADED_NAMES) at top level. A notebook without Otter
    metadata that defines them is this assignment. The message never quotes the notebook.
    defined: the names its code cells define at top level, when the caller has parsed them already."""
    metadata = notebook.get("metadata") if isinstance(notebook, dict) else None
    otter = metadata.get("otter") if isinstance(metadata, dict) else None
    if isinstance(otter, dict) and "assignment_name" in otter:
        if otter["assignment_name"] != ASSIGNMENT_NAME:
            return (f"its Otter metadata names another assignment, not {ASSIGNMENT_NAME}: "
                    f"is it the notebook of another practical?")
    cells = notebook.get("cells") if isinstance(notebook, dict) and defined is None else None
    defined = set(defined or ())
    for cell in cells if isinstance(cells, list) else []:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        source = "".join(s for s in source if isinstance(s, str)) if isinstance(source, list) else source
        if isinstance(source, str):
            defined |= _top_level_names(source)
    if not defined & GRADED_NAMES:
        return (f"it defines none of the graded functions ({', '.join(sorted(GRADED_NAMES)[:4])}, "
                f"...): is it the {ASSIGNMENT_NAME} notebook?")
    return None
