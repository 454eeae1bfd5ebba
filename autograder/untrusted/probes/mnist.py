"""Part 5, MNIST: the probe of MNIST_HPARAMS, and the grader's training of the Part-4 functions with them
(mnist_accuracy)."""

import numbers

import numpy as np
import torch
import torch.nn as nn
from tp1_support.contract import mnist_seconds
from tp1_support.training import epoch_batches, mnist_step

from .record import get, get_function, put, tensor


def probe_mnist_hparams(ns, inputs, params, arrays, meta):
    hp = get(ns, "MNIST_HPARAMS")
    meta["type"] = type(hp).__name__
    if isinstance(hp, dict):
        meta["values"] = {str(k)[:40]: (float(v) if isinstance(v, numbers.Real) else repr(v)[:80])
                          for k, v in list(hp.items())[:20]}


def _contract_parameters(model, nx, nh, ny):
    """The model's parameters of the shapes of Linear(nx, nh) -> Linear(nh, ny), in that order, if it
    has exactly those four; else None."""
    parameters = list(model.parameters())
    shapes = [tuple(p.shape) for p in parameters]
    if shapes != [(nh, nx), (nh,), (ny, nh), (ny,)]:
        return None
    return parameters


def probe_mnist_accuracy(ns, inputs, params, arrays, meta):
    """Train the student's Part-4 functions (init_model_optim, loss_accuracy_nn) with the student's
    MNIST_HPARAMS, as the notebook's loop does, from the grader's initial weights. Records the trained
    weights and the model's logits on a few public digits (how the weights are used); the grader
    measures the accuracy itself, on digits that never enter the sandbox."""
    hp = get(ns, "MNIST_HPARAMS")
    nh, eta = int(hp["nh"]), float(hp["eta"])
    batch_size, epochs = int(hp["batch_size"]), int(hp["epochs"])
    meta["hparams"] = {"nh": nh, "eta": eta, "batch_size": batch_size, "epochs": epochs}
    init_model_optim, loss_accuracy_nn = get_function(ns, "init_model_optim"), get_function(ns, "loss_accuracy_nn")
    Xtrain, ytrain = tensor(inputs["Xtrain"]), tensor(inputs["ytrain"]).long()
    Ytrain = torch.eye(10)[ytrain]
    nx = Xtrain.shape[1]
    if "max_seconds" in params:
        seconds = mnist_seconds(Xtrain.shape[0], nx, nh, batch_size, epochs, params["cost"])
        meta["estimated_seconds"] = seconds
        if seconds > params["max_seconds"] or nh < 1 or batch_size < 1 or epochs < 1:
            meta["over_budget"] = True
            return
    generator = torch.Generator().manual_seed(params["seed"])
    bound = 1 / np.sqrt(nx), 1 / np.sqrt(nh)  # nn.Linear's own law, drawn by the grader
    initial = [(torch.rand(nh, nx, generator=generator) * 2 - 1) * bound[0],
               (torch.rand(nh, generator=generator) * 2 - 1) * bound[0],
               (torch.rand(10, nh, generator=generator) * 2 - 1) * bound[1],
               (torch.rand(10, generator=generator) * 2 - 1) * bound[1]]
    model, loss, optim = init_model_optim(nx, nh, 10, eta)
    parameters = _contract_parameters(model, nx, nh, 10) if isinstance(model, nn.Module) else None
    meta["contract_parameters"] = parameters is not None
    if parameters is not None:
        with torch.no_grad():
            for p, value in zip(parameters, initial):
                p.copy_(value)
    # The step is the grader's own plain SGD (tp1_support/training.py): the student's optimizer is judged
    # on its own question (init_model_optim) and never steps here, so it cannot write weights made elsewhere.
    stepped = parameters if parameters is not None else [p for p in model.parameters() if isinstance(p, torch.Tensor)]
    losses = []
    for _ in range(epochs):
        total = 0.0
        for idx in epoch_batches(Xtrain.shape[0], batch_size, generator):
            L = mnist_step(model, loss, loss_accuracy_nn, stepped, Xtrain.index_select(0, idx),
                           Ytrain.index_select(0, idx), eta)
            total += float(L.detach()) * len(idx)
        losses.append(total / Xtrain.shape[0])
    arrays["train_loss"] = np.array(losses, dtype=np.float64)
    if parameters is None:
        return
    for i, p in enumerate(parameters):
        put(arrays, meta, f"param{i}", p)
    with torch.no_grad():
        put(arrays, meta, "probe_logits", model(tensor(inputs["Xprobe"])))
