"""Questions judged by accuracy: the student's functions trained together, tested on data the
student never saw (a Circles test set drawn at grading time, MNIST digits held out of training)."""
import numpy as np

from ..data import circles_train, hidden_circles, mnist_split
from .common import Verdict

CIRCLES_HPARAMS = {"nh": 10, "eta": 0.3, "batch_size": 10, "epochs": 100}
# Up to CIRCLES_RUNS training runs from different seeds (initialisation, batch order); the best counts.
# About 1 run in 10 of even the reference settles in a poor optimum (training accuracy 0.84, hidden
# 0.82), so a single run would make luck part of the grade. A run whose training accuracy reaches
# CIRCLES_ENOUGH_TRAIN_ACCURACY is not a poor one: the grader stops there (1.1 runs on average for the
# reference, instead of 3), and the reference's worst seed scores what the best of 3 gives it
# (benchmarks/calibrate_thresholds.py recommends the value). A run at about chance level (training
# accuracy CIRCLES_HOPELESS_TRAIN_ACCURACY or less; chance is 0.5) is not bad luck but functions that
# do not learn: the grader stops there too. No run of the reference, of a valid variant or of a
# mistake graded elsewhere falls that low (the lowest: 0.715, summed gradients); the calibration
# checks it.
CIRCLES_RUNS = 3
CIRCLES_ENOUGH_TRAIN_ACCURACY = 0.89
CIRCLES_HOPELESS_TRAIN_ACCURACY = 0.6
HPARAM_KEYS = ("nh", "eta", "batch_size", "epochs")
# The CPU cost of one MNIST epoch, measured on the reference (torch, one thread): seconds per
# sample x input x hidden unit, and per optimizer step (so tiny batches count too). A little above
# what was measured: the budget must refuse what would run into the probe's time limit.
MNIST_COST = {"per_weight": 8e-11, "per_step": 3.5e-4}
MNIST_MAX_SECONDS = 20.0  # the estimated training time allowed; the reference needs about 1 s
MNIST_TRAIN_SIZE, MNIST_INPUTS = 4000, 784


