"""Probes: call the student's functions on the grader's inputs and record what they return.

Runs INSIDE the sandbox, in a child process of its own per question (runner.py), started from the
state right after the notebook's definitions were made (no code of the notebook ran then). A probe
never knows the expected answer: it calls, converts what came back to plain arrays (`arrays`) and
describes it (`meta`). Once a student function has run, everything in this process is the
student's: what a probe records after that is the student's answer to this question and nothing
more, and the grader's checks (trusted, outside the sandbox) validate every value. Scores that need
more than a returned value (an accuracy, a training result) are computed on the trusted side from
the parameters the student's functions produced, on data that never enters the sandbox.
"""
# One module a concern: the probes of each part (part1, torch_api, mnist, svm), the guards around
# backward (guards) and what every probe uses to record (record). PROBES, the registry runner.py
# calls, is here; so are the names the runner, the tests and the benchmarks use (re-exported).
from tp1_support.autograd_guard import AutogradNotAllowed
from tp1_support.contract import MAX_SUPPORT_VECTORS, OUTPUT_NAMES, PARAM_NAMES, mnist_seconds

from .guards import autograd_blocked, backward_guards
from .mnist import probe_mnist_accuracy, probe_mnist_hparams
from .part1 import (_check_step, _snapshot, probe_backward, probe_circles_accuracy, probe_forward,
                    probe_init_params, probe_loss_accuracy, probe_sgd)
from .record import Missing, describe, only_arrays, only_json
from .svm import probe_fit_svm
from .torch_api import (probe_init_model, probe_init_model_optim, probe_init_params_autograd, probe_loss_accuracy_nn,
                        probe_sgd_autograd, probe_sgd_nn)

PROBES = {
    "init_params": probe_init_params,
    "forward": probe_forward,
    "loss_accuracy": probe_loss_accuracy,
    "backward": probe_backward,
    "sgd": probe_sgd,
    "circles_accuracy": probe_circles_accuracy,
    "init_params_autograd": probe_init_params_autograd,
    "sgd_autograd": probe_sgd_autograd,
    "init_model": probe_init_model,
    "loss_accuracy_nn": probe_loss_accuracy_nn,
    "sgd_nn": probe_sgd_nn,
    "init_model_optim": probe_init_model_optim,
    "MNIST_HPARAMS": probe_mnist_hparams,
    "mnist_accuracy": probe_mnist_accuracy,
    "fit_svm": probe_fit_svm,
}

