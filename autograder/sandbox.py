"""Run the untrusted phase: the student's code in a child process, in a fresh folder, under limits.

A Worker is one warm process (untrusted/worker.py) that has imported torch, scikit-learn and
matplotlib once and forks a child per submission; that child sees only its own folder (the
submission's definitions, where it writes its results) and the public files (runner, probes,
support package, the grader's inputs). On Linux with bubblewrap (`bwrap`) the worker gets no
network, a read-only system and a view of the file system where the kit's sources, the hidden
tests, the reference, home, the grader's output folder and the submissions do not exist; each
child gets a mount and PID namespace of its own (a fresh /tmp; nothing it starts outlives it), no
capabilities, and, when the grader runs as root, a user id of its own, so it cannot signal the
grader or another job. Everywhere, the child has CPU, memory, file-size and wall-clock limits;
without bubblewrap it has those only, and the grader says so once.
"""
import functools
import io
import json
import os
import resource
import select
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
UNTRUSTED = HERE / "untrusted"
SUPPORT = ROOT / "assignment" / "tp1_support"
SPOOL, LIB = "/tmp/spool", "/tmp/lib"  # where the worker sees its folders
FIRST_UID = 61000  # run as root, each sandbox gets a user id of its own from here on

_warned = False


@dataclass
class Limits:
    wall_seconds: float = 150.0
    cpu_seconds: int = 150
    memory_bytes: int = 4 * 2**30
    processes: int = 64  # threads count too
    file_bytes: int = 64 * 2**20
    output_bytes: int = 128 * 2**20  # everything the child leaves in its folder


@dataclass
class RunResult:
    status: str  # ok | timeout | memory | crashed | output
    results: dict = field(default_factory=dict)  # qid -> (arrays, meta)
    detail: str = ""
    seconds: float = 0.0
    isolated: bool = False


