"""Questions judged by accuracy: the student's functions trained together, the accuracy measured
here, in the grader's process, on data that never enters the sandbox.

The sandbox reports what the student's functions produced (the trained parameters, the fitted SVM's
support vectors); whatever it could say about predictions is not asked for. The grader computes the
predictions itself with the contract's network (or the SVM's decision function) on a Circles test
set drawn at grading time and on MNIST digits the release never loads.
"""
import numpy as np

from ..config import CONTRACT
from ..data import circles_train, hidden_circles, mnist_split
from .common import Rubric, Verdict

CIRCLES_HPARAMS = {"nh": 10, "eta": 0.3, "batch_size": 10, "epochs": 100}
# Up to CIRCLES_RUNS training runs from different seeds (initialisation, batch order); the best counts.
# About 1 run in 10 of even the reference settles in a poor optimum (training accuracy 0.84, hidden
# 0.82), so a single run would make luck part of the grade. A run whose training accuracy reaches
# CIRCLES_ENOUGH_TRAIN_ACCURACY is not a poor one: the grader stops there (1.1 runs on average for the
# reference, instead of 3), and the reference's worst seed scores what the best of 3 gives it
# (benchmarks/calibrate_thresholds.py recommends the value). A run at about chance level (training
# accuracy CIRCLES_HOPELESS_TRAIN_ACCURACY or less; chance is 0.5) is not bad luck but functions that
# do not learn: the grader stops there too.
CIRCLES_RUNS = 3
CIRCLES_ENOUGH_TRAIN_ACCURACY = 0.89
CIRCLES_HOPELESS_TRAIN_ACCURACY = 0.6
CIRCLES_INIT_STD = 0.3  # the contract's law: weights N(0, 0.3^2), biases zero
# MNIST_HPARAMS' keys, and the grader's MNIST training: its digits, its cost model and its CPU budget
# (the contract's: the probe and the public check estimate with the same model).
HPARAM_KEYS = CONTRACT.HPARAM_KEYS
MNIST_COST, MNIST_MAX_SECONDS, mnist_seconds = CONTRACT.MNIST_COST, CONTRACT.MNIST_MAX_SECONDS, CONTRACT.mnist_seconds
# A training loss still above this after the last epoch: the network did not fit even its training
# digits, it underfits (the TP's hyper-parameters end near 0.05; guessing uniformly gives log 10 = 2.3).
# The public check reads it from the release's grading.json.
MNIST_UNDERFIT_LOSS = 0.5
MNIST_TRAIN_SIZE, MNIST_INPUTS, MNIST_PROBE_DIGITS = CONTRACT.MNIST_TRAIN_SIZE, CONTRACT.MNIST_INPUTS, 64


def grid():
    """The 40 x 40 grid of [-2, 2)^2 the feedback's decision boundaries are drawn on, (1600, 2)."""
    ticks = np.arange(-2.0, 2.0, 0.1)
    x1, x2 = np.meshgrid(ticks, ticks)
    return np.stack([x1.ravel(), x2.ravel()], axis=1)


CIRCLES_RUBRIC = Rubric({"accuracy on a hidden Circles test set": 1})
MNIST_RUBRIC = Rubric({"accuracy on held-out MNIST digits": 1})
SVM_RUBRIC = Rubric({"accuracy on a hidden Circles test set": 1})
HPARAMS_RUBRIC = Rubric({"a dict of nh, eta, batch_size, epochs with valid values": 1})


def _accuracy_verdict(v, what, acc, thresholds):
    """Full points at or above thresholds.full, half at or above thresholds.half."""
    full, half = thresholds.full, thresholds.half
    if acc >= full:
        v.add(what, True)
    else:
        v.add(what, False, f"{what}: {acc:.3f}, below the {full:.2f} needed for full points"
              + (" (half points from %.2f)" % half if acc >= half else f"; {half:.2f} gives half points"))
        if acc >= half:
            v.credit_override = 0.5
            v.credit_reason = f"an accuracy between {half:.2f} and {full:.2f} earns half the points"
    return v


def finite_array(out, key, shape=None, max_size=10**7):
    """The recorded float64 array at key, if it is one of the expected shape, finite; else None."""
    a = out.get(key)
    if not isinstance(a, np.ndarray) or a.size > max_size or (shape is not None and a.shape != tuple(shape)):
        return None
    a = a.astype(np.float64)
    return a if np.all(np.isfinite(a)) else None


