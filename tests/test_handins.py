"""Reading a class's hand-ins as Moodle, Canvas and Gradescope download them (autograder.handins).

The layouts are built in tmp_path with the names each system writes (the modules of
autograder/handins/layouts/ cite where each naming comes from); the notebooks are small fakes: nothing
here grades."""
import json
import os
import tomllib
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograder import handins
from autograder.handins import HandinsError, discover, load_roster, safe_id
from autograder.pipeline import assignment
from autograder.pipeline.assignment import assignment_mismatch

ROOT = Path(__file__).resolve().parent.parent


def notebook(defines="forward", assignment_name="tp1_ab"):
    meta = {"otter": {"assignment_name": assignment_name}} if assignment_name else {}
    return {"nbformat": 4, "nbformat_minor": 5, "metadata": meta,
            "cells": [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                       "source": f"import torch\n\ndef {defines}(params, X):\n    return X\n"}]}


def write_nb(path, **kw):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(notebook(**kw)))
    return path


def write_export_zip(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("tp1_ab.ipynb", json.dumps(notebook()))
        zf.writestr(".OTTER_LOG", b"\x80\x04log")
    return path


def ids(discovery):
    return [h.id for h in discovery.handins]


def by_id(discovery):
    return {h.id: h for h in discovery.handins}


# --- plain files -------------------------------------------------------------------------------

def test_plain_files_ids_are_file_names_and_every_other_file_is_listed(tmp_path):
    write_nb(tmp_path / "alice.ipynb")
    write_nb(tmp_path / "bob.IPYNB")
    write_nb(tmp_path / "carol.ipynb.txt")
    write_export_zip(tmp_path / "dave_2026_11_29T08_35_44_319881.zip")
    (tmp_path / "erin.pdf").write_bytes(b"%PDF-1.5")
    (tmp_path / "erin.py").write_text("def forward(): pass\n")
    (tmp_path / "plot.png").write_bytes(b"\x89PNG")
    (tmp_path / ".DS_Store").write_bytes(b"\0")
    d = discover([tmp_path])
    assert d.layout == "file"
    assert ids(d) == ["alice", "bob", "carol", "dave"]
    assert by_id(d)["bob"].path == tmp_path / "bob.IPYNB"
    assert by_id(d)["dave"].path.name == "dave_2026_11_29T08_35_44_319881.zip"
    assert by_id(d)["carol"].notes == ("carol.ipynb.txt was saved by a browser as .txt: graded as a notebook",)
    skipped = {s.path.name: s.category for s in d.skipped}
    assert skipped == {"erin.pdf": "pdf", "erin.py": "python", "plot.png": "image", ".DS_Store": "hidden"}
    assert d.errors == [] and d.missing == [] and d.unknown == []


def test_export_zips_named_by_otter_alone_do_not_identify_students(tmp_path):
    write_export_zip(tmp_path / "tp1_ab_2026_11_29T08_35_44_319881.zip")
    write_export_zip(tmp_path / "tp1_ab_2026_11_29T09_00_00_000001.zip")
    d = discover([tmp_path])
    assert d.handins == []
    [error] = d.errors
    assert error.ids == ("tp1_ab",) and len(d.students) == 1  # one student, one row
    assert "two hand-ins resolve to the same student id" in error.message


def test_a_single_file_given_directly(tmp_path):
    path = write_nb(tmp_path / "zoé.ipynb")
    d = discover([path])
    assert ids(d) == ["zoé"] and d.handins[0].path == path


def test_ids_that_differ_only_by_case_clash(tmp_path):
    write_nb(tmp_path / "Alice.ipynb")
    write_nb(tmp_path / "alice.ipynb")
    d = discover([tmp_path])
    assert d.handins == []
    assert [(r.id, r.status) for r in d.students] == [("Alice", "ambiguous"), ("alice", "ambiguous")]
    assert [e.ids for e in d.errors] == [("Alice",), ("alice",)]
    assert "two hand-ins resolve to the same student id (ignoring case)" in d.errors[0].message


def test_two_files_of_one_student_id_are_one_row_and_a_pick_decides(tmp_path):
    first = write_export_zip(tmp_path / "a" / "tp1_ab_2026_11_29T08_35_44_319881.zip")
    second = write_export_zip(tmp_path / "b" / "tp1_ab_2026_11_29T09_00_00_000001.zip")
    d = discover([tmp_path / "a", tmp_path / "b"])
    assert [(r.id, r.status, r.candidates) for r in d.students] == [("tp1_ab", "ambiguous", (first, second))]
    assert "grade one with --pick FILE" in d.errors[0].message
    d = discover([tmp_path / "a", tmp_path / "b"], picks=[second])
    assert [(r.id, r.status, r.path) for r in d.students] == [("tp1_ab", "handin", second)]
    assert [(s.path, s.category) for s in d.skipped] == [(first, "not chosen")]


# --- per-student folders -----------------------------------------------------------------------

def test_per_student_folders_are_read_and_the_right_file_picked(tmp_path):
    write_nb(tmp_path / "alice_123" / "tp1_ab.ipynb")
    write_nb(tmp_path / "bob_456" / "tp1_ab.ipynb")
    write_nb(tmp_path / "bob_456" / ".ipynb_checkpoints" / "tp1_ab-checkpoint.ipynb")
    (tmp_path / "bob_456" / "report.pdf").write_bytes(b"%PDF")
    write_nb(tmp_path / "carol" / "tp1_ab.ipynb")
    write_nb(tmp_path / "carol" / "scratch.ipynb")
    write_export_zip(tmp_path / "dave" / "tp1_ab_2026_11_29T08_35_44_319881.zip")
    write_export_zip(tmp_path / "dave" / "tp1_ab_2026_11_30T10_00_00_000000.zip")
    write_nb(tmp_path / "erin" / "draft.ipynb")
    write_nb(tmp_path / "erin" / "final.ipynb")
    (tmp_path / "__MACOSX").mkdir()
    (tmp_path / "__MACOSX" / "._alice_123").write_bytes(b"\0")
    d = discover([tmp_path])
    assert d.layout == "folder"
    assert ids(d) == ["alice_123", "bob_456", "carol", "dave"]
    assert by_id(d)["carol"].path.name == "tp1_ab.ipynb"
    assert by_id(d)["dave"].path.name == "tp1_ab_2026_11_30T10_00_00_000000.zip"
    assert by_id(d)["dave"].notes == ("2 export zips: graded the newest, tp1_ab_2026_11_30T10_00_00_000000.zip",)
    [error] = d.errors
    assert error.ids == ("erin",)
    assert error.message == ("folder erin: 2 notebooks (draft.ipynb, final.ipynb): grade one with --pick FILE, or keep one, or name "
                             "the one to grade tp1_ab.ipynb")
    categories = {(s.path.relative_to(tmp_path).as_posix(), s.category) for s in d.skipped}
    assert categories == {("bob_456/.ipynb_checkpoints", "checkpoints"), ("bob_456/report.pdf", "pdf"),
                          ("carol/scratch.ipynb", "not chosen"), ("__MACOSX", "macos"),
                          ("dave/tp1_ab_2026_11_29T08_35_44_319881.zip", "not chosen")}


def test_a_folder_mixing_files_and_student_folders_asks_for_a_choice(tmp_path):
    write_nb(tmp_path / "alice.ipynb")
    write_nb(tmp_path / "bob" / "tp1_ab.ipynb")
    with pytest.raises(HandinsError, match=r"mixes layouts \(folder: 1 \(e.g. bob\); file: 1 "
                                           r"\(e.g. alice.ipynb\)\): say which one"):
        discover([tmp_path])
    d = discover([tmp_path], id_from="folder")
    assert ids(d) == ["bob"]
    assert [(s.path.name, s.category) for s in d.skipped] == [("alice.ipynb", "unmatched")]
    d = discover([tmp_path], id_from="file")  # explicit: files are found in subfolders too
    assert ids(d) == ["alice", "tp1_ab"]


# --- Moodle ------------------------------------------------------------------------------------

def moodle_class(root, trailing="_"):
    write_nb(root / f"Alice Martin_1234567_assignsubmission_file{trailing}" / "tp1_ab.ipynb")
    write_export_zip(root / f"Bob Durand_1234568_assignsubmission_file{trailing}"
                     / "tp1_ab_2026_11_29T08_35_44_319881.zip")
    onlinetext = root / f"Bob Durand_1234568_assignsubmission_onlinetext{trailing}"
    onlinetext.mkdir(parents=True)
    (onlinetext / "onlinetext.html").write_text("<p>see my zip</p>")
    write_nb(root / f"Chloé Petit_1234569_assignsubmission_file{trailing}" / "sub" / "my tp.ipynb")
    (root / f"Chloé Petit_1234569_assignsubmission_file{trailing}" / "rapport.pdf").write_bytes(b"%PDF")


@pytest.mark.parametrize("trailing", ["_", ""])  # before Moodle 4.1 / since
def test_moodle_download_ids_are_participant_ids(tmp_path, trailing):
    moodle_class(tmp_path, trailing)
    d = discover([tmp_path])
    assert d.layout == "moodle"
    assert ids(d) == ["1234567", "1234568", "1234569"]
    alice = by_id(d)["1234567"]
    assert (alice.name, alice.lms_id, alice.source) == ("Alice Martin", "1234567", "moodle")
    assert alice.id_from == "Moodle participant 1234567 (Alice Martin)"
    assert by_id(d)["1234569"].path.name == "my tp.ipynb" and by_id(d)["1234569"].name == "Chloé Petit"
    assert sorted((s.path.name, s.category) for s in d.skipped) == [
        (f"Bob Durand_1234568_assignsubmission_onlinetext{trailing}", "html"), ("rapport.pdf", "pdf")]


def test_moodle_flat_download_without_folders(tmp_path):
    write_nb(tmp_path / "Alice Martin_1234567_assignsubmission_file_tp1_ab.ipynb")
    write_nb(tmp_path / "Alice Martin_1234567_assignsubmission_file_brouillon.ipynb")
    (tmp_path / "Alice Martin_1234567_assignsubmission_file_rapport.pdf").write_bytes(b"%PDF")
    write_nb(tmp_path / "Participant_88_assignsubmission_file_tp1_ab.ipynb")
    d = discover([tmp_path])
    assert d.layout == "moodle" and ids(d) == ["1234567", "88"]
    assert by_id(d)["1234567"].path.name == "Alice Martin_1234567_assignsubmission_file_tp1_ab.ipynb"
    assert {s.category for s in d.skipped} == {"pdf", "not chosen"}


def test_moodle_explicit_lists_names_that_do_not_follow_it(tmp_path):
    moodle_class(tmp_path)
    write_nb(tmp_path / "stray.ipynb")
    with pytest.raises(HandinsError, match="mixes layouts"):
        discover([tmp_path])
    d = discover([tmp_path], id_from="moodle")
    assert ids(d) == ["1234567", "1234568", "1234569"]
    assert [s.reason for s in d.skipped if s.path.name == "stray.ipynb"] == [
        "not named as Moodle names its downloads (<full name>_<participant id>_assignsubmission_<plugin>)"]


def test_a_whole_class_zip_is_refused_with_what_to_do(tmp_path):
    with zipfile.ZipFile(tmp_path / "TP1-ab-42.zip", "w") as zf:
        zf.writestr("Alice Martin_1234567_assignsubmission_file/tp1_ab.ipynb", "{}")
    with pytest.raises(HandinsError, match=r"TP1-ab-42.zip is a Moodle download of the whole class: extract it"):
        discover([tmp_path / "TP1-ab-42.zip"])


# --- Canvas ------------------------------------------------------------------------------------

def test_canvas_download_ids_are_canvas_user_ids(tmp_path):
    write_nb(tmp_path / "martinalice_340934_208490284_tp1_ab.ipynb")
    write_nb(tmp_path / "durandbob_LATE_340935_208490290_tp1_ab-1.ipynb")
    write_nb(tmp_path / "durandbob_LATE_340935_208490290_notes.ipynb")
    (tmp_path / "durandbob_LATE_340935_208490290_rapport.pdf").write_bytes(b"%PDF")
    write_export_zip(tmp_path / "petitchloe_340936_208490300_tp1_ab_2026_11_29T08_35_44_319881.zip")
    d = discover([tmp_path])
    assert d.layout == "canvas"
    assert ids(d) == ["340934", "340935", "340936"]
    bob = by_id(d)["340935"]
    assert bob.path.name == "durandbob_LATE_340935_208490290_tp1_ab-1.ipynb"  # tp1_ab.ipynb resubmitted
    assert bob.notes == () and bob.late
    assert (bob.lms_id, bob.name, bob.source) == ("340935", "durandbob", "canvas")
    assert sorted(s.category for s in d.skipped) == ["not chosen", "pdf"]


# --- Gradescope --------------------------------------------------------------------------------

GRADESCOPE_YML = """\
submission_101:
  :submitters:
  - :name: Alice Martin
    :sid: '2021001'
    :email: alice@uni.example
  :created_at: 2026-11-29 08:35:44.319881000 +01:00
  :score: 88.0
  :status: processed
  :history: []
submission_102:
  :submitters:
  - :name: Bob Durand
    :sid: ''
    :email: bob@uni.example
  - :name: Chloé Petit
    :sid: '2021003'
    :email: chloe@uni.example
  :results: !ruby/hash:ActiveSupport::HashWithIndifferentAccess
    score: 70
submission_103:
  :submitters:
  - :name: Dan Roux
    :sid: '2021004'
    :email: dan@uni.example
"""


def gradescope_export(root):
    export = root / "assignment_5551_export"
    write_nb(export / "submission_101" / "tp1_ab.ipynb")
    write_nb(export / "submission_102" / "tp1_ab.ipynb")
    (export / "submission_102" / ".OTTER_LOG").write_bytes(b"\x80")
    write_nb(export / "submission_999" / "tp1_ab.ipynb")
    (export / "submission_metadata.yml").write_text(GRADESCOPE_YML)
    return export


def test_gradescope_export_ids_are_sids_then_emails(tmp_path):
    export = gradescope_export(tmp_path)
    for root in (tmp_path, export):  # the extracted zip, or the export folder itself
        d = discover([root])
        assert d.layout == "gradescope"
        assert ids(d) == ["2021001", "2021003", "bob@uni.example"]
        bob, chloe = by_id(d)["bob@uni.example"], by_id(d)["2021003"]
        assert bob.path == chloe.path == export / "submission_102" / "tp1_ab.ipynb"
        assert (bob.group, chloe.group) == (("2021003",), ("bob@uni.example",))
        assert (chloe.name, chloe.email, chloe.lms_id) == ("Chloé Petit", "chloe@uni.example", "2021003")
        assert bob.id_from == "Gradescope email of submission_102"
        [error] = d.errors
        assert error.ids == ("2021004",) and "folder is missing" in error.message
        assert {(s.path.name, s.category) for s in d.skipped} == {(".OTTER_LOG", "hidden"),
                                                                  ("submission_999", "unmatched")}


def test_gradescope_roster_sid_matches_the_exports_sid(tmp_path):
    export = gradescope_export(tmp_path / "gs")
    roster = tmp_path / "roster.csv"
    roster.write_text("First Name,Last Name,SID,Email,Role,Sections\n"
                      "Alice,Martin,2021001,alice@uni.example,Student,A\n"
                      "Chloé,Petit,2021003,chloe@uni.example,Student,B\n"
                      "Bob,Durand,,bob@uni.example,Student,B\n"
                      "Dan,Roux,2021004,dan@uni.example,Student,A\n"
                      "Eve,Staff,,eve@uni.example,TA,\n", encoding="utf-8")
    d = discover([export], roster=roster)
    assert d.roster.format == "gradescope"
    assert [(r.id, r.status, r.name, r.roster.section) for r in d.students] == [
        ("2021001", "handin", "Alice Martin", "A"), ("2021003", "handin", "Chloé Petit", "B"),
        ("2021004", "ambiguous", "Dan Roux", "A"), ("bob@uni.example", "handin", "Bob Durand", "B")]
    assert d.unknown == [] and d.missing == []


def test_moodle_blind_marking_keeps_no_name(tmp_path):
    write_nb(tmp_path / "Participant_1234567_assignsubmission_file" / "tp1_ab.ipynb")
    [row] = discover([tmp_path]).students
    assert (row.id, row.name, row.id_from) == ("1234567", "", "Moodle participant 1234567")


def test_gradescope_metadata_that_is_not_yaml_is_an_error(tmp_path):
    (tmp_path / "submission_1").mkdir()
    (tmp_path / "submission_metadata.yml").write_text("submission_1: [unclosed\n")
    with pytest.raises(HandinsError, match="is not readable YAML"):
        discover([tmp_path])


# --- symlinks, non-UTF-8 names, safe ids -------------------------------------------------------

def test_symlinks_are_listed_never_followed(tmp_path):
    secret = write_nb(tmp_path / "elsewhere" / "secret.ipynb")
    cls = tmp_path / "class"
    write_nb(cls / "alice.ipynb")
    (cls / "mallory.ipynb").symlink_to(secret)
    (cls / "linked_dir").symlink_to(secret.parent, target_is_directory=True)
    d = discover([cls])
    assert ids(d) == ["alice"]
    assert sorted((s.path.name, s.category, s.reason) for s in d.skipped) == [
        ("linked_dir", "symlink", "a symbolic link: not followed"),
        ("mallory.ipynb", "symlink", "a symbolic link: not followed")]
    students = tmp_path / "students"
    write_nb(students / "bob" / "tp1_ab.ipynb")
    (students / "bob" / "extra.ipynb").symlink_to(secret)
    d = discover([students])
    assert ids(d) == ["bob"] and d.handins[0].path.name == "tp1_ab.ipynb"


def test_latin1_file_names_give_text_ids_and_the_file_still_opens(tmp_path):
    raw = os.fsencode(str(tmp_path)) + b"/st\xe9phane.ipynb"
    with open(raw, "w") as f:
        f.write(json.dumps(notebook()))
    folder = os.fsencode(str(tmp_path)) + b"/fran\xe7ois"
    os.mkdir(folder)
    with open(folder + b"/tp1_ab.ipynb", "w") as f:
        f.write(json.dumps(notebook()))
    d = discover([tmp_path], id_from="file")
    [h] = [h for h in d.handins if h.id.startswith("st")]
    assert h.id == "stéphane"
    assert h.id_from == "file name stéphane.ipynb"
    h.id.encode("utf-8")  # valid text
    assert json.loads(h.path.read_text())["nbformat"] == 4  # the path still names the file
    d = discover([tmp_path], id_from="folder")
    assert ids(d) == ["françois"]
    assert d.summary().encode("utf-8")


@settings(max_examples=300, deadline=None)
@given(st.text(min_size=0, max_size=300))
def test_any_name_gives_a_safe_id(name):
    sid = safe_id(name)
    sid.encode("utf-8")  # no lone surrogates
    assert sid and len(sid) <= 120
    assert "/" not in sid and "\\" not in sid and "\0" not in sid
    assert sid[0] not in ".=+-@"
    assert sid.lower() not in handins.RESERVED
    assert not any(c.isspace() for c in sid)


@settings(max_examples=200, deadline=None)
@given(st.binary(min_size=1, max_size=60).filter(lambda b: b"/" not in b and b"\0" not in b))
def test_any_file_name_bytes_give_a_safe_id(raw):
    sid = safe_id(os.fsdecode(raw))
    sid.encode("utf-8")
    assert sid[0] not in ".=+-@" and "/" not in sid


def test_reserved_and_formula_ids_are_defused():
    assert safe_id("grades.csv") == "_grades.csv"
    assert safe_id("=HYPERLINK(1)") == "_HYPERLINK_1_"
    assert safe_id("..") == "_.."
    assert safe_id("export") == "_export"
    assert safe_id("") == "_"


# --- roster ------------------------------------------------------------------------------------

def test_roster_with_bom_semicolons_and_accents_maps_moodle_ids(tmp_path):
    moodle_class(tmp_path / "dl")
    roster = tmp_path / "roster.csv"
    roster.write_bytes("\ufeffNuméro étudiant;Prénom;Nom;Adresse de courriel;Participant ID\n"
                       "21001;Alice;Martin;alice@uni.example;1234567\n"
                       "21002;Bob;Durand;bob@uni.example;1234568\n"
                       "21009;Zoé;Lefèvre;zoe@uni.example;1234599\n".encode("utf-8"))
    d = discover([tmp_path / "dl"], roster=roster)
    assert ids(d) == ["1234569", "21001", "21002"]
    alice = by_id(d)["21001"]
    assert (alice.name, alice.email, alice.lms_id) == ("Alice Martin", "alice@uni.example", "1234567")
    assert alice.id_from == "roster line 2 (matched by lms id; Moodle participant 1234567 (Alice Martin))"
    assert [r.name for r in d.missing] == ["Zoé Lefèvre"]
    assert [h.id for h in d.unknown] == ["1234569"]
    text = d.summary()
    assert "1 roster student(s) with no hand-in: Zoé Lefèvre (21009)" in text
    assert "1 hand-in(s) from students not in the roster: Chloé Petit (1234569)" in text


def test_roster_matches_by_id_and_by_email(tmp_path):
    write_nb(tmp_path / "cls" / "alice.ipynb")
    gradescope = gradescope_export(tmp_path / "gs")
    roster = tmp_path / "roster.csv"
    roster.write_text("id,name,email\nalice,Alice Martin,alice@uni.example\n"
                      "s-bob,Bob Durand,BOB@uni.example\n")
    d = discover([tmp_path / "cls"], roster=roster)
    assert ids(d) == ["alice"] and d.handins[0].name == "Alice Martin"
    d = discover([gradescope], roster=roster)
    assert "s-bob" in ids(d)  # matched by email, case-insensitively; takes the roster's id
    assert by_id(d)["s-bob"].roster.line == 3


@pytest.mark.parametrize("content, message", [
    ("nom,prenom\nMartin,Alice\n", "has none of the columns id, email, lms_id"),
    ("id,name\na1,A\na1,B\n", "id 'a1' appears on lines 2 and 3"),
    ("", "is empty"),
])
def test_bad_rosters_are_refused_with_where(tmp_path, content, message):
    roster = tmp_path / "r.csv"
    roster.write_text(content)
    with pytest.raises(HandinsError, match=message):
        load_roster(roster)


def test_a_roster_that_is_not_utf8_says_how_to_save_it(tmp_path):
    roster = tmp_path / "r.csv"
    roster.write_bytes("id;nom\n1;Zoé\n".encode("cp1252"))
    with pytest.raises(HandinsError, match='not UTF-8 text: save it as "CSV UTF-8"'):
        load_roster(roster)


def test_handins_csv_lists_hand_ins_and_missing_students(tmp_path):
    moodle_class(tmp_path / "dl")
    roster = tmp_path / "roster.csv"
    roster.write_text("id,name,email,lms_id\n21001,Alice Martin,alice@uni.example,1234567\n"
                      "21009,Zoé Lefèvre,zoe@uni.example,\n", encoding="utf-8")
    d = discover([tmp_path / "dl"], roster=roster)
    out = d.write_csv(tmp_path / "handins.csv")
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == ("id,name,email,lms_id,lms,username,idnumber,section,source,status,file,late,hours_late,"
                        "submitted_at")
    assert lines[1].startswith("1234568,Bob Durand,,1234568,moodle,,,,moodle,handin,")
    assert lines[-1] == "21009,Zoé Lefèvre,zoe@uni.example,,,,,,roster,missing,,,,"


def test_the_skipped_list_of_a_big_class_is_grouped(tmp_path):
    for i in range(300):
        student = tmp_path / f"student{i:03d}"
        write_nb(student / "tp1_ab.ipynb")
        (student / "rapport.pdf").write_bytes(b"%PDF")
        (student / ".DS_Store").write_bytes(b"\0")
    d = discover([tmp_path])
    assert len(d.handins) == 300
    assert d.skipped_summary() == [
        f"300 PDF files (the report is graded by hand): {tmp_path}/student000/rapport.pdf, "
        f"{tmp_path}/student001/rapport.pdf, {tmp_path}/student002/rapport.pdf, and 297 more",
        f"300 hidden files (.DS_Store, Otter's .OTTER_LOG, ...): {tmp_path}/student000/.DS_Store, "
        f"{tmp_path}/student001/.DS_Store, {tmp_path}/student002/.DS_Store, and 297 more"]


def test_misuse_is_a_clear_error(tmp_path):
    with pytest.raises(HandinsError, match="no such file or folder"):
        discover([tmp_path / "nope"])
    with pytest.raises(HandinsError, match="id_from must be auto or one of file, folder, moodle"):
        discover([tmp_path], id_from="blackboard")


# --- is it this assignment? --------------------------------------------------------------------

def test_assignment_mismatch():
    assert assignment_mismatch(notebook()) is None
    assert assignment_mismatch(notebook(assignment_name=None)) is None  # no Otter metadata
    other = assignment_mismatch(notebook(assignment_name="<script>tp2</script>"))
    assert other == ("its Otter metadata names another assignment, not tp1_ab: is it the notebook "
                     "of another practical?")
    assert "script" not in other  # the notebook's content is never quoted
    none = assignment_mismatch(notebook(defines="my_helper", assignment_name=None))
    assert none.startswith("it defines none of the graded functions (MNIST_HPARAMS, backward,")
    nested = notebook(assignment_name=None)
    nested["cells"][0]["source"] = ["if True:\n", "    def forward(p, X):\n", "        return X\n"]
    assert assignment_mismatch(nested) is not None  # only top-level definitions count
    constant = notebook(assignment_name=None)
    constant["cells"] = [{"cell_type": "markdown", "source": "def forward(): pass"},
                         {"cell_type": "code", "source": "%matplotlib inline\nMNIST_HPARAMS = dict(nh=100)\n"},
                         {"cell_type": "code", "source": "def broken(:\n"}]
    assert assignment_mismatch(constant) is None
    assert assignment_mismatch({"cells": "garbage"}) is not None


def test_graded_names_follow_the_points_table():
    with open(ROOT / "autograder" / "points.toml", "rb") as f:
        questions = set(tomllib.load(f)["questions"])
    assert assignment.GRADED_NAMES == questions - {"circles_accuracy", "mnist_accuracy"}
