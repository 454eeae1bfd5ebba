"""The release on Google Colab, simulated: the notebook runs top to bottom from an empty folder in a
kernel that is Colab's as far as the notebook can tell, its first cell changes none of the packages
Colab preinstalls, and its hand-in zip grades exactly as the notebook does.

Colab cannot be reached from here, so the test builds what the notebook meets there:
- a Python environment with what Colab preinstalls (here: the kit's own packages, seen through a
  folder of links) but without Otter-Grader, which the notebook does not need (its checker is the
  support package's); pip may look only in an empty local folder, never online;
- `google.colab` with Colab's own names and signatures (googlecolab/colabtools): the kernel class
  `google.colab._kernel.Kernel` whose shell is `google.colab._shell.Shell` (the first cell tells
  Colab by that shell's name), `files.upload()` (the student picks tp1_ab_student.zip; the stand-in hands over the
  release's), `files.download()` (recorded), and `_message.blocking_request("get_ipynb")` (the page's
  notebook; Colab keeps notebooks in Drive, not next to the kernel);
- an empty working folder, as /content is.
"""
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import textwrap
import zipfile
from importlib import metadata
from pathlib import Path

import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

from autograder import build, grade
from test_release_experiments import check_cells, filled_release

pytestmark = [pytest.mark.release, pytest.mark.slow]
ROOT = Path(__file__).resolve().parent.parent
STUDENT_ZIP = ROOT / "assignment" / build.STUDENT_ZIP
NAME_ON_COLAB = "tp1_ab_Dupont.ipynb"

FAKE_COLAB = {
    "__init__.py": '"""A stand-in for Google Colab\'s package (googlecolab/colabtools), for the kit\'s tests."""\n',
    "_shell.py": """
        from ipykernel.zmqshell import ZMQInteractiveShell


        class Shell(ZMQInteractiveShell):
            \"\"\"Colab's shell: str(get_ipython()) names google.colab._shell.Shell.\"\"\"
        """,
    "_kernel.py": """
        from ipykernel import ipkernel

        from google.colab import _shell


        class Kernel(ipkernel.IPythonKernel):
            def _shell_class_default(self):
                return _shell.Shell
        """,
    "files.py": """
        import os
        from pathlib import Path


        def _log(line):
            with open(os.environ["FAKE_COLAB_LOG"], "a") as f:
                f.write(line + "\\n")


        def upload():
            \"\"\"The student picks a file in the browser; Colab saves it here and returns {name: bytes}.\"\"\"
            source = Path(os.environ["FAKE_COLAB_UPLOAD"])
            data = source.read_bytes()
            Path(source.name).write_bytes(data)
            _log(f"upload {source.name}")
            return {source.name: data}


        def download(filename):
            if not os.path.exists(filename):
                raise FileNotFoundError(f"Cannot find file: {filename}")
            _log(f"download {os.path.abspath(filename)}")
        """,
    "_message.py": """
        import json
        import os


        def blocking_request(request_type, request="", timeout_sec=5, parent=None):
            with open(os.environ["FAKE_COLAB_LOG"], "a") as f:
                f.write(f"request {request_type}\\n")
            if request_type == "get_ipynb":
                with open(os.environ["FAKE_COLAB_NOTEBOOK"], encoding="utf-8") as f:
                    return {"ipynb": json.load(f)}
            return None
        """,
}


@pytest.fixture(scope="module")
def colab(tmp_path_factory):
    """A kernel spec for a Colab-like kernel: {"kernels": folder of its spec, "site": its site-packages,
    "log": what the stand-in recorded, "notebook": what the page sends}."""
    base = tmp_path_factory.mktemp("colab")
    fake = base / "fake" / "google" / "colab"
    fake.mkdir(parents=True)
    for name, source in FAKE_COLAB.items():
        (fake / name).write_text(textwrap.dedent(source).lstrip())
    # Colab's preinstalled packages: the kit's environment, seen through links, without otter-grader
    ours = Path(sysconfig.get_paths()["purelib"])
    preinstalled = base / "preinstalled"
    preinstalled.mkdir()
    for entry in ours.iterdir():
        if entry.name in ("otter", "__pycache__") or entry.name.startswith("otter_grader-") or entry.suffix == ".pth":
            continue
        (preinstalled / entry.name).symlink_to(entry)
    env = base / "env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env)], check=True, timeout=120)
    site = Path(subprocess.run([str(env / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    (site / "colab_preinstalled.pth").write_text(f"{preinstalled}\n{base / 'fake'}\n")
    wheels = base / "wheels"  # empty: whatever the first cell would install must be there already
    wheels.mkdir()
    log, notebook = base / "colab.log", base / "page.ipynb"
    spec = base / "kernels" / "fake-colab"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [str(env / "bin" / "python"), "-m", "ipykernel_launcher", "-f", "{connection_file}",
                 "--IPKernelApp.kernel_class=google.colab._kernel.Kernel"],
        "display_name": "Colab (simulated)", "language": "python",
        "env": {"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(wheels), "PIP_CONFIG_FILE": os.devnull,
                "PIP_DISABLE_PIP_VERSION_CHECK": "1", "FAKE_COLAB_LOG": str(log),
                "FAKE_COLAB_UPLOAD": str(STUDENT_ZIP), "FAKE_COLAB_NOTEBOOK": str(notebook)}}))
    return {"kernels": base / "kernels", "site": site, "log": log, "notebook": notebook}


def run_on_colab(colab, nb, folder):
    """Execute nb in the Colab-like kernel, with folder as its working directory (Colab's /content)."""
    km = KernelManager(kernel_name="fake-colab", kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(colab["kernels"])]))
    NotebookClient(nb, km=km, timeout=900, resources={"metadata": {"path": str(folder)}}).execute()
    return nb


