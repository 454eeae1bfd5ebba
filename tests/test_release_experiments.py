"""The student release run as a student runs it, with correct functions: its public checks, its
experiment cells, its hand-in; and what the release says.

The release notebook is executed once for the module (about a minute on 2 cores), top to bottom: each
`TODO` cell (the graded functions and the ungraded Part-1 training loop) is replaced by the reference's
cell, the rest is the release exactly as students get it, saved under another name
(`tp1_ab_Dupont.ipynb`: students may rename it) in a folder that holds only the release (the notebook,
`tp1_support/`, `tests/`).
"""
import json
import math
import re
import shutil
import zipfile
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from tp1_support import FIGURES

pytestmark = [pytest.mark.release, pytest.mark.slow]
ROOT = Path(__file__).resolve().parent.parent
RELEASE = ROOT / "assignment" / "tp1_ab.ipynb"
REFERENCE = ROOT / "examples" / "submissions" / "reference.ipynb"

# Appended to the notebook: what its experiments computed, as JSON on one line.
REPORT_CELL = """
import json
print("RESULTS " + json.dumps({
    "L_before": float(L_before), "acc_before": float(acc_before),
    "linear": list(linear_accuracy),
    "hidden_units": {str(nh): list(acc) for nh, acc in hidden_units_accuracy.items()},
    "sweep": {f"{eta:g}/{b}": {k: history[k] for k in ("loss_train", "acc_train", "acc_test")}
              for (eta, b), (history, seconds) in eta_batch_runs.items()},
    "parts": {name: h for name, h in (("1", history_manual), ("2", history_autograd), ("3", history_nn),
                                      ("4", history_optim))},
    "svm_chosen": list(svm_chosen), "svm_test": float(svm_test_accuracy),
    "svm_cv": {f"{k}/{C:g}": acc for (k, C), acc in svm_cv_accuracy.items()},
}))
"""


def _is_todo_cell(cell):
    return cell.cell_type == "code" and "TODO" in cell.source and "..." in cell.source


def filled_release():
    """The release with every TODO cell replaced by the reference sample's cell, and a last cell that
    prints what the experiments computed."""
    release = nbformat.read(RELEASE, as_version=4)
    reference = nbformat.read(REFERENCE, as_version=4)
    assert len(release.cells) == len(reference.cells)
    for mine, theirs in zip(release.cells, reference.cells):
        if _is_todo_cell(mine):
            assert mine.source.splitlines()[0] == theirs.source.splitlines()[0]
            mine.source = theirs.source
        else:  # the experiments students run are the instructor's, unchanged
            assert mine.source == theirs.source
    release.cells.append(nbformat.v4.new_code_cell(REPORT_CELL))
    return release


NOTEBOOK = "tp1_ab_Dupont.ipynb"


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """(results, folder, notebook): the JSON the report cell printed, the folder the notebook ran in,
    the executed notebook."""
    folder = tmp_path_factory.mktemp("release_run")
    for part in ("tp1_support", "tests"):
        shutil.copytree(ROOT / "assignment" / part, folder / part)
    nb = filled_release()
    nbformat.write(nb, folder / NOTEBOOK)
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(folder)}}).execute()
    text = "".join(o.get("text", "") for o in nb.cells[-1].outputs if o.output_type == "stream")
    line = next(line for line in text.splitlines() if line.startswith("RESULTS "))
    return json.loads(line[len("RESULTS "):]), folder, nb


def check_cells(nb):
    """{question: the outputs of its grader.check cell}."""
    return {re.search(r'grader\.check\("(\w+)"\)', c.source).group(1): c.outputs for c in nb.cells
            if c.cell_type == "code" and "grader.check(" in c.source}


def test_every_public_check_passes_and_says_grading_uses_other_inputs(executed):
    from autograder import checks

    _, _, nb = executed
    outputs = check_cells(nb)
    assert set(outputs) == set(checks.ORDER)
    for question, cell_outputs in outputs.items():
        html = "".join(o.get("data", {}).get("text/html", "") for o in cell_outputs if o.output_type == "execute_result")
        printed = "".join(o.get("text", "") for o in cell_outputs if o.output_type == "stream" and o.name == "stdout")
        assert f"{question}</pre></strong> passed!" in html, (question, html, printed)
        # what Jupyter shows (the HTML), not only the plain text
        assert "public checks on random inputs; grading uses other inputs" in html, question
        assert printed.startswith(("✓", "sgd_autograd on", "sgd_nn on")) and "✓" in printed, (question, printed)
        assert not [o for o in cell_outputs if o.output_type in ("error",) or o.get("name") == "stderr"], question


def test_backward_prints_its_relative_errors_as_a_gradient_check(executed):
    printed = "".join(o.get("text", "") for o in check_cells(executed[2])["backward"] if o.output_type == "stream")
    errors = [float(x) for x in re.findall(r"d(?:Wh|bh|Wy|by) (\d\.\de[+-]\d\d)", printed)]
    assert len(errors) == 8 and max(errors) < 1e-6, printed
    assert "against autograd of your forward and loss_accuracy" in printed and "finite differences" in printed


def test_the_hand_in_cell_zips_the_renamed_notebook_quietly(executed):
    _, folder, nb = executed
    cell = next(c for c in nb.cells if "make_handin_zip()" in c.source)
    assert all(o.output_type != "error" and o.get("name") != "stderr" for o in cell.outputs), cell.outputs
    printed = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
    [made] = folder.glob("tp1_ab_Dupont_*.zip")
    assert re.fullmatch(r"tp1_ab_Dupont_\d{4}_\d\d_\d\dT\d\d_\d\d_\d\d_\d{6}\.zip", made.name)
    assert printed.startswith(f"Made {made.name}: it holds {NOTEBOOK}, as last saved")
    with zipfile.ZipFile(made) as zf:
        assert sorted(zf.namelist()) == sorted([NOTEBOOK, "__zip_filename__"])
        assert zf.read(NOTEBOOK) == (folder / NOTEBOOK).read_bytes()
        assert zf.read("__zip_filename__").decode() == made.name


