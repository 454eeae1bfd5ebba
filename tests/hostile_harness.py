"""The machinery of tests/test_hostile.py: the hostile payloads read from tests/hostile/, notebooks
built from them, a class graded by the real grader, what it changed, and the checks of a row.

A payload is one Python file under tests/hostile/: one code cell appended to a sample notebook, as
a student would write it. It uses the names the notebook defines (`torch`, `init_params`, ...) and
those `prelude.py` binds (`_REF`, the reference's functions; `_OUT`, `_SUBS`, `_CANARY`, `_KIT`,
`_PUBLIC`, the real folders the attacks aim at; `_write_everywhere`, ...). The prelude's own
placeholders, and `__XSS__`, are the names of PLACEHOLDERS between double underscores: each is
replaced by the repr of its value when a notebook is built, so that every file stays Python that
`ast.parse` accepts. Every file is parsed when this module is imported (when pytest collects the
tests), and one that does not parse stops the collection with its name.
"""
import ast
import csv
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from submissions import edited, write

from autograder import checks

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "examples" / "submissions"
HOSTILE = Path(__file__).resolve().parent / "hostile"  # the payloads, one file each
PRELUDE = "prelude"  # the payload appended before every other: the names they share
MARK = "tp1h" + os.urandom(4).hex()  # this run's name (comm, argv[0]) for every process a hostile submission starts
FORGED = "FORGED-BY-STUDENT"
XSS = "<script>document.title='XSS-BY-STUDENT'</script>"
BATCH_TIMEOUT = 1200  # seconds: a grader that hangs fails the tests instead of blocking them forever
PLACEHOLDERS = ("OUT", "SUBS", "CANARY", "KIT", "XSS", "PUBLIC", "MARK")  # __NAME__ in a payload: see placeholders()

Q = list(checks.ORDER)
POINTS = {q: checks.points(q) for q in Q}


# --- the payloads ----------------------------------------------------------------------------------

class PayloadError(Exception):
    """A payload file that does not parse, a case naming no file, or a file no case uses."""


def read_payloads(folder=HOSTILE):
    """{name: source} of every payload file in `folder` (its name: the file's, without .py), each
    parsed first: one that does not parse raises PayloadError naming the file."""
    payloads = {}
    for path in sorted(Path(folder).glob("*.py")):
        source = path.read_text(encoding="utf-8")
        try:
            ast.parse(source, filename=str(path))
        except SyntaxError as e:
            raise PayloadError(f"{path} does not parse: {e.msg} (line {e.lineno})") from e
        payloads[path.stem] = source
    return payloads


PAYLOADS = read_payloads()


def cell_names(cells):
    """The payload names in a list of cells (see Case.cells)."""
    return [name for cell in cells or () for name in ((cell,) if isinstance(cell, str) else cell)]


def check_payloads_used(cell_lists, payloads=None, folder=HOSTILE):
    """Raise PayloadError naming every cell that names no payload file, and every payload file that
    no list of cells (nor the prelude) uses."""
    payloads = PAYLOADS if payloads is None else payloads
    used = {PRELUDE} | {name for cells in cell_lists for name in cell_names(cells)}
    problems = [f"a case names {Path(folder) / (name + '.py')}, which does not exist" for name in sorted(used - set(payloads))]
    problems += [f"{Path(folder) / (name + '.py')} is used by no case" for name in sorted(set(payloads) - used)]
    if problems:
        raise PayloadError("; ".join(problems))


def cell_source(cell, payloads=None):
    """The code cell of `cell`: a payload's name, or a tuple of names for one cell of those payloads
    in order (a helper shared by several attacks, then the attack)."""
    payloads = PAYLOADS if payloads is None else payloads
    names = (cell,) if isinstance(cell, str) else cell
    return "\n" + "\n\n".join(payloads[name] for name in names)


def fill(source, paths):
    for key, value in paths.items():
        source = source.replace(f"__{key}__", repr(value))
    return source


def notebook(path, base, cells, paths):
    """The notebook `base` with the prelude and `cells` appended (nothing appended when cells is None)."""
    write(edited(SAMPLES / base, append=[fill(cell_source(cell), paths) for cell in ([PRELUDE, *cells] if cells else [])]),
          path)


def placeholders(out, subs, canary, public):
    """What the payloads' __NAME__ placeholders stand for."""
    return {"OUT": str(out), "SUBS": str(subs), "CANARY": str(canary), "KIT": str(ROOT), "XSS": XSS,
            "PUBLIC": str(public), "MARK": MARK}


