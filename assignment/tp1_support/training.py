"""The grader's training loops, written once. The grader's probes (inside its sandbox) and the public
checks (in the student's notebook) train a student's functions with these steps, so a check's ✓
predicts what the grader measures.

Each step takes two hooks, `call(function, name, args, what)` and `pair(value, name, first, second)`:
how a call of the student's code is made and how a returned pair is unpacked. The probes call plainly
(an exception ends the run and is recorded); the public checks turn each failure into a message for
the student. Neither hook changes what a correct step computes.
"""
from __future__ import annotations

import torch

from .library_guard import library_backprop_refused


def plain_call(function, name, args, what=None):
    if not callable(function):
        raise TypeError(f"{name} is {type(function).__name__}, not a function")
    return function(*args)


def plain_pair(value, name, first, second):
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise TypeError(f"{name} must return a pair ({first}, {second}), it returned {type(value).__name__}"
                        + (f" of length {len(value)}" if isinstance(value, (tuple, list)) else ""))
    return value


def epoch_batches(n, batch_size, generator):
    """The indices of one epoch's mini-batches: a new random order of range(n) drawn from `generator`,
    cut in slices of `batch_size` (the last one shorter)."""
    return torch.randperm(n, generator=generator).split(int(batch_size))


def part1_step(forward, backward, sgd, P, X_batch, Y_batch, eta, call=plain_call, pair=plain_pair, where="",
               read_gradients=None):
    """One step of the Part-1 loop: outputs of forward(P, X_batch), G = backward(P, outputs, Y_batch)
    (where no library's backpropagation may run), then sgd(P, G, eta). X_batch: (B, nx), Y_batch:
    (B, ny) one-hot. Returns (the parameters after the step, read_gradients(G)), G read before sgd runs
    (an sgd may change it in place; default: G itself); an sgd that returns None updated P in place."""
    _, outputs = pair(call(forward, "forward", (P, X_batch), "forward" + where), "forward", "Yhat", "outputs")
    with library_backprop_refused("backward"):
        grads = call(backward, "backward", (P, outputs, Y_batch), "backward" + where)
    read = grads if read_gradients is None else read_gradients(grads)
    new = call(sgd, "sgd", (P, grads, eta), "sgd" + where)
    return (P if new is None else new), read


def mnist_step(model, loss, loss_accuracy_nn, stepped, X_batch, Y_batch, eta, call=plain_call, pair=plain_pair,
               where=""):
    """One step of the grader's MNIST training: L = loss_accuracy_nn(loss, model(X_batch), Y_batch),
    L.backward(), then plain SGD (lr = eta) done by the grader on the tensors `stepped` (the model's
    parameters), from the values they had before the forward: whatever the model or the loss writes
    into them meanwhile is undone, and the student's optimizer is never stepped (it is judged on its
    own question). A tensor no gradient reached stays where it was. X_batch: (B, 784), Y_batch: (B, 10)
    one-hot. Returns L, a 0-dim tensor."""
    before = [p.detach().clone() for p in stepped]
    for p in stepped:
        p.grad = None
    logits = call(model, "model", (X_batch,), "model(X_batch)" + where)
    L, _ = pair(call(loss_accuracy_nn, "loss_accuracy_nn", (loss, logits, Y_batch), "loss_accuracy_nn" + where),
                "loss_accuracy_nn", "L", "acc")
    call(getattr(L, "backward", None), "L.backward", (), "L.backward()" + where)
    with torch.no_grad():  # after the last code of the student's in this step
        for p, b in zip(stepped, before):
            p.copy_(b - eta * p.grad if p.grad is not None and p.grad.shape == p.shape else b)
    return L
