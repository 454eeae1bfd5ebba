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


# Each question's inputs and judge, and what its judge takes; its part, budget and needs are the
# contract's (tp1_support/contract.py), and so is the order the questions run in.
HIDDEN_TESTS = {
    "init_params": dict(make_inputs=part1.init_params_inputs, judge=part1.judge_init_params),
    "forward": dict(make_inputs=part1.forward_inputs, judge=part1.judge_forward),
    "loss_accuracy": dict(make_inputs=part1.loss_accuracy_inputs, judge=part1.judge_loss_accuracy),
    "backward": dict(make_inputs=part1.backward_inputs, judge=part1.judge_backward, settings=("summed_credit",),
                     context=("autograd_uses",), timeout_hint=part1.BACKWARD_TIMEOUT_HINT),
    "sgd": dict(make_inputs=part1.sgd_inputs, judge=part1.judge_sgd),
    "circles_accuracy": dict(make_inputs=accuracy.circles_accuracy_inputs, judge=accuracy.judge_circles_accuracy,
                             settings=("thresholds",)),
    "init_params_autograd": dict(make_inputs=torch_api.init_params_autograd_inputs,
                                 judge=torch_api.judge_init_params_autograd),
    "sgd_autograd": dict(make_inputs=torch_api.sgd_autograd_inputs, judge=torch_api.judge_sgd_autograd),
    "init_model": dict(make_inputs=torch_api.init_model_inputs, judge=torch_api.judge_init_model),
    "loss_accuracy_nn": dict(make_inputs=torch_api.loss_accuracy_nn_inputs, judge=torch_api.judge_loss_accuracy_nn),
    "sgd_nn": dict(make_inputs=torch_api.sgd_nn_inputs, judge=torch_api.judge_sgd_nn),
    "init_model_optim": dict(make_inputs=torch_api.init_model_optim_inputs, judge=torch_api.judge_init_model_optim),
    "MNIST_HPARAMS": dict(make_inputs=accuracy.mnist_hparams_inputs, judge=accuracy.judge_mnist_hparams),
    "mnist_accuracy": dict(make_inputs=accuracy.mnist_accuracy_inputs, judge=accuracy.judge_mnist_accuracy,
                           settings=("thresholds",)),
    "fit_svm": dict(make_inputs=accuracy.fit_svm_inputs, judge=accuracy.judge_fit_svm, settings=("thresholds",)),
}
QUESTIONS = [Question(qid, config.CONTRACT.BY_ID[qid].part, seconds=config.CONTRACT.BY_ID[qid].seconds,
                      needs=config.CONTRACT.BY_ID[qid].needs, **HIDDEN_TESTS[qid])
             for qid in config.CONTRACT.RUN_ORDER]  # the order the sandbox runs them
BY_ID = {q.id: q for q in QUESTIONS}
ORDER = list(config.QUESTION_IDS)  # the order of the gradebook's columns: the TP's


def points(qid):
    return config.load().points(qid)


def judge(question, arrays_in, params, out, meta, context=None):
    """The verdict of one question: its judge, given the settings and the context it declares."""
    context = context or {}
    return question.judge(arrays_in, params, out, meta, **config.load().settings_for(question.id, question.settings),
                          **{name: context.get(name, ()) for name in question.context})
