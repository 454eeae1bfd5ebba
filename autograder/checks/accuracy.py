"""Questions judged by accuracy: the student's functions trained together, tested on data the
student never saw (a Circles test set drawn at grading time, MNIST digits held out of training)."""
import numpy as np

from ..data import circles_train, hidden_circles, mnist_split
from .common import Verdict, as_scalar

CIRCLES_HPARAMS = {"nh": 10, "eta": 0.3, "batch_size": 10, "epochs": 100}
HPARAM_KEYS = ("nh", "eta", "batch_size", "epochs")
MAX_MNIST_WORK = 4000 * 784 * 3000 * 40  # samples x inputs x hidden units x epochs: ~1 min of CPU


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
            dict(CIRCLES_HPARAMS, seed=seed))


def judge_circles_accuracy(arrays_in, params, out, meta, thresholds):
    v = Verdict()
    _, labels = hidden_circles(params["seed"])
    Yhat = out.get("Yhat_hidden")
    if Yhat is None or Yhat.shape != (len(labels), 2):
        v.add("accuracy on a hidden Circles test set", 1, False,
              "the trained network's forward did not return a (200, 2) tensor on the hidden test set")
        return v
    if not np.all(np.isfinite(Yhat)):
        v.add("accuracy on a hidden Circles test set", 1, False,
              "training diverged: the outputs on the hidden test set contain NaN or inf")
        return v
    acc = float((Yhat.argmax(1) == labels).mean())
    v.figures = {"train_loss": out.get("train_loss"), "Yhat_grid": out.get("Yhat_grid"), "accuracy": acc}
    v.notes.append(f"The grader trained your Part-1 functions ({params['epochs']} epochs, batches of "
                   f"{params['batch_size']}, eta = {params['eta']}, nh = {params['nh']}): accuracy "
                   f"{acc:.3f} on a hidden Circles test set of {len(labels)} points.")
    return _accuracy_verdict(v, "accuracy on a hidden Circles test set", acc, thresholds)


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
    if 4000 * 784 * hp["nh"] * hp["epochs"] > MAX_MNIST_WORK:
        return None, (f"nh = {hp['nh']:g} with {hp['epochs']:g} epochs needs more than the grader's CPU "
                      "budget for MNIST; choose fewer hidden units or epochs")
    return hp, ""


def judge_mnist_hparams(arrays_in, params, out, meta):
    v = Verdict()
    hp, problem = _valid_hparams(meta)
    v.add("a dict of nh, eta, batch_size, epochs with valid values", 1, hp is not None, problem)
    return v


def mnist_accuracy_inputs(seed):
    Xtrain, ytrain, Xtest, _ = mnist_split()
    return {"Xtrain": Xtrain, "ytrain": ytrain, "Xhidden": Xtest}, {"seed": seed}


def judge_mnist_accuracy(arrays_in, params, out, meta, thresholds):
    v = Verdict()
    *_, ytest = mnist_split()
    predictions = out.get("predictions")
    if predictions is None or predictions.shape != ytest.shape:
        v.add("accuracy on held-out MNIST digits", 1, False,
              "the model trained with MNIST_HPARAMS did not give one prediction per held-out digit")
        return v
    acc = float((predictions == ytest).mean())
    v.figures = {"train_loss": out.get("train_loss"), "accuracy": acc}
    v.notes.append(f"The grader trained your Part-4 functions with your MNIST_HPARAMS: accuracy {acc:.3f} "
                   f"on {len(ytest)} held-out digits.")
    return _accuracy_verdict(v, "accuracy on held-out MNIST digits", acc, thresholds)


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
    if meta.get("kernel") == "linear":
        v.diagnose("svm_linear_kernel")
    v.figures = {"grid_predictions": out.get("grid_predictions"), "accuracy": acc}
    return _accuracy_verdict(v, "accuracy on a hidden Circles test set", acc, thresholds)
