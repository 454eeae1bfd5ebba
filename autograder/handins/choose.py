"""One student's files -> the one file to grade, or why the instructor must decide."""
from __future__ import annotations

import os
from pathlib import Path

from .names import BROWSER_SUFFIXES, NOTEBOOK_NAME, ZIP_SUFFIXES, display, is_notebook, otter_stamp, suffix


def same_file(a, b):
    """Whether two paths name the same file, as given (links are never resolved)."""
    return os.path.normcase(os.path.abspath(a)) == os.path.normcase(os.path.abspath(b))


def choose(files, original_name=lambda p: p.name, picks=()):
    """(the file to grade, notes, problem) for one student's candidate files; problem is None when
    a file was chosen, else what the instructor must decide (the student is then not graded).

    The instructor's pick comes first (`grade --pick FILE`, a file among the student's); then the
    Gradescope autograder's rule (gradescope.find_submission): a single notebook; among several, the
    one named tp1_ab.ipynb; without a notebook, the export zip; among several export zips, the newest
    by Otter's timestamp (a student who ran the export cell twice). original_name: the name the
    student gave the file (an LMS adds its own prefix)."""
    notes = []
    picked = [f for f in files if any(same_file(f, p) for p in picks)]
    if len(picked) == 1:
        chosen = picked[0]
        return chosen, [f"{display(original_name(chosen))} was picked by the instructor among "
                        f"{len(files)} files"] if len(files) > 1 else [], None
    notebooks = [f for f in files if is_notebook(f.name)]
    zips = [f for f in files if suffix(f.name) in ZIP_SUFFIXES]
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
                                 + f"): grade one with --pick FILE, or keep one, or name the one to "
                                   f"grade {NOTEBOOK_NAME}")
    elif len(zips) == 1:
        chosen = zips[0]
    elif zips:
        stamped = [f for f in zips if otter_stamp(original_name(f))]
        if len(stamped) == len(zips):
            chosen = max(zips, key=lambda f: otter_stamp(original_name(f)))
            notes.append(f"{len(zips)} export zips: graded the newest, {display(original_name(chosen))}")
        else:
            return None, notes, (f"{len(zips)} zip files ("
                                 + ", ".join(display(original_name(f)) for f in zips)
                                 + "): grade one with --pick FILE, or keep the zip made by the "
                                   "notebook's last cell")
    else:
        return None, notes, "no notebook (.ipynb) nor export zip"
    if suffix(chosen.name) in BROWSER_SUFFIXES:
        notes.append(f"{display(Path(chosen).name)} was saved by a browser as .txt: graded as a notebook")
    return chosen, notes, None
