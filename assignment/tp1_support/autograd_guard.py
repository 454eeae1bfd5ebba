"""The autograd guard: while a hand-written backward runs, autograd refuses to run.

One guard for both sides of the kit: the public checks (`checks.check_backward`) and the grader's
probe of backward (autograder/untrusted/probes/) enter the same `autograd_refused()`. It uses
torch's public API only, so it works on every torch the release supports (2.4 and newer): a
`torch.overrides.TorchFunctionMode` refuses the public entries of autograd (Tensor.backward,
torch.autograd.grad and backward, forward_ad's dual tensors), and saved-tensor hooks
(`torch.autograd.graph.saved_tensors_hooks`) refuse any backward pass through a graph recorded
inside, however the engine is reached (a backward pass reads the tensors its forward saved). A right
backward records no graph (its inputs do not require a gradient) and never meets either. A route
the guard a route it cannot see on an older torch is listed by
`unguarded_routes()`, and the checks print it as a note, never as a failure of right code. The
grader adds, on its side only, a seal of autograd's engine (its torch is pinned, private names are
fine there): the student's process is the student's, the grader's is not.

    with autograd_refused():
        grads = backward(params, outputs, Y)   # AutogradNotAllowed if it runs autograd
"""
import contextlib
import functools
import warnings

import torch
from torch.overrides import TorchFunctionMode


class AutogradNotAllowed(RuntimeError):
    """backward ran autograd while the guard was on: Part 1 computes the gradients by hand."""


def _refused():
    """{function torch hands to a TorchFunctionMode: the route's name}, for the public routes to
    autograd's reverse mode. torch.autograd.functional.* and torch.func.grad, vjp, jacrev reach
    autograd through torch.autograd.grad."""
    refused = {torch.Tensor.backward: "Tensor.backward()", torch.autograd.grad: "torch.autograd.grad",
               torch.autograd.backward: "torch.autograd.backward"}
    return refused


# Forward mode (torch.autograd.forward_ad.make_dual, and torch.func.jvp and jacfwd, which make dual
# tensors through it) reaches the mode as the function that makes a dual tensor: known by its name.
_FORWARD_MODE = {"_make_dual": "forward mode: torch.func.jvp, jacfwd or forward_ad.make_dual"}


class _RefuseAutograd(TorchFunctionMode):
    """Every torch function called inside goes through __torch_function__: autograd's are refused,
    every other runs as it would."""

    def __init__(self, what):
        super().__init__()
        self.what = what
        self.refused = _refused()

    def __torch_function__(self, func, types, args=(), kwargs=None):
        route = self.refused.get(func) if _hashable(func) else None
        if route is None:
            route = _FORWARD_MODE.get(getattr(func, "__name__", None))
        if route is not None:
            raise AutogradNotAllowed(f"{self.what} used autograd ({route}); Part 1 computes the gradients by hand")
        return func(*args, **(kwargs or {}))


def _hashable(func):
    try:
        hash(func)
    except TypeError:
        return False
    return True


def _pack(tensor):
    return tensor


# torch.func's reverse-mode transforms refuse to start under saved-tensor hooks, with this message.
_FUNC_REFUSES_HOOKS = "saved tensor hooks"


@contextlib.contextmanager
def autograd_refused(what="backward"):
    """A context in which autograd raises AutogradNotAllowed (`what` names the caller in the
    message): its public entries, and any backward pass through a graph recorded inside. Everything
    else runs as usual, and autograd works again after it."""
    def unpack(tensor):
        raise AutogradNotAllowed(f"{what} used autograd (a backward pass through a graph it recorded); "
                                 "Part 1 computes the gradients by hand")

    def refuse_transform(*args, **kwargs):
        raise AutogradNotAllowed(f"{what} used autograd (a torch.func transform); Part 1 computes the gradients "
                                 "by hand")

    graph = torch.autograd.graph
    # torch.func's reverse-mode transforms start by disabling saved-tensor hooks, which the hooks
    # above refuse with a RuntimeError: under the guard, that start is refused as what it is.
    disable = getattr(graph, "disable_saved_tensors_hooks", None)
    try:
        if disable is not None:
            graph.disable_saved_tensors_hooks = refuse_transform
        with _RefuseAutograd(what), graph.saved_tensors_hooks(_pack, unpack):
            yield
    except RuntimeError as e:
        refused = autograd_refusal(e, what)
        if refused is None or refused is e:
            raise
        raise refused from None
    finally:
        if disable is not None:
            graph.disable_saved_tensors_hooks = disable


def autograd_refusal(error, what="backward"):
    """The AutogradNotAllowed that `error`, raised under the guard, stands for; None if it is
    another error. (torch.func's reverse-mode transforms raise a RuntimeError of their own when they
    meet the guard's saved-tensor hooks.)"""
    if isinstance(error, AutogradNotAllowed):
        return error
    if isinstance(error, RuntimeError) and _FUNC_REFUSES_HOOKS in str(error):
        return AutogradNotAllowed(f"{what} used autograd (a torch.func transform); Part 1 "
                                  "computes the gradients by hand")
    return None


def _leaf():
    return torch.linspace(-1.0, 1.0, 6, dtype=torch.float64).reshape(3, 2).requires_grad_(True)


def _loss(W):
    return torch.tanh(W).pow(2).sum()


def _dual(W):
    import torch.autograd.forward_ad as fwAD

    with fwAD.dual_level():
        fwAD.unpack_dual(_loss(fwAD.make_dual(W.detach(), torch.ones_like(W))))


ROUTES = {  # the ways a backward may reach autograd, by public API: each run on a small tensor
    "Tensor.backward()": lambda W: _loss(W).backward(),
    "torch.autograd.grad": lambda W: torch.autograd.grad(_loss(W), [W]),
    "torch.autograd.backward": lambda W: torch.autograd.backward([_loss(W)], inputs=[W]),
    "torch.autograd.functional.jacobian": lambda W: torch.autograd.functional.jacobian(_loss, W.detach()),
    "torch.func.grad": lambda W: torch.func.grad(_loss)(W.detach()),
    "torch.func.jacrev": lambda W: torch.func.jacrev(_loss)(W.detach()),
    "torch.func.jvp": lambda W: torch.func.jvp(_loss, (W.detach(),), (torch.ones_like(W),)),
    "torch.autograd.forward_ad": _dual,
    # a graph's backward functions called one by one, without the engine's entries
    "calling grad_fn": lambda W: torch.tanh(W).grad_fn(torch.ones_like(W)),
}


@functools.cache
def unguarded_routes():
    """The routes of ROUTES that autograd_refused() does not stop on this torch (measured once: each
    route runs under the guard, on a small tensor). On torch 2.13 and newer: none."""
    unguarded = []
    # Probing a route may make torch warn about it (torch 2.14: torch.jit is deprecated); the student
    # did not call it, so the warning would only puzzle them.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, route in ROUTES.items():
            try:
                with autograd_refused():
                    route(_leaf())
            except AutogradNotAllowed:
                continue
            except Exception:  # noqa: BLE001 - refused otherwise, or a route this torch does not have
                try:
                    route(_leaf())
                except Exception:  # noqa: BLE001 - not a route on this torch: nothing to guard
                    continue
            unguarded.append(name)
    return tuple(unguarded)
