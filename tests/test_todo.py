"""tp1_support.todo: what an experiment cell says when a function it uses is still a TODO of the release."""
import importlib.util
import textwrap

import pytest

from tp1_support.todo import NotFilledIn, is_todo, needs

CELLS = '''
def stub(params, X):
    """A graded function as the release hands it out."""
    # TODO: the four equations above; a numerically stable SoftMax.
    ...


def loop_stub(data, epochs):
    history = {}
    for epoch in range(epochs):
        for idx in range(3):
            # TODO: one step of mini-batch SGD on this batch
            # (see the steps above)
            ...
        history[epoch] = epoch
    return history


def middle_stub(mnist, hp):
    seed = 0
    # TODO: the network, its loss and its optimizer
    ...
    return model, history


def filled(params, X):
    # TODO: the four equations above
    return X


def middle_stub_written_below(mnist, hp):
    seed = 0
    # TODO: the network, its loss and its optimizer
    ...
    model, history = hp, [seed]
    return model, history


def kept_the_stub_and_wrote_below(data, epochs):
    for epoch in range(epochs):
        # TODO: one step
        ...
        data = data + 1
    return data


def ellipsis_of_its_own(x):
    if x:
        ...  # nothing to do
    return x


MNIST_HPARAMS = ...
DONE = {"nh": 100}
'''


@pytest.fixture(scope="module")
def cells(tmp_path_factory):
    """The functions above, defined from a file, as IPython defines a cell's (inspect reads their source)."""
    path = tmp_path_factory.mktemp("cells") / "cells.py"
    path.write_text(textwrap.dedent(CELLS))
    spec = importlib.util.spec_from_file_location("todo_cells", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return vars(module)


def test_a_stub_is_a_bare_ellipsis_right_below_a_todo_comment(cells):
    assert is_todo(cells["stub"]) and is_todo(cells["loop_stub"]) and is_todo(cells["middle_stub"])
    assert is_todo(cells["MNIST_HPARAMS"])
    for written in ("filled", "ellipsis_of_its_own", "DONE"):
        assert not is_todo(cells[written]), written
    # a `...` left in place above the code the student wrote is harmless (Python skips it): the function
    # is written, and the experiment that uses it must run
    assert not is_todo(cells["kept_the_stub_and_wrote_below"])
    assert not is_todo(cells["middle_stub_written_below"])


def test_a_function_without_readable_source_counts_as_written():
    namespace = {}
    exec("def f(x):\n    # TODO\n    ...\n", namespace)  # no file: inspect cannot read it
    assert not is_todo(namespace["f"]) and not is_todo(len) and not is_todo(None)


def _run_needs(namespace, *names):
    """needs(*names) called from a cell whose globals are namespace."""
    namespace = dict(namespace, needs=needs)
    exec(f"needs{names!r}", namespace)


def test_needs_names_every_function_to_fill_in_and_says_nothing_when_all_are_written(cells):
    _run_needs(cells, "filled", "DONE")  # nothing raised
    with pytest.raises(NotFilledIn) as one:
        _run_needs(cells, "filled", "stub")
    assert str(one.value) == "fill in stub first: this cell uses it, and it still holds the `...` of its TODO"
    with pytest.raises(NotFilledIn) as several:
        _run_needs(cells, "stub", "filled", "loop_stub", "MNIST_HPARAMS", "not_run_yet")
    assert str(several.value) == ("fill in stub, loop_stub and MNIST_HPARAMS first: this cell uses them, and they "
                                  "still hold the `...` of their TODO")


def test_needs_says_which_cell_to_run_when_a_name_is_not_defined(cells):
    with pytest.raises(NotFilledIn) as one:
        _run_needs(cells, "filled", "history_manual")
    assert str(one.value) == "run the cell that defines history_manual first: this cell uses it"
    with pytest.raises(NotFilledIn) as several:
        _run_needs(cells, "history_manual", "history_nn")
    assert str(several.value) == "run the cells that define history_manual and history_nn first: this cell uses them"


def test_jupyter_shows_the_message_alone():
    error = NotFilledIn("fill in stub first: this cell uses it, and it still holds the `...` of its TODO")
    assert error._render_traceback_() == [
        "NotFilledIn: fill in stub first: this cell uses it, and it still holds the `...` of its TODO"]
