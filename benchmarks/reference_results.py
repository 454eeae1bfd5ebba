"""The reference's results with the TP's hyper-parameters, and the notebook's experiments (the
tables of docs/results.md): make bench.

- Circles train/test accuracy for Parts 1-4 (N=200, batches of 10, nh=10, eta=0.3 = the step the
  course's Part 1 took with eta=0.03 on the batch sum, 100 epochs), and Part 1 on 10,000 fresh points;
- the ideal rule r < 0.74 and a linear baseline (logistic regression);
- Part 1 with nh in {1, 2, 3, 5, 20, 50} hidden units;
- Part 1 with eta in {0.03, 0.3, 3} x batch size in {1, 10, 200};
- MNIST test accuracy with the reference's MNIST_HPARAMS;
- the SVM per kernel at the default C, and the kernel and C chosen by 5-fold cross-validation.

Seeds 0..SEEDS-1; prints mean [min, max]. One thread, as the grader and the notebook use.
"""
import sys
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.svm import SVC

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "solutions"))
from autograder import reference as R  # noqa: E402
from tp1_support import CirclesData, MNISTData, draw_circles  # noqa: E402
from tp1_support.circles import INNER_RADIUS  # noqa: E402

NH, ETA, BATCH, EPOCHS = 10, 0.3, 10, 100
NH_VALUES = (1, 2, 3, 5, 20, 50)
SWEEP_ETAS, SWEEP_BATCH_SIZES = (0.03, 0.3, 3.0), (1, 10, 200)
SVM_KERNELS, SVM_C_VALUES = ("linear", "rbf", "poly"), (0.01, 0.1, 1.0, 10.0, 100.0)
FRESH_SEED = 99  # a Circles sample of 10,000 points that is neither the kit's data nor the grader's


def _batches(N, size, generator):
    return torch.randperm(N, generator=generator).split(size)


def _acc(predict, X, Y):
    with torch.no_grad():
        return float((predict(X).argmax(1) == Y.argmax(1)).float().mean())


def train_part1(data, seed=0, nh=NH, eta=ETA, batch_size=BATCH, epochs=EPOCHS):
    """The reference's Part-1 functions trained on data.Xtrain; returns the parameters."""
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    params = R.init_params(2, nh, 2)
    for _ in range(epochs):
        for idx in _batches(data.Xtrain.shape[0], batch_size, g):
            _, outputs = R.forward(params, data.Xtrain[idx])
            params = R.sgd(params, R.backward(params, outputs, data.Ytrain[idx]), eta)
    return params


def train_circles(part, data, seed=0):
    """Train the reference's Part `part` (1-4) on Circles; returns (train acc, test acc)."""
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    N = data.Xtrain.shape[0]
    if part == 1:
        params = train_part1(data, seed)
        predict = lambda X: R.forward(params, X)[0]  # noqa: E731
    elif part == 2:
        params = R.init_params_autograd(2, NH, 2)
        for _ in range(EPOCHS):
            for idx in _batches(N, BATCH, g):
                Yhat, _ = R.forward(params, data.Xtrain[idx])
                R.loss_accuracy(Yhat, data.Ytrain[idx])[0].backward()
                params = R.sgd_autograd(params, ETA)
        predict = lambda X: R.forward(params, X)[0]  # noqa: E731
    else:
        if part == 3:
            model, loss = R.init_model(2, NH, 2)
            step = lambda: R.sgd_nn(model, ETA)  # noqa: E731
        else:
            model, loss, optim = R.init_model_optim(2, NH, 2, ETA)
            step = lambda: (optim.step(), optim.zero_grad())  # noqa: E731
        for _ in range(EPOCHS):
            for idx in _batches(N, BATCH, g):
                R.loss_accuracy_nn(loss, model(data.Xtrain[idx]), data.Ytrain[idx])[0].backward()
                step()
        predict = model
    return _acc(predict, data.Xtrain, data.Ytrain), _acc(predict, data.Xtest, data.Ytest)


def part1_scores(data, seed, fresh=None, **hparams):
    """(final training loss, train acc, test acc[, acc on the fresh points]) of train_part1."""
    params = train_part1(data, seed, **hparams)
    predict = lambda X: R.forward(params, X)[0]  # noqa: E731
    with torch.no_grad():
        loss = float(R.loss_accuracy(predict(data.Xtrain), data.Ytrain)[0])
    scores = (loss, _acc(predict, data.Xtrain, data.Ytrain), _acc(predict, data.Xtest, data.Ytest))
    return scores + ((_acc(predict, *fresh),) if fresh is not None else ())


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


def train_mnist(mnist, seed=0, hp=None):
    hp = hp or R.MNIST_HPARAMS
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    model, loss, optim = R.init_model_optim(784, hp["nh"], 10, hp["eta"])
    for _ in range(hp["epochs"]):
        for idx in _batches(mnist.Xtrain.shape[0], hp["batch_size"], g):
            R.loss_accuracy_nn(loss, model(mnist.Xtrain[idx]), mnist.Ytrain[idx])[0].backward()
            optim.step()
            optim.zero_grad()
    return _acc(model, mnist.Xtrain, mnist.Ytrain), _acc(model, mnist.Xtest, mnist.Ytest)


def svm_accuracies(data, kernel, C=1.0):
    X, y = data.Xtrain.numpy(), data.Ytrain.argmax(1).numpy()
    svm = SVC(kernel=kernel, degree=2, C=C).fit(X, y)
    return svm.score(X, y), svm.score(data.Xtest.numpy(), data.Ytest.argmax(1).numpy())


