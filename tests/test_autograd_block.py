"""Part 1 by hand: while the grader calls backward, autograd cannot run, whichever way it is reached,
and the grader's reading of the source names the ways that dig past that block. A manual backward
runs as usual under the block, and autograd works again after it."""
import sys
from pathlib import Path

import nbformat
import pytest
import torch

from autograder.checks.backward_source import autograd_uses
from autograder.pipeline.read import program_of
from autograder.untrusted.probes import AutogradNotAllowed, autograd_blocked
from submissions import edited

ROOT = Path(__file__).resolve().parent.parent


def _leaf():
    return torch.randn(3, 2, dtype=torch.float64).requires_grad_(True)


def _loss(W):
    return torch.tanh(W).pow(2).sum()


WAYS = {
    ".backward()": lambda W: _loss(W).backward(),
    "torch.autograd.grad": lambda W: torch.autograd.grad(_loss(W), [W]),
    "torch.autograd.functional.jacobian": lambda W: torch.autograd.functional.jacobian(_loss, W.detach()),
    "torch.func.grad": lambda W: torch.func.grad(_loss)(W.detach()),
    "torch.func.jvp": lambda W: torch.func.jvp(_loss, (W.detach(),), (torch.ones_like(W),)),
    "forward_ad": lambda W: __import__("torch.autograd.forward_ad").autograd.forward_ad.dual_level().__enter__(),
    # A fresh handle on autograd's engine (its type is a public attribute of torch._C).
    "torch._C._ImperativeEngine()": lambda W: torch._C._ImperativeEngine().run_backward(
        (_loss(W),), (torch.ones(()),), False, False, (W,), False, False),
}


@pytest.mark.parametrize("way", WAYS)
def test_autograd_cannot_run_while_backward_is_called(way):
    with autograd_blocked():
        with pytest.raises(AutogradNotAllowed):
            WAYS[way](_leaf())


def test_a_manual_backward_runs_under_the_block_and_autograd_works_after_it():
    W = _leaf()
    with autograd_blocked():
        manual = 2 * torch.tanh(W.detach()) * (1 - torch.tanh(W.detach()) ** 2)
    (auto,) = torch.autograd.grad(_loss(W), [W])
    assert torch.allclose(manual, auto)
    assert torch.autograd.variable.Variable._execution_engine.__class__.__name__ != "_NoAutogradEngine"


BODY = '    N = Y.shape[0]\n'


@pytest.mark.parametrize("code, found", [
    ("    engine = torch._C._ImperativeEngine()\n", "backward: ._C"),
    ("    import gc\n    engines = [o for o in gc.get_objects() if 'Engine' in type(o).__name__]\n",
     "backward: .get_objects"),
    ("    engine = torch.autograd.variable.Variable._execution_engine\n", "backward: ._execution_engine"),
])
def test_the_source_names_the_ways_past_the_block(code, found):
    nb = edited(function="backward", replace=[(BODY, BODY + code)])
    assert found in autograd_uses(program_of(nb))


def test_the_reference_backward_uses_no_autograd():
    assert autograd_uses(program_of(edited())) == []
    assert isinstance(edited(), nbformat.NotebookNode)


def test_the_scan_follows_classes_and_reads_torchscript_source():
    kept = "class _Grads:\n    ENGINE = torch.autograd.graph.Variable._execution_engine\n\n\n"
    nb = edited(function="backward", replace=[(BODY, BODY + "    engine = _Grads.ENGINE\n")], helper=kept)
    assert any(u.startswith("_Grads: ") for u in autograd_uses(program_of(nb)))
    script = 'TS = """\ndef g(L: Tensor, xs: List[Tensor]):\n    return torch.autograd.grad([L], xs)\n"""\n'
    nb = edited(function="backward", replace=[(BODY, BODY + "    unit = torch.jit.CompilationUnit(TS)\n")], helper=script)
    assert {"backward: .jit", "backward: .CompilationUnit", "TS: a string naming autograd"} <= set(autograd_uses(program_of(nb)))


