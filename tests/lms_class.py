"""The test class of twelve students, and their hand-ins as Moodle, Canvas and Gradescope download them.

Each builder writes the names the LMS's own code writes (the source is cited at each one); the
rosters of the same class, as each LMS exports them, are the files of tests/lms_samples/ (see its
README). The notebooks are the kit's sample submissions (examples/submissions): a class graded for
real gets the grades the grader gives those samples.

The class has what a real one has: accents (Zoé, Søren, Łukasz, Nguyễn), apostrophes (D'Angelo,
N'Diaye, O'Connor), hyphens (Smith-Jones, Jean-Pierre, Ana-Lucía), two students with the same name
(Marie Dubois), one late (D'Angelo), one with two notebooks (Chloé), one who hands in Otter's export
zip (Jean-Pierre), one who hands in nothing (Ana-Lucía).
"""
from __future__ import annotations

import json
import re
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "examples" / "submissions"
LMS_SAMPLES = Path(__file__).resolve().parent / "lms_samples"
OTTER_ZIP = "tp1_ab_2026_11_29T21_14_03_512339.zip"  # Otter's export name (otter/check/notebook.py, export)
TWO_NOTEBOOKS = {"TP1 final.ipynb": "reference", "TP1 brouillon.ipynb": "unfilled"}
DEADLINE = "2026-11-29T23:59:00+01:00"


@dataclass(frozen=True)
class Student:
    """One student: their identities in each LMS and what they hand in. notebook: a sample's name,
    "otter-zip" (the export zip of broken_svm), "two notebooks" (TWO_NOTEBOOKS), or None."""
    first: str
    last: str
    email: str
    sid: str  # the institution's number: Moodle's ID number, Canvas's SIS User ID, Gradescope's SID
    participant: str  # Moodle's participant id in the assignment
    canvas: str  # Canvas user id
    section: str
    notebook: str | None
    late: bool = False

    @property
    def full(self):  # Moodle's fullname(): "First Last"
        return f"{self.first} {self.last}"

    @property
    def sortable(self):  # Canvas's sortable_name: "Last, First"
        return f"{self.last}, {self.first}"

    @property
    def grades_as(self):
        """The sample whose grade this student gets once graded (None: no grade)."""
        return {"otter-zip": "broken_svm", "two notebooks": None}.get(self.notebook, self.notebook)


CLASS = [
    Student("Zoé", "Lefèvre", "zoe.lefevre@uni.example", "21001", "1234501", "340901", "G1", "reference"),
    Student("D'Angelo", "Smith-Jones", "dangelo.smith-jones@uni.example", "21002", "1234502", "340902", "G1",
            "summed_gradients", late=True),
    Student("Marie", "Dubois", "marie.dubois@uni.example", "21003", "1234503", "340903", "G1", "softmax_wrong_axis"),
    Student("Marie", "Dubois", "marie.dubois2@uni.example", "21004", "1234504", "340904", "G2",
            "missing_tanh_derivative"),
    Student("Jean-Pierre", "N'Diaye", "jean-pierre.ndiaye@uni.example", "21005", "1234505", "340905", "G2", "otter-zip"),
    Student("Chloé", "O'Connor", "chloe.oconnor@uni.example", "21006", "1234506", "340906", "G2", "two notebooks"),
    Student("Ana-Lucía", "Núñez", "ana-lucia.nunez@uni.example", "21007", "1234507", "340907", "G1", None),
    Student("Søren", "Ødegård", "soren.odegard@uni.example", "21008", "1234508", "340908", "G2", "unfilled"),
    Student("Łukasz", "Wiśniewski", "lukasz.wisniewski@uni.example", "21009", "1234509", "340909", "G1", "reference"),
    Student("Aïcha", "Benali", "aicha.benali@uni.example", "21010", "1234510", "340910", "G2", "broken_svm"),
    Student("Björn", "Åström", "bjorn.astrom@uni.example", "21011", "1234511", "340911", "G1", "summed_gradients"),
    Student("Thi-Hà", "Nguyễn", "thi-ha.nguyen@uni.example", "21012", "1234512", "340912", "G2",
            "missing_tanh_derivative"),
]
BY_EMAIL = {s.email: s for s in CLASS}
CHLOE = CLASS[5]
ANA = CLASS[6]
DANGELO = CLASS[1]


def handed_in(student):
    return student.notebook is not None


def files_of(student):
    """{file name the student gave: the sample it holds, or "otter-zip"}."""
    if student.notebook == "two notebooks":
        return dict(TWO_NOTEBOOKS)
    if student.notebook == "otter-zip":
        return {OTTER_ZIP: "otter-zip"}
    return {"tp1_ab.ipynb": student.notebook}


