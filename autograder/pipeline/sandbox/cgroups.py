"""A memory (and pids) cgroup per worker: everything a job holds counts against it."""
import os
import sys
import time
from pathlib import Path

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