def test_a_docstring_naming_autograd_is_not_a_use():
    nb = edited(function="backward", replace=[(BODY, '    """By hand: no autograd.grad, no L.backward()."""\n' + BODY)])
    assert autograd_uses(program_of(nb)) == []


def test_a_builtin_bound_to_a_hook_never_runs_while_the_definitions_are_made():
    """The reader leaves the binding out; and were it kept, the conductor's guard stops the code."""
    hook = "class Setup:\n    __class_getitem__ = exec\n"
    program = program_of(edited(function="backward", helper=hook + "\n\nDONE = Setup['import os']\n"))
    assert any("__class_getitem__" in note and "left out" in note for note in program.notes)
    sys.path.insert(0, str(ROOT / "autograder" / "untrusted"))
    import runner

    statements = [{"source": hook, "cell": 1}, {"source": "DONE = Setup['RAN = True']", "cell": 2}]
    namespace, notes, status = runner.make_definitions(statements, 10)
    assert status == "ok" and "RAN" not in namespace and "DONE" not in namespace
    assert any("compiled from a string" in note for note in notes), notes


def test_dataclass_fields_from_a_literal_annotations_dict_never_run():
    """@dataclass pastes field names into the source it executes: a literal __annotations__ with a name
    that is not an identifier would run its code while the definitions are made."""
    payload = "a,)\n exec('import sys; sys.RAN = True')\n if 0:\n  (0"
    cell = ("from dataclasses import dataclass\n\n\n@dataclass(init=False, repr=False)\nclass Shape:\n"
            f"    __annotations__ = {{{payload!r}: 'int'}}\n")
    program = program_of(edited(append=[cell]))
    assert any("__annotations__" in note and "left out" in note for note in program.notes)
    sys.path.insert(0, str(ROOT / "autograder" / "untrusted"))
    import runner

    namespace, notes, status = runner.make_definitions(
        [{"source": s.source, "cell": s.cell} for s in program.statements], 30)
    assert status == "ok" and "Shape" in namespace and not getattr(sys, "RAN", False)


@pytest.mark.parametrize("code, found", [
    ("    import runpy\n    mlp = runpy.run_path(SK_FILE)\n", "backward: import runpy (a library's code)"),
    ("    from runpy import run_path as rp\n    mlp = rp(SK_FILE)\n", "backward: import runpy (a library's code)"),
    ("    import numpy, runpy\n    mlp = runpy.run_path(SK_FILE)\n", "backward: import runpy (a library's code)"),
    ("    import importlib.util\n    spec = importlib.util.spec_from_file_location('m', SK_FILE)\n",
     "backward: .spec_from_file_location (a library's code)"),
    ("    import sys\n    sys.meta_path.pop(0)\n", "backward: .meta_path (a library's code)"),
    ("    from sklearn.neural_network import MLPClassifier\n    clf = MLPClassifier()\n",
     "backward: import sklearn.neural_network (a library's code)"),
])
def test_the_source_names_the_ways_around_the_library_guard(code, found):
    """runpy runs a module's file with exec: no loader the library guard patches ever sees it."""
    nb = edited(function="backward", replace=[(BODY, BODY + code)], helper="SK_FILE = 'mlp.py'\n")
    uses = autograd_uses(program_of(nb))
    assert found in uses, uses


def test_a_backward_that_loads_a_library_behind_the_guard_scores_nothing_and_is_named():
    from autograder.checks import part1

    verdict = part1.judge_backward({}, {"cases": {}}, {}, {}, autograd_uses=["backward: runpy (a library's code)"])
    assert verdict.fraction == 0.0 and verdict.mistakes == ["backward_not_derived"]
    assert [c.message for c in verdict.all_checks() if not c.passed][0] == (
        "backward does not compute the gradients by hand: its code loads a library's code where the grader's "
        "guard cannot watch it (backward: runpy)")
