"""A class's hand-ins, read as the LMS downloads them: which file to grade for which student.

    discovery = discover(["downloads/"], id_from="auto", roster="roster.csv", picks=(), deadline=None)
    for row in discovery.students:      # Handin: id, path, status, name, email, lms_id, late, ...
        ...
    discovery.handins                   # the rows with a file to grade
    discovery.ambiguous                 # students with several files: `grade --pick FILE` decides
    discovery.missing                   # roster students with no hand-in
    discovery.skipped                   # [Skipped]: every file not graded, with why
    discovery.summary()                 # what an instructor reads (the skipped files grouped)
    discovery.write_csv(path)           # handins.csv: the identities `export` reads back

One concern per module: names (ids, text, kinds of file), folders (walking without links), choose
(one file per student), layouts (plain files and folders, Moodle, Canvas, Gradescope: how each LMS
names its download, from its source), roster (the LMSs' own roster files and the kit's), students
(one row per student: the roster applied, clashes decided), discovery (discover() and its summary).

Rules that hold in every layout: symbolic links are never followed (they are listed as skipped);
hidden files, ``__MACOSX`` and ``.ipynb_checkpoints`` are never graded; extensions are compared
without case (``bob.IPYNB`` is graded); a notebook saved by a browser as ``alice.ipynb.txt`` is
graded, with a note, because its content is the notebook and dropping it would drop the student
from the gradebook; messages never quote a file's content; names that are not UTF-8 are read as
Latin-1 (the encoding of older zip tools and Windows file systems), so ids and messages are text.
"""
from .choose import choose
from .discovery import HANDINS_COLUMNS, Discovery, discover, parse_deadline
from .folders import CATEGORIES, HandinsError, Skipped
from .layouts import LAYOUTS
from .names import HANDINS_CSV, NOTEBOOK_NAME, RESERVED, display, safe_id, same_name
from .roster import FORMATS as ROSTER_FORMATS
from .roster import LMS_OF_ROSTER, LMS_OF_SOURCE, Roster, RosterEntry, load_roster, roster_format
from .students import Handin, HandinError, apply_roster, match

__all__ = ["CATEGORIES", "HANDINS_COLUMNS", "HANDINS_CSV", "LAYOUTS", "LMS_OF_ROSTER", "LMS_OF_SOURCE",
           "NOTEBOOK_NAME", "RESERVED",
           "ROSTER_FORMATS", "Discovery", "Handin", "HandinError", "HandinsError", "Roster", "RosterEntry",
           "Skipped", "apply_roster", "choose", "discover", "display", "load_roster", "match",
           "parse_deadline", "roster_format", "safe_id", "same_name"]
