"""The hidden tests: for each question id, the inputs the probe gets and the check that judges
what came back. Checks are pure functions (inputs, outputs) -> Verdict, run in the grader's process."""
import functools
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from . import accuracy, part1, torch_api

POINTS_FILE = Path(__file__).resolve().parent.parent / "points.toml"


@dataclass(frozen=True)
class Question:
    id: str
    part: str
    make_inputs: Callable
    judge: Callable
    seconds: float  # the probe's own time budget


QUESTIONS = [
    Question("init_params", "1 manual", part1.init_params_inputs, part1.judge_init_params, 10),
    Question("forward", "1 manual", part1.forward_inputs, part1.judge_forward, 10),
    Question("loss_accuracy", "1 manual", part1.loss_accuracy_inputs, part1.judge_loss_accuracy, 10),
    Question("backward", "1 manual", part1.backward_inputs, part1.judge_backward, 10),
    Question("sgd", "1 manual", part1.sgd_inputs, part1.judge_sgd, 10),
    Question("init_params_autograd", "2 autograd", torch_api.init_params_autograd_inputs,
             torch_api.judge_init_params_autograd, 10),
    Question("sgd_autograd", "2 autograd", torch_api.sgd_autograd_inputs, torch_api.judge_sgd_autograd, 10),
    Question("init_model", "3 torch.nn", torch_api.init_model_inputs, torch_api.judge_init_model, 10),
    Question("loss_accuracy_nn", "3 torch.nn", torch_api.loss_accuracy_nn_inputs, torch_api.judge_loss_accuracy_nn, 10),
    Question("sgd_nn", "3 torch.nn", torch_api.sgd_nn_inputs, torch_api.judge_sgd_nn, 10),
    Question("init_model_optim", "4 torch.optim", torch_api.init_model_optim_inputs,
             torch_api.judge_init_model_optim, 10),
    Question("MNIST_HPARAMS", "5 MNIST", accuracy.mnist_hparams_inputs, accuracy.judge_mnist_hparams, 10),
    Question("fit_svm", "6 SVM", accuracy.fit_svm_inputs, accuracy.judge_fit_svm, 30),
    # The training runs last: a timeout there cannot cost the questions above.
    Question("circles_accuracy", "1 manual", accuracy.circles_accuracy_inputs, accuracy.judge_circles_accuracy, 30),
    Question("mnist_accuracy", "5 MNIST", accuracy.mnist_accuracy_inputs, accuracy.judge_mnist_accuracy, 60),
]
BY_ID = {q.id: q for q in QUESTIONS}
ORDER = [  # the order of the gradebook's columns: the TP's
    "init_params", "forward", "loss_accuracy", "backward", "sgd", "circles_accuracy", "init_params_autograd",
    "sgd_autograd", "init_model", "loss_accuracy_nn", "sgd_nn", "init_model_optim", "MNIST_HPARAMS",
    "mnist_accuracy", "fit_svm"]


@functools.cache
def settings():
    with open(POINTS_FILE, "rb") as f:
        config = tomllib.load(f)
    missing = set(ORDER) - set(config["questions"])
    if missing:
        raise ValueError(f"{POINTS_FILE} gives no points for {sorted(missing)}")
    return config


def points(qid):
    return float(settings()["questions"][qid]["points"])


def judge(question, arrays_in, params, out, meta, context=None):
    """The verdict of one question. context: what the grader knows of the notebook itself
    (`autograd_uses`: backward's static autograd signal)."""
    config = settings()
    context = context or {}
    if question.id == "backward":
        return question.judge(arrays_in, params, out, meta,
                              summed_credit=config["settings"]["summed_gradient_credit"],
                              autograd_uses=context.get("autograd_uses", ()))
    if question.id in config.get("thresholds", {}):
        return question.judge(arrays_in, params, out, meta, config["thresholds"][question.id])
    return question.judge(arrays_in, params, out, meta)
