"""The questions' registries agree with the contract (tp1_support/contract.py, shared by the grader,
the sandbox and the release): each place that lists the graded questions (the config, the hidden
checks, the probes that run in the sandbox, points.toml, the master notebook, the public checks, the
catalogue of mistakes, the assignment's graded names, the report's figures) names the contract's
ids, in the orders the contract gives. A question added, renamed or dropped in one of them and not
the others fails here, with the disagreement named; the grader, the probes and the public checks
take the contract's names, caps, cost model, allowlist and record names rather than copies of them;
and the submission statuses the contract documents are the ones the grader writes.

The orders: the gradebook's (contract.QUESTION_IDS, config.QUESTION_IDS, checks.ORDER, points.toml,
the notebook) is the TP's; the hidden checks run in the contract's RUN_ORDER: the TP's except the
training questions (those whose probe calls other questions' functions, `needs`), which run last,
after every question they need."""
import ast
import inspect
import re
import sys
import tomllib
from pathlib import Path

from autograder import build, checks, config, reports
from autograder.checks import accuracy, part1
from autograder.pipeline import assignment, read
from autograder.results import Status
from autograder.untrusted import probes
from tp1_support import catalogue, contract
from tp1_support import checks as public_checks

ROOT = Path(__file__).resolve().parent.parent
IDS = list(contract.QUESTION_IDS)


def differ(name, got, expected=IDS):
    """The disagreement between a registry and the contract's ids, in words."""
    got, expected = list(got), list(expected)
    extra, missing = [q for q in got if q not in expected], [q for q in expected if q not in got]
    if extra or missing:
        return f"{name}: not in contract.QUESTION_IDS {extra}, missing {missing}"
    return f"{name}: the same ids in another order: {got}, not {expected}"


def test_the_contract_lists_each_question_once_with_a_kind_and_what_it_needs_before_it():
    assert len(set(IDS)) == len(IDS), f"contract.QUESTION_IDS repeats an id: {IDS}"
    assert list(contract.BY_ID) == IDS
    assert sorted(contract.RUN_ORDER) == sorted(IDS), differ("contract.RUN_ORDER", contract.RUN_ORDER)
    for question in contract.QUESTIONS:
        assert question.kind in contract.KINDS, f"{question.id} is of no kind of contract.KINDS: {question.kind!r}"
        assert question.seconds > 0, f"{question.id} has no time budget"
        assert (question.kind == "training") == bool(question.needs), (
            f"{question.id}: a training run (and only one) calls the functions of the questions it needs")
        for need in question.needs:
            assert need in contract.BY_ID and contract.BY_ID[need].kind == "function", (
                f"{question.id} needs {need!r}, which is not a function question")
            assert contract.RUN_ORDER.index(need) < contract.RUN_ORDER.index(question.id), (
                f"{question.id} runs before {need}, which it needs")
    assert contract.ACCURACY_QUESTIONS == tuple(q for q in IDS if contract.BY_ID[q].accuracy)
    assert contract.GRADED_NAMES == {q for q in IDS if contract.BY_ID[q].kind != "training"}


