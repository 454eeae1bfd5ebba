"""The reference's results, measured with the notebook's own code (the tables of docs/results.md):
make bench.

Every run here calls the functions of the master notebook (solutions/tp1_ab.py), filled in: the
reference's graded functions and its training loops (train_part1 ... train_part4, train_on_mnist),
its experiments' helpers, its constants. So the ranges the notebook quotes over seeds are what its
own cells give with those seeds (tests/test_reference_results.py checks the quoted numbers).

- Circles train/test accuracy for Parts 1-4 (N=200, batches of 10, nh=10, eta=0.3 = the step the
  course's Part 1 took with eta=0.03 on the batch sum, 100 epochs), and Part 1 on 10,000 fresh points;
- the ideal rule r < 0.74 and a linear baseline (logistic regression);
- Part 1 with nh in {1, 2, 3, 5, 20, 50} hidden units, and eta in {0.03, 0.3, 3} x batch size in
  {1, 10, full batch}, on the notebook's validation split (150 training points, 50 validation);
- the handout's mismatch: its Part 1 (gradient of the sum) and Part 2 (autograd on the mean) at eta=0.03;
- squared error vs cross-entropy from large initial weights;
- MNIST test accuracy with the reference's MNIST_HPARAMS;
- the SVM per kernel at C = 1, and the kernel and C chosen by 5-fold cross-validation.

Seeds 0..SEEDS-1; prints mean [min, max]. One thread, as the grader and the notebook use.
"""
import ast
import sys
import time
from functools import lru_cache
from pathlib import Path

import jupytext
import numpy as np
import torch
from sklearn.linear_model import LogisticRegression

ROOT = Path(__file__).resolve().parent.parent
MASTER = ROOT / "solutions" / "tp1_ab.py"
sys.path.insert(0, str(ROOT / "solutions"))
from tp1_support import CirclesData, MNISTData, draw_circles  # noqa: E402
from tp1_support.circles import INNER_RADIUS  # noqa: E402

FRESH_SEED = 99  # a Circles sample of 10,000 points that is neither the kit's data nor the grader's


def _literal(node):
    try:
        ast.literal_eval(node)
        return True
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False


@lru_cache(maxsize=1)
def notebook():
    """The master notebook's definitions, in notebook order: its imports, its functions (the
    solutions filled in, the experiments' helpers) and its literal constants (NH, ETA, MNIST_HPARAMS,
    ...); not its experiment statements, nor the setup cell, nor the tests. A dict."""
    import matplotlib

    matplotlib.use("Agg")
    namespace, in_tests = {"__name__": "tp1_ab"}, False
    for cell in jupytext.read(MASTER).cells:
        if cell.cell_type == "raw":
            in_tests = "BEGIN TESTS" in cell.source or (in_tests and "END TESTS" not in cell.source)
            continue
        if cell.cell_type != "code" or in_tests or "STUDENT_FILES_URL" in cell.source:
            continue
        kept = [node for node in ast.parse(cell.source).body
                if isinstance(node, (ast.FunctionDef, ast.Import, ast.ImportFrom))
                or isinstance(node, ast.Assign) and _literal(node.value)]
        exec(compile(ast.Module(kept, type_ignores=[]), str(MASTER), "exec"), namespace)
    return namespace


def _final(history):
    return {key: values[-1] for key, values in history.items()}


def train_circles(part, data, seed=0, **hparams):
    """The notebook's Part `part` (1-4) trained on data.Xtrain with the TP's hyper-parameters (or
    hparams: nh, eta, batch_size, epochs). Returns the final scores: {"loss_train", "acc_train",
    "loss_test", "acc_test"}, and the trained model (params or torch.nn model)."""
    nb = notebook()
    hp = dict(nh=nb["NH"], eta=nb["ETA"], batch_size=nb["NBATCH"], epochs=nb["EPOCHS"]) | hparams
    if part in (1, 2):
        model, history = nb[f"train_part{part}"](data, hp["nh"], hp["eta"], hp["batch_size"], hp["epochs"],
                                                 seed=seed, every=0)
    else:
        torch.manual_seed(seed)
        if part == 3:
            model, loss = nb["init_model"](2, hp["nh"], 2)
            history = nb["train_part3"](model, loss, data, hp["eta"], hp["batch_size"], hp["epochs"], seed=seed,
                                        every=0)
        else:
            model, loss, optim = nb["init_model_optim"](2, hp["nh"], 2, hp["eta"])
            history = nb["train_part4"](model, loss, optim, data, hp["batch_size"], hp["epochs"], seed=seed,
                                        every=0)
    return _final(history), model