def svm_cross_validation(data, kernels=SVM_KERNELS, C_values=SVM_C_VALUES, folds=5):
    """As the notebook: GridSearchCV over kernel x C on the training set. Returns
    ({(kernel, C): cross-validated accuracy}, (kernel, C) chosen, test accuracy of the chosen SVM)."""
    X, y = data.Xtrain.numpy(), data.Ytrain.argmax(1).numpy()
    search = GridSearchCV(SVC(degree=2), {"kernel": list(kernels), "C": list(C_values)}, cv=folds).fit(X, y)
    cv = {(p["kernel"], p["C"]): float(s) for p, s in zip(search.cv_results_["params"],
                                                          search.cv_results_["mean_test_score"])}
    chosen = (search.best_params_["kernel"], search.best_params_["C"])
    return cv, chosen, search.score(data.Xtest.numpy(), data.Ytest.argmax(1).numpy())


def _stat(values, digits=3):
    values = np.asarray(values, dtype=float)
    return f"{values.mean():.{digits}f} [{values.min():.{digits}f}, {values.max():.{digits}f}]"


def main(seeds=10):
    torch.set_num_threads(1)
    data = CirclesData()
    fresh = fresh_circles()
    print(f"Reference results, seeds 0..{seeds - 1} (mean [min, max])\n")
    print("| what | train accuracy | test accuracy | seconds per run |")
    print("|---|---|---|---|")
    print(f"| Circles, the ideal rule r < 0.74 | {ideal_accuracy(data.Xtrain, data.Ytrain):.3f} | "
          f"{ideal_accuracy(data.Xtest, data.Ytest):.3f} (10,000 fresh points: {ideal_accuracy(*fresh):.3f}) | |")
    print("| Circles, linear baseline (logistic regression) | {:.3f} | {:.3f} | |".format(*linear_baseline(data)))
    names = {1: "Part 1, manual backward", 2: "Part 2, autograd", 3: "Part 3, torch.nn", 4: "Part 4, torch.optim"}
    for part in (1, 2, 3, 4):
        start = time.perf_counter()
        runs = np.array([train_circles(part, data, s) for s in range(seeds)])
        seconds = (time.perf_counter() - start) / seeds
        print(f"| Circles, {names[part]} | {_stat(runs[:, 0])} | {_stat(runs[:, 1])} | {seconds:.2f} |")
    runs = np.array([part1_scores(data, s, fresh) for s in range(seeds)])
    print(f"| Circles, Part 1 on 10,000 fresh points | | {_stat(runs[:, 3])} | |")
    mnist = MNISTData()
    start = time.perf_counter()
    runs = np.array([train_mnist(mnist, s) for s in range(3)])
    print(f"| MNIST ({mnist.source}), Part 4, {R.MNIST_HPARAMS} | {runs[:, 0].mean():.3f} | "
          f"{_stat(runs[:, 1])} | {(time.perf_counter() - start) / 3:.2f} |")
    for kernel in SVM_KERNELS:
        train, test = svm_accuracies(data, kernel)
        print(f"| SVM, {kernel} kernel{' (degree 2)' if kernel == 'poly' else ''}, C = 1 | {train:.3f} | {test:.3f} | |")

    print(f"\nPart 1, number of hidden units (eta {ETA}, batches of {BATCH}, {EPOCHS} epochs), seeds 0..{seeds - 1}\n")
    print("| nh | train accuracy | test accuracy | seconds per run |")
    print("|---|---|---|---|")
    for nh in NH_VALUES:
        start = time.perf_counter()
        runs = np.array([part1_scores(data, s, nh=nh) for s in range(seeds)])
        print(f"| {nh} | {_stat(runs[:, 1])} | {_stat(runs[:, 2])} | {(time.perf_counter() - start) / seeds:.2f} |")

    print(f"\nPart 1, learning rate x batch size (nh {NH}, {EPOCHS} epochs), seeds 0..{seeds - 1}\n")
    print("| eta | B | final training loss | train accuracy | test accuracy | seconds per run |")
    print("|---|---|---|---|---|---|")
    for eta in SWEEP_ETAS:
        for batch_size in SWEEP_BATCH_SIZES:
            start = time.perf_counter()
            runs = np.array([part1_scores(data, s, eta=eta, batch_size=batch_size) for s in range(seeds)])
            finite = np.isfinite(runs[:, 0])
            loss = _stat(runs[finite, 0]) if finite.all() else \
                f"{_stat(runs[finite, 0]) if finite.any() else ''} ({(~finite).sum()} of {seeds} not finite)"
            print(f"| {eta:g} | {batch_size} | {loss} | {_stat(runs[:, 1])} | {_stat(runs[:, 2])} | "
                  f"{(time.perf_counter() - start) / seeds:.2f} |")

    cv, chosen, test = svm_cross_validation(data)
    print("\nSVM, 5-fold cross-validated accuracy on the training set\n")
    print("| kernel | " + " | ".join(f"C = {C:g}" for C in SVM_C_VALUES) + " |")
    print("|---|" + "---|" * len(SVM_C_VALUES))
    for kernel in SVM_KERNELS:
        print(f"| {kernel}{' (degree 2)' if kernel == 'poly' else ''} | "
              + " | ".join(f"**{cv[kernel, C]:.3f}**" if (kernel, C) == chosen else f"{cv[kernel, C]:.3f}"
                           for C in SVM_C_VALUES) + " |")
    print(f"\nchosen: {chosen[0]}, C = {chosen[1]:g}; its test accuracy: {test:.3f}")


if __name__ == "__main__":
    main()