def test_the_contract_ships_nothing_of_the_grader_and_nothing_secret():
    tree = ast.parse((ROOT / "solutions" / "tp1_support" / "contract.py").read_text())
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {(node.module or "").split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert imported <= set(sys.stdlib_module_names), f"the contract imports {sorted(imported - set(sys.stdlib_module_names))}"
    text = (ROOT / "solutions" / "tp1_support" / "contract.py").read_text()
    secret = [name for name in vars(contract) if re.search(r"seed|secret|hidden|expected", name, flags=re.I)]
    assert not secret, f"the contract, which ships to students, names {secret}"
    assert (ROOT / "assignment" / "tp1_support" / "contract.py").read_text() == text, (
        "the release's contract is not solutions/tp1_support/contract.py: run make assign")


def test_the_gradebook_ids_are_the_contracts_and_the_hidden_checks_use_them():
    assert list(config.QUESTION_IDS) == IDS, differ("config.QUESTION_IDS", config.QUESTION_IDS)
    assert list(config.ACCURACY_QUESTIONS) == list(contract.ACCURACY_QUESTIONS)
    assert checks.ORDER == IDS, differ("checks.ORDER", checks.ORDER)
    run = [q.id for q in checks.QUESTIONS]
    assert run == list(contract.RUN_ORDER), differ("checks.QUESTIONS", run, contract.RUN_ORDER)
    assert list(checks.BY_ID) == run, "checks.BY_ID is not checks.QUESTIONS by id"
    assert sorted(checks.HIDDEN_TESTS) == sorted(IDS), differ("checks.HIDDEN_TESTS", checks.HIDDEN_TESTS)
    for question in checks.QUESTIONS:
        promised = contract.BY_ID[question.id]
        assert (question.part, question.seconds, question.needs) == (promised.part, promised.seconds, promised.needs), (
            f"checks.BY_ID[{question.id!r}] is not the contract's part, budget and needs")


def test_the_grader_the_probes_and_the_public_checks_take_the_contracts_names_and_limits():
    assert part1.PARAMS == probes.PARAM_NAMES == public_checks.PARAMS == contract.PARAM_NAMES
    assert part1.OUTPUTS == probes.OUTPUT_NAMES == public_checks.OUTPUTS == contract.OUTPUT_NAMES
    assert accuracy.HPARAM_KEYS == public_checks.HPARAM_KEYS == contract.HPARAM_KEYS
    assert accuracy.MAX_SUPPORT_VECTORS == probes.MAX_SUPPORT_VECTORS == contract.MAX_SUPPORT_VECTORS
    assert accuracy.mnist_seconds is probes.mnist_seconds is contract.mnist_seconds
    assert (accuracy.MNIST_COST, accuracy.MNIST_MAX_SECONDS, accuracy.MNIST_TRAIN_SIZE, accuracy.MNIST_INPUTS) == (
        contract.MNIST_COST, contract.MNIST_MAX_SECONDS, contract.MNIST_TRAIN_SIZE, contract.MNIST_INPUTS)
    # the budget the probe is sent is the contract's; the release's grading.json holds no copy of it
    _, params = accuracy.mnist_accuracy_inputs(0)[0], accuracy.mnist_accuracy_inputs(0)[1]
    assert params["cost"] == contract.MNIST_COST and params["max_seconds"] == contract.MNIST_MAX_SECONDS
    assert set(build.grading_parameters()["mnist"]) == {"underfit_loss"}
    assert list(build.grading_parameters()["thresholds"]) == list(contract.ACCURACY_QUESTIONS)


def test_the_reader_and_the_sandbox_share_the_definitions_allowlist():
    assert (read.SAFE_CALLS, read.DECORATORS, read.ACCESSOR_DECORATORS, read.TRUSTED_NAME) == (
        contract.SAFE_CALLS, contract.DECORATORS, contract.ACCESSOR_DECORATORS, contract.TRUSTED_NAME)
    trusted = contract.trusted_names()
    assert set(trusted) == set(contract.SAFE_CALLS) | contract.DECORATORS, (
        "the sandbox binds other names than the reader lets through")
    assert all(callable(value) for value in trusted.values())


def test_the_sandbox_records_are_named_by_the_contract_only():
    sides = [ROOT / "autograder" / "untrusted", ROOT / "autograder" / "pipeline"]
    for folder in sides:
        for path in sorted(folder.rglob("*.py")):
            for record in contract.RECORDS:
                assert f'"{record}"' not in path.read_text(), (
                    f"{path.relative_to(ROOT)} spells the record {record!r} instead of the contract's name for it")


def test_the_hidden_checks_run_in_the_tp_order_with_the_training_questions_last():
    training = [q.id for q in checks.QUESTIONS if q.needs]
    expected = [q for q in IDS if q not in training] + [q for q in IDS if q in training]
    run = [q.id for q in checks.QUESTIONS]
    assert run == expected, f"checks.QUESTIONS runs {run}, not the TP's order with {training} last: {expected}"
    for position, question in enumerate(checks.QUESTIONS):
        for need in question.needs:
            assert need in checks.BY_ID, f"{question.id} needs {need!r}, which is not a question"
            assert run.index(need) < position, f"{question.id} runs before {need}, which it needs"


def test_every_question_has_a_probe_in_the_sandbox():
    assert list(probes.PROBES) == IDS, differ("untrusted probes.PROBES", probes.PROBES)
    assert all(callable(probe) for probe in probes.PROBES.values())


def test_points_toml_prices_every_question_and_thresholds_the_accuracy_questions():
    with open(config.POINTS_FILE, "rb") as f:
        table = tomllib.load(f)
    assert list(table["questions"]) == IDS, differ("points.toml [questions]", table["questions"])
    assert list(config.load().question_points) == IDS, differ("config.load().question_points",
                                                              config.load().question_points)
    thresholded = [q.id for q in checks.QUESTIONS if "thresholds" in q.settings]
    assert sorted(config.ACCURACY_QUESTIONS) == sorted(thresholded), (
        f"config.ACCURACY_QUESTIONS {config.ACCURACY_QUESTIONS} are not the checks that take thresholds {thresholded}")
    assert sorted(table["thresholds"]) == sorted(config.ACCURACY_QUESTIONS), (
        f"points.toml [thresholds] {sorted(table['thresholds'])} are not config.ACCURACY_QUESTIONS "
        f"{sorted(config.ACCURACY_QUESTIONS)}")
    assert [q for q in IDS if q in config.ACCURACY_QUESTIONS] == list(config.ACCURACY_QUESTIONS), (
        f"config.ACCURACY_QUESTIONS {config.ACCURACY_QUESTIONS} is not in the TP's order")


def test_the_master_notebook_declares_the_questions_in_the_tp_order():
    names = re.findall(r"^# name: (\S+)$", (ROOT / "solutions" / "tp1_ab.py").read_text(), flags=re.M)
    graded = [n for n in names if n != "tp1_ab"]  # the assignment's own name comes first
    assert graded == IDS, differ("solutions/tp1_ab.py's Otter questions", graded)


def test_the_graded_names_are_the_questions_that_are_not_a_training_run_and_the_notebook_defines_them():
    training = {q.id for q in checks.QUESTIONS if q.needs}
    assert assignment.GRADED_NAMES == contract.GRADED_NAMES == set(IDS) - training, (
        f"pipeline.assignment.GRADED_NAMES {sorted(assignment.GRADED_NAMES)} are not the questions without "
        f"a training run {sorted(set(IDS) - training)}")
    tree = ast.parse((ROOT / "solutions" / "tp1_ab.py").read_text())
    defined = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
    defined |= {t.id for node in tree.body if isinstance(node, ast.Assign) for t in node.targets
                if isinstance(t, ast.Name)}
    assert not assignment.GRADED_NAMES - defined, (
        f"the master notebook defines no {sorted(assignment.GRADED_NAMES - defined)} at top level")


def test_every_question_has_its_public_check():
    public = sorted(name for name, f in vars(public_checks).items()
                    if name.startswith("check_") and inspect.isfunction(f) and f.__module__ == public_checks.__name__)
    expected = sorted(f"check_{q.lower()}" for q in IDS)
    assert public == expected, (f"tp1_support.checks: check_* functions not of a question "
                                f"{sorted(set(public) - set(expected))}, questions without one "
                                f"{sorted(set(expected) - set(public))}")


def test_the_catalogue_charges_its_mistakes_to_questions():
    charged = {m.question for m in catalogue.CATALOGUE.values()}
    assert charged <= set(IDS), f"tp1_support.catalogue charges mistakes to unknown questions {sorted(charged - set(IDS))}"
    # Each function (or constant) the student writes has its known mistakes; a training question may
    # have none of its own (circles_accuracy charges the functions it trains).
    without = [q for q in sorted(assignment.GRADED_NAMES) if q not in charged]
    assert not without, f"tp1_support.catalogue has no mistake for the graded names {without}"


def _dict_keys(node):
    return {k.value for k in node.keys if isinstance(k, ast.Constant)}


def figures_read_by_the_report():
    """{question id: the figure keys reports.student_figures reads of it}, from its source."""
    tree = ast.parse(inspect.getsource(reports.student_figures))
    question_of = {}  # local name -> question id: `circles = by_id.get("circles_accuracy")`
    for node in ast.walk(tree):
        if (isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)
                and getattr(node.value.func, "attr", "") == "get" and node.value.args
                and isinstance(node.value.args[0], ast.Constant)):
            question_of[node.targets[0].id] = node.value.args[0].value
    read = {}
    for node in ast.walk(tree):  # `circles.figures.get("k")` and `circles.figures["k"]`
        figures = None
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "get":
            figures, key = node.func.value, node.args[0] if node.args else None
        elif isinstance(node, ast.Subscript):
            figures, key = node.value, node.slice
        if (isinstance(figures, ast.Attribute) and figures.attr == "figures" and isinstance(figures.value, ast.Name)
                and isinstance(key, ast.Constant)):
            read.setdefault(question_of[figures.value.id], set()).add(key.value)
    return read