def predict_part1(params, X):
    with torch.no_grad():
        return notebook()["forward"](params, X)[0]


def accuracy(probabilities, Y):
    return float((probabilities.argmax(1) == Y.argmax(1)).float().mean())


def fresh_circles(n_per_class=5000, seed=FRESH_SEED):
    X, labels = draw_circles(n_per_class, seed)
    return torch.from_numpy(X), torch.nn.functional.one_hot(torch.from_numpy(labels), 2).float()


def ideal_accuracy(X, Y):
    """Accuracy of the ideal rule: class 1 inside the circle r = INNER_RADIUS."""
    return float(((X.norm(dim=1) < INNER_RADIUS).long() == Y.argmax(1)).float().mean())


def linear_baseline(data):
    X, y = data.Xtrain.numpy(), data.Ytrain.argmax(1).numpy()
    model = LogisticRegression().fit(X, y)
    return model.score(X, y), model.score(data.Xtest.numpy(), data.Ytest.argmax(1).numpy())


def part1_over_seeds(data, seeds, fresh=None):
    """{"loss_train", "acc_train", "acc_test"[, "acc_fresh"]: [one value per seed]} of the notebook's
    Part-1 cell (train_part1 with the TP's values) for each seed."""
    runs = {key: [] for key in ("loss_train", "acc_train", "acc_test") + (("acc_fresh",) if fresh else ())}
    for seed in seeds:
        final, params = train_circles(1, data, seed)
        for key in ("loss_train", "acc_train", "acc_test"):
            runs[key].append(final[key])
        if fresh:
            runs["acc_fresh"].append(accuracy(predict_part1(params, fresh[0]), fresh[1]))
    return runs


def train_mnist(mnist, seed=0, hp=None):
    """The notebook's train_on_mnist with the reference's MNIST_HPARAMS (or hp): final scores."""
    nb = notebook()
    _, history = nb["train_on_mnist"](mnist, hp or nb["MNIST_HPARAMS"], seed=seed, every=0)
    return _final(history)


def validation_choice(data):
    """The notebook's choices on its validation split, as its cells make them: (split, {nh: (train acc,
    validation acc)}, chosen nh, {(eta, B): history}, chosen (eta, B), stop epoch, test accuracy)."""
    nb = notebook()
    split = nb["validation_split"](data, 50)
    hidden = {}
    for nh in nb["NH_VALUES"]:
        final, _ = train_circles(1, split, 0, nh=nh)
        hidden[nh] = (final["acc_train"], final["acc_test"])
    best = max(acc for _, acc in hidden.values())
    nh = min(n for n, (_, acc) in hidden.items() if acc >= best - 0.04)
    sweep = {(eta, B): nb["train_part1"](split, nb["NH"], eta, B, nb["EPOCHS"], seed=0, every=0)[1]
             for eta in nb["SWEEP_ETAS"] for B in nb["SWEEP_BATCH_SIZES"]}
    late = {run: nb["late_loss"](history["loss_test"]) for run, history in sweep.items()}
    lowest = min(late.values())
    eta, B = max((run for run, loss in late.items() if loss <= lowest + 0.01), key=lambda run: run[1])
    _, history = nb["train_part1"](split, nh, eta, B, nb["EPOCHS"], seed=0, every=0)
    stop = int(np.nanargmin(history["loss_test"]))
    params, _ = nb["train_part1"](split, nh, eta, B, stop, seed=0, every=0)
    return split, hidden, nh, sweep, (eta, B), stop, accuracy(predict_part1(params, data.Xtest), data.Ytest)