# --- Circles: the Part-1 functions trained by the grader --------------------------------------

def mlp_logits(P, X):
    """The contract's network in float64: tanh(X Wh^T + bh) Wy^T + by; X (N, nx) -> (N, ny)."""
    with np.errstate(all="ignore"):
        return CONTRACT.network_logits(P, X, np.tanh)


def mean_cross_entropy(logits, labels):
    shifted = logits - logits.max(1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(1, keepdims=True))
    return float(-log_probs[np.arange(len(labels)), labels].mean())


def circles_accuracy_inputs(seed):
    """The public training set and, for each run, the grader's initial parameters (the contract's law)."""
    Xtrain, Ytrain = circles_train()
    arrays = {"Xtrain": Xtrain, "Ytrain": Ytrain}
    nh, nx, ny = CIRCLES_HPARAMS["nh"], Xtrain.shape[1], Ytrain.shape[1]
    rng = np.random.default_rng(seed)
    for run in range(CIRCLES_RUNS):
        arrays.update({f"run{run}.Wh": (CIRCLES_INIT_STD * rng.standard_normal((nh, nx))).astype(np.float32),
                       f"run{run}.bh": np.zeros((1, nh), np.float32),
                       f"run{run}.Wy": (CIRCLES_INIT_STD * rng.standard_normal((ny, nh))).astype(np.float32),
                       f"run{run}.by": np.zeros((1, ny), np.float32)})
    return arrays, dict(CIRCLES_HPARAMS, seed=seed, runs=CIRCLES_RUNS, enough_train_accuracy=CIRCLES_ENOUGH_TRAIN_ACCURACY,
                        hopeless_train_accuracy=CIRCLES_HOPELESS_TRAIN_ACCURACY)


def circles_runs(arrays_in, params, out, meta):
    """Each training run the sandbox reported: its parameters after every epoch, validated, and what
    the grader measures from them. A run is complete when it went through every epoch."""
    Xtrain, Ytrain = arrays_in["Xtrain"].astype(np.float64), arrays_in["Ytrain"]
    labels_train = Ytrain.argmax(1)
    Xhidden, labels = hidden_circles(params["seed"])
    runs = []
    for run in range(params["runs"]):
        shapes = {n: arrays_in[f"run{run}.{n}"].shape for n in CONTRACT.PARAM_NAMES}
        raw = {n: out.get(f"run{run}.{n}") for n in shapes}
        error = meta.get(f"run{run}.error")
        epochs = raw["Wh"].shape[0] if isinstance(raw["Wh"], np.ndarray) and raw["Wh"].ndim == 3 else 0
        valid = epochs and all(isinstance(a, np.ndarray) and a.shape == (epochs, *shapes[n]) for n, a in raw.items())
        if not valid:
            if error or run == 0:
                runs.append({"error": error if isinstance(error, str) else "no parameters were reported",
                             "complete": False})
            break
        trajectory = {n: a.astype(np.float64) for n, a in raw.items()}
        final = {n: a[-1] for n, a in trajectory.items()}
        hidden_logits, train_logits = mlp_logits(final, Xhidden), mlp_logits(final, Xtrain)
        finite = bool(np.all(np.isfinite(hidden_logits)) and np.all(np.isfinite(train_logits)))
        losses = []
        for e in range(epochs):
            logits = mlp_logits({n: a[e] for n, a in trajectory.items()}, Xtrain)
            losses.append(mean_cross_entropy(logits, labels_train) if np.all(np.isfinite(logits)) else np.nan)
        runs.append({"complete": epochs == params["epochs"] and not error, "error": error, "finite": finite,
                     "accuracy": float((hidden_logits.argmax(1) == labels).mean()) if finite else 0.0,
                     "train_accuracy": float((train_logits.argmax(1) == labels_train).mean()) if finite else 0.0,
                     "final": final, "train_loss": np.array(losses)})
        if not runs[-1]["complete"]:
            break
    return runs, len(labels)


