"""The hidden tests: for each question id, the inputs the probe gets and the check that judges
what came back. Checks are pure functions (inputs, outputs) -> Verdict, run in the grader's process."""
from dataclasses import dataclass
from typing import Callable

from .. import config
from . import accuracy, part1, torch_api


@dataclass(frozen=True)
class Question:
    id: str
    part: str
    make_inputs: Callable
    judge: Callable
    seconds: float  # the probe's own time budget
    settings: tuple = ()  # the points.toml settings its judge takes (autograder.config.Config.settings_for)
    context: tuple = ()  # what the grader knows of the notebook itself that its judge takes
    # The questions whose functions its probe calls thousands of times: when one of them ran out of
    # time on its own inputs, this probe is not started (it could not finish either).
    needs: tuple = ()
    # What a timeout of this question most likely means, when it is not an infinite loop.
    timeout_hint: str = ""


QUESTIONS = [
    Question("init_params", "1 manual", part1.init_params_inputs, part1.judge_init_params, 10),
    Question("forward", "1 manual", part1.forward_inputs, part1.judge_forward, 10),
    Question("loss_accuracy", "1 manual", part1.loss_accuracy_inputs, part1.judge_loss_accuracy, 10),
    Question("backward", "1 manual", part1.backward_inputs, part1.judge_backward, 10,
             settings=("summed_credit",), context=("autograd_uses",), timeout_hint=part1.BACKWARD_TIMEOUT_HINT),
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
    Question("fit_svm", "6 SVM", accuracy.fit_svm_inputs, accuracy.judge_fit_svm, 30, settings=("thresholds",)),
    # The training runs last: each question runs in a process of its own, but a job's wall clock is shared.
    Question("circles_accuracy", "1 manual", accuracy.circles_accuracy_inputs, accuracy.judge_circles_accuracy, 30,
             settings=("thresholds",), needs=("forward", "backward", "sgd")),
    Question("mnist_accuracy", "5 MNIST", accuracy.mnist_accuracy_inputs, accuracy.judge_mnist_accuracy, 60,
             settings=("thresholds",), needs=("init_model_optim", "loss_accuracy_nn")),
]
BY_ID = {q.id: q for q in QUESTIONS}
ORDER = list(config.QUESTION_IDS)  # the order of the gradebook's columns: the TP's


def points(qid):
    return config.load().points(qid)


def judge(question, arrays_in, params, out, meta, context=None):
    """The verdict of one question: its judge, given the settings and the context it declares."""
    context = context or {}
    return question.judge(arrays_in, params, out, meta, **config.load().settings_for(question.id, question.settings),
                          **{name: context.get(name, ()) for name in question.context})
