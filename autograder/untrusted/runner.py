"""The conductor of one grading job. Runs INSIDE the sandbox; nothing here is trusted by the grader.

It makes the notebook's definitions, then runs each question in a child process of its own, forked
from the state right after the definitions. The statements it executes were chosen by the grader so
that none runs code of the notebook while it executes (autograder/pipeline/read.py); a profile hook
stops any that would all the same. So this process runs no student code at all: a question's child
is the first place where the student's functions are called, and whatever they do there (patch
torch, the probes, anything in memory) stays in that child. Each child:

- gets only its own question's inputs (a sealed memory file; every other file descriptor is closed
  before the student's code runs);
- writes its record (arrays and a description) into a sealed memory file of fixed size that no
  other question's child holds;
- runs under its question's time budget, after which this process kills it and then every process
  left in the job, so nothing of one question survives into the next.

This process is PID 1 of the job's PID namespace (or a subreaper without namespaces), non-dumpable,
and writes the account of each child (exit status, time) into a record of its own.
"""
import json
import os
import random
import signal
import sys
import time
import traceback

import jail
from tp1_support.contract import ACCOUNT_RECORD, DEFINITIONS_RECORD, TRUSTED_NAME, WALLS_RECORD, trusted_names

MAX_ERROR_CHARS = 1500
CO_NEWLOCALS = 0x0002
COMPREHENSIONS = {"<listcomp>", "<dictcomp>", "<setcomp>", "<genexpr>"}


class DefinitionsTimeout(BaseException):
    """The definitions took longer than their budget."""


class StudentCodeAtDefinitionTime(Exception):
    """A statement tried to run a function of the notebook while the definitions were being made."""