class _UidLease:
    """A user id no other sandbox on this machine is using, held until release (a lock file per uid:
    concurrent graders must never share one, or one's process limit and clean-up would hit the other)."""

    def __init__(self, first=FIRST_UID, count=4096):
        import fcntl

        for uid in range(first, first + count):
            fd = os.open(os.path.join(tempfile.gettempdir(), f"tp1-sandbox-uid-{uid}.lock"), os.O_CREAT | os.O_RDWR, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                continue
            self.uid, self._fd = uid, fd
            return
        raise RuntimeError("no free sandbox user id")

    def release(self):
        os.close(self._fd)


def _bwrap(*args):
    """A bubblewrap command; without root, in a user namespace where it holds the capabilities it needs."""
    return ["bwrap", *(["--unshare-user", "--cap-add", "ALL"] if os.geteuid() != 0 else []), *args]


@functools.cache
def bwrap_problem():
    """None when bubblewrap can isolate here, else why not. Installed is not enough: a container's
    default seccomp profile (Docker, Gradescope) forbids the namespaces it needs."""
    if not sys.platform.startswith("linux"):
        return f"bubblewrap needs Linux (this is {sys.platform})"
    if shutil.which("bwrap") is None:
        return "bubblewrap (bwrap) is not installed"
    cmd = _bwrap("--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev", "--unshare-pid",
                 "--unshare-net", "--unshare-ipc", "--unshare-uts", "true")
    try:
        probe = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"bubblewrap could not run ({e})"
    if probe.returncode != 0:
        return f"bubblewrap cannot create namespaces here ({probe.stderr.strip()[:300]})"
    return None


def bwrap_available():
    return bwrap_problem() is None


def _warn_once(message):
    global _warned
    if not _warned:
        _warned = True
        print(f"warning: {message}", file=sys.stderr)  # once: the grading command's user reads it


def _preexec():
    os.setsid()
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc")


def site_dirs():
    """The package folders on the grader's sys.path. The worker imports torch and co. from the same
    ones, also where they are outside the interpreter's prefixes (pip install --user, a .pth file
    naming another environment's site-packages)."""
    return sorted({str(Path(p).resolve()) for p in sys.path
                   if Path(p).name in ("site-packages", "dist-packages") and Path(p).is_dir()})


def _visible_dirs():
    """What the worker sees of the machine, read-only: the system and the interpreter with its
    packages. Nothing else exists there: not home, not /var, /opt or /srv, not the kit."""
    system = [d for d in SYSTEM_DIRS if os.path.lexists(d)]
    wanted = {Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve(), *map(Path, site_dirs())}
    prefixes = [p for p in wanted if not any(p != q and p.is_relative_to(q) for q in wanted)
                and not any(p.is_relative_to(d) for d in system)]  # bound once, by the outermost folder
    return system, sorted(prefixes, key=lambda p: len(p.parts))


def _hidden_dirs(extra):
    """Folders to blank out inside what is visible (an installed kit inside the venv, a submission
    folder inside the kit's venv...): the kit, the grader's output and the submissions."""
    system, prefixes = _visible_dirs()
    visible = [Path(d) for d in system] + prefixes
    dirs = {ROOT, HERE, *map(Path, extra)}
    return sorted({d.resolve() for d in dirs if d.exists() and any(d.resolve().is_relative_to(v) for v in visible)},
                  key=lambda p: len(p.parts))


def _bwrap_command(spool, lib, python, hidden):
    cmd = _bwrap("--die-with-parent", "--new-session", "--unshare-ipc", "--unshare-pid",
                 "--unshare-net", "--unshare-uts", "--unshare-cgroup-try", "--proc", "/proc", "--dev", "/dev",
                 "--tmpfs", "/tmp")
    system, prefixes = _visible_dirs()
    for d in system:
        if os.path.islink(d):  # merged /usr: /bin -> usr/bin
            cmd += ["--symlink", os.readlink(d), d]
        else:
            cmd += ["--ro-bind", d, d]
    made = set()
    for keep in prefixes:  # none inside the system folders, none inside another
        # bwrap would make the missing parents 0700, out of the job's reach once it drops its uid.
        for parent in reversed(keep.parents):
            if parent != Path("/") and parent not in made:
                cmd += ["--perms", "0755", "--dir", str(parent)]
                made.add(parent)
        cmd += ["--ro-bind", str(keep), str(keep)]
    for d in hidden:
        cmd += ["--tmpfs", str(d)]
    # Fixed paths in the fresh /tmp: the real paths' parents are private to the grader.
    cmd += ["--bind", str(spool), SPOOL, "--ro-bind", str(lib), LIB, "--chdir", LIB,
            "--setenv", "HOME", LIB, "--setenv", "TMPDIR", LIB]
    return cmd + [python, "-I", f"{LIB}/worker.py", SPOOL, LIB, "namespaced"]


def _folder_size(path):
    total = 0
    for dirpath, _, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(dirpath, name)).st_size
            except OSError:
                pass
    return total


