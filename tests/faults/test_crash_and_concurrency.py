"""Answers survive a SIGKILL mid-stream, and 50 threads saving at once lose and double nothing.

Both run on SQLite (WAL, synchronous=FULL) and on PostgreSQL, through the same engine call the
assessment page makes (course.assessment.save_answer).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from course import assessment
from course.content import Course

from .conftest import Database, make_learners, open_attempts
from .ledger import Answer, invariant_violations, newest_kept, tally

WRITER = Path(__file__).with_name("answer_writer.py")
KILL_AFTER_ACKS = 150  # let the stream run well past warm-up before pulling the plug


def read_acks(path: Path) -> list[Answer]:
    answers = []
    for line in path.read_text().splitlines():
        record = json.loads(line)
        answers.append((record["attempt"], record["item"], record["chosen"], datetime.fromisoformat(record["at"])))
    return answers


def test_sigkill_during_a_stream_of_answers_loses_nothing_acknowledged(
    database: Database, course: Course, tmp_path: Path
) -> None:
    store = database.open()
    learners = make_learners(store, 4, "crash")
    open_attempts(store, learners, course, datetime(2029, 12, 31, tzinfo=UTC))
    store.close()

    acks_file = tmp_path / "acks.jsonl"
    log = tmp_path / "writer.log"
    with log.open("wb") as output:
        writer = subprocess.Popen(
            [sys.executable, str(WRITER), database.url, str(acks_file), *(str(u.id) for u in learners)],
            stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and writer.poll() is None:
            if acks_file.exists() and acks_file.read_bytes().count(b"\n") >= KILL_AFTER_ACKS:
                break
            time.sleep(0.01)
        assert writer.poll() is None, f"the writer stopped by itself: {log.read_text()[-2000:]}"
        os.kill(writer.pid, signal.SIGKILL)  # no cleanup, no rollback, no flush: as in a power cut
        writer.wait(timeout=10)
    finally:
        if writer.poll() is None:
            writer.kill()
            writer.wait()
    assert writer.returncode == -signal.SIGKILL

    acknowledged = read_acks(acks_file)
    reopened = database.open()  # opens (SQLite replays its WAL) and migrates: a clean start
    try:
        counts = tally(reopened, acknowledged)
        print(counts.line(f"kill -9 on {database.kind}"))
        assert counts.acknowledged >= KILL_AFTER_ACKS
        assert counts.lost == 0
        assert counts.duplicated == 0
        assert counts.present == counts.acknowledged
        # At most one commit per writer thread can have landed without its acknowledgement.
        assert counts.unacknowledged <= len(learners)
        assert invariant_violations(reopened) == []
        assert newest_kept(reopened, acknowledged) == []
    finally:
        reopened.close()


def test_200_answers_from_50_threads_none_lost_none_doubled(database: Database, course: Course) -> None:
    store = database.open()
    try:
        learners = make_learners(store, 10, "threads")
        attempts = open_attempts(store, learners, course, datetime(2029, 12, 31, tzinfo=UTC))
        answered_at = datetime(2030, 1, 1, tzinfo=UTC)
        # 5 threads per attempt, 4 questions each: 200 different questions, and every thread of an
        # attempt contends for the same attempt row (locked FOR UPDATE on PostgreSQL).
        jobs: list[list[tuple[int, Answer]]] = []
        for learner_index, attempt in enumerate(attempts):
            for slot in range(5):
                job = []
                for item in attempt.paper[slot * 4 : slot * 4 + 4]:
                    at = answered_at + timedelta(seconds=learner_index, milliseconds=slot)
                    job.append((learner_index, (attempt.id, item.item_id, item.options[-1], at)))
                jobs.append(job)
        assert len(jobs) == 50 and sum(len(job) for job in jobs) == 200

        acknowledged: list[Answer] = []
        refused_retries: list[Answer] = []
        failures: list[BaseException] = []
        lock = threading.Lock()
        start = threading.Barrier(len(jobs))

        def submit(job: list[tuple[int, Answer]]) -> None:
            try:
                start.wait()
                for learner_index, answer in job:
                    attempt_id, item_id, chosen, at = answer
                    user = learners[learner_index]
                    saved = assessment.save_answer(store, user, attempt_id, item_id, chosen, answered_at=at)
                    # A client that never saw the reply sends the very same answer again.
                    again = assessment.save_answer(store, user, attempt_id, item_id, chosen, answered_at=at)
                    with lock:
                        if saved:
                            acknowledged.append(answer)
                        if not again:
                            refused_retries.append(answer)
            except BaseException as exc:  # reported below; a thread's exception is otherwise lost
                with lock:
                    failures.append(exc)

        threads = [threading.Thread(target=submit, args=(job,)) for job in jobs]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert failures == []
        counts = tally(store, acknowledged)
        print(counts.line(f"50 threads on {database.kind}") + f" retries refused={len(refused_retries)}")
        assert counts.acknowledged == 200
        assert counts.present == 200 and counts.lost == 0
        assert counts.duplicated == 0
        assert counts.rows == 200 and counts.events == 200
        assert len(refused_retries) == 200  # each resend was recognised, none stored twice
        assert invariant_violations(store) == []
    finally:
        store.close()
