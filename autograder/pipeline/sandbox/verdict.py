"""The run's verdict: what a finished job's records and its account say, and the sentence a student
reads when the run did not end well."""
from dataclasses import dataclass, field

from ... import config
from .records import read_record, regular_file


@dataclass
class RunResult:
    status: str  # ok | timeout | memory | crashed | output
    results: dict = field(default_factory=dict)  # qid -> (arrays, meta)
    account: dict = field(default_factory=dict)  # qid -> how its child ended (the conductor's account)
    detail: str = ""
    seconds: float = 0.0
    isolation: str = ""


def judge_run(folder, answer, oom, qids, limits, level):
    """The RunResult of a finished job, from what the keeper copied out (untrusted: each record
    is validated; the account says how each question's child ended)."""
    stderr_tail = (regular_file(folder / "stderr.txt", 1 << 20) or b"")[-3000:].decode("utf-8", "replace")
    results = {}
    for qid in [config.CONTRACT.DEFINITIONS_RECORD, *qids]:
        record = read_record(folder, qid, limits.file_bytes)
        if record is not None:
            results[qid] = record
    account_record = read_record(folder, config.CONTRACT.ACCOUNT_RECORD, 1 << 20)
    account = {}
    if account_record is not None:
        for qid, entry in account_record[1].items():
            if qid in qids and isinstance(entry, dict):
                account[qid] = {k: entry[k] for k in ("exit", "timed_out", "seconds", "cpu_seconds")
                                if isinstance(entry.get(k), (int, float, bool))}
                if entry.get("skipped_for") in qids:
                    account[qid]["skipped_for"] = entry["skipped_for"]
    definitions = results.get(config.CONTRACT.DEFINITIONS_RECORD, ({}, {}))[1]
    seconds = float(answer.get("seconds", 0.0))
    if answer.get("timed_out"):
        status, detail = "timeout", f"the notebook ran past the {limits.wall_seconds:.0f} s limit and was stopped"
    elif answer.get("too_big"):
        status, detail = "output", "the notebook wrote more files than its folder may hold"
    elif definitions.get("status") == "timeout":
        status, detail = "timeout", "making the notebook's definitions took too long"
    elif config.CONTRACT.DEFINITIONS_RECORD not in results:
        status, detail = "crashed", "the grading process ended before the definitions were made" + (
            f" ({stderr_tail.strip().splitlines()[-1][:300]})" if stderr_tail.strip() else "")
    elif answer.get("status") != 0 and len(account) < len(qids):
        during = next((q for q in qids if q not in account), "")
        status, detail = "crashed", (f"the grading process of this notebook was killed during {during} (by the "
                                     "notebook's own code?); the questions after it were not reached")
    else:
        status, detail = "ok", ""
    if oom and status == "ok":
        status, detail = "memory", "the notebook ran out of its memory limit"
    return RunResult(status, results, account, detail, seconds, level)