def _regular_file(path, max_bytes):
    """The bytes of `path` if it is a regular file (not a link, FIFO or device) of at most max_bytes."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > max_bytes:
            return None
        with os.fdopen(fd, "rb", closefd=False) as f:
            return f.read(max_bytes + 1)[:max_bytes]
    finally:
        os.close(fd)


def _load_npz(data, max_bytes, max_arrays=256):
    """Numeric arrays from .npz bytes, refusing pickles and arrays whose header promises more than
    max_bytes in total (a small compressed file can inflate to gigabytes)."""
    arrays, total = {}, 0
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = [m for m in archive.infolist() if m.filename.endswith(".npy")][:max_arrays]
        for member in members:
            with archive.open(member) as f:
                version = np.lib.format.read_magic(f)
                if version == (1, 0):
                    shape, _, dtype = np.lib.format.read_array_header_1_0(f)
                elif version == (2, 0):
                    shape, _, dtype = np.lib.format.read_array_header_2_0(f)
                else:
                    continue
                if dtype.hasobject or dtype.kind not in "biuf":
                    continue
                total += int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
                if total > max_bytes:
                    raise ValueError("the arrays are larger than the limit")
            with archive.open(member) as f:
                arrays[member.filename[:-4]] = np.lib.format.read_array(f, allow_pickle=False)
    return arrays


def _read_results(out_dir, qids, max_bytes):
    """{qid: (arrays, meta)} for the expected question ids only; a record that is not a plain small
    file of valid JSON and numeric arrays is skipped (that question then counts as not reached)."""
    results = {}
    for qid in qids:
        meta_bytes = _regular_file(out_dir / f"{qid}.json", 1_000_000)
        if meta_bytes is None:
            continue
        try:
            meta = json.loads(meta_bytes)
            arrays_bytes = _regular_file(out_dir / f"{qid}.npz", max_bytes)
            arrays = _load_npz(arrays_bytes, max_bytes) if arrays_bytes else {}
        except (ValueError, RecursionError, OSError, EOFError, zipfile.BadZipFile, KeyError, TypeError):
            continue
        if isinstance(meta, dict):
            results[qid] = (arrays, meta)
    return results


class WorkerGone(Exception):
    """The warm worker stopped or stopped answering; it is restarted for the next job."""


class Worker:
    """A warm worker (untrusted/worker.py): one sandboxed process that has imported torch and forks one
    child per submission. Start-up is paid once; each job costs a fork and the student's own work.
    Not thread-safe: one job at a time (grade_all keeps one worker per parallel job)."""

    def __init__(self, inputs, request, limits=None, hide=(), isolate=True):
        self.limits = limits or Limits()
        self.isolated = isolate and bwrap_available()
        root = os.geteuid() == 0
        if isolate and not self.isolated:
            _warn_once(f"{bwrap_problem()}: student code runs with resource limits"
                       + (" and a user id of its own" if root else "")
                       + " only, without file-system, network and process isolation")
        if self.isolated and not root:
            _warn_once("not run as root: submissions share the grader's user id (namespaces still isolate them)")
        self._lease = _UidLease() if root else None
        self.uid = self._lease.uid if self._lease else None
        self._hide = _hidden_dirs(hide)
        self._workdir = Path(tempfile.mkdtemp(prefix="tp1-worker-"))
        os.chmod(self._workdir, 0o711)  # the jobs reach their own folders only
        self._lib = self._workdir / "lib"
        self._spool = self._workdir / "spool"
        self._lib.mkdir()
        self._spool.mkdir()
        for name in ("worker.py", "runner.py", "probes.py"):
            shutil.copy2(UNTRUSTED / name, self._lib / name)
        shutil.copytree(SUPPORT, self._lib / "tp1_support", ignore=shutil.ignore_patterns("__pycache__"))
        (self._lib / "request.json").write_text(json.dumps(request))
        np.savez(self._lib / "inputs.npz", **inputs)
        os.chmod(self._spool, 0o711)  # the jobs' own folders inside are theirs alone
        self._qids = ["_definitions"] + [q["id"] for q in request["questions"]]
        self._proc = None
        self._jobs = 0

    # -- the worker process ---------------------------------------------------------------------
    def _start(self):
        python = sys.executable
        if self.isolated:
            cmd = _bwrap_command(self._spool, self._lib, python, self._hide)
        else:
            cmd = [python, "-I", str(self._lib / "worker.py"), str(self._spool), str(self._lib), "plain"]
        env = {"PATH": "/usr/bin:/bin", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
               "OPENBLAS_NUM_THREADS": "1", "PYTHONHASHSEED": "0", "MPLBACKEND": "Agg",
               "HOME": str(self._lib), "LC_ALL": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1",
               "TP1_SITE_DIRS": os.pathsep.join(site_dirs())}
        for key in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
            if key in os.environ:
                env[key] = os.environ[key]
        self._stderr = open(self._workdir / "worker-stderr.txt", "ab")
        self._proc = subprocess.Popen(cmd, cwd=self._lib, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      stderr=self._stderr, preexec_fn=_preexec)
        self._buffer = b""
        answer = self._read_answer(time.monotonic() + 180)
        if not answer.get("ready"):
            raise WorkerGone(f"the grading worker did not start: {self._stderr_tail()}")

    def _stderr_tail(self):
        try:
            return (self._workdir / "worker-stderr.txt").read_bytes()[-1500:].decode("utf-8", "replace").strip()
        except OSError:
            return ""

    def _read_answer(self, deadline):
        fd = self._proc.stdout.fileno()
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                self._stop()
                raise WorkerGone("the grading worker stopped answering")
            chunk = os.read(fd, 65536)
            if not chunk:
                self._stop()
                raise WorkerGone(f"the grading worker stopped ({self._stderr_tail()[-300:]})")
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return json.loads(line)

    def _stop(self):
        if self._proc is None:
            return
        try:
            os.killpg(self._proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self._proc.wait()
        for pipe in (self._proc.stdin, self._proc.stdout):
            pipe.close()
        self._stderr.close()
        self._proc = None
        self._kill_uid()

    def _kill_uid(self):
        if self.uid is not None:  # nothing of the job's user id may survive it
            subprocess.run(["pkill", "-KILL", "-U", str(self.uid)], capture_output=True)

    def close(self):
        if self._proc is not None:
            try:
                self._proc.stdin.close()
                self._proc.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                pass
            self._stop()
        shutil.rmtree(self._workdir, ignore_errors=True)
        if self._lease:
            self._lease.release()
            self._lease = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- one job --------------------------------------------------------------------------------
    def run(self, program):
        """Run the probes on the submission's `program`; returns a RunResult. A worker that dies
        (not the job: the job runs in a child) is restarted and the job retried once."""
        try:
            return self._run_once(program)
        except WorkerGone:
            return self._run_once(program)

    def _run_once(self, program):
        if self._proc is None or self._proc.poll() is not None:
            self._stop()
            self._start()
        self._jobs += 1
        name = f"job{self._jobs}"
        folder = self._spool / name
        box = folder / "box"
        (box / "out").mkdir(parents=True)
        (box / "program.json").write_text(json.dumps({"statements": [s.__dict__ for s in program.statements]}))
        if self.uid is not None:
            for path in (box, box / "out", box / "program.json"):
                os.chown(path, self.uid, self.uid)
            os.chmod(folder, 0o711)
        limits = self.limits.__dict__
        try:
            self._proc.stdin.write((json.dumps({"job": name, "uid": self.uid, "limits": limits}) + "\n").encode())
            self._proc.stdin.flush()
            answer = self._read_answer(time.monotonic() + self.limits.wall_seconds + 60)
            if "status" not in answer:
                raise WorkerGone(answer.get("error", "the grading worker could not run the job"))
            return self._judge_run(folder, answer)
        except (BrokenPipeError, ValueError) as e:
            self._stop()
            raise WorkerGone(f"the grading worker stopped ({e})") from e
        finally:
            self._kill_uid()
            shutil.rmtree(folder, ignore_errors=True)

    def _judge_run(self, folder, answer):
        limits, box = self.limits, folder / "box"
        returncode, seconds = answer["status"], answer["seconds"]
        stderr_bytes = _regular_file(folder / "stderr.txt", limits.file_bytes) or b""
        stderr_tail = stderr_bytes[-3000:].decode("utf-8", "replace")
        too_big = _folder_size(box) > limits.output_bytes
        results = {} if too_big else _read_results(box / "out", self._qids, limits.file_bytes)
        unanswered = [q for q in self._qids if q not in results]
        definitions_ok = results.get("_definitions", ({}, {}))[1].get("status") == "ok"
        if answer["timed_out"]:
            status, detail = "timeout", f"the notebook ran past the {limits.wall_seconds:.0f} s limit and was stopped"
        elif too_big:
            status, detail = "output", "the notebook wrote more than the output limit"
        elif returncode == 0 and (not unanswered or not definitions_ok and "_definitions" in results):
            status, detail = "ok", ""
        elif returncode in (-signal.SIGXCPU, -signal.SIGKILL) and answer["cpu_seconds"] >= limits.cpu_seconds * 0.9:
            status, detail = "timeout", f"the notebook used more than {limits.cpu_seconds} s of CPU"
        elif "MemoryError" in stderr_tail or returncode == -signal.SIGSEGV and "alloc" in stderr_tail:
            status, detail = "memory", "the notebook ran out of its memory limit"
        elif returncode == -signal.SIGXFSZ:
            status, detail = "output", "the notebook wrote a file larger than the limit"
        elif returncode == 0:
            status, detail = "crashed", ("the grading process ended before it had run every question (a call "
                                         f"to os._exit?); not reached: {', '.join(unanswered)}")
        else:
            last = stderr_tail.strip().splitlines()[-1:] or [""]
            how = f"signal {signal.Signals(-returncode).name}" if returncode < 0 and -returncode in set(
                signal.Signals) else f"code {returncode}"
            status, detail = "crashed", f"the grading process ended with {how}" + (f" ({last[0][:300]})" if last[0] else "")
        return RunResult(status, results, detail, seconds, self.isolated)

