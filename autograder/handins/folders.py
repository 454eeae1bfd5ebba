"""Walking a class's folders: never through a symbolic link, and saying why each file is not graded."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .names import display, is_gradable

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".svg", ".bmp", ".tif", ".tiff", ".webp", ".heic"}
SYSTEM_FILES = {"thumbs.db", "desktop.ini"}

# How the skipped files are grouped for the instructor, in this order.
CATEGORIES = {
    "symlink": "symbolic links (never followed)",
    "not chosen": "other files in a student's hand-in (one file is graded per student)",
    "pdf": "PDF files (the report is graded by hand)",
    "image": "images",
    "python": "Python files (the grader reads notebooks or their export zip)",
    "html": "HTML files (Moodle's online text, Canvas's text entries and links)",
    "other": "other files that are not notebooks",
    "unmatched": "names that do not follow the layout",
    "hidden": "hidden files (.DS_Store, Otter's .OTTER_LOG, ...)",
    "checkpoints": "Jupyter's autosave copies (.ipynb_checkpoints)",
    "macos": "macOS archive metadata (__MACOSX)",
    "system": "system files (Thumbs.db, desktop.ini, ~ backups)",
    "special": "special files (devices, pipes, sockets)",
}


class HandinsError(ValueError):
    """discover() was misused or cannot decide alone: a missing path, an ambiguous layout, a bad
    roster. The message says what was seen and what to pass."""


@dataclass(frozen=True)
class Skipped:
    """A file (or folder) that is not graded. category groups the list (see CATEGORIES)."""
    path: Path
    category: str
    reason: str


@dataclass
class Entry:
    path: Path
    kind: str  # "file", "dir", "link", "special"


def scan(folder):
    """The entries of a folder, sorted by name, without following symbolic links."""
    entries = []
    try:
        with os.scandir(folder) as it:
            for e in it:
                path = Path(folder) / e.name
                if e.is_symlink():
                    entries.append(Entry(path, "link"))
                elif e.is_dir(follow_symlinks=False):
                    entries.append(Entry(path, "dir"))
                elif e.is_file(follow_symlinks=False):
                    entries.append(Entry(path, "file"))
                else:
                    entries.append(Entry(path, "special"))
    except OSError as e:
        raise HandinsError(f"cannot read the folder {display(str(folder))}: {e.strerror}") from e
    return sorted(entries, key=lambda e: os.fsencode(e.path.name))


def noise(name, is_dir):
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


def not_a_notebook(path):
    """Skipped entry for a regular file that is not gradable."""
    ext = Path(path.name.lower()).suffix
    if ext == ".pdf":
        return Skipped(path, "pdf", "a PDF: the grader reads notebooks; the report is graded by hand")
    if ext in IMAGE_SUFFIXES:
        return Skipped(path, "image", "an image, not a notebook")
    if ext == ".py":
        return Skipped(path, "python", "a Python file: hand in the notebook (.ipynb) or its export zip")
    if ext in (".html", ".htm"):
        return Skipped(path, "html", "an HTML file (an LMS's online text, or a notebook exported "
                                     "to HTML): not a notebook")
    what = f"a {ext} file" if ext else "a file without extension"
    return Skipped(path, "other", f"{what}: not a notebook (.ipynb) nor an export zip")


def walk_files(folder, skipped):
    """Every gradable file under folder (recursively), in name order; the rest go to skipped."""
    found = []
    for entry in scan(folder):
        classify(entry, found, skipped, recurse=True)
    return found


def classify(entry, found, skipped, recurse):
    """A gradable file goes to found, anything else to skipped (a folder is walked when recurse)."""
    name = entry.path.name
    if entry.kind == "link":
        skipped.append(Skipped(entry.path, "symlink", "a symbolic link: not followed"))
        return
    category = noise(name, entry.kind == "dir")
    if category:
        skipped.append(Skipped(entry.path, category, CATEGORIES[category]))
        return
    if entry.kind == "special":
        skipped.append(Skipped(entry.path, "special", "not a regular file"))
    elif entry.kind == "dir":
        if recurse:
            found += walk_files(entry.path, skipped)
        else:
            skipped.append(Skipped(entry.path, "unmatched", "a folder in a folder of files"))
    elif is_gradable(name):
        found.append(entry.path)
    else:
        skipped.append(not_a_notebook(entry.path))


def skip_unmatched(entry, skipped, reason):
    """An entry that does not follow a layout: listed as noise, a link, or a name off the layout."""
    if entry.kind == "link" or noise(entry.path.name, entry.kind == "dir"):
        classify(entry, [], skipped, recurse=False)
    else:
        skipped.append(Skipped(entry.path, "unmatched", reason))