def _describe_error(exc):
    """The exception and the last line of student code it went through, short."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = [f for f in frames if f.filename.startswith("cell ")]
    text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    if where:
        f = where[-1]
        text += f"  (in {f.filename}, line {f.lineno}, in {f.name})"
    return text[:MAX_ERROR_CHARS]


def _guard(frame, event, arg):
    """A profile hook while a definition executes: any function of the notebook that starts running
    (a decorator, a default value, a metaclass, __init_subclass__...) stops the statement. Module
    and class-body frames are the definitions themselves; comprehensions come from kept constants."""
    if event == "call":
        code = frame.f_code
        if code.co_filename.startswith("cell ") and code.co_flags & CO_NEWLOCALS and code.co_name not in COMPREHENSIONS:
            raise StudentCodeAtDefinitionTime(f"{code.co_name} would run while the definitions are made")
        caller = frame.f_back
        if code.co_filename.startswith("<") and caller is not None and caller.f_code.co_filename.startswith("cell "):
            # exec or eval reached from a definition (a builtin bound to a hook of the interpreter)
            raise StudentCodeAtDefinitionTime("code compiled from a string would run while the definitions are made")


def _on_alarm(signum, frame):
    raise DefinitionsTimeout()


def make_definitions(statements, seconds):
    """(namespace, notes, status) after executing the kept statements in notebook order."""
    namespace = {"__name__": "__main__", TRUSTED_NAME: trusted_names()}
    notes = []
    signal.signal(signal.SIGALRM, _on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        for statement in statements:
            try:
                code = compile(statement["source"], f"cell {statement['cell']}", "exec")
                guarded = not statement["source"].startswith(("import ", "from "))
                if guarded:
                    sys.setprofile(_guard)
                try:
                    exec(code, namespace)
                finally:
                    if guarded:
                        sys.setprofile(None)
            except DefinitionsTimeout:
                raise
            except BaseException as e:  # noqa: BLE001 - a failing definition must not stop the others
                notes.append(f"code cell {statement['cell']} raised {_describe_error(e)}")
        status = "ok"
    except DefinitionsTimeout:
        notes.append("making the notebook's definitions took too long")
        status = "timeout"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
    return namespace, notes, status


def _write(fd, meta, arrays=None):
    import io

    import numpy as np

    buffer = io.BytesIO()
    if arrays:
        np.savez(buffer, **arrays)
    jail.write_record(fd, json.dumps(meta).encode(), buffer.getvalue())


def run_question(namespace, question, input_fd, record_fd, limits, walls):
    """In the question's child: limits, a Landlock domain of its own (it cannot signal the conductor
    or any process outside it), then the probe. Never returns."""
    code = 1
    try:
        os.setsid()
        if walls.get("landlock", 0) >= 6 and not walls.get("namespaced"):
            # Without a PID namespace the conductor is an ordinary process of the same user id: a
            # domain of this child's own keeps its signals in. (PID 1 of a namespace ignores them.)
            jail.landlock(walls["readable"], [walls["box"]], list_only=walls["list_only"])
        devnull = os.open(os.devnull, os.O_WRONLY)  # what the student's code prints goes nowhere, and never fails
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        os.close(devnull)
        jail.set_limits(limits, cpu_seconds=question["seconds"] + 2)
        import io

        import numpy as np
        import torch

        import probes

        with np.load(io.BytesIO(jail.read_all(input_fd)), allow_pickle=False) as f:
            inputs = {k: f[k] for k in f.files}
        os.close(input_fd)
        random.seed(question["seed"])
        np.random.seed(question["seed"] % 2**32)
        torch.manual_seed(question["seed"])
        arrays, meta = {}, {}
        try:
            probes.PROBES[question["id"]](namespace, inputs, question.get("params", {}), arrays, meta)
            meta["status"] = "ok"
        except probes.Missing as e:
            meta["status"], meta["error"] = "missing", str(e)
        except BaseException as e:  # noqa: BLE001 - SystemExit too: it ends this question, not the job
            meta["status"], meta["error"] = "error", _describe_error(e)
        _write(record_fd, probes.only_json(meta), probes.only_arrays(arrays))
        code = 0
    except BaseException as e:  # noqa: BLE001 - say why in a small record, if that can still be written
        try:
            _write(record_fd, {"status": "error", "error": "the grader could not record what the function returned "
                               f"({type(e).__name__}: {str(e)[:300]})"})
        except BaseException:  # noqa: BLE001 - the account says this child ended without a record
            pass
    finally:
        try:
            sys.stderr.flush()
        finally:
            os._exit(code)


def conduct(job, statements, records, inputs, namespaced, walls):
    """Make the definitions, run every question in its own child, write the account. `records` and
    `inputs` map question ids (records also the contract's RECORDS) to file descriptors."""
    limits = job["limits"]
    namespace, notes, status = make_definitions(statements, job["definitions_seconds"])
    _write(records[DEFINITIONS_RECORD], {"status": status, "notes": notes[:50]})
    account = {}
    if status == "ok":
        import gc

        gc.collect()
        for question in job["questions"]:
            qid = question["id"]
            start = time.monotonic()
            timed_out = [need for need in question.get("needs", ()) if account.get(need, {}).get("timed_out")]
            if timed_out:  # a training that calls a function thousands of times cannot outlast it
                account[qid] = {"exit": 0, "timed_out": False, "seconds": 0.0, "cpu_seconds": 0.0,
                                "skipped_for": timed_out[0]}
                continue
            pid = os.fork()
            if pid == 0:
                keep = {0, 1, 2, inputs[qid], records[qid]}
                for fd in set(inputs.values()) | set(records.values()):
                    if fd not in keep:
                        os.close(fd)
                os.closerange(max(keep) + 1, 65536)
                run_question(namespace, question, inputs[qid], records[qid], limits, walls)
            reason, wait_status, usage = jail.wait_with_deadline(pid, start + question["seconds"])
            account[qid] = {"exit": jail.exit_code(wait_status), "timed_out": reason == "timeout",
                            "seconds": round(time.monotonic() - start, 3),
                            "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 3)}
            account[qid]["left_behind"] = jail.sweep()
            _write(records[ACCOUNT_RECORD], account)
    _write(records[ACCOUNT_RECORD], account)


def main(job, statements, records, inputs, box, uid, namespaced, readable, stderr_fd):
    """The job process: walls, then conduct(). Never returns."""
    code = 1
    try:
        if namespaced:
            jail.mount_proc()
        else:
            jail.become_subreaper()
        os.setsid()
        devnull = os.open(os.devnull, os.O_RDWR)
        os.dup2(devnull, 0)
        os.dup2(devnull, 1)
        os.dup2(stderr_fd, 2)
        keep = {0, 1, 2, *records.values(), *inputs.values()}
        for fd in range(3, 1024):
            if fd not in keep:
                try:
                    os.close(fd)
                except OSError:
                    pass
        os.chdir(box)
        jail.set_limits(job["limits"])
        if uid is not None:
            import resource

            resource.setrlimit(resource.RLIMIT_NPROC, (job["limits"]["processes"],) * 2)
        jail.drop_privileges(uid, namespaced)
        walls = {"landlock": 0, "seccomp": 0}
        if job.get("landlock", True):
            walls["landlock"] = jail.landlock(readable, [box], list_only=job.get("list_only", ()))
        if job.get("seccomp", True):
            walls["seccomp"] = jail.seccomp()
        os.environ.update(HOME=box, TMPDIR=box)
        import tempfile

        tempfile.tempdir = box  # the worker's choice is cached, and is not writable here
        _write(records[WALLS_RECORD], walls)
        conduct(job, statements, records, inputs, namespaced,
                dict(walls, readable=readable, list_only=job.get("list_only", ()), box=box, namespaced=namespaced))
        code = 0
    except BaseException:  # noqa: BLE001 - the grader reads the account and this stderr
        traceback.print_exc()
    finally:
        try:
            sys.stderr.flush()
        finally:
            os._exit(code)
