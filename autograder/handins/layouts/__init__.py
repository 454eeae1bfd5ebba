"""The layouts a class's hand-ins come in, and which one a folder is in (`id_from="auto"`).

- ``file``: notebooks (``.ipynb``) or Otter export zips in a folder (plain.read_files).
- ``folder``: one folder per student (plain.read_folders).
- ``moodle``, ``canvas``, ``gradescope``: the downloads of these LMSs, extracted (their modules say
  how each names the files, from the LMS's own source).
"""
from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from ..folders import HandinsError, noise, scan, walk_files
from ..names import display, is_gradable
from . import canvas, gradescope, moodle, plain

LAYOUTS = ("file", "folder", "moodle", "canvas", "gradescope")


def detect(folder, entries):
    """The layout of a folder from its names: {layout: [examples]} of every layout seen."""
    seen = defaultdict(list)
    for e in entries:
        name = e.path.name
        if e.kind == "link" or noise(name, e.kind == "dir"):
            continue
        if gradescope.recognises(e, folder):
            seen["gradescope"].append(name)
        elif moodle.recognises(e):
            seen["moodle"].append(name)
        elif canvas.recognises(e):  # PDFs too: Canvas renames every file
            seen["canvas"].append(name)
        elif e.kind == "dir":
            seen["folder"].append(name)
        elif e.kind == "file" and is_gradable(name):
            seen["file"].append(name)
    if "gradescope" in seen:  # its submission_<n> folders would otherwise count as "folder"
        return {"gradescope": seen["gradescope"]}
    return dict(seen)


def layout_of(folder):
    """(layout or None, the folder to read): None when nothing gradable is recognised. Raises
    HandinsError when the folder mixes layouts."""
    entries = scan(folder)
    seen = detect(folder, entries)
    # An export folder one level down (Gradescope zips hold assignment_<id>_export/).
    real = [e for e in entries if e.kind == "dir" and not noise(e.path.name, True)]
    if not seen.get("gradescope") and len(real) == 1 and (real[0].path / gradescope.METADATA).is_file():
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
    return not any(walk_files(Path(folder) / name, []) for name in seen.get("folder", []))


def gradescope_root(path):
    """The folder holding submission_metadata.yml: `path` itself or its one subfolder that does."""
    if (path / gradescope.METADATA).is_file():
        return path
    sub = [e.path for e in scan(path) if e.kind == "dir" and (e.path / gradescope.METADATA).is_file()]
    if len(sub) != 1:
        raise HandinsError(f"{display(str(path))} has no {gradescope.METADATA}: is it "
                           f"Gradescope's \"Export Submissions\", extracted?")
    return sub[0]


def read(layout, root, col, explicit=False, deadline=None):
    """Read `root` in `layout` into the collector."""
    if layout == "file":
        plain.read_files(root, col, recurse=explicit)
    elif layout == "folder":
        plain.read_folders(root, col)
    elif layout == "moodle":
        moodle.read(root, col)
    elif layout == "canvas":
        canvas.read(root, col)
    else:
        gradescope.read(root, col, deadline)
