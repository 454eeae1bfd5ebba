"""Names: file and folder names as text, student ids, and what kind of file a name says it is."""
from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from ..ids import HANDINS_CSV, RESERVED, display, safe_id  # noqa: F401 - names of the hand-ins' vocabulary
from ..pipeline.assignment import ASSIGNMENT_NAME

NOTEBOOK_NAME = ASSIGNMENT_NAME + ".ipynb"

# Otter's export cell names its zip `<notebook stem>_<%Y_%m_%dT%H_%M_%S_%f>.zip`
# (otter/check/notebook.py, Notebook.export, Otter-Grader 7.0.0).
OTTER_STAMP = re.compile(r"^(?P<stem>.*?)_(?P<stamp>\d{4}_\d{2}_\d{2}T\d{2}_\d{2}_\d{2}_\d{6})$")

NOTEBOOK_SUFFIXES = (".ipynb",)
BROWSER_SUFFIXES = (".ipynb.txt",)  # a browser's "Save as" of a notebook
ZIP_SUFFIXES = (".zip",)
GRADABLE_SUFFIXES = BROWSER_SUFFIXES + NOTEBOOK_SUFFIXES + ZIP_SUFFIXES


# What Moodle's download takes out of a name (mod/assign/classes/downloader.php: `_` become spaces, then
# clean_filename, i.e. clean_param PARAM_FILE in lib/moodlelib.php, strips control characters and & < > " ` | ' : \ /).
MOODLE_STRIPS = re.compile(r"[\x00-\x1f\x7f&<>\"`|':\\/]")


def same_name(name):
    """A person's name as compared across files: NFC, case and runs of spaces ignored, and what
    Moodle's download strips from a folder name left out on both sides (`D'Angelo` is `DAngelo`)."""
    name = MOODLE_STRIPS.sub("", unicodedata.normalize("NFC", name).replace("_", " "))
    return " ".join(name.casefold().split())


def suffix(name):
    """The extension that decides how a file is read (`.ipynb.txt` is one), lower case."""
    low = name.lower()
    for gradable in GRADABLE_SUFFIXES:
        if low.endswith(gradable):
            return gradable
    return Path(low).suffix


def stem(name):
    """The file name without its (gradable) extension and without Otter's export timestamp."""
    ext = suffix(name)
    base = name[: len(name) - len(ext)] if ext else name
    m = OTTER_STAMP.match(base)
    return m.group("stem") if m and m.group("stem") else base


def otter_stamp(name):
    """The timestamp Otter's export put in a zip's name, or None."""
    ext = suffix(name)
    m = OTTER_STAMP.match(name[: -len(ext)] if ext else name)
    return m.group("stamp") if m else None


def is_gradable(name):
    return suffix(name) in GRADABLE_SUFFIXES


def is_notebook(name):
    return suffix(name) in NOTEBOOK_SUFFIXES + BROWSER_SUFFIXES