def handout_mismatch(data, seed=0):
    """(handout's Part 1, this notebook's Part 1, handout's Part 2) training-loss curves at seed."""
    nb = notebook()
    part1 = nb["train_part1"](data, nb["NH"], 0.03, nb["NBATCH"], nb["EPOCHS"], seed=seed, every=0,
                              gradients=nb["cheat_sheet_gradients"])[1]["loss_train"]
    mean = nb["train_part1"](data, nb["NH"], nb["ETA"], nb["NBATCH"], nb["EPOCHS"], seed=seed, every=0)[1]["loss_train"]
    part2 = nb["train_part2"](data, nb["NH"], 0.03, nb["NBATCH"], nb["EPOCHS"], seed=seed, every=0)[1]["loss_train"]
    return part1, mean, part2


def loss_comparison(data, seeds, epochs=40):
    """{loss name: (seeds, epochs + 1) array of training accuracies} of the notebook's experiment."""
    nb = notebook()
    losses = {"cross-entropy": torch.nn.CrossEntropyLoss(), "squared error": nb["squared_error"]}  # as the notebook's LOSSES
    runs = nb["loss_comparison"](data, losses, seeds, scale=10.0, epochs=epochs)
    return {name: np.array([runs[name, seed]["acc_train"] for seed in seeds]) for name in losses}


def svm_cross_validation(data):
    """The notebook's svm_cross_validation on the training set: ({(kernel name, C): accuracy}, the
    chosen (kernel name, C), the chosen SVM's test accuracy)."""
    from sklearn.base import clone

    nb = notebook()
    X, y = data.Xtrain.numpy(), data.Ytrain.argmax(1).numpy()
    results = nb["svm_cross_validation"](X, y)
    best, _ = max(results, key=lambda result: result[1])
    test = clone(best).fit(X, y).score(data.Xtest.numpy(), data.Ytest.argmax(1).numpy())
    return ({(nb["kernel_name"](svm), svm.C): acc for svm, acc in results}, (nb["kernel_name"](best), best.C), test)


def _stat(values, digits=3):
    values = np.asarray(values, dtype=float)
    return f"{values.mean():.{digits}f} [{values.min():.{digits}f}, {values.max():.{digits}f}]"


