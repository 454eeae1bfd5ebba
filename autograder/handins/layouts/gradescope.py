"""Gradescope's "Export Submissions" (Assignment > Review Grades), extracted.

`assignment_<id>_export/submission_metadata.yml` and one folder per submission, `submission_<id>/`;
the yml maps each folder name to `:submitters: [{:name, :sid, :email}]` and `:created_at` (when it
was handed in), with Ruby tags on some nodes (e.g. the `REPO_METADATA` sample exported from
Gradescope in the Provenance project's repo-zip tests, and gradescope_preprocessor scripts reading
`:submitters`, `:sid`, `:history`, `:created_at`). Each submitter is a student, identified by their SID
(their email when the SID is empty); a group submission gives each member a row, with the same file.
The export does not carry the assignment's due date: lateness is measured against the deadline the
instructor gives (`grade --deadline`).
"""
from __future__ import annotations

import datetime as dt
import re

from ..folders import HandinsError, Skipped, scan, skip_unmatched, walk_files
from ..names import display, safe_id
from ..students import Handin
from ..choose import choose

METADATA = "submission_metadata.yml"
FOLDER = re.compile(r"^submission_(?P<sub>\d+)$")


def recognises(entry, folder):
    name = entry.path.name
    return ((entry.kind == "file" and name == METADATA)
            or (entry.kind == "dir" and bool(FOLDER.match(name)) and (folder / METADATA).is_file()))


def parse_time(value):
    """A time of the export (`2026-11-29 08:35:44.319881000 +01:00`, or the datetime YAML made of
    it) as an aware datetime, or None."""
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else None
    m = re.fullmatch(r"\s*(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(?:\.(\d+))?\s*(Z|[+-]\d{2}:?\d{2})\s*",
                     str(value or ""))
    if not m:
        return None
    zone = "+00:00" if m.group(4) == "Z" else m.group(4)
    zone = zone if ":" in zone else zone[:3] + ":" + zone[3:]
    fraction = (m.group(3) or "0")[:6].ljust(6, "0")
    return dt.datetime.fromisoformat(f"{m.group(1)}T{m.group(2)}.{fraction}{zone}")


def metadata(path):
    """submission_metadata.yml as {folder name: ([(name, sid, email)], created_at or None)}; Ruby-tagged
    nodes are read as plain data and never constructed."""
    import yaml

    class Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # the C parser when built: 5x faster
        pass

    def plain(loader, _suffix, node):
        if isinstance(node, yaml.MappingNode):
            return loader.construct_mapping(node, deep=True)
        if isinstance(node, yaml.SequenceNode):
            return loader.construct_sequence(node, deep=True)
        return loader.construct_scalar(node)

    Loader.add_multi_constructor("!", plain)
    Loader.add_multi_constructor("tag:yaml.org,2002:", plain)
    try:
        data = yaml.load(path.read_bytes(), Loader=Loader)  # noqa: S506 - a SafeLoader subclass
    except (OSError, yaml.YAMLError) as e:
        raise HandinsError(f"{display(str(path))} is not readable YAML ({type(e).__name__}); "
                           f"re-download Gradescope's export") from None
    if not isinstance(data, dict):
        raise HandinsError(f"{display(str(path))} does not map submissions to submitters")

    def text(value):
        return "" if value is None else str(value).strip()

    submissions = {}
    for key, record in data.items():
        people = record.get(":submitters") if isinstance(record, dict) else None
        if not isinstance(people, list):
            continue
        submissions[str(key)] = ([(text(p.get(":name")), text(p.get(":sid")), text(p.get(":email")))
                                  for p in people if isinstance(p, dict)],
                                 parse_time(record.get(":created_at")))
    return submissions


def read(folder, col, deadline=None):
    """Each submitter of each submission is a student; late when handed in after `deadline` (an
    aware datetime)."""
    submissions = metadata(folder / METADATA)
    on_disk = set()
    for entry in scan(folder):
        name = entry.path.name
        if entry.kind == "file" and name == METADATA:
            continue
        if entry.kind == "dir" and name in submissions:
            on_disk.add(name)
            continue
        skip_unmatched(entry, col.skipped, f"not a submission listed in {METADATA}")
    for key, (people, created) in submissions.items():
        ids = [safe_id(sid or email or key) for _, sid, email in people] or [safe_id(key)]
        late, hours_late, when = False, None, ""
        if created is not None:
            when = created.isoformat()
            if deadline is not None:
                hours_late = max(0.0, (created - deadline).total_seconds() / 3600)
                late = created > deadline
        if key not in on_disk:
            col.rows += [Handin(sid, None, "gradescope", f"Gradescope submission {key}", name=name, email=email,
                                lms_id=p_sid, status="ambiguous", candidates=(folder / key,),
                                problem=f"it is in {METADATA} but its folder is missing: re-download the export")
                         for sid, (name, p_sid, email) in zip(ids, people or [("", "", "")])]
            continue
        files = walk_files(folder / key, col.skipped)
        chosen, notes, problem = choose(files, picks=col.picks)
        if problem is None:
            col.skipped += [Skipped(f, "not chosen", f"not graded: submission {key} hands in "
                                                     f"{display(chosen.name)}") for f in files if f != chosen]
        for (name, sid, email), student in zip(people or [("", "", "")], ids):
            others = tuple(i for i in ids if i != student)
            source = "SID" if sid else ("email" if email else "submission id")
            extra = [f"group submission with {', '.join(others)}"] if others else []
            if not sid and not email:
                extra.append("Gradescope gives this submitter neither SID nor email")
            if late:
                extra.append(f"late: handed in {hours_late:.1f} h after the deadline")
            col.rows.append(Handin(student, chosen, "gradescope", f"Gradescope {source} of {key}",
                                   name=name, email=email, lms_id=sid, notes=tuple(notes + extra), group=others,
                                   status="ambiguous" if problem else "handin", problem=problem or "",
                                   candidates=tuple(files) or (folder / key,), late=late, submitted_at=when,
                                   hours_late=hours_late))
