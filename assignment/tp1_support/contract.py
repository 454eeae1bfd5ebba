"""The TP's contract, the one home of what the grader and the code beside the student's share.

The questions (their order in the gradebook and in the sandbox, their part, kind, time budget and what
they need), the names of the network's parameters and of forward's outputs, MNIST_HPARAMS' keys and the
size caps of what a probe records, the network's logits, the grader's cost model of an MNIST training
run, the builtins and decorators a kept definition may use, and the names of the sandbox's own
records. The grader (autograder/), the probes that run in the sandbox (autograder/untrusted/), the
public checks (tp1_support.checks) and the build read them from here; tests/test_registry.py
compares every other registry of the questions with this one.

It ships with the release and into the sandbox: it imports nothing of the grader (nothing but the
standard library) and holds nothing secret (no seed, no hidden input, no expected answer). What a
question is worth is the instructor's setting (autograder/points.toml), not part of the contract.
"""
import importlib
from dataclasses import dataclass

# What a question grades: a function the notebook defines (called by its probe on the grader's
# inputs), a constant the notebook defines (read), or a training run of other questions' functions
# (none of its own: the notebook defines no name for it).
KINDS = ("function", "constant", "training")


@dataclass(frozen=True)
class Question:
    id: str  # the gradebook's column, the Otter question, the name the notebook defines (but a training run)
    part: str  # the TP's part, as the reports group the questions
    kind: str  # one of KINDS
    seconds: float  # the probe's own time budget in the sandbox
    # The questions whose functions its probe calls thousands of times: they run first, and when one of
    # them ran out of time on its own inputs, this probe is not started (it could not finish either).
    needs: tuple = ()
    accuracy: bool = False  # scored by an accuracy against the thresholds of points.toml


QUESTIONS = (  # in the gradebook's order: the TP's (docs/contract.md)
    Question("init_params", "1 manual", "function", 10),
    Question("forward", "1 manual", "function", 10),
    Question("loss_accuracy", "1 manual", "function", 10),
    Question("backward", "1 manual", "function", 10),
    Question("sgd", "1 manual", "function", 10),
    Question("circles_accuracy", "1 manual", "training", 30, needs=("forward", "backward", "sgd"), accuracy=True),
    Question("init_params_autograd", "2 autograd", "function", 10),
    Question("sgd_autograd", "2 autograd", "function", 10),
    Question("init_model", "3 torch.nn", "function", 10),
    Question("loss_accuracy_nn", "3 torch.nn", "function", 10),
    Question("sgd_nn", "3 torch.nn", "function", 10),
    Question("init_model_optim", "4 torch.optim", "function", 10),
    Question("MNIST_HPARAMS", "5 MNIST", "constant", 10),
    Question("mnist_accuracy", "5 MNIST", "training", 60, needs=("init_model_optim", "loss_accuracy_nn"),
             accuracy=True),
    Question("fit_svm", "6 SVM", "function", 30, accuracy=True),
)
BY_ID = {q.id: q for q in QUESTIONS}
QUESTION_IDS = tuple(q.id for q in QUESTIONS)  # the gradebook's columns
ACCURACY_QUESTIONS = tuple(q.id for q in QUESTIONS if q.accuracy)  # those points.toml gives [thresholds]
GRADED_NAMES = frozenset(q.id for q in QUESTIONS if q.kind != "training")  # the names the notebook defines
# The order the sandbox runs them: the TP's, but the training runs last (each question runs in a process
# of its own, but a job's wall clock is shared), after every question they need.
RUN_ORDER = tuple([q.id for q in QUESTIONS if not q.needs] + [q.id for q in QUESTIONS if q.needs])

# The network of Parts 1 and 2: its parameters (params[name]) and what forward returns (outputs[name]).
PARAM_NAMES = ("Wh", "bh", "Wy", "by")
OUTPUT_NAMES = ("X", "htilde", "h", "ytilde", "yhat")

# Part 5 and 6: MNIST_HPARAMS' keys, and the largest SVM a probe records.
HPARAM_KEYS = ("nh", "eta", "batch_size", "epochs")
MAX_SUPPORT_VECTORS = 5000