def judge_circles_accuracy(arrays_in, params, out, meta, thresholds):
    v = Verdict(CIRCLES_RUBRIC)
    what = "accuracy on a hidden Circles test set"
    runs, n_hidden = circles_runs(arrays_in, params, out, meta)
    complete = [r for r in runs if r["complete"]]
    if not complete:
        failed = runs[-1] if runs else {"error": "no parameters were reported"}
        v.add(what, False, "the grader could not train your Part-1 functions: "
              + (failed.get("error") or "the training stopped before its last epoch"))
        if failed.get("error") and failed["error"] != "no parameters were reported":
            v.state = "raised"
        return v
    best = max(complete, key=lambda r: r["accuracy"])
    acc = best["accuracy"]
    if not best["finite"]:
        v.add(what, False, "training diverged: the trained network's outputs contain NaN or inf")
        return v
    v.figures = {"train_loss": best["train_loss"], "Yhat_grid": mlp_logits(best["final"], grid()),
                 "accuracy": acc}
    trained = (f"The grader trained your forward, backward and sgd ({params['epochs']} epochs, batches of "
               f"{params['batch_size']}, eta = {params['eta']}, nh = {params['nh']}, from its own initial "
               "parameters) and measured the trained network itself")
    if len(complete) == 1:
        trained += (f": accuracy {acc:.3f} on a hidden Circles test set of {n_hidden} points (training "
                    f"accuracy {best['train_accuracy']:.3f}).")
        if best["train_accuracy"] <= params["hopeless_train_accuracy"] and params["runs"] > 1:
            trained += (f" A training accuracy of {params['hopeless_train_accuracy']:.2f} or less is about chance "
                        "(0.5): the functions do not learn, so the grader did not train them again.")
    else:
        trained += (f" {len(complete)} times from different seeds, as a run below "
                    f"{params['enough_train_accuracy']:.2f} training accuracy may be an unlucky start, and kept the "
                    f"best run: accuracy {acc:.3f} on a hidden Circles test set of {n_hidden} points (the runs, "
                    "hidden / training: " + ", ".join(f"{r['accuracy']:.3f} / {r['train_accuracy']:.3f}"
                                                      for r in complete) + ").")
    v.notes.append(trained)
    return _accuracy_verdict(v, what, acc, thresholds)


# --- MNIST: the Part-4 functions trained with the student's MNIST_HPARAMS -----------------------

def mnist_hparams_inputs(seed):
    return {}, {}


def valid_hparams(values):
    """(hparams, problem): MNIST_HPARAMS as numbers, or what is wrong with them."""
    if not isinstance(values, dict):
        return None, "MNIST_HPARAMS must be a dict"
    missing = [k for k in HPARAM_KEYS if k not in values]
    if missing:
        return None, f"MNIST_HPARAMS has no {', '.join(repr(k) for k in missing)}"
    if not all(isinstance(values[k], (int, float)) and not isinstance(values[k], bool)
               and np.isfinite(values[k]) for k in HPARAM_KEYS):
        return None, "every value of MNIST_HPARAMS must be a number"
    hp = {k: float(values[k]) for k in HPARAM_KEYS}
    for k in ("nh", "batch_size", "epochs"):
        if hp[k] != int(hp[k]) or hp[k] < 1:
            return None, f"MNIST_HPARAMS[{k!r}] must be a positive integer, it is {hp[k]:g}"
    if not 0 < hp["eta"] < 100:
        return None, f"MNIST_HPARAMS['eta'] must be a positive learning rate, it is {hp['eta']:g}"
    seconds = mnist_seconds(MNIST_TRAIN_SIZE, MNIST_INPUTS, hp["nh"], hp["batch_size"], hp["epochs"])
    if seconds > MNIST_MAX_SECONDS:
        return None, (f"nh = {hp['nh']:g}, batch_size = {hp['batch_size']:g} and {hp['epochs']:g} epochs need "
                      f"about {seconds:.0f} s of CPU, more than the grader's budget of {MNIST_MAX_SECONDS:.0f} s "
                      "for MNIST (the kit's reference choice, nh = 100, batches of 32 and 15 epochs, needs about 1 s)")
    return hp, ""


