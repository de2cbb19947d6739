"""A worker that saves assessment answers as fast as it can, and says so only after each commit.

    python tests/faults/answer_writer.py DATABASE_URL ACK_FILE LEARNER_ID [LEARNER_ID ...]

One thread per learner, each changing the answers of that learner's open attempt with
``course.assessment.save_answer`` (the same call the assessment page makes). After save_answer has
returned, i.e. after its transaction committed, the thread appends one JSON line to ACK_FILE with
a single ``os.write`` (the kernel has it even if this process is then killed with SIGKILL). The
test kills this process at a moment of its choosing and checks the database against the file.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from course import accounts, assessment
from course.store.db import Store

# Every answer gets its own instant, increasing per attempt, so each save is newer than the last
# and must be kept (save_answer ignores an answer older than the one stored).
BASE = datetime(2030, 1, 1, tzinfo=UTC)


def write_answers(store: Store, learner_id: int, ack_fd: int) -> None:
    user = accounts.get_user(store, learner_id)
    assert user is not None, f"no learner {learner_id}"
    attempt = assessment.open_attempt(store, user)
    assert attempt is not None, f"learner {learner_id} has no open attempt"
    for n in range(1_000_000):
        item = attempt.paper[n % attempt.total]
        chosen = item.options[(n // attempt.total + 1) % len(item.options)]
        answered_at = BASE + timedelta(milliseconds=n)
        if not assessment.save_answer(store, user, attempt.id, item.item_id, chosen, answered_at=answered_at):
            raise RuntimeError(f"a newer answer was already stored for {item.item_id}")
        line = {"attempt": attempt.id, "item": item.item_id, "chosen": chosen, "at": answered_at.isoformat()}
        os.write(ack_fd, (json.dumps(line) + "\n").encode())


def main() -> None:
    url, ack_path, *learner_ids = sys.argv[1:]
    store = Store.open(url)
    ack_fd = os.open(ack_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    threads = [
        threading.Thread(target=write_answers, args=(store, int(learner), ack_fd), daemon=True)
        for learner in learner_ids
    ]
    for thread in threads:
        thread.start()
    print("writing", flush=True)
    for thread in threads:
        thread.join()


if __name__ == "__main__":
    main()
