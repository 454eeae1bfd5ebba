"""Run the untrusted phase: the student's code in a child process, in a fresh folder, under limits.

The folder holds only the runner, the probes, the public support package, the submission's
definitions and the grader's inputs. On Linux with bubblewrap (`bwrap`), the child also gets no
network, a read-only system, a private /tmp, its own PID namespace (nothing it starts outlives it),
and a view of the file system where the kit's sources, the hidden tests, the reference, the grader's
output folder and the other submissions do not exist. Run as root, it also drops to a user id of
its own per sandbox, so it cannot signal the grader or write outside its folder. Elsewhere it runs
with resource limits only, and says so once.
"""
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
UNTRUSTED = HERE / "untrusted"
SUPPORT = ROOT / "assignment" / "tp1_support"
BOX = "/tmp/box"
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


def bwrap_available():
    return sys.platform.startswith("linux") and shutil.which("bwrap") is not None


def _warn_once(message):
    global _warned
    if not _warned:
        _warned = True
        warnings.warn(message, RuntimeWarning, stacklevel=3)
        print(f"warning: {message}", file=sys.stderr)


def _preexec(limits, uid):
    def apply():
        os.setsid()
        resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 5))
        resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
        resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_bytes, limits.file_bytes))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if uid is not None:
            resource.setrlimit(resource.RLIMIT_NPROC, (limits.processes, limits.processes))
    return apply


def _hidden_dirs(extra):
    """Folders the child must not see: the kit, home, temp, the grader's output and the submissions."""
    # /tmp always: the fresh tmpfs there is where the sandbox folder is mounted (BOX).
    dirs = {ROOT, Path.home(), Path(tempfile.gettempdir()), Path("/tmp")} | {Path(p) for p in extra}
    return sorted({d.resolve() for d in dirs if d.exists()}, key=lambda p: len(p.parts))


def _bwrap_command(sandbox, python, hidden, uid):
    cmd = ["bwrap", "--die-with-parent", "--new-session", "--unshare-ipc", "--unshare-pid",
           "--unshare-net", "--unshare-uts", "--unshare-cgroup-try", "--ro-bind", "/", "/",
           "--proc", "/proc", "--dev", "/dev"]
    for d in hidden:
        cmd += ["--tmpfs", str(d)]
    # The interpreter and its packages may live under a hidden folder (a venv inside the kit).
    for keep in sorted({Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve()}, key=lambda p: len(p.parts)):
        cmd += ["--ro-bind", str(keep), str(keep)]
    # Mounted at a fixed path in the fresh /tmp: the real path's parents are private to the grader.
    cmd += ["--bind", str(sandbox), BOX, "--chdir", BOX, "--setenv", "HOME", BOX,
            "--setenv", "TMPDIR", BOX]
    if uid is not None:
        cmd += ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
                "--inh-caps=-all", "--bounding-set=-all"]
    return cmd + [python, "-I", "runner.py"]


def _folder_size(path):
    total = 0
    for dirpath, _, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(dirpath, name)).st_size
            except OSError:
                pass
    return total


def _read_results(out_dir, max_bytes):
    results = {}
    if not out_dir.is_dir():
        return results
    for meta_path in sorted(out_dir.glob("*.json")):
        if meta_path.name.startswith(".") or meta_path.is_symlink():
            continue
        qid = meta_path.stem
        arrays_path = out_dir / f"{qid}.npz"
        try:
            if meta_path.stat().st_size > 1_000_000:
                continue
            meta = json.loads(meta_path.read_text())
            arrays = {}
            if arrays_path.exists() and not arrays_path.is_symlink() and arrays_path.stat().st_size <= max_bytes:
                with np.load(arrays_path, allow_pickle=False) as f:
                    arrays = {k: f[k] for k in f.files if f[k].dtype.kind in "biuf"}
        except (OSError, ValueError, json.JSONDecodeError, EOFError):
            continue
        if isinstance(meta, dict):
            results[qid] = (arrays, meta)
    return results


