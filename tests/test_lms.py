"""The round trip of a class of twelve through each LMS's own files: its download and its roster in,
the grades out in the file it imports, every student in their one row (autograder.handins, export).

The class, its downloads and its rosters are those of tests/lms_class.py and tests/lms_samples/ (the
sources of each format are named there). Grading is not the point here: the grades are written as
`grade` writes them (grades.csv, handins.csv, report.html) with a distinct total per student, so that
a student given another's grade, or left out, fails the test. tests/test_round_trip.py grades a class
for real.
"""
import csv
import io
import zipfile
from glob import escape as glob_escape

import pytest

from autograder import export, handins
from autograder.handins import HANDINS_CSV, discover
from autograder.pipeline.write import write_gradebook, write_submission
from autograder.results import State, zero_result
from lms_class import (ANA, CHLOE, CLASS, DANGELO, DEADLINE, LMS_SAMPLES, canvas_download, canvas_names,
                       canvas_prefix, gradescope_export, moodle_download, moodle_prefix, roster)

TOTAL = {s.email: 50 + 3 * i + 0.25 for i, s in enumerate(CLASS)}  # distinct: a swap shows


def by_participant(pid):
    return next(s for s in CLASS if s.participant == pid)


def by_canvas(uid):
    return next(s for s in CLASS if s.canvas == uid)


def by_sid(sid):
    return next(s for s in CLASS if s.sid == sid)


def fill(result, total):
    """Question points that add up to `total`, as a graded notebook has them."""
    left = total
    for q in result.questions:
        q.score = min(q.max_score, left)
        q.state = State.JUDGED.value
        left = round(left - q.score, 6)
    assert left == 0
    return result


def graded_like(discovery, out, student_of):
    """What `grade --out out` writes for this discovery, with TOTAL as each student's grade.
    student_of: Handin -> the CLASS student it is."""
    out.mkdir(parents=True, exist_ok=True)
    results = []
    for row in discovery.students:
        if row.status == "handin":
            result = fill(zero_result(row.id, row.path, "graded", "", name=row.name), TOTAL[student_of(row).email])
        else:
            result = zero_result(row.id, "", row.status, row.problem or "no hand-in", name=row.name)
        write_submission(result, out)
        results.append(result)
    write_gradebook(results, out)
    discovery.write_csv(out / HANDINS_CSV)
    return out


def read(path):
    raw = path.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(raw.decode("utf-8"), newline="")))


def grade_cell(student):
    return export.number(TOTAL[student.email])


# --- the native rosters ------------------------------------------------------------------------

def test_each_lms_roster_is_recognised_by_its_header_and_read_whole():
    expected = {  # file: (format, entries as (name, email, lms_id, idnumber, username, section))
        "moodle_grading_worksheet.csv": ("moodle-worksheet", [(s.full, s.email, s.participant, "", "", "") for s in CLASS]),
        "moodle_gradebook_export.csv": ("moodle-gradebook", [(s.full, s.email, "", s.sid, "", "") for s in CLASS]),
        "canvas_gradebook_export.csv": ("canvas-gradebook", [
            (s.sortable, "", s.canvas, s.sid, s.email.split("@")[0], f"TP {s.section}")
            for s in sorted(CLASS, key=lambda s: (s.last.casefold(), s.first.casefold(), s.canvas))]),
        "gradescope_roster.csv": ("gradescope", [(s.full, s.email, s.sid, s.sid, "", s.section) for s in CLASS]),
        "kit_roster.csv": ("kit", [(s.full, s.email, s.participant, "", "", "") for s in CLASS]),
    }
    for name, (fmt, entries) in expected.items():
        r = handins.load_roster(LMS_SAMPLES / name)
        assert r.format == fmt, name
        assert [(e.name, e.email, e.lms_id, e.idnumber, e.username, e.section) for e in r] == entries, name
    assert handins.load_roster(LMS_SAMPLES / "moodle_grading_worksheet.csv").maximum == 100.0
    assert [e.id for e in handins.load_roster(LMS_SAMPLES / "kit_roster.csv")] == [s.sid for s in CLASS]