def judge_mnist_hparams(arrays_in, params, out, meta):
    v = Verdict(HPARAMS_RUBRIC)
    hp, problem = (valid_hparams(meta.get("values")) if meta.get("type") == "dict"
                   else (None, f"MNIST_HPARAMS must be a dict, it is a {meta.get('type', 'missing')}"))
    if not v.add("a dict of nh, eta, batch_size, epochs with valid values", hp is not None, problem):
        if "CPU" in problem:
            v.diagnose("mnist_over_budget")
    return v


def mnist_accuracy_inputs(seed):
    Xtrain, ytrain, _, _ = mnist_split()
    probe = np.random.default_rng(seed).choice(len(Xtrain), MNIST_PROBE_DIGITS, replace=False)
    return ({"Xtrain": Xtrain, "ytrain": ytrain, "Xprobe": Xtrain[probe]},
            {"seed": seed, "max_seconds": MNIST_MAX_SECONDS, "cost": MNIST_COST})


def _softmax(z):
    e = np.exp(z - z.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True)


ACTIVATIONS = {"tanh": np.tanh, "sigmoid": lambda z: 1 / (1 + np.exp(-z)), "relu": lambda z: np.maximum(z, 0),
               "identity": lambda z: z}
OUTPUTS = {"logits": lambda z: z, "softmax": _softmax, "log_softmax": lambda z: np.log(np.maximum(_softmax(z), 1e-300))}


def how_the_model_computes(W1, b1, W2, b2, X, logits):
    """(activation, output) among ACTIVATIONS x OUTPUTS for which W2 act(X W1^T + b1) + b2, then output,
    gives the model's own logits on X; None when none does."""
    best, best_error = None, 1e-4
    with np.errstate(all="ignore"):
        for act_name, act in ACTIVATIONS.items():
            z = act(X @ W1.T + b1) @ W2.T + b2
            for out_name, out in OUTPUTS.items():
                y = out(z)
                scale = max(1e-6, float(np.abs(logits).max()))
                error = float(np.abs(y - logits).max()) / scale
                if np.isfinite(error) and error < best_error:
                    best, best_error = (act_name, out_name), error
    return best


def judge_mnist_accuracy(arrays_in, params, out, meta, thresholds):
    v = Verdict(MNIST_RUBRIC)
    what = "accuracy on held-out MNIST digits"
    *_, Xheld, yheld = mnist_split()
    hp, problem = valid_hparams(meta.get("hparams"))
    if meta.get("over_budget") or (hp is None and "CPU" in problem):
        v.add(what, False, f"not trained: {problem or 'MNIST_HPARAMS are over the CPU budget'} (see MNIST_HPARAMS)")
        return v
    if hp is None:
        v.add(what, False, f"not trained: {problem}")
        return v
    nh = int(hp["nh"])
    shapes = [(nh, MNIST_INPUTS), (nh,), (10, nh), (10,)]
    weights = [finite_array(out, f"param{i}", shape) for i, shape in enumerate(shapes)]
    losses = finite_array(out, "train_loss", (int(hp["epochs"]),)) if "train_loss" in out else None
    if not meta.get("contract_parameters"):
        v.add(what, False, f"the model of init_model_optim does not have the parameters of Linear(784, {nh}) -> "
              f"Linear({nh}, 10) (their shapes, in that order): the grader cannot measure it")
        return v
    if any(w is None for w in weights):
        v.add(what, False, "training diverged: the trained weights contain NaN or inf" if all(
            f"param{i}" in out for i in range(4)) else "the trained weights were not reported")
        if losses is None and "train_loss" in out:
            v.diagnose("mnist_diverged")
        return v
    W1, b1, W2, b2 = weights
    logits = finite_array(out, "probe_logits", (MNIST_PROBE_DIGITS, 10))
    computes = how_the_model_computes(W1, b1, W2, b2, arrays_in["Xprobe"].astype(np.float64), logits) \
        if logits is not None else None
    activation = ACTIVATIONS[computes[0]] if computes else np.tanh
    with np.errstate(all="ignore"):
        scores = activation(Xheld.astype(np.float64) @ W1.T + b1) @ W2.T + b2
    acc = float((scores.argmax(1) == yheld).mean()) if np.all(np.isfinite(scores)) else 0.0
    v.figures = {"train_loss": losses, "accuracy": acc}
    v.notes.append(f"The grader trained your Part-4 model and loss with your MNIST_HPARAMS, stepping the weights "
                   f"itself by plain SGD (p - eta * grad, the contract; your optimizer is judged on init_model_optim), "
                   f"and measured the trained network itself: accuracy {acc:.3f} on {len(yheld)} held-out digits (digits the release never "
                   "loads)." + ("" if computes else " Your model's outputs are not Linear -> activation -> Linear of "
                                 "its own parameters: the grader measured the TP's network (tanh) with them."))
    _accuracy_verdict(v, what, acc, thresholds)
    raw_losses = out.get("train_loss")
    if v.fraction < 1 and isinstance(raw_losses, np.ndarray) and raw_losses.ndim == 1 and len(raw_losses):
        if not np.all(np.isfinite(raw_losses)) or raw_losses[-1] > 2 * np.log(10):  # worse than guessing uniformly
            v.diagnose("mnist_diverged")
        elif len(raw_losses) > 1 and np.ptp(raw_losses) <= 1e-6 * abs(raw_losses[0]):
            v.notes.append(f"The training loss did not change from one epoch to the next ({raw_losses[0]:.3f}): the "
                           "model's parameters did not move. The grader's SGD steps them along their gradients, and "
                           "none reached them: is the loss computed from the model's output, without .detach() or "
                           "a copy?")
        elif raw_losses[-1] > MNIST_UNDERFIT_LOSS:
            v.diagnose("mnist_underfit")
            v.notes.append(f"The training loss went from {raw_losses[0]:.3f} (first epoch) to {raw_losses[-1]:.3f} "
                           f"(last) with nh = {nh}, eta = {hp['eta']:g}, batches of {int(hp['batch_size'])}, "
                           f"{int(hp['epochs'])} epochs. If init_model_optim and loss_accuracy_nn passed their own "
                           "checks, these hyper-parameters are the cause.")
    return v