def run(program, inputs, request, limits=None, hide=(), isolate=True):
    """Run the probes of `request` on the submission's `program`; returns a RunResult."""
    limits = limits or Limits()
    use_bwrap = isolate and bwrap_available()
    if isolate and not use_bwrap:
        _warn_once("bubblewrap (bwrap) is not available: student code runs with resource limits only, "
                   "without file-system, network and process isolation")
    lease = _UidLease() if (use_bwrap and os.geteuid() == 0 and shutil.which("setpriv")) else None
    uid = lease.uid if lease else None
    workdir = Path(tempfile.mkdtemp(prefix="tp1-sandbox-"))
    try:
        sandbox = workdir / "box"
        sandbox.mkdir()
        shutil.copy2(UNTRUSTED / "runner.py", sandbox / "runner.py")
        shutil.copy2(UNTRUSTED / "probes.py", sandbox / "probes.py")
        shutil.copytree(SUPPORT, sandbox / "tp1_support", ignore=shutil.ignore_patterns("__pycache__"))
        (sandbox / "program.json").write_text(json.dumps(
            {"statements": [s.__dict__ for s in program.statements]}))
        (sandbox / "request.json").write_text(json.dumps(request))
        np.savez(sandbox / "inputs.npz", **inputs)
        (sandbox / "out").mkdir()
        if uid is not None:
            for dirpath, dirnames, filenames in os.walk(sandbox):
                os.chown(dirpath, uid, uid)
                for name in filenames:
                    os.chown(os.path.join(dirpath, name), uid, uid)
            os.chmod(workdir, 0o700)
            os.chmod(sandbox, 0o700)
        python = sys.executable
        if use_bwrap:
            cmd = _bwrap_command(sandbox, python, _hidden_dirs(hide), uid)
            cwd = workdir
        else:
            cmd, cwd = [python, "-I", "runner.py"], sandbox
        env = {"PATH": "/usr/bin:/bin", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
               "OPENBLAS_NUM_THREADS": "1", "PYTHONHASHSEED": "0", "MPLBACKEND": "Agg",
               "HOME": str(sandbox), "LC_ALL": "C.UTF-8"}
        for key in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
            if key in os.environ:
                env[key] = os.environ[key]
        stderr_path = workdir / "stderr.txt"
        start = time.monotonic()
        with open(stderr_path, "wb") as stderr:
            proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                    stderr=stderr, preexec_fn=_preexec(limits, uid))
            try:
                returncode = proc.wait(timeout=limits.wall_seconds)
                timed_out = False
            except subprocess.TimeoutExpired:
                timed_out = True
            finally:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
                proc.wait()
        seconds = time.monotonic() - start
        if uid is not None:  # a child that escaped the session: its uid is ours alone
            subprocess.run(["pkill", "-KILL", "-U", str(uid)], capture_output=True)
        stderr_tail = stderr_path.read_bytes()[-3000:].decode("utf-8", "replace")
        too_big = _folder_size(sandbox) > limits.output_bytes
        results = {} if too_big else _read_results(sandbox / "out", limits.file_bytes)
        if timed_out:
            status, detail = "timeout", f"the notebook ran past the {limits.wall_seconds:.0f} s limit and was stopped"
        elif too_big:
            status, detail = "output", "the notebook wrote more than the output limit"
        elif returncode == 0:
            status, detail = "ok", ""
        elif returncode in (-signal.SIGXCPU, -signal.SIGKILL) and seconds >= limits.cpu_seconds * 0.9:
            status, detail = "timeout", f"the notebook used more than {limits.cpu_seconds} s of CPU"
        elif "MemoryError" in stderr_tail or returncode == -signal.SIGSEGV and "alloc" in stderr_tail:
            status, detail = "memory", "the notebook ran out of its memory limit"
        elif returncode == -signal.SIGXFSZ:
            status, detail = "output", "the notebook wrote a file larger than the limit"
        else:
            last = stderr_tail.strip().splitlines()[-1:] or [""]
            status, detail = "crashed", f"the grading process ended with code {returncode} ({last[0][:300]})"
        return RunResult(status, results, detail, seconds, use_bwrap)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        if lease:
            lease.release()