def test_canvas_formula_escape_and_first_last_columns_are_read(tmp_path):
    # gradebook_exporter.rb: a name beginning with `=` is written `="..."`; with "show student first and
    # last name" the header is LastName, FirstName, ID, ... (and the importer reads that too).
    path = tmp_path / "canvas.csv"
    path.write_text('LastName,FirstName,ID,SIS User ID,SIS Login ID,Section,TP1-ab (4242)\n'
                    '    Points Possible,,,,,,100\n'
                    '"=""=Evil""",Eve,340950,,,G1,\nStudent,Test,340999,,,G1,\n', encoding="utf-8")
    r = handins.load_roster(path)
    assert r.format == "canvas-gradebook" and [(e.name, e.lms_id) for e in r] == [("Eve =Evil", "340950")]


def test_the_staff_of_a_gradescope_roster_are_not_students():
    r = handins.load_roster(roster("gradescope_roster.csv"))
    assert "ada.lovelace@uni.example" not in {e.email for e in r} and len(r) == 12


# --- the downloads, read ----------------------------------------------------------------------

def test_the_sample_file_names_are_what_the_builders_write(tmp_path):
    assert (LMS_SAMPLES / "canvas_download.txt").read_text(encoding="utf-8").split("\n")[:-1] == list(canvas_names())
    root = moodle_download(tmp_path / "m")
    names = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    assert (LMS_SAMPLES / "moodle_download.txt").read_text(encoding="utf-8").split("\n")[:-1] == names
    assert "DAngelo Smith-Jones_1234502_assignsubmission_file/tp1_ab.ipynb" in names  # PARAM_FILE drops '


@pytest.mark.parametrize("variant", ["4.1", "before 4.1", "flat"])
def test_moodle_download_of_every_version_is_one_row_per_student(tmp_path, variant):
    d = discover([moodle_download(tmp_path / "m", variant)], roster=roster("moodle_grading_worksheet.csv"))
    assert d.layout == "moodle"
    rows = {r.id: r for r in d.students}
    assert sorted(rows) == sorted(s.participant for s in CLASS)  # twelve students, twelve rows
    for s in CLASS:
        r = rows[s.participant]
        assert (r.name, r.email, r.lms_id) == (s.full, s.email, s.participant)
        assert r.status == ("missing" if s is ANA else "ambiguous" if s is CHLOE else "handin")
    assert rows["1234505"].path.name.endswith("tp1_ab_2026_11_29T21_14_03_512339.zip")  # the Otter zip
    assert rows[CHLOE.participant].candidates and rows[CHLOE.participant].path is None
    assert [s.category for s in d.skipped] == ["html"]  # Zoé's online text


def test_canvas_real_names_late_and_attachment_ids(tmp_path):
    d = discover([canvas_download(tmp_path / "c")])  # auto-detection: no "mixes layouts"
    assert d.layout == "canvas"
    rows = {r.id: r for r in d.students}
    assert sorted(rows) == sorted(s.canvas for s in CLASS if s is not ANA)
    assert [r.id for r in d.students if r.late] == [DANGELO.canvas]
    assert rows[DANGELO.canvas].name == "smithjonesdangelo"  # Canvas's sanitized sortable name
    assert rows["340909"].path.name == "wiśniewskiłukasz_340909_208490709_tp1_ab-1.ipynb"
    assert rows[CHLOE.canvas].status == "ambiguous"
    d = discover([tmp_path / "c"], id_from="canvas")  # the explicit layout reads the same
    assert [r.id for r in d.students] == sorted(rows) and not d.skipped


def test_canvas_names_without_a_name_and_text_entries(tmp_path):
    # content_zipper.rb without a name: `[late_]<user id>_...` (lower-case `late`, as some downloads have it);
    # online_text_entry and online_url submissions: `<prefix>_text.html`, `<prefix>_link.html`.
    for name in ("340990_208490790_2_3_notes.ipynb", "late_340991_208490791_tp1_ab.ipynb",
                 "o_brienpat_340992_208490792_tp1_ab.ipynb", "duboismarie_340993_text.html",
                 "duboismarie_late_340994_link.html"):
        (tmp_path / name).write_text("{}")
    d = discover([tmp_path])
    assert d.layout == "canvas"
    assert [(r.id, r.name, r.late, r.path.name if r.path else None, r.status) for r in d.students] == [
        ("340990", "", False, "340990_208490790_2_3_notes.ipynb", "handin"),
        ("340991", "", True, "late_340991_208490791_tp1_ab.ipynb", "handin"),
        ("340992", "o_brienpat", False, "o_brienpat_340992_208490792_tp1_ab.ipynb", "handin"),
        ("340993", "duboismarie", False, None, "ambiguous"),
        ("340994", "duboismarie", True, None, "ambiguous")]
    assert {s.category for s in d.skipped} == {"html"}