def write_file(dest, what):
    """A sample notebook, or Otter's export zip of broken_svm (the notebook, and Otter's log)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    if what == "otter-zip":
        with zipfile.ZipFile(dest, "w") as zf:
            zf.write(SAMPLES / "broken_svm.ipynb", "tp1_ab.ipynb")
            zf.writestr(".OTTER_LOG", b"\x80\x04log")
    else:
        shutil.copy(SAMPLES / f"{what}.ipynb", dest)
    return dest


# --- Moodle ------------------------------------------------------------------------------------------

def moodle_prefix(student):
    """mod/assign/classes/downloader.php, get_student_prefix: fullname with `_` as spaces, then
    clean_filename (PARAM_FILE: control characters and & < > " ` | ' : \\ / removed), `_`, the
    participant id."""
    name = re.sub(r"[\x00-\x1f\x7f&<>\"`|':\\/]", "", student.full.replace("_", " "))
    return f"{name}_{student.participant}"


def moodle_download(root, variant="4.1"):
    """Moodle's "Download all submissions", extracted. variant: "4.1" (one folder per student and
    plugin, `<prefix>_assignsubmission_file`), "before 4.1" (the same with a trailing `_`), or "flat"
    ("Download submissions in folders" off: `<prefix>_assignsubmission_file_<file name>`). One
    student also typed an online text (`..._assignsubmission_onlinetext`, onlinetext.html)."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    trailing = "_" if variant == "before 4.1" else ""
    for s in CLASS:
        if not handed_in(s):
            continue
        for name, what in files_of(s).items():
            if variant == "flat":
                write_file(root / f"{moodle_prefix(s)}_assignsubmission_file_{name}", what)
            else:
                write_file(root / f"{moodle_prefix(s)}_assignsubmission_file{trailing}" / name, what)
    text = CLASS[0]
    if variant == "flat":
        (root / f"{moodle_prefix(text)}_assignsubmission_onlinetext_onlinetext.html").write_text("<p>voir le notebook</p>")
    else:
        folder = root / f"{moodle_prefix(text)}_assignsubmission_onlinetext{trailing}"
        folder.mkdir()
        (folder / "onlinetext.html").write_text("<p>voir le notebook</p>")
    return root


# --- Canvas ------------------------------------------------------------------------------------------

def canvas_prefix(student):
    """lib/content_zipper.rb, get_filename: [sortable name, downcased by sanitize_user_name, "LATE" when
    late, user id] joined with `_`, then sanitize_file_name: every character that is not a word
    character removed."""
    parts = [student.sortable.lower()] + (["LATE"] if student.late else []) + [student.canvas]
    return re.sub(r"[^\w]", "", "_".join(parts))


def canvas_names():
    """{file name in the download: what it holds}: add_upload_submission writes
    `<prefix>_<attachment id>_<display name>`; Łukasz uploaded tp1_ab.ipynb twice, so Canvas named the
    second `tp1_ab-1.ipynb`, the file of his submission."""
    names, attachment = {}, 208490700
    for s in CLASS:
        if not handed_in(s):
            continue
        for name, what in files_of(s).items():
            attachment += 1
            shown = "tp1_ab-1.ipynb" if s.first == "Łukasz" else name
            names[f"{canvas_prefix(s)}_{attachment}_{shown}"] = what
    return names


def canvas_download(root):
    root = Path(root)
    for name, what in canvas_names().items():
        write_file(root / name, what)
    return root


# --- Gradescope --------------------------------------------------------------------------------------

GRADESCOPE_SUBMISSION = {s.email: f"submission_{9001 + i}" for i, s in enumerate(CLASS) if handed_in(s)}


def gradescope_export(root):
    """Gradescope's "Export Submissions", extracted: assignment_5551_export/ with the metadata of
    tests/lms_samples/gradescope_submission_metadata.yml and one folder per submission."""
    export = Path(root) / "assignment_5551_export"
    export.mkdir(parents=True)
    shutil.copy(LMS_SAMPLES / "gradescope_submission_metadata.yml", export / "submission_metadata.yml")
    for s in CLASS:
        if handed_in(s):
            for name, what in files_of(s).items():
                write_file(export / GRADESCOPE_SUBMISSION[s.email] / name, what)
    return Path(root)


def roster(name):
    return LMS_SAMPLES / name


def notebook_json(path):
    return json.loads(Path(path).read_text(encoding="utf-8"))
