"""The warm worker: imports torch and co. once, then grades one job after another.

Runs INSIDE the sandbox (autograder.pipeline.sandbox starts it, under bubblewrap where it can), so nothing
here is trusted by the grader; no code of a notebook ever runs in this process or in the keeper.
Importing torch, scikit-learn and matplotlib costs seconds; a fork costs milliseconds.

At start-up the worker copies each question's inputs into a sealed memory file (it never keeps them
in its own memory, so no job inherits them there). For each job it forks a *keeper*, which:
- creates the job's records: one sealed memory file of fixed size per question, the definitions'
  notes, the conductor's account, the job's stderr;
- where the worker has namespaces, enters a mount, PID and IPC namespace of the job's own: /tmp is
  a fresh tmpfs capped in size and inodes (the box), /proc shows the job only, shared memory dies
  with the job; otherwise the box is a 0700 folder on disk whose size the keeper watches;
- forks the job (runner.main: limits, its own user id, Landlock and seccomp, then the definitions and
  one child per question), waits for it at most the wall-clock limit, kills whatever is left;
- copies the records, bounded, into the job's folder for the grader.

Protocol (one JSON object per line): the grader writes {"job", "uid", "limits", ...} on stdin; the
worker answers {"job", "status", "timed_out", "seconds", "cpu_seconds", ...} on stdout.
"""
import json
import os
import shutil
import signal
import sys
import time

RECORD_BYTES = 16 * 2**20  # per question (MNIST's trained weights: ~0.4 MB)
SMALL_RECORD_BYTES = 1 * 2**20  # definitions' notes, the account, the walls
STDERR_BYTES = 2 * 2**20


def _read_inputs(private):
    """{qid: sealed memory file} of the grader's inputs (private/<qid>.npz), never held in memory."""
    import jail

    fds = {}
    for name in sorted(os.listdir(private)):
        if name.endswith(".npz"):
            source = os.open(os.path.join(private, name), os.O_RDONLY)
            try:
                fds[name[:-4]] = jail.readonly_copy(name, source)
            finally:
                os.close(source)
    return fds


def _folder_usage(path):
    """(bytes, inodes) under path, without following links."""
    total, inodes = 0, 0
    for dirpath, dirnames, filenames in os.walk(path):
        inodes += 1 + len(filenames)
        for name in filenames:
            try:
                total += os.lstat(os.path.join(dirpath, name)).st_blocks * 512
            except OSError:
                pass
    return total, inodes


def _keep(job, spool, lib, private_inputs, namespaced, report_fd, request):
    """In the keeper: the records, the walls, the job, the copy-out; reports on report_fd."""
    import jail
    from tp1_support.contract import ACCOUNT_RECORD, DEFINITIONS_RECORD, WALLS_RECORD

    limits = job["limits"]
    folder = os.path.join(spool, job["job"])
    folder_fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)  # still reachable once /tmp is the job's
    records = {DEFINITIONS_RECORD: jail.record_file("definitions", SMALL_RECORD_BYTES),
               ACCOUNT_RECORD: jail.record_file("account", SMALL_RECORD_BYTES),
               WALLS_RECORD: jail.record_file("walls", 4096)}
    for question in request["questions"]:
        records[question["id"]] = jail.record_file(question["id"], RECORD_BYTES)
    stderr_fd = jail.record_file("stderr", STDERR_BYTES)
    os.lseek(stderr_fd, 0, os.SEEK_SET)
    with open(os.path.join(folder, "program.json")) as f:
        statements = json.load(f)["statements"]
    jail.set_dumpable(False)
    if namespaced:
        box = jail.enter_job_namespaces("box", lib, job.get("rebind", []), limits["output_bytes"],
                                        limits["output_inodes"])
    else:
        jail.become_subreaper()
        box = os.path.join(folder, "box")
    readable = [*job["readable"], lib, "/proc", "/sys/devices/system/cpu", "/sys/fs/cgroup"]
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:
        import runner

        runner.main(dict(job, questions=request["questions"], definitions_seconds=request["definitions_seconds"]),
                    statements, records, private_inputs, box, job["uid"], namespaced, readable, stderr_fd)
    too_big = []

    def watch_box():  # without a tmpfs of its own, the box is a folder on disk: watch what it holds
        used, inodes = _folder_usage(box)
        if used > limits["output_bytes"] or inodes > limits["output_inodes"]:
            too_big.append((used, inodes))
            return "output"
        return None

    reason, status, usage = jail.wait_with_deadline(pid, start + limits["wall_seconds"],
                                                    on_tick=None if namespaced else watch_box)
    left_behind = jail.sweep() if not namespaced else 0  # PID 1's death took the namespace's processes
    seconds = time.monotonic() - start
    def write(name, data):
        fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600, dir_fd=folder_fd)
        with os.fdopen(fd, "wb") as f:
            f.write(data)

    for qid, fd in records.items():
        record = jail.read_record(fd)
        if record is not None:
            meta, arrays = record
            write(f"{qid}.record.json", meta)
            if arrays:
                write(f"{qid}.record.npz", arrays)
    write("stderr.txt", jail.read_all(stderr_fd).rstrip(b"\0")[-65536:])
    os.write(report_fd, json.dumps({
        "job": job["job"], "status": jail.exit_code(status), "timed_out": reason == "timeout",
        "too_big": bool(too_big), "seconds": seconds, "cpu_seconds": usage.ru_utime + usage.ru_stime,
        "left_behind": left_behind}).encode())


