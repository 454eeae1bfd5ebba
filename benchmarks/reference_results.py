"""The reference's results with the TP's hyper-parameters (the README's table): make bench.

Circles train/test accuracy for Parts 1-4 (N=200, batches of 10, nh=10, eta=0.3 = the course's
0.03 with batch sums, 100 epochs), MNIST test accuracy with the reference's MNIST_HPARAMS, and the
SVM per kernel. Seeds 0..SEEDS-1; prints mean, min and max.
"""
import sys
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.svm import SVC

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "solutions"))
from autograder import reference as R  # noqa: E402
from tp1_support import CirclesData, MNISTData  # noqa: E402

NH, ETA, BATCH, EPOCHS = 10, 0.3, 10, 100


def _batches(N, size, generator):
    return torch.randperm(N, generator=generator).split(size)


def _acc(predict, X, Y):
    with torch.no_grad():
        return float((predict(X).argmax(1) == Y.argmax(1)).float().mean())


def train_circles(part, data, seed=0):
    """Train the reference's Part `part` (1-4) on Circles; returns (train acc, test acc)."""
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    N = data.Xtrain.shape[0]
    if part in (1, 2):
        params = R.init_params(2, NH, 2) if part == 1 else R.init_params_autograd(2, NH, 2)
        for _ in range(EPOCHS):
            for idx in _batches(N, BATCH, g):
                Yhat, outputs = R.forward(params, data.Xtrain[idx])
                if part == 1:
                    params = R.sgd(params, R.backward(params, outputs, data.Ytrain[idx]), ETA)
                else:
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


def svm_accuracies(data, kernel):
    X, y = data.Xtrain.numpy(), data.Ytrain.argmax(1).numpy()
    svm = SVC(kernel=kernel, degree=2).fit(X, y)
    return svm.score(X, y), svm.score(data.Xtest.numpy(), data.Ytest.argmax(1).numpy())


def main(seeds=10):
    data = CirclesData()
    print(f"Reference results, seeds 0..{seeds - 1} (mean [min, max])\n")
    print("| what | train accuracy | test accuracy | seconds per run |")
    print("|---|---|---|---|")
    names = {1: "Part 1, manual backward", 2: "Part 2, autograd", 3: "Part 3, torch.nn", 4: "Part 4, torch.optim"}
    for part in (1, 2, 3, 4):
        start = time.perf_counter()
        runs = np.array([train_circles(part, data, s) for s in range(seeds)])
        seconds = (time.perf_counter() - start) / seeds
        print(f"| Circles, {names[part]} | {runs[:, 0].mean():.3f} [{runs[:, 0].min():.3f}, {runs[:, 0].max():.3f}] "
              f"| {runs[:, 1].mean():.3f} [{runs[:, 1].min():.3f}, {runs[:, 1].max():.3f}] | {seconds:.2f} |")
    mnist = MNISTData()
    start = time.perf_counter()
    runs = np.array([train_mnist(mnist, s) for s in range(3)])
    print(f"| MNIST ({mnist.source}), Part 4, {R.MNIST_HPARAMS} | {runs[:, 0].mean():.3f} | "
          f"{runs[:, 1].mean():.3f} [{runs[:, 1].min():.3f}, {runs[:, 1].max():.3f}] | "
          f"{(time.perf_counter() - start) / 3:.2f} |")
    for kernel in ("linear", "rbf", "poly"):
        train, test = svm_accuracies(data, kernel)
        print(f"| SVM, {kernel} kernel{' (degree 2)' if kernel == 'poly' else ''} | {train:.3f} | {test:.3f} | |")


if __name__ == "__main__":
    main()
