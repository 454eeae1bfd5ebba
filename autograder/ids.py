"""Student ids: what a hand-in is called in the output folder, its links and its spreadsheet cells.

One module of its own, imported by the reader (pipeline/read.py) and by hand-in discovery
(handins/): neither imports the other for it.
"""
from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path

HANDINS_CSV = "handins.csv"
# the output folder's own files
RESERVED_IDS = {"grades.csv", "summary.html", "scores.png", "questions.png", "gradebook.csv", "similarity.csv",
                "skipped.csv"}
# Ids a student folder may not take: the output folder's own files and folders.
RESERVED = frozenset(RESERVED_IDS | {HANDINS_CSV, "export"})


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


def submission_id(path):
    """The student id of a file given alone: its name without its extension, made safe."""
    return safe_id(Path(path).stem)