# --- SVM: the fitted classifier, evaluated here ------------------------------------------------

SVM_KERNELS = ("linear", "rbf", "poly", "sigmoid")
MAX_SUPPORT_VECTORS = CONTRACT.MAX_SUPPORT_VECTORS  # the largest SVM the probe records
MAX_POLY_TERMS = 100


def fit_svm_inputs(seed):
    Xtrain, Ytrain = circles_train()
    return {"Xtrain": Xtrain, "ytrain": Ytrain.argmax(1)}, {"seed": seed}


def _preprocess(out, meta):
    """The scaling / feature steps before the SVM, as functions of X, from validated numbers; or a
    problem."""
    steps, dim = [], 2
    for i, kind in enumerate((meta.get("steps") or [])[:-1]):
        if kind in ("StandardScaler", "MinMaxScaler", "MaxAbsScaler", "RobustScaler"):
            scale = finite_array(out, f"pre{i}.scale", (dim,))
            shift = finite_array(out, f"pre{i}.shift", (dim,)) if kind != "MaxAbsScaler" else np.zeros(dim)
            if scale is None or shift is None or (kind != "MinMaxScaler" and np.any(scale == 0)):
                return None, dim, f"the {kind} before the SVM holds no valid numbers"
            if kind == "MinMaxScaler":
                steps.append(lambda X, s=scale, m=shift: X * s + m)
            else:
                steps.append(lambda X, s=scale, m=shift: (X - m) / s)
        elif kind == "PolynomialFeatures":
            powers = out.get(f"pre{i}.powers")
            if (not isinstance(powers, np.ndarray) or powers.ndim != 2 or powers.shape[1] != dim
                    or powers.shape[0] > MAX_POLY_TERMS or powers.dtype.kind not in "iu" or powers.min() < 0
                    or powers.max() > 10):
                return None, dim, "the PolynomialFeatures before the SVM holds no valid powers"
            steps.append(lambda X, p=powers.astype(np.int64): np.prod(X[:, None, :] ** p[None], axis=2))
            dim = powers.shape[0]
        else:
            return None, dim, f"the grader cannot evaluate a {kind} before the SVM"
    return steps, dim, ""