# --- what each submission must get ---------------------------------------------------------------

@dataclass
class Outcome:
    """One acceptable result: a status, questions that must be 0, questions that may be 0 or full
    (lost when the sandbox dies before them); every other question full. `says`: groups of words,
    one of each group must appear in the feedback (case-insensitive)."""
    statuses: tuple
    zero: set = field(default_factory=set)
    either: set = field(default_factory=set)
    says: tuple = ()


@dataclass
class Case:
    """A hostile submission: the notebook `base` with the prelude and `cells` appended, each a payload
    of tests/hostile/ by name (a tuple of names: one cell of those payloads, in order)."""
    name: str
    cells: list
    base: str = "reference.ipynb"
    outcomes: list = field(default_factory=list)
    control: str = ""  # an honest submission with the same mistakes: this one may score no more
    same_as_control: bool = False  # ... and scores exactly as much
    what: str = ""


# --- grading, observing --------------------------------------------------------------------------

def hashes(*folders):
    digest = {}
    for folder in folders:
        for path in sorted(Path(folder).rglob("*")):
            if path.is_file() or path.is_symlink():
                digest[str(path)] = hashlib.sha256(path.read_bytes() if path.is_file() else b"link").hexdigest()
    return digest


def processes_of(base):
    """Processes a hostile submission started (its mark) or whose command line names our folders."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            comm = (entry / "comm").read_text().strip()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
        except OSError:
            continue
        if MARK in comm or MARK in cmdline or str(base) in cmdline:
            found.append((int(entry.name), comm, cmdline[:200]))
    return found


def kill_leftovers(base):
    """What the submissions graded from `base` left running, a few seconds after the grading (anything
    left behind would be editing files by then); killed, and returned for the tests to report."""
    time.sleep(3)
    leftovers = processes_of(base)
    for pid, _, _ in leftovers:  # ours: started by the submissions this run wrote (its mark, its folders)
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    return leftovers


def grade(subs, out, timeout=BATCH_TIMEOUT, user=None, home=None, python=sys.executable, extra=(), path=None):
    """The grading command, in a wrapper that reports the grader's own peak memory; as the user id
    `user` (and its group) when given, as an instructor without root runs it; with PATH `path` when
    given, and told to use the system's bubblewrap (a PATH without one: a machine where neither the
    kit's nor the system's can run)."""
    wrapper = ("import resource, sys\nfrom autograder.cli import main\ntry:\n    code = main(sys.argv[1:])\n"
               "finally:\n    print('PEAK-RSS-KB', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
               "sys.exit(code)\n")
    command = [str(python), "-c", wrapper, "grade", str(subs), "--out", str(out), "--jobs", "2", "--no-cache", *extra]
    env = None
    if user is not None:
        command = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups", "--"] + command
        env = dict(os.environ, HOME=str(home), MPLCONFIGDIR=str(home))
    if path is not None:
        env = dict(env or os.environ, PATH=str(path), TP1_BUBBLEWRAP="system")
    start = time.monotonic()
    try:
        run = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=timeout, env=env)
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"the grading command did not finish in {timeout} s (a hostile submission hangs the "
                    f"grader?); stderr: {(e.stderr or b'')[-3000:]!r}")
    seconds = time.monotonic() - start
    peak = re.findall(r"PEAK-RSS-KB (\d+)", run.stderr)
    return run, seconds, int(peak[-1]) * 1024 if peak else None


def read_grades(out):
    path = out / "grades.csv"
    if not path.is_file():
        return {}
    with open(path, newline="") as f:
        return {row["submission"]: row for row in csv.DictReader(f)}


@dataclass
class Batch:
    base: Path
    subs: Path
    out: Path
    alone_out: Path
    canary: Path
    run: subprocess.CompletedProcess
    alone_run: subprocess.CompletedProcess
    seconds: float
    alone_seconds: float
    peak_rss: int
    alone_peak_rss: int
    grades: dict
    alone_grades: dict
    hashes_before: dict
    hashes_after: dict
    around_before: list
    around_after: list
    leftovers: list
    shm_before: list
    shm_after: list


def shm_segments():
    """The System V shared memory segments of this machine's IPC namespace (id, size)."""
    try:
        lines = Path("/proc/sysvipc/shm").read_text().splitlines()[1:]
    except OSError:
        return []
    return sorted((line.split()[1], line.split()[3]) for line in lines if line.split())