def test_canvas_anonymous_grading_names_each_submission_by_its_anonymous_id(tmp_path, capsys):
    # content_zipper.rb with anonymize_students?: no name, `anon_<anonymous id>` (lib/anonymity.rb: five
    # base58 characters) for the id, `LATE_` before it when late.
    for name in ("anon_3kZ9q_208490801_tp1_ab.ipynb", "LATE_anon_Hx7Pd_208490802_tp1_ab.ipynb",
                 "anon_Hx7Pd_208490803_notes.txt"):
        (tmp_path / "c" / name).parent.mkdir(exist_ok=True)
        (tmp_path / "c" / name).write_text("{}" if name.endswith(".ipynb") else "notes")
    d = discover([tmp_path / "c"])
    assert d.layout == "canvas"
    assert [(r.id, r.name, r.late, r.lms_id, r.path.name, r.status) for r in d.students] == [
        ("anon_3kZ9q", "", False, "", "anon_3kZ9q_208490801_tp1_ab.ipynb", "handin"),
        ("anon_Hx7Pd", "", True, "", "LATE_anon_Hx7Pd_208490802_tp1_ab.ipynb", "handin")]
    out = graded_like(d, tmp_path / "grades", lambda r: CLASS[0])
    assert export.main(["--to", "canvas", str(out)]) == 1
    err = capsys.readouterr().err
    for anon in ("anon_3kZ9q", "anon_Hx7Pd"):
        assert (f"an anonymous submission of Canvas (anonymous grading): its gradebook CSV cannot place it, enter "
                f"its grade in SpeedGrader, where Canvas shows it as {anon}") in err, err


def test_gradescope_lateness_is_measured_against_the_deadline_given(tmp_path):
    root = gradescope_export(tmp_path / "g")
    d = discover([root], roster=roster("gradescope_roster.csv"), deadline=DEADLINE)
    late = [(r.id, round(r.hours_late, 2), r.submitted_at) for r in d.students if r.late]
    assert late == [(DANGELO.sid, 25.52, "2026-12-01T01:30:12.104226+01:00")]
    assert all(r.hours_late == 0 for r in d.students if r.status == "handin" and r.id != DANGELO.sid)
    assert not any(r.late for r in discover([root]).students)  # no deadline, no lateness
    with pytest.raises(handins.HandinsError, match="has no time zone"):
        discover([root], deadline="2026-11-29T23:59")


@pytest.mark.parametrize("lms", ["moodle", "canvas", "gradescope"])
def test_two_notebooks_are_one_ambiguous_row_until_the_instructor_picks_one(tmp_path, lms):
    root = {"moodle": moodle_download, "canvas": canvas_download, "gradescope": gradescope_export}[lms](tmp_path / "d")
    native = {"moodle": "moodle_grading_worksheet.csv", "canvas": "canvas_gradebook_export.csv",
              "gradescope": "gradescope_roster.csv"}[lms]
    d = discover([root], roster=roster(native))
    [row] = [r for r in d.students if r.status == "ambiguous"]
    assert [r.status for r in d.students].count("missing") == 1  # Ana-Lucía only, never Chloé too
    assert "grade one with --pick FILE" in row.problem
    final = next(f for f in row.candidates if f.name.endswith("TP1 final.ipynb"))
    d = discover([root], roster=roster(native), picks=[final])
    [picked] = [r for r in d.students if r.path == final]
    assert picked.status == "handin" and not d.ambiguous
    assert picked.notes[-1] == "TP1 final.ipynb was picked by the instructor among 2 files"
    assert [(s.path.name, s.category) for s in d.skipped if s.category == "not chosen"] == [
        (next(f.name for f in row.candidates if f != final), "not chosen")]


