"""discover(): a class's hand-ins read, one row per student; the summary an instructor reads first."""
from __future__ import annotations

import datetime as dt
import os
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from ..csvfile import write_csv
from . import layouts
from .folders import CATEGORIES, HandinsError, Skipped, walk_files
from .names import display
from .roster import LMS_OF_ROSTER, LMS_OF_SOURCE, Roster, load_roster
from .students import Collector, HandinError, apply_roster, resolve_clashes

HANDINS_COLUMNS = ["id", "name", "email", "lms_id", "lms", "username", "idnumber", "section", "source", "status",
                   "file", "late", "hours_late", "submitted_at"]


@dataclass
class Discovery:
    """What discover() found. students: every row (Handin), sorted by id; the views below select
    them by status. skipped: every file not graded, with why; errors: what the instructor must
    decide (HandinError); unknown: hand-ins whose student is not on the roster; warnings: what the
    roster could not settle (e.g. two students with one name); roster: the Roster, or None."""
    layout: str  # the layout used ("mixed" never happens: an ambiguous folder raises)
    students: list = field(default_factory=list)
    skipped: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    unknown: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    roster: Roster | None = None

    @property
    def handins(self):
        """The rows with a file to grade."""
        return [s for s in self.students if s.status == "handin"]

    @property
    def ambiguous(self):
        """The rows of students whose file the instructor must pick (`grade --pick FILE`)."""
        return [s for s in self.students if s.status == "ambiguous"]

    @property
    def missing(self):
        """The roster's students who handed nothing in (their RosterEntry)."""
        return [s.roster for s in self.students if s.status == "missing"]

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
        out = [f"{len(self.handins)} hand-in(s) to grade ({self.layout} layout)"
               + (f", roster: {self.roster.format} ({len(self.roster)} students)" if self.roster is not None else "")]
        for h in self.ambiguous:
            out.append(f"NOT GRADED {h.person}: {h.id_from}: {h.problem}")
        for h in self.handins:
            if h.notes:
                out.append(f"note {h.person}: {'; '.join(h.notes)}")
        late = [h.person for h in self.students if h.late]
        if late:
            out.append(f"{len(late)} late hand-in(s): {', '.join(late)}")
        missing = [s.person for s in self.students if s.status == "missing"]
        if missing:
            out.append(f"{len(missing)} roster student(s) with no hand-in: {', '.join(missing)}")
        if self.unknown:
            out.append(f"{len(self.unknown)} hand-in(s) from students not in the roster: "
                       + ", ".join(h.person for h in self.unknown))
        out += [f"roster: {w}" for w in self.warnings]
        if self.skipped:
            out.append(f"{len(self.skipped)} file(s) not graded:")
            out += ["  " + line for line in self.skipped_summary()]
        return "\n".join(out)

    def write_csv(self, path):
        """handins.csv, the identities `python -m autograder export` reads back: one row per student
        (status handin, ambiguous or missing; file empty when there is none)."""
        rows = []
        for s in self.students:
            r = s.roster
            lms = LMS_OF_SOURCE.get(s.source, "")
            if not lms and r is not None and r.lms_id and s.lms_id == r.lms_id and self.roster is not None:
                lms = LMS_OF_ROSTER.get(self.roster.format, "")
            rows.append([s.id, s.name, s.email, s.lms_id, lms, getattr(r, "username", ""), getattr(r, "idnumber", ""),
                         getattr(r, "section", ""), s.source, s.status, display(str(s.path)) if s.path else "",
                         "yes" if s.late else "", "" if s.hours_late is None else f"{s.hours_late:.2f}",
                         s.submitted_at])
        return write_csv(Path(path), HANDINS_COLUMNS, rows)


def parse_deadline(text):
    """`--deadline` as an aware datetime: ISO 8601 with its time zone (2026-11-29T23:59+01:00, or Z).
    Raises HandinsError without a zone: the LMSs' times have one, and a guess would shift it."""
    try:
        when = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise HandinsError(f"the deadline {text!r} is not a date and time (e.g. 2026-11-29T23:59+01:00)") from None
    if when.tzinfo is None:
        raise HandinsError(f"the deadline {text!r} has no time zone: write it as 2026-11-29T23:59+01:00 "
                           f"(or Z for UTC)")
    return when


def discover(paths, id_from="auto", roster=None, picks=(), deadline=None):
    """The class under paths (files or folders), read in the given layout; one row per student.

    paths: iterable of str/Path; id_from: "auto" or one of layouts.LAYOUTS; roster: None, a CSV path
    (any format roster.load_roster reads), or a list of RosterEntry; picks: the files the instructor
    chose for students with several (`grade --pick`); deadline: an aware datetime (or ISO text) that
    Gradescope's submission times are compared with. Returns a Discovery. Raises HandinsError when a
    path does not exist, when id_from is unknown, when "auto" sees a mix of layouts, when a zip is a
    whole-class LMS download, or when the roster or the deadline is unreadable."""
    if id_from != "auto" and id_from not in layouts.LAYOUTS:
        raise HandinsError(f"id_from must be auto or one of {', '.join(layouts.LAYOUTS)}, not {id_from!r}")
    if isinstance(deadline, str):
        deadline = parse_deadline(deadline)
    entries = load_roster(roster) if isinstance(roster, (str, os.PathLike)) else roster
    if entries is not None and not isinstance(entries, Roster):
        entries = Roster(entries)
    col = Collector(picks)
    seen = set()
    for raw in paths:
        path = Path(raw)
        if path.is_symlink():
            col.skipped.append(Skipped(path, "symlink", "a symbolic link: not followed (pass the "
                                                        "folder or file it points to)"))
            continue
        if not path.exists():
            raise HandinsError(f"no such file or folder: {display(str(path))}")
        if not path.is_dir():
            seen.add("file")
            layouts.read("file", path, col)
            continue
        layout, root = (id_from, path) if id_from != "auto" else layouts.layout_of(path)
        if layout is None:  # nothing recognised: say what the folder held
            walk_files(path, col.skipped)
            continue
        if layout == "gradescope":
            root = layouts.gradescope_root(root)
        seen.add(layout)
        layouts.read(layout, root, col, explicit=id_from != "auto", deadline=deadline)
    rows = resolve_clashes(col.rows, col.skipped, col.picks)
    unknown, warnings = [], []
    if entries is not None:
        rows, unknown, warnings = apply_roster(rows, entries, col.skipped, col.picks)
        rows = resolve_clashes(rows, col.skipped, col.picks)
        unknown = [h for h in rows if any(h is u or (h.id == u.id and h.path == u.path) for u in unknown)]
    layout = seen.pop() if len(seen) == 1 else ("+".join(sorted(seen)) or "empty")
    # What the instructor must decide, with each student's final id (the roster may have renamed them).
    errors = [HandinError((h.id,), h.candidates, f"{h.id_from}: {h.problem}")
              for h in sorted(rows, key=lambda h: h.id) if h.status == "ambiguous"]
    return Discovery(layout, sorted(rows, key=lambda h: h.id), col.skipped, errors, unknown, warnings, entries)