def stable_base():
    """A folder outside /tmp, the kit and home (which the sandbox hides anyway), so that hiding the
    output and submission folders themselves is what is tested."""
    for parent in ("/var/tmp", None):
        try:
            return Path(tempfile.mkdtemp(prefix="tp1-hostile-", dir=parent))
        except OSError:
            continue


def plant_public_files():
    """A world-readable folder like those an instructor leaves around: an older batch (a notebook and
    its gradebook) and a backup copy of the kit. The sandbox must not be able to read them."""
    public = Path(tempfile.mkdtemp(prefix="tp1-hostile-public-", dir="/var/tmp" if os.access("/var/tmp", os.W_OK) else None))
    public.chmod(0o755)
    (public / "old-batch").mkdir()
    shutil.copy(SAMPLES / "reference.ipynb", public / "old-batch" / "alice.ipynb")
    (public / "old-batch" / "grades.csv").write_text("submission,total\nalice,100\n")
    (public / "kit-backup" / "autograder" / "checks").mkdir(parents=True)
    shutil.copy(ROOT / "autograder" / "reference.py", public / "kit-backup" / "autograder" / "reference.py")
    shutil.copy(ROOT / "autograder" / "checks" / "part1.py", public / "kit-backup" / "autograder" / "checks" / "part1.py")
    for path in public.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    return public


def feedback(out, sid):
    path = out / sid / "results.json"
    results = json.loads(path.read_text())
    return results, "\n".join([results.get("output", "")] + [t.get("output", "") for t in results["tests"]])


def scores(row):
    return {q: float(row[q]) for q in Q}


def path_without_bwrap(folder):
    """A PATH holding the tools the grader uses, and no bubblewrap."""
    folder.mkdir()
    for tool in ("pgrep", "pkill", "setpriv", "sh", "unshare"):
        found = shutil.which(tool)
        if found:
            os.symlink(found, folder / tool)
    return folder


# --- the checks of a row, and of what a batch left behind ---------------------------------------

def check_case(grades, out, case):
    """The row of `case` in `grades` (results in `out`) is one of its acceptable outcomes."""
    row = grades.get(case.name)
    assert row is not None, f"no row for {case.name}"
    got, status = scores(row), row["status"]
    _, text = feedback(out, case.name)
    problems = []
    for outcome in case.outcomes:
        wrong = []
        if status not in outcome.statuses:
            wrong.append(f"status {status!r} not in {outcome.statuses}")
        for q in Q if not case.control else ():  # with a control, the comparison below decides
            allowed = ({0.0} if q in outcome.zero else {0.0, POINTS[q]} if q in outcome.either else {POINTS[q]})
            if got[q] not in allowed:
                wrong.append(f"{q} = {got[q]:g}, expected {' or '.join(f'{a:g}' for a in sorted(allowed))}")
        for words in outcome.says:
            if not any(w.lower() in text.lower() for w in words):
                wrong.append(f"the feedback does not say any of {words}")
        if not wrong:
            break
        problems.append(f"{outcome.statuses}: " + "; ".join(wrong))
    else:
        pytest.fail(f"{case.name} ({case.what}): no acceptable outcome matched:\n  " + "\n  ".join(problems)
                    + f"\nfeedback: {text[:1500]}")
    if case.control:
        control = scores(grades[case.control])
        gained = {q: (got[q], control[q]) for q in Q if got[q] > control[q]}
        assert not gained, f"{case.name} ({case.what}) scores more than {case.control} on {gained}"
        if case.same_as_control:
            assert got == control
    if status != "graded":  # a status that is not "graded" comes with a reason the student can read
        output = feedback(out, case.name)[0].get("output", "")
        reason = output.replace("Status:", "").replace(status, "")
        assert len(re.findall(r"[A-Za-z]", reason)) >= 10, f"{case.name}: status {status!r} without a reason: {output!r}"


def assert_nothing_escaped(b):
    """What a batch run as another user or without bubblewrap must leave as it found: the files around
    it, the canary, the grader's output free of forged text, no process running."""
    changed = {p for p in set(b["before"]) | set(b["after"]) if b["before"].get(p) != b["after"].get(p)}
    assert not changed, f"changed by student code: {sorted(changed)}"
    assert b["canary"].read_text() == "nobody may change this file\n"
    forged = [str(p) for p in b["out"].rglob("*") if p.is_file() and FORGED.encode() in p.read_bytes()]
    assert not forged, f"forged content in the grader's output: {forged}"
    assert not b["leftovers"], f"still running after the grading (now killed): {b['leftovers']}"


