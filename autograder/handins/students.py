"""One row per student, always: the file each student hands in, the roster applied, clashes decided.

A student is one identity whatever they handed in: one file to grade (status `handin`), several
files the kit cannot choose between (`ambiguous`: one row, not graded until the instructor picks one
with `grade --pick FILE`), or nothing at all although the roster lists them (`missing`). Two
hand-ins that are the same student (the same id, or the same roster row) are one `ambiguous` row.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from pathlib import Path

from .choose import choose, same_file
from .folders import Skipped
from .names import display, safe_id, same_name


@dataclass(frozen=True)
class Handin:
    """One student's row.

    id: the student id (safe as a folder name and a spreadsheet cell); path: the .ipynb (or
    .ipynb.txt) or export .zip to grade, as found (never resolved through a link), None when there
    is nothing to grade; source: the layout it was read from (or "roster"); id_from: where the id
    came from, in words; name, email, lms_id (Moodle participant id, Canvas user id, Gradescope
    SID): what the LMS or the roster says, '' when unknown; notes: what the instructor should know
    (a file picked among several, a group submission); group: the ids of the other students of a
    group submission, who share this file; roster: the roster row, when matched.
    status: "handin", "ambiguous" (problem says what to decide; candidates are the files) or
    "missing" (on the roster, nothing handed in).
    late: the LMS says the hand-in is late (Canvas marks it; Gradescope's time is after the
    deadline given); submitted_at: when it was handed in (ISO 8601), when the LMS says;
    hours_late: how late, when both the time and the deadline are known, else None.
    """
    id: str
    path: Path | None
    source: str
    id_from: str
    name: str = ""
    email: str = ""
    lms_id: str = ""
    notes: tuple = ()
    group: tuple = ()
    roster: object = None
    status: str = "handin"
    problem: str = ""
    candidates: tuple = ()
    late: bool = False
    submitted_at: str = ""
    hours_late: float | None = None

    @property
    def person(self):
        """The student's name with their id, for the instructor's lists: `Zoé Lefèvre (21004)`."""
        return f"{self.name} ({self.id})" if self.name and self.name != self.id else self.id


@dataclass(frozen=True)
class HandinError:
    """Students whose hand-in cannot be decided alone: not graded until the instructor decides.
    ids: the student ids concerned; paths: the files concerned; message: what to do."""
    ids: tuple
    paths: tuple
    message: str


class Collector:
    """What the layouts read: the rows of the students, the files not graded, the problems."""

    def __init__(self, picks=()):
        self.rows = []
        self.skipped = []
        self.picks = tuple(picks)

    def student(self, sid, files, source, id_from, where=None, original_name=lambda p: p.name,
                notes=(), **identity):
        """One student's candidate files: the chosen one makes a `handin` row and the others are
        listed as skipped; when none can be chosen, an `ambiguous` row (not graded)."""
        chosen, more_notes, problem = choose(files, original_name, self.picks)
        if problem:
            self.rows.append(Handin(sid, None, source, id_from, notes=tuple(notes), status="ambiguous",
                                    problem=problem, candidates=tuple(files) or ((where,) if where else ()),
                                    **identity))
            return
        self.skipped += [Skipped(f, "not chosen", f"not graded: {sid} hands in {display(chosen.name)}")
                         for f in files if f != chosen]
        self.rows.append(Handin(sid, chosen, source, id_from, notes=tuple(notes) + tuple(more_notes),
                                candidates=tuple(files), **identity))


def _merge(rows, sid, why, picks, skipped):
    """Rows that are one student -> one row: the picked file among them, else `ambiguous`."""
    files = []
    for r in rows:
        for f in r.candidates or ((r.path,) if r.path else ()):
            if not any(same_file(f, g) for g in files):
                files.append(f)
    base = rows[0]
    picked = [f for f in files if any(same_file(f, p) for p in picks)]
    if len(picked) == 1:
        skipped += [Skipped(f, "not chosen", f"not graded: {sid} hands in {display(picked[0].name)}")
                    for f in files if f != picked[0]]
        source = next(r for r in rows if any(same_file(picked[0], f) for f in r.candidates or (r.path,)))
        return replace(source, id=sid, path=picked[0], status="handin", problem="", candidates=tuple(files),
                       notes=source.notes + (f"{display(picked[0].name)} was picked by the instructor "
                                             f"among {len(files)} files",))
    problem = (f"{why}: " + "; ".join(f"{display(str(r.path or (r.candidates or ('?',))[0]))} ({r.id_from})"
                                      for r in rows)
               + " — grade one with --pick FILE, or keep one")
    return replace(base, id=sid, path=None, status="ambiguous", problem=problem, candidates=tuple(files),
                   late=any(r.late for r in rows))


def resolve_clashes(rows, skipped, picks=()):
    """Rows that resolve to the same id are one student: one row (the picked file, else
    `ambiguous`). Ids that differ only by case (the same folder on macOS and Windows) cannot both
    be graded either: each gets an `ambiguous` row naming the other's file."""
    by_key = defaultdict(list)
    for r in rows:
        by_key[r.id.casefold()].append(r)
    kept = []
    for group in by_key.values():
        if len(group) == 1:
            kept += group
            continue
        ids = sorted({r.id for r in group})
        if len(ids) == 1:
            kept.append(_merge(group, ids[0], "two hand-ins resolve to the same student id", picks, skipped))
            continue
        paths = tuple(r.path or (r.candidates or (None,))[0] for r in group)
        message = ("two hand-ins resolve to the same student id (ignoring case): "
                   + "; ".join(f"{display(str(r.path))} ({r.id_from})" for r in group)
                   + " — keep one, or choose another id_from")
        kept += [replace(r, path=None, status="ambiguous", problem=message,
                         candidates=tuple(p for p in paths if p)) for r in group]
    return kept