def page_notebook():
    """The release with its TODO cells filled, as the Colab page holds it (its name in its metadata)."""
    nb = filled_release()
    nb.cells = nb.cells[:-1]  # not the experiments' report cell
    nb.cells.append(nbformat.v4.new_code_cell('print("CHECKER", type(grader).__module__)'))
    nb.metadata["colab"] = {"name": NAME_ON_COLAB, "provenance": []}
    return nb


def installed(colab):
    """{distribution: version} of the simulated Colab environment, as `pip list` gives it."""
    python = Path(colab["site"]).parents[2] / "bin" / "python"
    listed = subprocess.run([str(python), "-m", "pip", "list", "--format=json", "--disable-pip-version-check"],
                            capture_output=True, text=True, check=True, env={**os.environ, "PIP_CONFIG_FILE": os.devnull})
    return {d["name"]: d["version"] for d in json.loads(listed.stdout)}


@pytest.fixture(scope="module")
def ran(colab, tmp_path_factory):
    """The notebook run top to bottom on the simulated Colab, from an empty folder; what pip listed
    before and after."""
    content = tmp_path_factory.mktemp("content")
    nb = page_notebook()
    nbformat.write(nb, colab["notebook"])
    before = installed(colab)
    run_on_colab(colab, nb, content)
    return nb, content, before, installed(colab)


def test_the_first_cell_fetches_the_uploaded_course_files_and_changes_no_package(colab, ran):
    nb, content, before, after = ran
    assert after == before and "otter-grader" not in after  # Colab's packages as they were; no Otter
    assert colab["log"].read_text().splitlines()[0] == f"upload {build.STUDENT_ZIP}"
    assert (content / "tp1_support" / "checks.py").is_file() and (content / "tests" / "backward.py").is_file()
    assert not (content / "tp1_ab.ipynb").exists()  # the notebook is Colab's, in Drive
    printed = "".join(o.get("text", "") for o in nb.cells[-1].outputs if o.output_type == "stream")
    assert printed.strip() == "CHECKER tp1_support.checker"


def test_every_public_check_passes_on_colab(ran):
    nb, *_ = ran
    outputs = check_cells(nb)
    assert len(outputs) == 15
    for question, cell_outputs in outputs.items():
        html = "".join(o.get("data", {}).get("text/html", "") for o in cell_outputs if o.output_type == "execute_result")
        assert f"{question}: public checks passed ✓" in html and "grading uses other inputs" in html, (question, cell_outputs)
    assert not [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]


def test_the_hand_in_zip_is_downloaded_and_grades_exactly_as_the_notebook(colab, ran, tmp_path):
    nb, content, *_ = ran
    [made] = content.glob("tp1_ab_Dupont_*.zip")
    assert f"download {made}" in colab["log"].read_text().splitlines()
    cell = next(c for c in nb.cells if "make_handin_zip()" in c.source)
    assert not [o for o in cell.outputs if o.output_type == "error" or o.get("name") == "stderr"]
    with zipfile.ZipFile(made) as zf:
        assert sorted(zf.namelist()) == sorted([NAME_ON_COLAB, "__zip_filename__"])
        assert json.loads(zf.read(NAME_ON_COLAB)) == json.loads(colab["notebook"].read_text())
    for folder, path in (("zip", made), ("ipynb", colab["notebook"])):
        (tmp_path / folder).mkdir()
        shutil.copy(path, tmp_path / folder / ("student" + path.suffix))
    results = grade.grade_all([tmp_path / "zip" / "student.zip", tmp_path / "ipynb" / "student.ipynb"],
                              tmp_path / "out", jobs=1, progress=False, use_cache=False)
    from_zip, from_notebook = ([(q.id, q.score, q.output) for q in r.questions] for r in results)
    assert [r.status for r in results] == ["graded", "graded"]
    assert from_zip == from_notebook and results[0].total == results[1].total == 100.0


def test_the_course_address_set_at_make_assign_replaces_the_upload(colab, tmp_path):
    """With [release] student_files_url set, the first cell downloads the zip from there (a file://
    address here: nothing leaves the machine) and asks nothing."""
    nb = page_notebook()
    setup = next(i for i, c in enumerate(nb.cells) if "STUDENT_FILES_URL =" in c.source)
    build.set_student_files_url(nb, STUDENT_ZIP.as_uri())
    sgd = next(c for c in nb.cells if c.source.startswith("def sgd("))
    nb.cells = [nb.cells[setup], sgd, nbformat.v4.new_code_cell('grader.check("sgd")')]
    before = colab["log"].read_text() if colab["log"].exists() else ""
    run_on_colab(colab, nb, tmp_path)
    assert (tmp_path / "tp1_support" / "checks.py").is_file() and not (tmp_path / build.STUDENT_ZIP).exists()
    assert "upload" not in colab["log"].read_text()[len(before):]
    html = "".join(o.get("data", {}).get("text/html", "") for o in nb.cells[-1].outputs)
    assert "sgd: public checks passed ✓" in html