def _run(job, spool, lib, private_inputs, namespaced, request):
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_fd)
        code = 0
        try:
            _keep(job, spool, lib, private_inputs, namespaced, write_fd, request)
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
    """Once, what students' functions and the probes use (torch's operators, autograd, nn, optim,
    scikit-learn's SVC): their lazy initialisation (torch.optim's first step costs ≈ 0.8 s) is then
    paid here and not in every question's process."""
    import io

    import numpy as np
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    nn, F = torch.nn, torch.nn.functional
    torch.manual_seed(0)
    np.random.seed(0)
    for dtype in (torch.float32, torch.float64):
        X = torch.randn(6, 3, dtype=dtype)
        Y = F.one_hot(torch.tensor([0, 1, 2, 3, 0, 1]), 4).to(dtype)
        P = {"Wh": (0.3 * torch.randn(5, 3, dtype=dtype)).requires_grad_(), "bh": torch.zeros(1, 5, dtype=dtype),
             "Wy": torch.empty(4, 5, dtype=dtype).normal_(0, 0.3), "by": torch.zeros(1, 4, dtype=dtype)}
        htilde = X @ P["Wh"].T + P["bh"]
        h = torch.tanh(htilde)
        ytilde = torch.mm(h, P["Wy"].t()) + P["by"]
        e = torch.exp(ytilde - ytilde.max(dim=1, keepdim=True).values)
        yhat = e / e.sum(dim=1, keepdim=True)
        yhat2 = torch.softmax(ytilde, dim=1) + F.log_softmax(ytilde, 1).exp() + torch.sigmoid(ytilde)
        L = -(Y * torch.log(yhat)).sum(dim=1).mean() + 0 * yhat2.sum() + torch.logsumexp(ytilde, 1).mean()
        acc = (yhat.argmax(dim=1) == Y.argmax(dim=1)).float().mean().item()
        L.backward()
        with torch.no_grad():
            P["Wh"] -= 0.1 * P["Wh"].grad
            P["Wh"].grad.zero_()
        d = (yhat - Y).detach() / 6
        _ = (d.T @ h.detach(), d.sum(0, keepdim=True), (d @ P["Wy"]) * (1 - h.detach() ** 2), torch.einsum("ni,nj->ij", d, d),
             float(acc), torch.full_like(d, 0.5), torch.zeros_like(d), torch.ones(2, 2).normal_(), torch.rand(2, 2))
    for model in (nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 4)),
                  nn.ModuleList([nn.Linear(3, 5), nn.Linear(5, 4)])):
        optim = torch.optim.SGD(model.parameters(), lr=0.1)
        out = model(X.float()) if isinstance(model, nn.Sequential) else model[1](torch.tanh(model[0](X.float())))
        loss = nn.CrossEntropyLoss()(out, Y.argmax(1)) + F.cross_entropy(out, Y.float()) + F.nll_loss(F.log_softmax(out, 1), Y.argmax(1))
        optim.zero_grad()
        loss.backward()
        optim.step()
        model.zero_grad()
    rng = np.random.default_rng(0)
    Xs = rng.normal(size=(40, 2))
    ys = (np.linalg.norm(Xs, axis=1) < 1).astype(int)
    for clf in (SVC(kernel="rbf").fit(Xs, ys), make_pipeline(StandardScaler(), SVC(kernel="poly", degree=2)).fit(Xs, ys),
                GridSearchCV(SVC(), {"C": [1.0]}, cv=2).fit(Xs, ys)):
        clf.predict(Xs)
    np.savez(io.BytesIO(), a=np.zeros(3))
    np.load(io.BytesIO(io.BytesIO().getvalue() or _npz_bytes(np)), allow_pickle=False)
    threads = len(os.listdir("/proc/self/task"))
    if threads != 1:  # forking a process with other threads could copy a lock held forever
        raise RuntimeError(f"the worker has {threads} threads before forking")


def _npz_bytes(np):
    import io

    buffer = io.BytesIO()
    np.savez(buffer, a=np.zeros(2))
    return buffer.getvalue()


def serve(spool, lib, private, namespaced):
    import site

    for folder in os.environ.get("TP1_SITE_DIRS", "").split(os.pathsep):  # the grader's package folders
        if folder and folder not in sys.path and os.path.isdir(folder):    # (python -I skips the user's own)
            site.addsitedir(folder)
    sys.path.insert(0, lib)
    import numpy as np  # noqa: F401
    import sklearn.svm  # noqa: F401 - warm: the imports students' notebooks make
    import sklearn.pipeline  # noqa: F401
    import sklearn.preprocessing  # noqa: F401
    import sklearn.model_selection  # noqa: F401
    import torch
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot  # noqa: F401
    import matplotlib.font_manager  # noqa: F401
    import torch.nn  # noqa: F401
    import torch.optim  # noqa: F401 - its first import also sets up torch's compiler caches
    import torch.func  # noqa: F401
    import jail  # noqa: F401
    import probes  # noqa: F401
    import runner  # noqa: F401
    import tp1_support  # noqa: F401

    torch.set_num_threads(1)
    _warm_up(torch)
    with open(os.path.join(lib, "request.json")) as f:
        request = json.load(f)
    private_inputs = _read_inputs(private)
    shutil.rmtree(private, ignore_errors=True) if not namespaced else None
    import gc

    gc.collect()
    gc.freeze()  # fewer copy-on-write pages in each fork
    answer = sys.stdout
    print(json.dumps({"ready": True, "landlock": __import__("jail").landlock_abi()}), file=answer, flush=True)
    for line in sys.stdin:
        job = json.loads(line)
        print(json.dumps(_run(job, spool, lib, private_inputs, namespaced, request)), file=answer, flush=True)


if __name__ == "__main__":
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    serve(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "namespaced")