def _roster_index(roster):
    by = {"id": {}, "lms_id": {}, "email": {}}
    for r in roster:
        for key in by:
            value = getattr(r, key).casefold()
            if value:
                by[key].setdefault(value, r)
    return by


def match(row, index):
    """(roster entry, how) for a row by its ids and email, or (None, None)."""
    candidates = [("id", row.id), ("lms_id", row.lms_id), ("lms_id", row.id), ("email", row.email)]
    for key, value in candidates:
        entry = index[key].get(value.casefold()) if value else None
        if entry:
            return entry, key
    return None, None


def apply_roster(rows, roster, skipped=None, picks=(), keep_ids=False):
    """(rows with the roster's identities, hand-ins not on the roster, warnings), with a `missing`
    row for each roster student who handed nothing in.

    Each row is matched by id, then LMS id, then email; rows left are matched by name when the name
    is on exactly one row and one roster line (Moodle's gradebook export has no participant id:
    its names are all there is); a name shared by several students is never guessed (the warning
    says to use the grading worksheet). Matched by anything but the id, a row takes the roster's id
    when it has one. Rows that match the same roster line are one student (see resolve_clashes).
    keep_ids: rows keep their ids and are never merged (`export` reads a graded class: a roster line
    matched twice is then the caller's to report)."""
    index = _roster_index(roster)
    matched, how = {}, {}
    for i, row in enumerate(rows):
        entry, key = match(row, index)
        if entry is not None:
            matched[i], how[i] = entry, key
    warnings = []
    used = {id(e) for e in matched.values()}
    left_rows = [i for i in range(len(rows)) if i not in matched and rows[i].name]
    left_entries = [e for e in roster if id(e) not in used and e.name]
    by_name_rows, by_name_entries = defaultdict(list), defaultdict(list)
    for i in left_rows:
        by_name_rows[same_name(rows[i].name)].append(i)
    for e in left_entries:
        by_name_entries[same_name(e.name)].append(e)
    undecided, told = set(), set()  # rows and roster lines of a name shared by several students
    for name, indices in by_name_rows.items():
        entries = by_name_entries.get(name, [])
        if len(indices) == 1 and len(entries) == 1:
            matched[indices[0]], how[indices[0]] = entries[0], "name"
        elif entries:
            undecided.update(indices)
            told.update(id(e) for e in entries)
            warnings.append(f"{len(indices)} hand-in(s) ({', '.join(rows[i].person for i in indices)}) and "
                            f"{len(entries)} roster line(s) ({', '.join(str(e.line) for e in entries)}) are named "
                            f"{rows[indices[0]].name}: the kit cannot tell which is which by name, so these rows "
                            f"keep the download's identity (use a roster with the LMS's ids, e.g. Moodle's "
                            f"grading worksheet)")
    # Moodle's folder names follow the site's name display ("Dubois Marie" where it shows last names
    # first) while its gradebook export splits first and last names: the words, in any order, match
    # when they match one row and one line only.
    used = {id(e) for e in matched.values()} | told
    any_order_rows, any_order_entries = defaultdict(list), defaultdict(list)
    for i in left_rows:
        if i not in matched and i not in undecided:
            any_order_rows[_words(rows[i].name)].append(i)
    for e in left_entries:
        if id(e) not in used:
            any_order_entries[_words(e.name)].append(e)
    for words, indices in any_order_rows.items():
        entries = any_order_entries.get(words, [])
        if len(indices) == 1 and len(entries) == 1:
            matched[indices[0]], how[indices[0]] = entries[0], "name"
    by_entry = defaultdict(list)
    out, unknown = [], []
    for i, row in enumerate(rows):
        entry = matched.get(i)
        if entry is None:
            if i not in undecided:
                unknown.append(row)
            out.append(row)
            continue
        new_id, id_from = row.id, row.id_from
        if how[i] != "id" and entry.id and not keep_ids:
            new_id = safe_id(entry.id)
        if how[i] != "id":
            id_from = f"roster line {entry.line} (matched by {how[i].replace('_', ' ')}; {row.id_from})"
        by_entry[id(entry)].append(replace(row, id=new_id, id_from=id_from, name=entry.name or row.name,
                                           email=entry.email or row.email, lms_id=entry.lms_id or row.lms_id,
                                           roster=entry))
    for group in by_entry.values():
        if len(group) == 1 or keep_ids:
            out += group
            continue
        out.append(_merge(group, group[0].id, f"{len(group)} hand-ins are the same roster student "
                                              f"(line {group[0].roster.line})", picks,
                          [] if skipped is None else skipped))
    taken = {r.id.casefold() for r in out}
    for entry in roster:
        if id(entry) in by_entry or id(entry) in told:
            continue
        sid = safe_id(entry.id or entry.lms_id or entry.idnumber or entry.email or entry.name
                      or f"line{entry.line}")
        if sid.casefold() in taken:
            sid = safe_id(f"{sid}_line{entry.line}")
        taken.add(sid.casefold())
        out.append(Handin(sid, None, "roster", f"roster line {entry.line}", name=entry.name, email=entry.email,
                          lms_id=entry.lms_id, roster=entry, status="missing"))
    return out, unknown, warnings


def _words(name):
    """A name's words in any order (as compared by same_name)."""
    return tuple(sorted(same_name(name).split()))