def test_the_setup_cell_says_nothing_when_the_files_are_there(executed):
    _, _, nb = executed
    setup = next(c for c in nb.cells if "STUDENT_FILES_URL =" in c.source)
    assert setup.outputs == []


def test_the_release_saves_every_figure_the_report_has_a_slot_for(executed):
    _, folder, _ = executed
    for name in FIGURES:
        path = folder / "figures" / name
        assert path.is_file() and path.stat().st_size > 0, name
        if name.endswith(".pdf"):
            assert path.read_bytes().startswith(b"%PDF"), name


def test_training_starts_at_ln2_and_the_loop_learns(executed):
    results, _, _ = executed
    assert results["L_before"] == pytest.approx(math.log(2), abs=0.01)
    part1 = results["parts"]["1"]
    assert part1["loss_train"][-1] < 0.3
    assert 0.89 <= part1["acc_train"][-1] <= 0.93 and 0.93 <= part1["acc_test"][-1] <= 0.96


def test_parts_1_and_2_draw_the_same_curves_and_so_do_parts_3_and_4(executed):
    parts = executed[0]["parts"]
    for a, b in (("1", "2"), ("3", "4")):
        assert parts[a]["acc_test"] == parts[b]["acc_test"] and parts[a]["acc_train"] == parts[b]["acc_train"]
        assert max(abs(x - y) for x, y in zip(parts[a]["loss_train"], parts[b]["loss_train"])) < 1e-5
    assert parts["1"]["acc_test"] != parts["3"]["acc_test"]  # nn.Linear's own initialisation


def test_linear_baseline_stays_near_chance_and_three_hidden_units_enclose_the_disk(executed):
    results, _, _ = executed
    assert max(results["linear"]) < 0.65
    train = {int(nh): acc[0] for nh, acc in results["hidden_units"].items()}
    assert sorted(train) == [1, 2, 3, 5, 20, 50]
    assert train[1] < 0.7 and train[2] < 0.85
    assert all(train[nh] >= 0.88 for nh in (3, 5, 20, 50))


def test_eta_batch_sweep_shows_what_the_notebook_says(executed):
    sweep = executed[0]["sweep"]
    assert sorted(sweep) == sorted(f"{eta:g}/{b}" for eta in (0.03, 0.3, 3.0) for b in (1, 10, 200))
    final = {k: run["loss_train"][-1] for k, run in sweep.items()}
    # eta = 3 one example at a time diverges; with batches of 10 it reaches a low loss, jumping about
    assert not math.isfinite(final["3/1"]) or final["3/1"] > 1.0
    assert sweep["3/1"]["acc_test"][-1] <= 0.6
    late = sweep["3/10"]["loss_train"][50:]
    assert min(late) < 0.25 and max(late) > 3 * min(late)
    # eta = 0.3 one example at a time stays at chance for dozens of epochs, then learns
    assert max(sweep["0.3/1"]["acc_test"][:20]) < 0.7 and sweep["0.3/1"]["acc_test"][-1] > 0.85
    # the same step per example (eta / B = 0.03) gives nearly the same epoch-end loss
    assert abs(final["0.03/1"] - final["0.3/10"]) < 0.05
    # a single full-batch update per epoch barely moves with a small eta; eta = 3 is the one that gets somewhere
    assert final["0.03/200"] > 0.65 and final["3/200"] < final["0.3/200"] < final["0.03/200"]


def test_svm_kernel_and_C_are_chosen_by_cross_validation(executed):
    results, folder, _ = executed
    cv = results["svm_cv"]
    kernel, C = results["svm_chosen"]
    assert cv[f"{kernel}/{C:g}"] == max(cv.values())
    assert kernel in ("rbf", "poly") and max(v for k, v in cv.items() if k.startswith("linear/")) < 0.7
    table = (folder / "figures" / "svm_table.tex").read_text()
    assert table.startswith("\\begin{tabular}") and "chosen by cross-validation" in table
    assert f"{results['svm_test']:.3f}" in table and "\\textbf{" in table


# ------------------------------------------------------------------------ what the release says

def _release_text():
    nb = nbformat.read(RELEASE, as_version=4)
    return "\n".join(c.source for c in nb.cells)


FALSE_CLAIMS = [
    "best test accuracy any classifier can reach",  # the ideal rule scores 0.975 on the test set
    "the values below need",  # above a MNIST_HPARAMS = ... stub
    "cheat-sheet writes batch",  # the cheat-sheet defines a mean and writes the sum's gradient
]


def test_the_release_no_longer_makes_the_false_claims():
    text = " ".join(_release_text().split())
    for claim in FALSE_CLAIMS:
        assert claim not in text, claim
    for doc in (ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), ROOT / "datasets" / "README.md",
                ROOT / "assignment" / "tp1_support" / "circles.py"):
        flat = " ".join(doc.read_text().split())
        assert not re.search(r"95 ?% (is the best|ceiling)", flat), doc


def test_the_release_says_what_is_true():
    text = " ".join(_release_text().split())
    for fact in ("0.975", "94.6 %", "10 times smaller", r"$\ln 2 = 0.693$", "Parts 1 and 2 draw the *same* curve",
                 "zero_grad()", "cross-validation"):
        assert fact in text, fact
