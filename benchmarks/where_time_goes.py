"""Where a submission's grading time goes, and the floor under it.

Grades the reference submission `--repeat` times with one warm worker, step by step as the grader
does (autograder.pipeline.STEPS, then the submission's files), and prints the median CPU seconds of:
each question's process (from the conductor's account), the job as a whole, the trusted side
(validating and judging the records, then writing the report). Then the fixed costs: a worker's
start-up (its imports and warm-up, measured in a plain process), and the floor of the MNIST question:
the reference's own `init_model_optim` and `loss_accuracy_nn` trained with its MNIST_HPARAMS on the
grader's training digits, in a plain loop outside any sandbox (what no grader that trains the
student's functions can avoid).

    .venv/bin/python benchmarks/where_time_goes.py [--repeat 10]
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from autograder import reference  # noqa: E402
from autograder.grade import single_threaded_maths  # noqa: E402
from autograder.pipeline import STEPS, Grading, sandbox  # noqa: E402
from autograder.pipeline.inputs import grading_inputs  # noqa: E402
from autograder.pipeline.write import write_submission  # noqa: E402

REFERENCE = ROOT / "examples" / "submissions" / "reference.ipynb"

WORKER_START = r"""
import os, sys, time
t = {"start": time.process_time()}
import numpy, sklearn.svm, sklearn.pipeline, sklearn.preprocessing, sklearn.model_selection
t["scikit-learn (and numpy)"] = time.process_time()
import torch, torch.nn, torch.optim, torch.func
t["torch"] = time.process_time()
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot, matplotlib.font_manager
t["matplotlib"] = time.process_time()
sys.path.insert(0, sys.argv[1])
import worker
torch.set_num_threads(1)
try:
    worker._warm_up(torch)
except RuntimeError:  # its check that no thread is left: this process is not forked from
    pass
t["warm-up (torch.optim's first optimizer imports torch._dynamo)"] = time.process_time()
names = list(t)
for a, b in zip(names, names[1:]):
    print(f"{b}\t{t[b] - t[a]:.2f}")
"""


def median(values):
    return statistics.median(values) if values else float("nan")


def mnist_floor():
    """CPU seconds of the reference's MNIST training, in a plain loop (no sandbox, no records)."""
    import numpy as np
    import torch

    inputs, _, per_question = grading_inputs()
    arrays = inputs["mnist_accuracy"]
    hp = reference.MNIST_HPARAMS
    X = torch.as_tensor(np.asarray(arrays["Xtrain"]), dtype=torch.float32)
    y = torch.as_tensor(np.asarray(arrays["ytrain"])).long()
    Y = torch.eye(10)[y]
    model, loss, optim = reference.init_model_optim(X.shape[1], hp["nh"], 10, hp["eta"])
    generator = torch.Generator().manual_seed(0)
    start = time.process_time()
    for _ in range(hp["epochs"]):
        for idx in torch.randperm(X.shape[0], generator=generator).split(hp["batch_size"]):
            L, _ = reference.loss_accuracy_nn(loss, model(X.index_select(0, idx)), Y.index_select(0, idx))
            optim.zero_grad()
            L.backward()
            optim.step()
    steps = hp["epochs"] * -(-X.shape[0] // hp["batch_size"])
    return time.process_time() - start, steps, X.shape[0]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    single_threaded_maths()
    print(f"{os.cpu_count()} cores, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}\n")

    inputs, request, _ = grading_inputs()
    out = Path(tempfile.mkdtemp(prefix="tp1-where-"))
    per_question, job_wall, trusted, write = {}, [], [], []
    try:
        with sandbox.Worker(inputs, request, hide=[str(REFERENCE.parent), str(out)]) as worker:
            worker.start()
            for i in range(args.repeat):
                g = Grading(f"reference{i}", REFERENCE, worker)
                for step in STEPS:
                    before = time.process_time()
                    step(g)
                    if step.__name__ == "judge_the_records":
                        trusted.append(time.process_time() - before)
                    if g.result is not None:
                        break
                before = time.process_time()
                write_submission(g.result, out)
                write.append(time.process_time() - before)
                assert g.result.status == "graded" and g.result.total == g.result.possible, g.result.status
                for qid, entry in g.run.account.items():
                    per_question.setdefault(qid, []).append(entry.get("cpu_seconds", float("nan")))
                job_wall.append(g.run.seconds)
    finally:
        shutil.rmtree(out, ignore_errors=True)

    print(f"The reference submission, graded {args.repeat} times (median CPU seconds)\n")
    print(f"{'question process':<24} {'CPU s':>7}")
    small = []
    for qid, values in per_question.items():
        print(f"{qid:<24} {median(values):>7.3f}")
        if qid not in ("circles_accuracy", "mnist_accuracy"):
            small.append(median(values))
    questions = sum(median(v) for v in per_question.values())
    print(f"{'all question processes':<24} {questions:>7.2f}   (the {len(small)} small ones: {sum(small):.2f})")
    print(f"{'the job (wall)':<24} {median(job_wall):>7.2f}   (the rest: the keeper, the definitions, the walls)")
    print(f"{'trusted side: judging':<24} {median(trusted):>7.2f}")
    print(f"{'trusted side: files':<24} {median(write):>7.2f}   (results.json, report.html and its figure)")
    per_submission = median(job_wall) + median(trusted) + median(write)
    print(f"{'one submission':<24} {per_submission:>7.2f}\n")

    run = subprocess.run([sys.executable, "-I", "-c", WORKER_START, str(ROOT / "autograder" / "untrusted")],
                         capture_output=True, text=True, env=dict(os.environ, OMP_NUM_THREADS="1"))
    print("A worker's start-up, once per --jobs slot (CPU seconds)")
    total = 0.0
    for line in run.stdout.splitlines():
        name, seconds = line.split("\t")
        total += float(seconds)
        print(f"  {name:<64} {float(seconds):>5.2f}")
    print(f"  {'in all':<64} {total:>5.2f}\n")

    floor, steps, n = mnist_floor()
    print(f"The floor of mnist_accuracy: the reference's own training, {steps} steps on {n} digits "
          f"(MNIST_HPARAMS = {reference.MNIST_HPARAMS}), in a plain loop: {floor:.2f} CPU s")
    print(f"  against {median(per_question.get('mnist_accuracy', [])):.2f} s for its question process in the sandbox")


if __name__ == "__main__":
    main()