def mnist_seconds(n, nx, nh, batch_size, epochs, cost=MNIST_COST):
    """The estimated CPU seconds of training on MNIST (the probe computes the same estimate)."""
    steps = -(-n // max(1, batch_size))
    return epochs * (n * nx * nh * cost["per_weight"] + steps * cost["per_step"])


def _grid():
    ticks = np.arange(-2.0, 2.0, 0.1)
    x1, x2 = np.meshgrid(ticks, ticks)
    return np.stack([x1.ravel(), x2.ravel()], axis=1).astype(np.float32)


def _accuracy_verdict(v, what, acc, thresholds):
    full, half = thresholds["full"], thresholds["half"]
    if acc >= full:
        v.add(what, 1, True)
    else:
        v.add(what, 1, False, f"{what}: {acc:.3f}, below the {full:.2f} needed for full points"
              + (" (half points from %.2f)" % half if acc >= half else f"; {half:.2f} gives half points"))
        if acc >= half:
            v.credit_override = 0.5
    return v


def circles_accuracy_inputs(seed):
    Xtrain, Ytrain = circles_train()
    Xhidden, _ = hidden_circles(seed)
    return ({"Xtrain": Xtrain, "Ytrain": Ytrain, "Xhidden": Xhidden, "Xgrid": _grid()},
            dict(CIRCLES_HPARAMS, seed=seed, runs=CIRCLES_RUNS, enough_train_accuracy=CIRCLES_ENOUGH_TRAIN_ACCURACY,
                 hopeless_train_accuracy=CIRCLES_HOPELESS_TRAIN_ACCURACY))


def circles_runs_done(meta, params):
    """How many training runs the probe made: it stops early after a run that fits the training set,
    or one at chance level.
    A forged count only costs its author runs (a missing run's predictions fail the question)."""
    done = meta.get("runs_done")
    if isinstance(done, int) and not isinstance(done, bool):
        return min(max(done, 1), params["runs"])
    return params["runs"]


def circles_run_accuracies(out, labels, runs):
    """The accuracy of each training run on the hidden set: None for a run whose predictions have the
    wrong shape, 0 for a run that diverged (NaN or inf)."""
    accuracies = []
    for run in range(runs):
        Yhat = out.get(f"run{run}.Yhat_hidden")
        if Yhat is None or Yhat.shape != (len(labels), 2):
            accuracies.append(None)
        elif not np.all(np.isfinite(Yhat)):
            accuracies.append(0.0)
        else:
            accuracies.append(float((Yhat.argmax(1) == labels).mean()))
    return accuracies


def judge_circles_accuracy(arrays_in, params, out, meta, thresholds):
    v = Verdict()
    _, labels = hidden_circles(params["seed"])
    runs = circles_runs_done(meta, params)
    accuracies = circles_run_accuracies(out, labels, runs)
    what = "accuracy on a hidden Circles test set"
    if any(a is None for a in accuracies):
        v.add(what, 1, False, f"the trained network's forward did not return a ({len(labels)}, 2) tensor on the "
              "hidden test set")
        return v
    best = int(np.argmax(accuracies))
    acc = accuracies[best]
    if acc == 0.0 and not np.all(np.isfinite(out[f"run{best}.Yhat_hidden"])):
        v.add(what, 1, False, "training diverged: the outputs on the hidden test set contain NaN or inf")
        return v
    v.figures = {"train_loss": out.get(f"run{best}.train_loss"), "Yhat_grid": out.get(f"run{best}.Yhat_grid"),
                 "accuracy": acc}
    trained = (f"The grader trained your Part-1 functions ({params['epochs']} epochs, batches of "
               f"{params['batch_size']}, eta = {params['eta']}, nh = {params['nh']})")
    if runs == 1:
        train = meta.get("run0.train_accuracy")
        trained += (f": accuracy {acc:.3f} on a hidden Circles test set of {len(labels)} points"
                    + (f" (training accuracy {train:.3f})." if isinstance(train, float) else "."))
        if isinstance(train, float) and train <= params["hopeless_train_accuracy"] and params["runs"] > 1:
            trained += (f" A training accuracy of {params['hopeless_train_accuracy']:.2f} or less is about chance "
                        "(0.5): the functions do not learn, so the grader did not train them again.")
    else:
        train = [meta.get(f"run{run}.train_accuracy") for run in range(runs)]
        trained += (f" {runs} times from different seeds, as a run below {params['enough_train_accuracy']:.2f} "
                    f"training accuracy may be an unlucky start, and kept the best run: accuracy {acc:.3f} on a "
                    f"hidden Circles test set of {len(labels)} points (the runs, hidden / training: "
                    + ", ".join(f"{a:.3f} / {t:.3f}" if isinstance(t, float) else f"{a:.3f}"
                                for a, t in zip(accuracies, train)) + ").")
    v.notes.append(trained)
    return _accuracy_verdict(v, what, acc, thresholds)


def mnist_hparams_inputs(seed):
    return {}, {}


def _valid_hparams(meta):
    """(hparams, problem): the student's MNIST_HPARAMS as numbers, or what is wrong with them."""
    if meta.get("type") != "dict":
        return None, f"MNIST_HPARAMS must be a dict, it is a {meta.get('type', 'missing')}"
    values = meta.get("values", {})
    missing = [k for k in HPARAM_KEYS if k not in values]
    if missing:
        return None, f"MNIST_HPARAMS has no {', '.join(repr(k) for k in missing)}"
    if not all(isinstance(values[k], float) for k in HPARAM_KEYS):
        return None, "every value of MNIST_HPARAMS must be a number"
    hp = {k: values[k] for k in HPARAM_KEYS}
    for k in ("nh", "batch_size", "epochs"):
        if hp[k] != int(hp[k]) or hp[k] < 1:
            return None, f"MNIST_HPARAMS[{k!r}] must be a positive integer, it is {hp[k]:g}"
    if not 0 < hp["eta"] < 100:
        return None, f"MNIST_HPARAMS['eta'] must be a positive learning rate, it is {hp['eta']:g}"
    seconds = mnist_seconds(MNIST_TRAIN_SIZE, MNIST_INPUTS, hp["nh"], hp["batch_size"], hp["epochs"])
    if seconds > MNIST_MAX_SECONDS:
        return None, (f"nh = {hp['nh']:g}, batch_size = {hp['batch_size']:g} and {hp['epochs']:g} epochs need "
                      f"about {seconds:.0f} s of CPU, more than the grader's budget of {MNIST_MAX_SECONDS:.0f} s "
                      "for MNIST (the TP's nh = 100, batches of 32, 15 epochs need about 1 s)")
    return hp, ""


def judge_mnist_hparams(arrays_in, params, out, meta):
    v = Verdict()
    hp, problem = _valid_hparams(meta)
    if not v.add("a dict of nh, eta, batch_size, epochs with valid values", 1, hp is not None, problem):
        if "CPU" in problem:
            v.diagnose("mnist_over_budget")
    return v


def mnist_accuracy_inputs(seed):
    Xtrain, ytrain, Xtest, _ = mnist_split()
    return ({"Xtrain": Xtrain, "ytrain": ytrain, "Xhidden": Xtest},
            {"seed": seed, "max_seconds": MNIST_MAX_SECONDS, "cost": MNIST_COST})


def judge_mnist_accuracy(arrays_in, params, out, meta, thresholds):
    v = Verdict()
    *_, ytest = mnist_split()
    if meta.get("over_budget"):
        v.add("accuracy on held-out MNIST digits", 1, False,
              f"not trained: MNIST_HPARAMS need about {meta.get('estimated_seconds', 0):.0f} s of CPU, more than "
              f"the grader's budget of {params['max_seconds']:.0f} s (see MNIST_HPARAMS)")
        return v
    predictions = out.get("predictions")
    if predictions is None or predictions.shape != ytest.shape:
        v.add("accuracy on held-out MNIST digits", 1, False,
              "the model trained with MNIST_HPARAMS did not give one prediction per held-out digit")
        return v
    acc = float((predictions == ytest).mean())
    v.figures = {"train_loss": out.get("train_loss"), "accuracy": acc}
    v.notes.append(f"The grader trained your Part-4 functions with your MNIST_HPARAMS: accuracy {acc:.3f} "
                   f"on {len(ytest)} held-out digits.")
    _accuracy_verdict(v, "accuracy on held-out MNIST digits", acc, thresholds)
    losses = out.get("train_loss")
    if v.fraction < 1 and losses is not None and len(losses):
        if not np.all(np.isfinite(losses)) or losses[-1] > 2 * np.log(10):  # worse than guessing uniformly
            v.diagnose("mnist_diverged")
        elif losses[-1] > 0.9 * losses[0]:
            v.notes.append(f"The training loss hardly decreased (first epoch {losses[0]:.3f}, last {losses[-1]:.3f}): "
                           "does the optimizer step the parameters of the model that is trained?")
    return v


def fit_svm_inputs(seed):
    Xtrain, Ytrain = circles_train()
    Xhidden, _ = hidden_circles(seed)
    return {"Xtrain": Xtrain, "ytrain": Ytrain.argmax(1), "Xhidden": Xhidden, "Xgrid": _grid()}, {"seed": seed}


def judge_fit_svm(arrays_in, params, out, meta, thresholds):
    v = Verdict()
    _, labels = hidden_circles(params["seed"])
    predictions = out.get("predictions")
    if predictions is None or predictions.reshape(-1).shape != labels.shape:
        v.add("accuracy on a hidden Circles test set", 1, False,
              f"the classifier returned by fit_svm ({meta.get('classifier', 'nothing')}) did not predict one "
              "label per test point")
        return v
    acc = float((predictions.reshape(-1) == labels).mean())
    v.figures = {"grid_predictions": out.get("grid_predictions"), "accuracy": acc}
    _accuracy_verdict(v, "accuracy on a hidden Circles test set", acc, thresholds)
    if v.fraction < 1:
        if meta.get("kernel") == "linear":
            v.diagnose("svm_linear_kernel")
        elif meta.get("kernel") == "poly" and meta.get("degree", 0) % 2 == 1 and meta.get("coef0", 0) == 0:
            v.diagnose("svm_poly_odd_degree")
    return v