def test_same_name_with_the_moodle_gradebook_export_is_never_guessed(tmp_path):
    d = discover([moodle_download(tmp_path / "m")], roster=roster("moodle_gradebook_export.csv"))
    assert len(d.students) == 12  # one row each: the two Maries keep their participant ids
    maries = [r for r in d.students if r.name == "Marie Dubois"]
    assert [(r.id, r.email, r.status) for r in maries] == [("1234503", "", "handin"), ("1234504", "", "handin")]
    assert d.warnings == ["2 hand-in(s) (Marie Dubois (1234503), Marie Dubois (1234504)) and 2 roster line(s) "
                          "(4, 5) are named Marie Dubois: the kit cannot tell which is which by name, so these rows "
                          "keep the download's identity (use a roster with the LMS's ids, e.g. Moodle's grading "
                          "worksheet)"]
    others = {r.id: r for r in d.students if r.name != "Marie Dubois"}
    assert others["1234502"].email == DANGELO.email  # matched by name, the apostrophe Moodle dropped aside
    assert others["21007"].status == "missing" and not d.unknown


# --- the round trip: download + roster -> grades -> the LMS's file -----------------------------

MOODLE_ROSTERS = ["moodle_grading_worksheet.csv", "moodle_gradebook_export.csv", "kit_roster.csv", None]


@pytest.mark.parametrize("variant", ["4.1", "before 4.1", "flat"])
@pytest.mark.parametrize("native", MOODLE_ROSTERS)
def test_moodle_round_trip_through_the_grading_worksheet(tmp_path, variant, native, capsys):
    d = discover([moodle_download(tmp_path / "m", variant)], roster=roster(native) if native else None)
    out = graded_like(d, tmp_path / "grades", lambda r: by_participant(r.lms_id))
    assert export.main(["--to", "moodle", str(out)]) == 0, capsys.readouterr().err
    rows = read(out / "export" / "moodle_grading_worksheet.csv")
    assert rows[0] == ["Identifier", "Full name", "Email address", "Status", "Grade", "Maximum grade",
                       "Grade can be changed", "Last modified (grade)", "Feedback comments"]
    got = {r[0]: r for r in rows[1:]}
    assert len(got) == len(rows) - 1  # one row per student
    named = native not in (None,)
    for s in CLASS:
        key = f"Participant {s.participant}"
        if s in (ANA, CHLOE):
            # no grade, no row: the importer would replace a comment written in Moodle by an empty one
            # and notify the student
            assert key not in got
            continue
        r = got.pop(key)
        same_name_unknown = native == "moodle_gradebook_export.csv" and s.full == "Marie Dubois"
        name = s.full if named else moodle_prefix(s).rsplit("_", 1)[0]
        email = "" if not named or same_name_unknown else s.email
        assert r[:7] == [key, name, email, "graded", grade_cell(s), "100", "Yes"], s
        assert r[7].endswith("+00:00")  # strtotime reads ISO 8601 with its zone
        assert r[8].startswith(f"TP1-ab: {grade_cell(s)}/100. Per question: init_params 5/5, ")
    assert not got
    notes = (out / "export" / "moodle-notes.txt").read_text()
    assert ": several files handed in: grade again with --pick FILE: no row, so Moodle keeps what it has" in notes
    with zipfile.ZipFile(out / "export" / "moodle_feedback_files.zip") as zf:
        names = zf.namelist()
    graded = [s for s in CLASS if s not in (ANA, CHLOE)]
    assert len(names) == len(set(names)) == len(graded)  # one report each, graded students only
    assert sorted(n.split("_")[1] for n in names) == sorted(s.participant for s in graded)


def test_moodle_worksheet_with_the_chosen_notebook(tmp_path):
    root = moodle_download(tmp_path / "m")
    final = next(root.glob(f"*_{CHLOE.participant}_assignsubmission_file/TP1 final.ipynb"))
    d = discover([root], roster=roster("moodle_grading_worksheet.csv"), picks=[final])
    out = graded_like(d, tmp_path / "grades", lambda r: by_participant(r.lms_id))
    assert export.main(["--to", "moodle", str(out)]) == 0
    got = {r[0]: r for r in read(out / "export" / "moodle_grading_worksheet.csv")[1:]}
    assert got[f"Participant {CHLOE.participant}"][3:5] == ["graded", grade_cell(CHLOE)]
    with zipfile.ZipFile(out / "export" / "moodle_feedback_files.zip") as zf:
        assert f"Chloé OConnor_{CHLOE.participant}_assignfeedback_file_/report.html" in zf.namelist()


