"""The job journal: once means once, across restarts."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from printer_support import job

from devices.printer.journal import INTERRUPTED, JobJournal
from devices.protocol.messages import PrintError, PrintResult


def test_a_new_job_may_print_and_a_finished_one_replays_its_result(tmp_path: Path) -> None:
    journal = JobJournal(tmp_path / "jobs.db")
    j = job(job_id="job-00000001")
    assert journal.claim(j) is None
    journal.start(j)
    journal.finish(PrintResult(job_id=j.job_id, ok=True))
    replay = journal.claim(j)
    assert replay is not None and replay.ok and replay.job_id == j.job_id
    assert journal.state(j.job_id) == "done"


def test_a_failed_write_replays_its_failure(tmp_path: Path) -> None:
    journal = JobJournal(tmp_path / "jobs.db")
    j = job()
    journal.start(j)
    journal.finish(PrintResult(job_id=j.job_id, ok=False, error=PrintError.TIMEOUT))
    replay = journal.claim(j)
    assert replay is not None and replay.error is PrintError.TIMEOUT


def test_a_job_refused_before_any_byte_may_try_again(tmp_path: Path) -> None:
    journal = JobJournal(tmp_path / "jobs.db")
    j = job()
    journal.refuse(j, PrintError.PAPER_OUT)
    assert journal.state(j.job_id) == "refused"
    assert journal.claim(j) is None


def test_a_job_started_before_a_crash_is_never_claimed_again(tmp_path: Path) -> None:
    path = tmp_path / "jobs.db"
    first = JobJournal(path)
    j = job()
    first.start(j)
    # no finish: the process died here; no close either
    second = JobJournal(path)
    result = second.claim(j)
    assert result is not None and not result.ok and result.error is INTERRUPTED
    assert second.state(j.job_id) == "done"
    again = second.claim(j)
    assert again is not None and again.error is INTERRUPTED


def test_interrupted_jobs_are_settled_at_start(tmp_path: Path) -> None:
    path = tmp_path / "jobs.db"
    first = JobJournal(path)
    a, b, c = job(), job(), job()
    first.start(a)
    first.start(b)
    first.finish(PrintResult(job_id=b.job_id, ok=True))
    first.start(c)
    second = JobJournal(path)
    assert second.settle_interrupted() == [a.job_id, c.job_id]
    assert second.settle_interrupted() == []
    assert second.state(b.job_id) == "done"


def test_the_start_mark_is_committed_before_start_returns(tmp_path: Path) -> None:
    path = tmp_path / "jobs.db"
    journal = JobJournal(path)
    j = job()
    journal.start(j)
    # another connection (another process after a crash) sees it at once
    with sqlite3.connect(path) as other:
        row = other.execute("SELECT state FROM jobs WHERE job_id = ?", (j.job_id,)).fetchone()
    assert row == ("started",)
    (sync,) = journal._db.execute("PRAGMA synchronous").fetchone()
    assert sync == 2  # FULL


def test_prune_forgets_old_finished_jobs_but_not_started_ones(tmp_path: Path) -> None:
    journal = JobJournal(tmp_path / "jobs.db")
    done, started = job(), job()
    journal.start(done)
    journal.finish(PrintResult(job_id=done.job_id, ok=True))
    journal.start(started)
    assert journal.prune(older_than_s=-1) == 1
    assert journal.state(done.job_id) is None
    assert journal.state(started.job_id) == "started"
