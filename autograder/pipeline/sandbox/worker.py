"""The grader's side of the warm worker (untrusted/worker.py): its start, its walls, the protocol of
one job (a line of JSON each way) and its clean-up."""
import itertools
import json
import os
import resource
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import paths
from .cgroups import Cgroup
from .errors import GraderError, UnsafeRefused
from .host import bwrap_problem, isolation_summary
from .uids import UidLease
from .verdict import judge_run
from .view import hidden_dirs, interpreter, landlock_read_rules, site_dirs, visible_dirs, worker_command

_warned = set()
_WORKER_NUMBERS = itertools.count()


@dataclass
class Limits:
    wall_seconds: float = 150.0
    cpu_seconds: int = 150
    memory_bytes: int = 4 * 2**30  # address space, per process
    cgroup_memory_bytes: int = 5 * 2**30  # everything one worker and its job hold, where a cgroup is available
    processes: int = 64  # threads count too
    file_bytes: int = 64 * 2**20
    output_bytes: int = 128 * 2**20  # the job's box (its tmpfs)
    output_inodes: int = 4096


def _warn_once(message):
    if message not in _warned:
        _warned.add(message)
        print(f"warning: {message}", file=sys.stderr)  # once: the grading command's user reads it


class WorkerGone(Exception):
    """The warm worker stopped or stopped answering; it is restarted for the next job."""


def _preexec(cgroup):
    def run():
        if cgroup is not None:
            cgroup.enter()
        os.setsid()
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    return run