def figures_made_by_the_judge(question):
    """The keys the question's judge puts in its verdict's figures (`v.figures = {...}`), from its source."""
    tree = ast.parse(inspect.getsource(question.judge))
    return set().union(*(_dict_keys(node.value) for node in ast.walk(tree)
                         if isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict)
                         and any(getattr(t, "attr", "") == "figures" for t in node.targets)))


def test_the_report_draws_only_figures_the_judges_make():
    read = figures_read_by_the_report()
    assert read, "found no figure read in reports.student_figures: this test no longer reads it"
    for qid, keys in read.items():
        assert qid in checks.BY_ID, f"reports.student_figures draws figures of {qid!r}, which is not a question"
        made = figures_made_by_the_judge(checks.BY_ID[qid])
        assert keys <= made, (f"reports.student_figures reads {sorted(keys - made)} of {qid}, which its judge "
                              f"{checks.BY_ID[qid].judge.__name__} does not make (it makes {sorted(made)})")


def test_the_statuses_the_contract_documents_are_the_ones_the_grader_writes():
    text = (ROOT / "docs" / "contract.md").read_text()
    found = re.search(r"`status` is `graded` or why not\s*\(([^)]*)\)", text)
    assert found, "docs/contract.md no longer lists the statuses after \"`status` is `graded` or why not\""
    documented = ["graded", *re.findall(r"`(\w+)`", found.group(1))]
    assert sorted(documented) == sorted(s.value for s in Status), (
        f"docs/contract.md documents {sorted(documented)}, autograder.results.Status has "
        f"{sorted(s.value for s in Status)}")
    assert all(s.description for s in Status)

