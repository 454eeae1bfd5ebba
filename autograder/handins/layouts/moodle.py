"""Moodle's "Download all submissions" (Assignment > View all submissions), extracted.

mod/assign/classes/downloader.php (Moodle 3.1+; get_student_prefix, load_submissionplugin_filelist):
one folder per student and submission plugin, `<full name>_<participant id>_assignsubmission_<plugin>`,
with a trailing `_` before Moodle 4.1; `_` in the full name become spaces, so the name holds none.
With "Download submissions in folders" off (and before 3.1) the files are flat:
`<full name>_<participant id>_assignsubmission_<plugin>_<file name>`. Team submissions use the
group's name and id in place of the student's; blind marking writes `Participant` for the name. The
participant id is the assignment's own id of the student (assign's get_uniqueid_for_user): the
`Identifier` of its grading worksheet, `Participant <id>`, is the same number.
"""
from __future__ import annotations

import re
from collections import defaultdict

from ..folders import Skipped, not_a_notebook, scan, skip_unmatched, walk_files
from ..names import display, is_gradable, safe_id

FOLDER = re.compile(r"^(?P<name>[^_]*)_(?P<pid>\d+)_assignsubmission_(?P<plugin>[a-z]+)_?$")
FILE = re.compile(r"^(?P<name>[^_]*)_(?P<pid>\d+)_assignsubmission_(?P<plugin>[a-z]+)_(?P<file>.+)$")
BLIND_NAME = "Participant"  # get_string('participant', 'assign'): no name under blind marking


def recognises(entry):
    name = entry.path.name
    return bool((entry.kind == "dir" and FOLDER.match(name)) or (entry.kind == "file" and FILE.match(name)))


def read(folder, col):
    """Each participant id is a student; their name is the folder's."""
    per_student = defaultdict(list)  # participant id -> candidate files
    names = {}
    for entry in scan(folder):
        name = entry.path.name
        m_dir = FOLDER.match(name) if entry.kind == "dir" else None
        m_file = FILE.match(name) if entry.kind == "file" else None
        m = m_dir or m_file
        if not m:
            skip_unmatched(entry, col.skipped, "not named as Moodle names its downloads "
                                               "(<full name>_<participant id>_assignsubmission_<plugin>)")
            continue
        pid = m.group("pid")
        names.setdefault(pid, display(m.group("name")))
        if m.group("plugin") != "file":  # onlinetext and others: text typed in Moodle
            col.skipped.append(Skipped(entry.path, "html", f"Moodle's {m.group('plugin')} "
                                                           "submission: not a notebook"))
            continue
        if m_dir:
            per_student[pid] += walk_files(entry.path, col.skipped)
        elif is_gradable(m_file.group("file")):
            per_student[pid].append(entry.path)
        else:
            col.skipped.append(not_a_notebook(entry.path))

    def original(p):
        m = FILE.match(p.name)
        return m.group("file") if p.parent == folder and m else p.name

    for pid, name in names.items():
        shown = "" if name == BLIND_NAME else name
        col.student(safe_id(pid), per_student.get(pid, []), "moodle",
                    f"Moodle participant {pid}" + (f" ({shown})" if shown else ""), original_name=original,
                    name=shown, lms_id=pid, where=folder / name)
