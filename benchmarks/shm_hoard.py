"""How much memory a submission can hold outside its address space where no cgroup counts it (run
by hand, as root for the run without bubblewrap: `.venv/bin/python benchmarks/shm_hoard.py`).

The hoard is the reference notebook whose `fit_svm` first fills nine detached System V shared-memory
segments of 512 MB (4.5 GiB, over the 4 GiB a submission may use), then a memory file and a file in
/dev/shm of 512 MB each, holds them for 3 s, and answers as the reference. It is graded alone,
without a memory cgroup (`TP1_MEMORY_CGROUP=off`; the grader is also told so by this script, for
kits older than that setting), with bubblewrap and without (`--unsafe-no-isolation`, a PATH without
bubblewrap), while the machine's shared memory (`Shmem` in /proc/meminfo: System V segments, memory
files, tmpfs) is sampled every 20 ms. Prints the peak above the baseline, what is left once the
grading ends (removed afterwards), and the hoard's row. `--kit PATH` grades with another checkout.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "examples" / "submissions" / "reference.ipynb"

HOARD = r'''
import ctypes, os, time


def _hoard():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.shmget.argtypes = [ctypes.c_int, ctypes.c_size_t, ctypes.c_int]
    libc.shmat.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_int]
    libc.shmat.restype = ctypes.c_void_p
    libc.shmdt.argtypes = [ctypes.c_void_p]
    size, block = 512 * 2**20, b"x" * 2**20
    for _ in range(9):
        segment = libc.shmget(0, size, 0o1000 | 0o600)
        if segment < 0:
            break
        address = libc.shmat(segment, None, 0)
        if address in (None, ctypes.c_void_p(-1).value):
            break
        ctypes.memset(address, 1, size)
        libc.shmdt(address)
    files = []
    for route in ("memfd", "/dev/shm"):
        try:
            fd = os.memfd_create("hoard") if route == "memfd" else os.open("/dev/shm/tp1-shm-hoard", os.O_CREAT | os.O_RDWR, 0o600)
            files.append(fd)
            for _ in range(512):
                os.write(fd, block)
        except OSError:
            pass
    time.sleep(3)


def fit_svm(X, y):
    _hoard()
    return SVC(kernel="poly", degree=2, coef0=1.0, C=1.0).fit(np.asarray(X), np.asarray(y))
'''

# The grader, told there is no cgroup whatever the kit's version.
RUN = """
import sys
from autograder.pipeline import sandbox
sandbox.Cgroup.create = classmethod(lambda cls, *args: None)
from autograder.cli import main
sys.exit(main(sys.argv[1:]))
"""


def shmem_kb():
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("Shmem:"):
            return int(line.split()[1])
    return 0


def segments():
    try:
        return {line.split()[1] for line in Path("/proc/sysvipc/shm").read_text().splitlines()[1:] if line.split()}
    except OSError:
        return set()


def grade(kit, subs, out, unsafe, tmp):
    env = dict(os.environ, TP1_MEMORY_CGROUP="off")
    extra = []
    if unsafe:
        folder = tmp / "bin"
        folder.mkdir(exist_ok=True)
        for tool in ("pgrep", "pkill", "setpriv", "sh", "unshare"):
            found = shutil.which(tool)
            if found and not (folder / tool).exists():
                os.symlink(found, folder / tool)
        env.update(PATH=str(folder), TP1_BUBBLEWRAP="system")
        extra = ["--unsafe-no-isolation"]
    before_segments, baseline = segments(), shmem_kb()
    peak, done = [baseline], threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], shmem_kb())
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    run = subprocess.run([sys.executable, "-c", RUN, "grade", str(subs), "--out", str(out), "--no-cache", *extra],
                         capture_output=True, text=True, cwd=kit, env=env, timeout=1800)
    done.set()
    sampler.join()
    left_kb = shmem_kb() - baseline
    left = segments() - before_segments
    for shmid in left:  # what the hoard left on the machine
        subprocess.run(["ipcrm", "-m", shmid], check=False)
    Path("/dev/shm/tp1-shm-hoard").unlink(missing_ok=True)
    row = (out / "grades.csv").read_text().splitlines()[1:] if (out / "grades.csv").exists() else [run.stderr[-500:]]
    return (peak[0] - baseline) / 2**20, left_kb / 2**20, len(left), row


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kit", type=Path, default=ROOT, help="the checkout whose grader grades (default: this one)")
    args = parser.parse_args()
    raw = json.loads(REFERENCE.read_text())
    raw["cells"].append({"cell_type": "code", "execution_count": None, "id": "hoard", "metadata": {}, "outputs": [],
                         "source": HOARD})
    for unsafe in (False, True):
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            subs = tmp / "subs"
            subs.mkdir()
            (subs / "shm_hoard.ipynb").write_text(json.dumps(raw))
            peak, left, segments_left, row = grade(args.kit, subs, tmp / "out", unsafe, tmp)
            print(f"{'without bubblewrap (unsafe)' if unsafe else 'with bubblewrap'}, no cgroup: shared memory "
                  f"peak +{peak:.2f} GiB during the grading, +{left:.2f} GiB and {segments_left} segment(s) left "
                  f"after it; row: {row[0] if row else '?'}")


if __name__ == "__main__":
    main()