def svm_decision(out, meta, X):
    """(decision values for X, problem): the SVM's decision function computed here from the support
    vectors, dual coefficients, intercept and kernel the sandbox reported (validated)."""
    steps, dim, problem = _preprocess(out, meta)
    if problem:
        return None, problem
    kernel = meta.get("kernel")
    intercept = finite_array(out, "intercept", (1,))
    Z = np.asarray(X, dtype=np.float64)
    with np.errstate(all="ignore"):
        for step in steps:
            Z = step(Z)
        if kernel == "linear-model":
            coef = finite_array(out, "coef", (1, dim))
            if coef is None or intercept is None:
                return None, "the linear classifier holds no valid coefficients"
            return Z @ coef[0] + intercept[0], ""
        if kernel not in SVM_KERNELS:
            return None, (f"fit_svm returned a {meta.get('classifier', 'nothing')}"
                          + (f" with a {kernel} kernel" if kernel else "")
                          + ": the grader evaluates scikit-learn SVMs itself (SVC or NuSVC with a linear, rbf, poly "
                            "or sigmoid kernel, LinearSVC; possibly in a Pipeline after a scaler, or the best "
                            "estimator of a GridSearchCV)")
        sv = out.get("support_vectors")
        if not isinstance(sv, np.ndarray) or sv.ndim != 2 or sv.shape[1] != dim or not 0 < sv.shape[0] <= MAX_SUPPORT_VECTORS:
            return None, "the SVM holds no valid support vectors"
        sv = finite_array(out, "support_vectors", sv.shape)
        dual = finite_array(out, "dual_coef", (1, sv.shape[0]) if sv is not None else None)
        gamma, degree, coef0 = meta.get("gamma"), meta.get("degree", 3.0), meta.get("coef0", 0.0)
        numbers_ok = all(isinstance(x, (int, float)) and np.isfinite(x) for x in (gamma, degree, coef0)) \
            if kernel != "linear" else True
        if sv is None or dual is None or intercept is None or not numbers_ok or (
                kernel == "poly" and not (float(degree).is_integer() and 0 <= degree <= 10)):
            return None, "the SVM's support vectors, coefficients or kernel parameters are not valid numbers"
        dot = Z @ sv.T
        if kernel == "linear":
            K = dot
        elif kernel == "rbf":
            K = np.exp(-gamma * ((Z ** 2).sum(1)[:, None] + (sv ** 2).sum(1)[None] - 2 * dot))
        elif kernel == "poly":
            K = (gamma * dot + coef0) ** int(degree)
        else:
            K = np.tanh(gamma * dot + coef0)
        return K @ dual[0] + intercept[0], ""


def svm_predictions(out, meta, X):
    """(labels 0/1 or -1 where undefined, problem)."""
    decision, problem = svm_decision(out, meta, X)
    if decision is None:
        return None, problem
    classes = out.get("classes")
    if not (isinstance(classes, np.ndarray) and classes.shape == (2,) and set(classes.tolist()) <= {0, 1}
            and classes[0] != classes[1]):
        return None, "the classifier's classes are not the labels 0 and 1"
    labels = np.where(decision > 0, classes[1], classes[0]).astype(np.int64)
    labels[~np.isfinite(decision)] = -1
    return labels, ""


def judge_fit_svm(arrays_in, params, out, meta, thresholds):
    v = Verdict(SVM_RUBRIC)
    what = "accuracy on a hidden Circles test set"
    Xhidden, labels = hidden_circles(params["seed"])
    predictions, problem = svm_predictions(out, meta, Xhidden)
    if predictions is None:
        if not v.add(what, False, problem) and meta.get("kernel") == "callable":
            v.link("svm_callable_kernel")
        return v
    acc = float((predictions == labels).mean())
    grid_predictions, _ = svm_predictions(out, meta, grid())
    v.figures = {"grid_predictions": grid_predictions, "accuracy": acc}
    v.notes.append(f"The grader computed your classifier's predictions itself from its support vectors and "
                   f"kernel: accuracy {acc:.3f} on a hidden Circles test set of {len(labels)} points.")
    _accuracy_verdict(v, what, acc, thresholds)
    if v.fraction < 1:
        degree, coef0 = meta.get("degree", 0), meta.get("coef0", 0)
        if meta.get("kernel") in ("linear", "linear-model"):
            v.diagnose("svm_linear_kernel")
        elif meta.get("kernel") == "poly" and isinstance(degree, (int, float)) and degree % 2 == 1 and coef0 == 0:
            v.diagnose("svm_poly_odd_degree")
    return v
