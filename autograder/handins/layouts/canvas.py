"""Canvas's "Download Submissions" (Assignment, or Grades > the assignment's menu), extracted.

lib/content_zipper.rb (add_submission, get_filename, add_upload_submission): each file of a
submission is `<prefix>_<attachment id>_<file's display name>`, where the prefix is the student's
sortable name ("Smith-Jones, D'Angelo", lower-cased by sanitize_user_name), `LATE` when Canvas marks
the submission late, and the Canvas user id, joined with `_`, then stripped of every character that
is not a word character (sanitize_file_name): `smithjonesdangelo_LATE_340991_208490707_tp1_ab.ipynb`.
With anonymous grading on (anonymize_students?) there is no name and the id is `anon_` and the
submission's anonymous id, five base58 characters (lib/anonymity.rb): `LATE_anon_3kZ9q_208490707_…`;
the gradebook CSV cannot place such a student (Canvas shows them by that id in SpeedGrader only).
A text entry is `<prefix>_text.html`, a URL `<prefix>_link.html`. A student's name may keep `_` and
letters of any script (Ruby's [[:word:]]); a file uploaded again gets `-<n>` before its extension in
its display name (`tp1_ab-1.ipynb`). Some downloads, and the tools that rename them, write `late` in
lower case: both are read.
"""
from __future__ import annotations

import re
from collections import defaultdict

from ..folders import Skipped, not_a_notebook, scan, skip_unmatched
from ..names import OTTER_STAMP, display, is_gradable, safe_id, suffix

# A name holds at least one letter (a user id never does), and is not `late` itself; an anonymous
# submission has no name and `anon_<5 base58 characters>` for its id.
_PREFIX = (r"^(?:(?!(?i:late)_(?:\d|anon_))(?!anon_[1-9A-HJ-NP-Za-km-z]{5}_)(?P<name>\w*?[^\W\d_]\w*?)_)?"
           r"(?:(?P<late>(?i:late))_)?(?P<uid>\d+|anon_[1-9A-HJ-NP-Za-km-z]{5})_")
FILE = re.compile(_PREFIX + r"(?P<attachment>\d+)_(?P<file>.+)$")
ENTRY = re.compile(_PREFIX[:-1] + r"_(?P<kind>text|link)\.html$")
RESUBMITTED = re.compile(r"^(?P<stem>.+)-\d+(?P<ext>\.[^.]*)?$")


def match(name):
    """The Canvas fields of a file name, or None. `dave_2026_11_29T08_35_44_319881.zip` has
    Canvas's shape too, but it is Otter's export name of a notebook `dave.ipynb`."""
    m = FILE.match(name)
    if m:
        ext = suffix(name)
        otter = OTTER_STAMP.match(name[: len(name) - len(ext)] if ext else name)
        if otter and otter.group("stem") == (m.group("name") or m.group("uid")):
            return None
    return m


def recognises(entry):
    return entry.kind == "file" and bool(match(entry.path.name) or ENTRY.match(entry.path.name))


def original_name(path):
    """The name the student gave the file (Canvas's prefix and `-<n>` of a resubmission removed)."""
    m = match(path.name)
    original = m.group("file") if m else path.name
    r = RESUBMITTED.match(original)
    return (r.group("stem") + (r.group("ext") or "")) if r else original


def read(folder, col):
    """Each Canvas user id is a student; late when any of their files is marked late."""
    per_student = defaultdict(list)
    info = {}
    for entry in scan(folder):
        m = match(entry.path.name) if entry.kind == "file" else None
        text = ENTRY.match(entry.path.name) if entry.kind == "file" and not m else None
        if not (m or text):
            skip_unmatched(entry, col.skipped, "not named as Canvas names its downloads "
                                               "(<name>[_late]_<user id>_<attachment id>_<file>)")
            continue
        fields = m or text
        uid = fields.group("uid")
        name, late = info.get(uid, (display(fields.group("name") or ""), False))
        info[uid] = (name, late or bool(fields.group("late")))
        if text:
            col.skipped.append(Skipped(entry.path, "html", f"Canvas's {text.group('kind')} entry: not a notebook"))
        elif is_gradable(m.group("file")):
            per_student[uid].append(entry.path)
        else:
            col.skipped.append(not_a_notebook(entry.path))
    for uid, (name, late) in info.items():
        anonymous = uid.startswith("anon_")
        col.student(safe_id(uid), per_student.get(uid, []), "canvas",
                    (f"Canvas's anonymous submission {uid}" if anonymous else f"Canvas user {uid}")
                    + (f" ({name})" if name else ""), original_name=original_name,
                    name=name, lms_id="" if anonymous else uid, late=late,
                    where=folder / uid)