# The grader's MNIST training: on MNIST_TRAIN_SIZE digits of MNIST_INPUTS pixels. Its CPU cost per
# epoch, measured on the reference (torch, one thread): seconds per sample x input x hidden unit, and
# per optimizer step (so tiny batches count too). A little above what was measured: the budget must
# refuse what would run into the probe's time limit. MNIST_MAX_SECONDS is the estimated training time
# allowed; the reference needs about 1 s.
MNIST_TRAIN_SIZE, MNIST_INPUTS = 4000, 784
MNIST_COST = {"per_weight": 8e-11, "per_step": 3.5e-4}
MNIST_MAX_SECONDS = 20.0


def mnist_seconds(n, nx, nh, batch_size, epochs, cost=MNIST_COST):
    """The estimated CPU seconds of training an nx -> nh -> 10 network on n samples for `epochs`
    epochs in batches of batch_size (the grader's cost model: the judge, the probe and the public
    check all estimate with it)."""
    steps = -(-n // max(1, batch_size))
    return epochs * (n * nx * nh * cost["per_weight"] + steps * cost["per_step"])


def network_logits(P, X, tanh):
    """The TP's network: tanh(X Wh^T + bh) Wy^T + by. X (N, nx); P's Wh (nh, nx), bh (nh,) or (1, nh),
    Wy (ny, nh), by (ny,) or (1, ny) -> logits (N, ny). Arrays of one library (NumPy or torch) and
    that library's `tanh`: the grader's judges, its probes and the public checks compute it here."""
    return tanh(X @ P["Wh"].T + P["bh"].reshape(1, -1)) @ P["Wy"].T + P["by"].reshape(1, -1)


# The definitions' allowlist. A kept constant calls nothing but SAFE_CALLS builtins; a definition carries
# no decorator but DECORATORS (by the last part of the name it is written with: `torch.no_grad`,
# `no_grad`, `ft.wraps`...), and @x.setter (ACCESSOR_DECORATORS) after @property def x. The grader's
# reader rewrites each of them into TRUSTED_NAME[name], which the sandbox binds to trusted_names(): the
# builtins and the libraries' own objects, not whatever the notebook bound to these names.
TRUSTED_NAME = "__tp1_trusted__"
SAFE_CALLS = ("dict", "list", "tuple", "set", "frozenset", "int", "float", "bool", "str", "range",
              "slice", "complex")
BUILTIN_DECORATORS = ("staticmethod", "classmethod", "property")
LIBRARY_DECORATORS = {"wraps": ("functools", "wraps"), "cache": ("functools", "cache"),
                      "lru_cache": ("functools", "lru_cache"), "cached_property": ("functools", "cached_property"),
                      "dataclass": ("dataclasses", "dataclass"), "no_grad": ("torch", "no_grad"),
                      "enable_grad": ("torch", "enable_grad"), "inference_mode": ("torch", "inference_mode")}
DECORATORS = frozenset(BUILTIN_DECORATORS) | frozenset(LIBRARY_DECORATORS)
ACCESSOR_DECORATORS = frozenset({"setter", "getter", "deleter"})


def trusted_names():
    """What `__tp1_trusted__[name]` means in the kept statements: {name: the builtin or the library's
    own object}, for SAFE_CALLS and DECORATORS."""
    import builtins

    names = {name: getattr(builtins, name) for name in (*SAFE_CALLS, *BUILTIN_DECORATORS)}
    names.update({name: getattr(importlib.import_module(module), attribute)
                  for name, (module, attribute) in LIBRARY_DECORATORS.items()})
    return names


# The sandbox's own records, beside one per question id: whether the definitions were made (and the
# notes of those that failed), how each question's child ended, and the walls the job ran behind.
DEFINITIONS_RECORD = "_definitions"
ACCOUNT_RECORD = "_account"
WALLS_RECORD = "_walls"
RECORDS = (DEFINITIONS_RECORD, ACCOUNT_RECORD, WALLS_RECORD)
