"""Runs INSIDE the sandbox, as the student's code does: nothing here is trusted by the grader.

It executes the submission's definitions (program.json), then, question by question, the probe
that calls the student's functions on the grader's inputs, and writes what came back
as plain arrays and JSON into out/ (one pair of files per question, written as soon as the question
is done, so a later crash or timeout loses nothing already measured). The grader judges those
files in its own process; this folder never holds the hidden tests or the reference. The warm
worker (worker.py) calls run_job in a fresh process for each submission.
"""
import json
import os
import random
import signal
import traceback

MAX_ERROR_CHARS = 1500


class ProbeTimeout(BaseException):
    """Raised by the alarm; a BaseException so that `except Exception` in student code lets it through."""


def _on_alarm(signum, frame):
    raise ProbeTimeout()


def _describe_error(exc):
    """The exception and the last line of student code it went through, short."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = [f for f in frames if f.filename.startswith("cell ")]
    text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    if where:
        f = where[-1]
        text += f"  (in {f.filename}, line {f.lineno}, in {f.name})"
    return text[:MAX_ERROR_CHARS]


def execute_program(namespace):
    with open("program.json") as f:
        program = json.load(f)
    notes = []
    for statement in program["statements"]:
        try:
            code = compile(statement["source"], f"cell {statement['cell']}", "exec")
            exec(code, namespace)
        except ProbeTimeout:
            raise
        except BaseException as e:  # noqa: BLE001 - a failing cell must not stop the others
            notes.append(f"code cell {statement['cell']} raised {_describe_error(e)}")
    return notes


def _write_result(out_dir, qid, arrays, meta):
    import numpy as np

    tmp = os.path.join(out_dir, f".{qid}.tmp.npz")
    np.savez(tmp, **arrays)
    os.replace(tmp, os.path.join(out_dir, f"{qid}.npz"))
    tmp = os.path.join(out_dir, f".{qid}.tmp.json")
    with open(tmp, "w") as f:
        json.dump(meta, f)
    os.replace(tmp, os.path.join(out_dir, f"{qid}.json"))


def run_job(request, inputs, out_dir="out"):
    """Run the notebook's definitions (./program.json), then each question's probe; results go to out_dir."""
    import numpy as np
    import torch

    import probes

    os.makedirs(out_dir, exist_ok=True)
    signal.signal(signal.SIGALRM, _on_alarm)

    namespace = {"__name__": "__main__"}
    signal.setitimer(signal.ITIMER_REAL, request["definitions_seconds"])
    try:
        notes = execute_program(namespace)
        status = "ok"
    except ProbeTimeout:
        notes, status = ["running the notebook's definitions took too long"], "timeout"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    _write_result(out_dir, "_definitions", {}, {"status": status, "notes": notes})
    if status != "ok":
        return

    for question in request["questions"]:
        qid = question["id"]
        prefix = qid + "/"
        q_inputs = {k[len(prefix):]: v for k, v in inputs.items() if k.startswith(prefix)}
        arrays, meta = {}, {}
        random.seed(question["seed"])
        torch.manual_seed(question["seed"])
        np.random.seed(question["seed"])
        signal.setitimer(signal.ITIMER_REAL, question["seconds"])
        try:
            probes.PROBES[qid](namespace, q_inputs, question.get("params", {}), arrays, meta)
            meta["status"] = "ok"
        except ProbeTimeout:
            meta["status"] = "timeout"
        except probes.Missing as e:
            meta["status"], meta["error"] = "missing", str(e)
        except BaseException as e:  # noqa: BLE001 - SystemExit too: one question, not the run
            meta["status"], meta["error"] = "error", _describe_error(e)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        _write_result(out_dir, qid, probes.only_arrays(arrays), probes.only_json(meta))