class Worker:
    """A warm worker (untrusted/worker.py): one sandboxed process that has imported torch and forks a
    keeper per job. Start-up is paid once; each job costs a fork and the student's own work.
    Not thread-safe: one job at a time (grade_all keeps one worker per parallel job).

    inputs: {question id: {name: array}}, the grader's inputs for each question's probe; request: the
    questions (id, seconds, seed, params) and the definitions' budget; allow_unsafe: grade without
    bubblewrap (refused otherwise)."""

    def __init__(self, inputs, request, limits=None, hide=(), allow_unsafe=False, name="worker"):
        self.limits = limits or Limits()
        problem = bwrap_problem()
        if problem and not allow_unsafe:
            raise UnsafeRefused(f"{problem}. Student code would run without isolation: the grader refuses, "
                                "unless you pass --unsafe-no-isolation to grade anyway (every report then says "
                                "the class was graded without isolation)")
        self.level = "unsafe" if problem else "bubblewrap"
        root = os.geteuid() == 0
        if problem:
            _warn_once(f"{problem}: grading WITHOUT isolation, as asked (--unsafe-no-isolation)")
        elif not root:
            _warn_once("not run as root: the jobs share the grader's user id (namespaces, Landlock and seccomp "
                       "still keep them apart)")
        self._hide = hidden_dirs(hide)
        # What every job may read, once per worker (it lists the folders down to each hidden one).
        self._readable, self._list_only = landlock_read_rules(self._visible_for_job(), self._hide)
        self._workdir = Path(tempfile.mkdtemp(prefix="tp1-worker-"))
        os.chmod(self._workdir, 0o711)  # the jobs reach their own folders only
        self._lib = self._workdir / "lib"
        self._spool = self._workdir / "spool"
        self._private = self._workdir / "private"
        for folder in (self._lib, self._spool, self._private):
            folder.mkdir()
        os.chmod(self._private, 0o700)
        for program in ("worker.py", "runner.py", "jail.py"):  # not `name`: that names this worker's cgroup
            shutil.copy2(paths.UNTRUSTED / program, self._lib / program)
        shutil.copytree(paths.UNTRUSTED / "probes", self._lib / "probes", ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copytree(paths.SUPPORT, self._lib / "tp1_support", ignore=shutil.ignore_patterns("__pycache__"))
        (self._lib / "request.json").write_text(json.dumps(request))
        for qid, arrays in inputs.items():
            np.savez(self._private / f"{qid}.npz", **arrays)
        os.chmod(self._spool, 0o711)  # the jobs' own folders inside are theirs alone
        self._request = request
        self._qids = [q["id"] for q in request["questions"]]
        self._proc = None
        self._jobs = 0
        # unique in this process even when two threads start workers of one name at once: it names the cgroup
        self._name = f"tp1-{os.getpid()}-{name}-{next(_WORKER_NUMBERS)}"
        self.cgroup = Cgroup.create(self._name, self.limits.cgroup_memory_bytes, 4 * self.limits.processes)
        self.isolation = isolation_summary(self.level, self.cgroup)
        self.landlock = 0

    # -- the worker process ---------------------------------------------------------------------
    def _start(self):
        python = interpreter()
        if self.level == "bubblewrap":
            cmd = worker_command(self._spool, self._lib, self._private, python, self._hide)
        else:
            cmd = [python, "-I", str(self._lib / "worker.py"), str(self._spool), str(self._lib), str(self._private),
                   "plain"]
        env = {"PATH": "/usr/bin:/bin", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
               "OPENBLAS_NUM_THREADS": "1", "PYTHONHASHSEED": "0", "MPLBACKEND": "Agg",
               "HOME": str(self._lib), "LC_ALL": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1",
               "TP1_SITE_DIRS": os.pathsep.join(site_dirs()),
               # Memory in transparent huge pages: forking a question's process copies a tenth of the
               # page tables (a fork of the warm worker: 25 ms -> 10-15 ms here).
               "GLIBC_TUNABLES": "glibc.malloc.hugetlb=1", "PYTHONMALLOC": "malloc"}
        for key in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
            if key in os.environ:
                env[key] = os.environ[key]
        self._stderr = open(self._workdir / "worker-stderr.txt", "ab")
        try:
            self._proc = subprocess.Popen(cmd, cwd=self._lib, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                          stderr=self._stderr, preexec_fn=_preexec(self.cgroup))
        except OSError as e:
            raise WorkerGone(f"the grading worker could not start: {e}") from e
        self._buffer = b""
        answer = self._read_answer(time.monotonic() + 180)
        if not answer.get("ready"):
            raise WorkerGone(f"the grading worker did not start: {self._stderr_tail()}")
        self.landlock = int(answer.get("landlock", 0) or 0)

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
                tail = self._stderr_tail()[-600:]
                self._stop()
                raise WorkerGone(f"the grading worker stopped ({tail})")
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

    def close(self):
        if self._proc is not None:
            try:
                self._proc.stdin.close()
                self._proc.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                pass
            self._stop()
        shutil.rmtree(self._workdir, ignore_errors=True)
        if self.cgroup is not None:
            self.cgroup.remove()
            self.cgroup = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- one job --------------------------------------------------------------------------------
    def start(self):
        """Start the worker now (the preflight): GraderError if it cannot."""
        try:
            if self._proc is None or self._proc.poll() is not None:
                self._stop()
                self._start()
        except WorkerGone as e:
            raise GraderError(str(e)) from e

    def run(self, program):
        """Run the probes on the submission's `program`; returns a RunResult. A worker that dies
        (not the job: the job runs in its own processes) is restarted and the job retried once;
        twice is the grader's failure (GraderError)."""
        try:
            return self._run_once(program)
        except WorkerGone:
            try:
                return self._run_once(program)
            except WorkerGone as e:
                raise GraderError(str(e)) from e

    def _visible_for_job(self):
        system, prefixes = visible_dirs()
        return [*system, *map(str, prefixes)]

    def _run_once(self, program):
        if self._proc is None or self._proc.poll() is not None:
            self._stop()
            self._start()
        self._jobs += 1
        name = f"job{self._jobs}"
        folder = self._spool / name
        box = folder / "box"
        box.mkdir(parents=True)
        (folder / "program.json").write_text(json.dumps({"statements": [s.__dict__ for s in program.statements]}))
        lease = UidLease() if os.geteuid() == 0 else None
        uid = lease.uid if lease else None
        if uid is not None:
            os.chown(box, uid, uid)
        os.chmod(box, 0o700)
        os.chmod(folder, 0o711)
        _, prefixes = visible_dirs()
        job = {"job": name, "uid": uid, "limits": self.limits.__dict__, "readable": self._readable,
               "list_only": self._list_only,
               "rebind": [str(p) for p in prefixes if str(p).startswith("/tmp/") or str(p) == "/tmp"]}
        oom_before = self.cgroup.oom_kills() if self.cgroup else 0
        try:
            self._proc.stdin.write((json.dumps(job) + "\n").encode())
            self._proc.stdin.flush()
            answer = self._read_answer(time.monotonic() + self.limits.wall_seconds + 60)
            if "status" not in answer:
                raise WorkerGone(answer.get("error", "the grading worker could not run the job"))
            oom = (self.cgroup.oom_kills() if self.cgroup else 0) > oom_before
            return judge_run(folder, answer, oom, self._qids, self.limits, self.level)
        except (BrokenPipeError, ValueError) as e:
            self._stop()
            raise WorkerGone(f"the grading worker stopped ({e})") from e
        finally:
            if lease:
                lease.kill_all()
                lease.release()
            shutil.rmtree(folder, ignore_errors=True)
