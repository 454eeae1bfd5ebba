"""The warm worker: imports torch and co. once, then forks one child per submission.

Runs INSIDE the sandbox (autograder.sandbox starts it under bubblewrap), so nothing here is
trusted by the grader. Importing torch, scikit-learn and matplotlib costs seconds; a fork costs
milliseconds, so a worker grades one submission after another from the same warm state.

For each job the worker forks a *keeper*, which, when the worker has namespaces (started by bwrap
as root), gives the job a mount and PID namespace of its own: a fresh /tmp holding only the job's
folder (/tmp/box) and the read-only public files (/tmp/lib), and a new /proc. The keeper forks the
*job*, PID 1 of that namespace, which drops to the job's user id and resource limits and runs the
student's code (runner.run_job). When the job ends or the keeper kills it at the wall-clock limit,
the kernel kills everything it started. The keeper reports the exit status on a pipe the job never
holds. Without namespaces (no bubblewrap) the job runs in its own session with limits only.

Protocol (one JSON object per line): the grader writes {"job", "uid", "limits"} on stdin; the
worker answers {"job", "status", "timed_out", "seconds", "cpu_seconds"} on stdout.
"""
import ctypes
import json
import os
import resource
import signal
import sys
import time

CLONE_NEWNS, CLONE_NEWPID = 0x00020000, 0x20000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 1, 2, 4, 32, 4096, 16384, 1 << 18
PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS = 24, 38
_LINUX_CAPABILITY_VERSION_3 = 0x20080522
BOX, LIB = "/tmp/box", "/tmp/lib"

_libc = ctypes.CDLL(None, use_errno=True)


def _sys(result, what):
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def _mount(source, target, fstype=None, flags=0, data=None):
    _sys(_libc.mount(source and source.encode(), target.encode(), fstype and fstype.encode(), flags,
                     data and data.encode()), f"mount {target}")