def main(seeds=10):
    torch.set_num_threads(1)
    nb = notebook()
    data = CirclesData()
    fresh = fresh_circles()
    print(f"Reference results with the notebook's own code, seeds 0..{seeds - 1} (mean [min, max])\n")
    print("| what | train accuracy | test accuracy | seconds per run |")
    print("|---|---|---|---|")
    print(f"| Circles, the ideal rule r < 0.74 | {ideal_accuracy(data.Xtrain, data.Ytrain):.3f} | "
          f"{ideal_accuracy(data.Xtest, data.Ytest):.3f} (10,000 fresh points: {ideal_accuracy(*fresh):.3f}) | |")
    print("| Circles, linear baseline (logistic regression) | {:.3f} | {:.3f} | |".format(*linear_baseline(data)))
    names = {1: "Part 1, manual backward", 2: "Part 2, autograd", 3: "Part 3, torch.nn", 4: "Part 4, torch.optim"}
    for part in (1, 2, 3, 4):
        start = time.perf_counter()
        runs = [train_circles(part, data, s)[0] for s in range(seeds)]
        seconds = (time.perf_counter() - start) / seeds
        print(f"| Circles, {names[part]} | {_stat([r['acc_train'] for r in runs])} | "
              f"{_stat([r['acc_test'] for r in runs])} | {seconds:.2f} |")
    part1 = part1_over_seeds(data, range(seeds), fresh)
    print(f"| Circles, Part 1 on 10,000 fresh points | | {_stat(part1['acc_fresh'])} | |")
    print(f"| Circles, Part 1, final training loss | {_stat(part1['loss_train'])} | | |")
    mnist = MNISTData()
    start = time.perf_counter()
    runs = [train_mnist(mnist, s) for s in range(seeds)]
    print(f"| MNIST ({mnist.source}), Part 4, {nb['MNIST_HPARAMS']} | {_stat([r['acc_train'] for r in runs])} | "
          f"{_stat([r['acc_test'] for r in runs])} | {(time.perf_counter() - start) / seeds:.2f} |")
    X, y = data.Xtrain.numpy(), data.Ytrain.argmax(1).numpy()
    from sklearn.svm import SVC
    for kernel, extra in (("linear", {}), ("rbf", {}), ("poly", {"degree": 2, "coef0": 1.0})):
        svm = SVC(kernel=kernel, C=1.0, **extra).fit(X, y)
        print(f"| SVM, {nb['kernel_name'](svm)}, C = 1 | {svm.score(X, y):.3f} | "
              f"{svm.score(data.Xtest.numpy(), data.Ytest.argmax(1).numpy()):.3f} | |")

    split, hidden, nh, sweep, (eta, B), stop, test = validation_choice(data)
    print(f"\nPart 1 on the validation split ({split.Xtrain.shape[0]} training points, {split.Xtest.shape[0]} "
          f"validation), seed 0: nh (eta {nb['ETA']}, B {nb['NBATCH']})\n")
    print("| nh | train accuracy | validation accuracy |")
    print("|---|---|---|")
    for n, (acc_train, acc_validation) in hidden.items():
        print(f"| {n} | {acc_train:.3f} | {acc_validation:.3f} |")
    print(f"\neta x B (nh {nb['NH']}), seed 0\n")
    print("| eta | B | final training loss | validation loss, last 10 epochs | validation accuracy |")
    print("|---|---|---|---|---|")
    for (e, b), history in sweep.items():
        print(f"| {e:g} | {b} | {history['loss_train'][-1]:.3f} | {nb['late_loss'](history['loss_test']):.3f} | "
              f"{history['acc_test'][-1]:.3f} |")
    print(f"\nchosen: nh = {nh}, eta = {eta:g}, B = {B}, stopped after {stop} epochs; test accuracy, once: {test:.3f}")

    print("\nThe handout's mismatch (eta = 0.03, B = 10), training loss after 10 and 100 epochs, seeds "
          f"0..{seeds - 1}\n")
    curves = [handout_mismatch(data, s) for s in range(seeds)]
    for index, label in enumerate(("handout's Part 1, gradient of the sum", "this notebook's Part 1, eta 0.3 on the mean",
                                   "handout's Part 2, autograd on the mean")):
        print(f"| {label} | {_stat([c[index][10] for c in curves])} | {_stat([c[index][100] for c in curves])} |")

    print("\nSquared error vs cross-entropy from initial weights x 10 (Part 4, eta 0.3, B 10), mean training "
          "accuracy over seeds 0..4 after 5 / 10 / 40 epochs\n")
    for name, accs in loss_comparison(data, range(5)).items():
        print(f"| {name} | {accs[:, 5].mean():.3f} | {accs[:, 10].mean():.3f} | {accs[:, 40].mean():.3f} | "
              f"first epoch at 0.85, per seed: {[int(np.argmax(a >= 0.85)) if (a >= 0.85).any() else None for a in accs]} |")

    cv, chosen, test = svm_cross_validation(data)
    print("\nSVM, 5-fold cross-validated accuracy on the training set\n")
    C_values = sorted({C for _, C in cv})
    print("| kernel | " + " | ".join(f"C = {C:g}" for C in C_values) + " |")
    print("|---|" + "---|" * len(C_values))
    for kernel in dict.fromkeys(k for k, _ in cv):
        print(f"| {kernel} | " + " | ".join(f"**{cv[kernel, C]:.3f}**" if (kernel, C) == chosen else f"{cv[kernel, C]:.3f}"
                                            for C in C_values) + " |")
    print(f"\nchosen: {chosen[0]}, C = {chosen[1]:g}; its test accuracy: {test:.3f}")


if __name__ == "__main__":
    main()