def test_moodle_gradebook_import_leaves_out_loudly_who_it_cannot_identify(tmp_path, capsys):
    d = discover([moodle_download(tmp_path / "m")], roster=roster("moodle_gradebook_export.csv"))
    out = graded_like(d, tmp_path / "grades", lambda r: by_participant(r.lms_id))
    assert export.main(["--to", "moodle-gradebook", str(out)]) == export.EXIT_LEFT_OUT
    err = capsys.readouterr().err
    assert ("export: error: 2 student(s) with a grade are not in the file:\n"
            "  Marie Dubois (1234503): no email address (give it in the roster)\n"
            "  Marie Dubois (1234504): no email address (give it in the roster)\n") in err
    rows = read(out / "export" / "moodle_grades.csv")
    assert rows[0] == ["Email address", "Full name", "TP1-ab", "TP1-ab feedback"]
    # no row without a grade: a blank cell would import as a null grade that overrides and locks the
    # assignment's (grade_item::update_final_grade)
    expected = [[s.email, s.full, grade_cell(s)] for s in CLASS if s.full != "Marie Dubois" and s not in (ANA, CHLOE)]
    assert sorted(r[:3] for r in rows[1:]) == sorted(expected)
    notes = (out / "export" / "moodle-gradebook-notes.txt").read_text()
    assert (f"  Chloé O'Connor ({CHLOE.participant}): several files handed in: grade again with --pick FILE: no row, "
            "since a blank would erase and lock the gradebook's grade") in notes, notes
    # with the worksheet as the roster, every email is known: the same export is complete
    assert export.main(["--to", "moodle-gradebook", str(out), "--roster",
                        str(roster("moodle_grading_worksheet.csv"))]) == 0