def _enter_namespaces(box, lib, tmp_bytes):
    """A mount and PID namespace where /tmp holds only this job's folder and the public files."""
    _sys(_libc.unshare(CLONE_NEWNS | CLONE_NEWPID), "unshare")
    _mount("none", "/", flags=MS_REC | MS_PRIVATE)
    box_fd, lib_fd = os.open(box, os.O_PATH), os.open(lib, os.O_PATH)
    _mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, f"mode=0755,size={tmp_bytes}")
    os.mkdir(BOX)
    os.mkdir(LIB)
    _mount(f"/proc/self/fd/{box_fd}", BOX, flags=MS_BIND)
    _mount(f"/proc/self/fd/{lib_fd}", LIB, flags=MS_BIND | MS_REC)
    _mount("none", LIB, flags=MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
    os.close(box_fd)
    os.close(lib_fd)
    return BOX


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def _drop_bounding_set():
    cap = 0
    while _libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == 0:
        cap += 1


def _clear_capabilities():
    """No capability left: without it the job could unmount its fresh /tmp and see the other jobs'."""
    _sys(_libc.capset(ctypes.byref(_CapHeader(_LINUX_CAPABILITY_VERSION_3, 0)), (_CapData * 2)()), "capset")


def _become_job(workdir, stderr_fd, uid, limits, namespaced, request, inputs):
    """In the job process: limits, its own user id, then the student's code. Never returns."""
    status = 1
    try:
        if namespaced:
            _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV)
        # Its own session and process group. Otherwise it stays in the worker's group, outside its PID
        # namespace, and kill(0) (getpgid of its parent reads 0 there) would reach the worker whenever
        # they share a user id, as they do when the grader does not run as root.
        os.setsid()
        devnull = os.open(os.devnull, os.O_RDWR)
        os.dup2(devnull, 0)
        os.dup2(devnull, 1)
        os.dup2(stderr_fd, 2)
        os.closerange(3, 65536)  # the protocol pipes and the keeper's report pipe stay out of reach
        os.chdir(workdir)
        for name, value in (("CPU", (limits["cpu_seconds"], limits["cpu_seconds"] + 5)),
                            ("AS", (limits["memory_bytes"],) * 2), ("FSIZE", (limits["file_bytes"],) * 2),
                            ("CORE", (0, 0))):
            resource.setrlimit(getattr(resource, f"RLIMIT_{name}"), value)
        if namespaced:
            _drop_bounding_set()
        if uid is not None:
            resource.setrlimit(resource.RLIMIT_NPROC, (limits["processes"],) * 2)
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
        if namespaced:
            _clear_capabilities()
        _sys(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
        os.environ.update(HOME=workdir, TMPDIR=workdir)
        import tempfile

        tempfile.tempdir = workdir  # the worker's choice is cached, and is not writable here
        import runner

        runner.run_job(request, inputs)
        status = 0
    except BaseException:  # noqa: BLE001 - the grader reads what reached out/ and this stderr
        import traceback

        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(status)


def _keep(job, spool, lib, namespaced, request, inputs, report_fd):
    """In the keeper: isolate, start the job, wait for it at most the wall-clock limit, report."""
    limits = job["limits"]
    folder = os.path.join(spool, job["job"])
    stderr_fd = os.open(os.path.join(folder, "stderr.txt"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    box = os.path.join(folder, "box")
    if namespaced:
        box = _enter_namespaces(box, lib, limits["output_bytes"])
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:
        os.close(report_fd)
        _become_job(box, stderr_fd, job["uid"], limits, namespaced, request, inputs)
    os.close(stderr_fd)
    timed_out = False
    deadline = start + limits["wall_seconds"]
    while True:
        done, wait_status, usage = os.wait4(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            timed_out = True
            # PID 1 of its namespace: its death takes every process the job started with it.
            os.kill(pid, signal.SIGKILL)
            if not namespaced:
                try:
                    os.killpg(pid, signal.SIGKILL)
                except OSError:
                    pass
            _, wait_status, usage = os.wait4(pid, 0)
            break
        time.sleep(0.005)
    seconds = time.monotonic() - start
    returncode = -os.WTERMSIG(wait_status) if os.WIFSIGNALED(wait_status) else os.WEXITSTATUS(wait_status)
    os.write(report_fd, json.dumps({"job": job["job"], "status": returncode, "timed_out": timed_out,
                                    "seconds": seconds, "cpu_seconds": usage.ru_utime + usage.ru_stime}).encode())


def _run(job, spool, lib, namespaced, request, inputs):
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_fd)
        code = 0
        try:
            _keep(job, spool, lib, namespaced, request, inputs, write_fd)
        except BaseException:  # noqa: BLE001
            import traceback

            traceback.print_exc()
            code = 70
        os._exit(code)
    os.close(write_fd)
    chunks = []
    while chunk := os.read(read_fd, 65536):
        chunks.append(chunk)
    os.close(read_fd)
    os.waitpid(pid, 0)
    try:
        return json.loads(b"".join(chunks))
    except ValueError:
        return {"job": job["job"], "error": "the worker could not run the job"}


def _warm_up(torch):
    """One tiny step through what the probes use, so lazy initialisation (torch.optim's first step
    costs ≈ 0.8 s) is paid here once and not in every job."""
    model = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Tanh(), torch.nn.Linear(3, 2))
    optim = torch.optim.SGD(model.parameters(), lr=0.1)
    torch.nn.CrossEntropyLoss()(model(torch.zeros(4, 2)), torch.zeros(4, dtype=torch.long)).backward()
    optim.step()
    optim.zero_grad()
    threads = len(os.listdir("/proc/self/task"))
    if threads != 1:  # forking a process with other threads could copy a lock held forever
        raise RuntimeError(f"the worker has {threads} threads before forking")


def serve(spool, lib, namespaced):
    import site

    for folder in os.environ.get("TP1_SITE_DIRS", "").split(os.pathsep):  # the grader's package folders
        if folder and folder not in sys.path and os.path.isdir(folder):    # (python -I skips the user's own)
            site.addsitedir(folder)
    sys.path.insert(0, lib)
    import numpy as np
    import sklearn.svm  # noqa: F401 - warm: the imports students' notebooks make
    import torch
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot  # noqa: F401
    import matplotlib.font_manager  # noqa: F401
    import torch.nn  # noqa: F401
    import torch.optim  # noqa: F401 - its first import also sets up torch's compiler caches
    import probes  # noqa: F401
    import runner  # noqa: F401
    import tp1_support  # noqa: F401

    torch.set_num_threads(1)
    _warm_up(torch)
    with open(os.path.join(lib, "request.json")) as f:
        request = json.load(f)
    with np.load(os.path.join(lib, "inputs.npz"), allow_pickle=False) as f:
        inputs = {k: f[k] for k in f.files}
    import gc

    gc.collect()
    gc.freeze()  # fewer copy-on-write pages in each fork
    answer = sys.stdout
    print(json.dumps({"ready": True}), file=answer, flush=True)
    for line in sys.stdin:
        job = json.loads(line)
        print(json.dumps(_run(job, spool, lib, namespaced, request, inputs)), file=answer, flush=True)


if __name__ == "__main__":
    serve(sys.argv[1], sys.argv[2], sys.argv[3] == "namespaced")
