"""The grader's guards around the student's backward: autograd's engine sealed under the public guard
(tp1_support.autograd_guard), and the libraries that backpropagate refused (tp1_support.library_guard)."""

import contextlib
import sys

import torch
from tp1_support.autograd_guard import AutogradNotAllowed, autograd_refused
from tp1_support.library_guard import library_backprop_refused


class _NoAutogradEngine:
    """Stands in for autograd's engine while backward runs: every backward pass, torch.autograd.grad,
    torch.func and torch.autograd.functional go through its run_backward."""

    def run_backward(self, *args, **kwargs):
        raise AutogradNotAllowed("backward used autograd (a .backward() call, torch.autograd.grad, torch.func, "
                                 "or torch.autograd.functional); Part 1 computes the gradients by hand")

    def queue_callback(self, *args, **kwargs):
        raise AutogradNotAllowed("backward used autograd")

    def is_checkpoint_valid(self):
        return True


def _no_dual_level(*args, **kwargs):
    raise AutogradNotAllowed("backward used forward-mode autograd (torch.func.jvp, jacfwd or forward_ad); "
                             "Part 1 computes the gradients by hand")


_HOLDERS = (0, [])  # (len(sys.modules) when found, [(module, name)] holding what engine_sealed replaces)


def _holders(targets):
    """[(module, name)] of every module attribute that is one of the objects whose ids are `targets`."""
    found = []
    for module in list(sys.modules.values()):
        namespace = getattr(module, "__dict__", None)
        if isinstance(namespace, dict):
            found += [(module, name) for name, value in list(namespace.items()) if id(value) in targets]
    return found


class engine_sealed:
    """The grader's own hardening, under the public guard: autograd's engine itself cannot run
    inside, however it is reached (a fresh handle on the engine, code that lifts the public guard).
    Reverse mode: the engine every backward pass, torch.autograd.grad, torch.func and
    torch.autograd.functional go through, and the engine's type, so that no fresh handle on it can
    be made; forward mode: dual levels. Each is replaced in every module that holds it, since torch's
    own modules import them by name. It reads private torch names: the grader's torch is pinned
    (pyproject.toml), the student's is not, so this stays on the grader's side. Restored on exit, for
    callers that are not a question's own process (tests, benchmarks). Code that digs the originals
    out of the interpreter's memory is the grader's static scan's to find (pipeline/read.py)."""

    def __enter__(self):
        import importlib

        variable = importlib.import_module("torch.autograd.variable")  # (torch.autograd.variable is a function)
        predispatch = importlib.import_module("torch._functorch.predispatch")
        # Forward mode needs a dual level (torch.func.jvp and jacfwd enter one too); torch.func.grad
        # and vjp run the engine.
        forward_mode = [torch._C._enter_dual_level, predispatch._enter_dual_level]
        targets = {id(torch._C._ImperativeEngine): _NoAutogradEngine, **{id(f): _no_dual_level for f in forward_mode}}
        global _HOLDERS
        if _HOLDERS[0] != len(sys.modules) or any(id(getattr(m, n, None)) not in targets for m, n in _HOLDERS[1]):
            _HOLDERS = (len(sys.modules), _holders(targets))
        self._saved = [(variable.Variable, "_execution_engine", variable.Variable._execution_engine)]
        variable.Variable._execution_engine = _NoAutogradEngine()
        for module, name in _HOLDERS[1]:
            value = getattr(module, name)
            self._saved.append((module, name, value))
            setattr(module, name, targets[id(value)])
        return self

    def __exit__(self, *exc):
        for owner, name, value in reversed(self._saved):
            setattr(owner, name, value)


@contextlib.contextmanager
def autograd_blocked():
    """A context in which autograd cannot run: the public guard the students' checks use
    (tp1_support.autograd_guard, public torch API), and the grader's seal of the engine under it."""
    with autograd_refused("backward"), engine_sealed():
        yield


def backward_guards():
    """The contexts probe_backward enters around the student's backward, in order. Each refuses a
    way of getting the gradients without computing them; a guard raises AutogradNotAllowed (or its
    own exception, caught in probe_backward) when backward takes that way: autograd, and the
    libraries that backpropagate an MLP (tp1_support/library_guard.py)."""
    return [autograd_blocked(), library_backprop_refused("backward")]