@pytest.mark.parametrize("native", ["canvas_gradebook_export.csv", None])
def test_canvas_round_trip(tmp_path, native, capsys):
    d = discover([canvas_download(tmp_path / "c")], roster=roster(native) if native else None)
    out = graded_like(d, tmp_path / "grades", lambda r: by_canvas(r.lms_id))
    assert export.main(["--to", "canvas", str(out), "--item", "TP1-ab (4242)"]) == 0, capsys.readouterr().err
    rows = read(out / "export" / "canvas_grades.csv")
    assert rows[:2] == [["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "TP1-ab (4242)"],
                        ["Points Possible", "", "", "", "", "100"]]
    got = {r[1]: r for r in rows[2:]}
    assert len(got) == len(rows) - 2
    for s in CLASS:
        if s is ANA and native is None:
            assert s.canvas not in got
            continue
        name = s.sortable if native else canvas_prefix(s).rsplit("_", 1)[0].removesuffix("_LATE")
        sis = (s.sid, s.email.split("@")[0], f"TP {s.section}") if native else ("", "", "")
        grade = "" if s in (ANA, CHLOE) else grade_cell(s)
        assert got.pop(s.canvas) == [name, s.canvas, *sis, grade], s
    assert not got


@pytest.mark.parametrize("native", ["gradescope_roster.csv", None])
def test_gradescope_round_trip(tmp_path, native, capsys):
    d = discover([gradescope_export(tmp_path / "g")], roster=roster(native) if native else None, deadline=DEADLINE)
    out = graded_like(d, tmp_path / "grades", lambda r: by_sid(r.lms_id))
    assert export.main(["--to", "gradescope-csv", str(out)]) == 0, capsys.readouterr().err
    rows = read(out / "export" / "gradescope_scores.csv")
    assert rows[0] == ["Name", "SID", "Email", "Total Score", "Max Points", "Status"]
    got = {r[1]: r for r in rows[1:]}
    assert len(got) == len(rows) - 1
    for s in CLASS:
        if s is ANA and native is None:
            assert s.sid not in got
            continue
        grade = "" if s in (ANA, CHLOE) else grade_cell(s)
        status = "Missing" if s is ANA else "Ungraded" if s is CHLOE else "Graded"
        assert got.pop(s.sid) == [s.full, s.sid, s.email, grade, "100", status], s
    assert not got
    lines = (out / HANDINS_CSV).read_text(encoding="utf-8").splitlines()
    assert [line for line in lines if ",yes," in line] == [
        f"{DANGELO.sid},D'Angelo Smith-Jones,{DANGELO.email},{DANGELO.sid},gradescope,,"
        f"{DANGELO.sid + ',G1' if native else ','},gradescope,handin,{d.handins[1].path},yes,25.52,2026-12-01T01:30:12.104226+01:00"]


def test_an_export_to_another_lms_names_every_graded_student_it_cannot_place(tmp_path, capsys):
    d = discover([canvas_download(tmp_path / "c")], roster=roster("canvas_gradebook_export.csv"))
    out = graded_like(d, tmp_path / "grades", lambda r: by_canvas(r.lms_id))
    assert export.main(["--to", "moodle", str(out)]) == export.EXIT_LEFT_OUT
    err = capsys.readouterr().err
    graded = [s for s in CLASS if s not in (ANA, CHLOE)]
    assert f"export: error: {len(graded)} student(s) with a grade are not in the file:" in err
    for s in graded:
        assert f"  {s.sortable} ({s.canvas}): no Moodle participant id" in err
    assert read(out / "export" / "moodle_grading_worksheet.csv")[1:] == []
    notes = (out / "export" / "moodle-notes.txt").read_text(encoding="utf-8")
    assert f"{len(graded)} student(s) with a grade left out of the file" in notes
    assert "2 student(s) without a grade, not in the file:" in notes


def test_grades_are_scaled_to_the_worksheets_maximum_grade(tmp_path, capsys):
    d = discover([moodle_download(tmp_path / "m")], roster=roster("moodle_grading_worksheet.csv"))
    out = graded_like(d, tmp_path / "grades", lambda r: by_participant(r.lms_id))
    scores = tmp_path / "scores.csv"  # the report merged: Zoé's final is 50.25 + 19 = 69.25 of 119
    scores.write_text("submission," + ",".join(f"Q{i}" for i in range(1, 18)) + "\n"
                      + f"{CLASS[0].participant}," + ",".join("1" if i < 16 else "2" for i in range(1, 18)) + "\n")
    from autograder import report_merge

    assert report_merge.main([str(out / "grades.csv"), str(scores)]) == 0
    assert export.main(["--to", "moodle", str(out), "--roster", str(roster("moodle_grading_worksheet.csv"))]) == 0
    rows = {r[0]: r for r in read(out / "export" / "moodle_grading_worksheet.csv")[1:]}
    # 69.25 of 119 is 58.19 of the assignment's 100: Moodle reads the grade against its maximum grade
    assert rows[f"Participant {CLASS[0].participant}"][4:6] == ["58.19", "100"]
    assert rows[f"Participant {CLASS[0].participant}"][8].startswith("TP1-ab: 69.25/119.")
    assert f"Participant {CLASS[1].participant}" not in rows  # its report is not merged yet: no grade, no row
    worksheet = tmp_path / "max20.csv"  # a TP marked out of 20
    worksheet.write_text(roster("moodle_grading_worksheet.csv").read_text(encoding="utf-8-sig").replace(",100.00,", ",20.00,"),
                         encoding="utf-8")
    capsys.readouterr()
    assert export.main(["--to", "moodle", str(out), "--roster", str(worksheet)]) == 0
    rows = {r[0]: r for r in read(out / "export" / "moodle_grading_worksheet.csv")[1:]}
    assert rows[f"Participant {CLASS[0].participant}"][4:6] == ["11.64", "20"]
    assert ("grades scaled to the assignment's maximum grade, 20 (the roster's worksheet); the feedback gives the "
            "kit's points") in capsys.readouterr().err


def test_a_moodle_team_folder_is_not_exported_as_a_participant(tmp_path, capsys):
    """mod/assign/classes/downloader.php (get_student_prefix): with team submissions a folder is named
    `<group name>_<group id>_assignsubmission_file_`; the worksheet's importer would look the group id
    up as a participant id."""
    root = moodle_download(tmp_path / "m")
    team = root / "Groupe 3_47_assignsubmission_file_"
    team.mkdir()
    (team / "tp1_ab.ipynb").write_text("{}")
    d = discover([root], roster=roster("moodle_grading_worksheet.csv"))
    out = graded_like(d, tmp_path / "grades", lambda r: by_participant(r.lms_id) if r.lms_id != "47" else CLASS[2])
    assert export.main(["--to", "moodle", str(out), "--roster", str(roster("moodle_grading_worksheet.csv"))]) == \
        export.EXIT_LEFT_OUT
    assert ("participant id 47 is not on the roster's worksheet (a team submission? Moodle names a "
            "team's folder by its group): Moodle would skip the row, or grade whoever has that number"
            in capsys.readouterr().err)
    rows = {r[0] for r in read(out / "export" / "moodle_grading_worksheet.csv")[1:]}
    assert "Participant 47" not in rows and f"Participant {CLASS[0].participant}" in rows


def test_canvas_grades_go_in_the_rosters_column_for_the_tp(tmp_path, capsys):
    """gradebook_importer.rb matches an assignment column `Name (id)` by id, then by name, and otherwise
    creates a new assignment: without --item, the roster's own column for the TP is written."""
    d = discover([canvas_download(tmp_path / "c")], roster=roster("canvas_gradebook_export.csv"))
    out = graded_like(d, tmp_path / "grades", lambda r: by_canvas(r.lms_id))
    assert export.main(["--to", "canvas", str(out), "--roster", str(roster("canvas_gradebook_export.csv"))]) == 0
    assert read(out / "export" / "canvas_grades.csv")[0][-1] == "TP1-ab (4242)"
    several = tmp_path / "gradebook.csv"  # a course with another assignment, none named for the TP
    text = roster("canvas_gradebook_export.csv").read_text(encoding="utf-8-sig")
    several.write_text(text.replace("TP1-ab (4242)", "Lab A (4242)").replace("Student,ID,", "Student,ID,", 1)
                       .replace(",Current Points", ",Quiz 1 (4243),Current Points", 1), encoding="utf-8")
    capsys.readouterr()
    assert export.main(["--to", "canvas", str(out), "--roster", str(several)]) == 0
    assert read(out / "export" / "canvas_grades.csv")[0][-1] == "TP1-ab"
    assert ("the roster has 2 assignment columns (Lab A (4242), Quiz 1 (4243)): the grades go in a column 'TP1-ab', "
            "which Canvas creates; give --item \"Name (id)\" to fill an existing one") in capsys.readouterr().err


def test_moodle_names_shown_last_name_first_match_the_gradebooks_first_and_last_names(tmp_path):
    """The download's folders follow the site's fullnamedisplay ("lastname firstname" on many sites);
    the gradebook export has First name and Last name columns."""
    root = moodle_download(tmp_path / "m")
    for s in CLASS:
        for folder in root.glob(f"{glob_escape(moodle_prefix(s))}_assignsubmission_*"):
            last_first = moodle_prefix(s).replace(s.full.replace("'", ""), f"{s.last} {s.first}".replace("'", ""), 1)
            folder.rename(folder.with_name(folder.name.replace(moodle_prefix(s), last_first, 1)))
    d = discover([root], roster=roster("moodle_gradebook_export.csv"))
    emails = {r.email for r in d.students if r.status in ("handin", "ambiguous") and r.email}
    # every student is found by name but the two called Marie Dubois, whom a name cannot tell apart
    assert emails == {s.email for s in CLASS if s is not ANA and s.full != "Marie Dubois"}
    assert sorted(r.name for r in d.students if not r.email and r.status == "handin") == ["Dubois Marie"] * 2


def test_a_french_worksheet_as_roster_is_told_to_upload_in_english(tmp_path, capsys):
    """mod/assign/feedback/offline/importgradeslib.php finds Identifier, Grade and Last modified (grade)
    by their names in the uploader's language (lang/fr: Identifiant, Note, ...)."""
    english = roster("moodle_grading_worksheet.csv").read_text(encoding="utf-8-sig")
    header, rest = english.split("\n", 1)
    french = tmp_path / "feuille.csv"
    french.write_text(header.replace("Identifier", "Identifiant").replace('"Full name"', '"Nom complet"')
                      .replace('"Email address"', '"Adresse de courriel"').replace("Status", "Statut")
                      .replace(",Grade,", ",Note,").replace('"Maximum grade"', '"Note maximale"')
                      + "\n" + rest, encoding="utf-8-sig")
    d = discover([moodle_download(tmp_path / "m")], roster=french)
    out = graded_like(d, tmp_path / "grades", lambda r: by_participant(r.lms_id))
    assert export.main(["--to", "moodle", str(out), "--roster", str(french)]) == 0
    assert ("the roster's worksheet is in French, the worksheet written is in English: Moodle finds the columns by "
            "their names in the language of whoever uploads, so switch your Moodle language to English for the "
            "upload (user menu > Language)") in capsys.readouterr().err
