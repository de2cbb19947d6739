"""Does sign-up tell, by its answer or its time, whether an account already exists for an email?

    python bench/signup_timing.py [--rounds 5] [--database-url URL] [--smtp]

Starts the course (``streamlit run streamlit_app.py``, a scratch SQLite file unless
``--database-url`` is given), creates one account, then, over Streamlit's own websocket protocol as
a browser would, submits the sign-up form ``--rounds`` times with a new email and ``--rounds`` times
with the existing one, alternating. Printed: the answer time for each kind (median, min, max, from
the click to the finished page) and whether the answers differ once the email itself is blanked
out. With ``--smtp`` the server gets a local SMTP server, so sign-up confirms addresses by email.

The red-team figures before issue 16: an existing email was answered in 0.05 s ("An account with
this email already exists"), a new one in 0.6 s.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run as `python bench/signup_timing.py` from anywhere

from bench.ws_client import AppServer, StreamlitSession  # noqa: E402

EXISTING = "already-here@example.org"
PASSWORD = "a long enough password"


def create_existing(database_url: str) -> None:
    from course import accounts
    from course.clock import utcnow
    from course.store.db import Store

    with Store.open(database_url) as store:
        accounts.create_user_admin(
            store, email=EXISTING, display_name="Already Here", password=PASSWORD, role=accounts.Role.LEARNER,
            now=utcnow(),
        )  # fmt: skip


async def sign_up(url: str, email: str) -> tuple[float, str]:
    session, page = await StreamlitSession.open(url, page="signup")
    try:
        fields = [w for w in page.widgets if w.kind == "text_input"]
        name, address, password, confirm = fields[:4]
        submit = page.widget(kind="button", label="Create account")
        result = await session.rerun(
            set_values={name: "Sam Sign-up", address: email, password: PASSWORD, confirm: PASSWORD}, click=submit
        )
        shown = [t.replace(email, "<email>") for t in result.texts if t not in page.texts]
        return result.seconds, " | ".join(shown)
    finally:
        await session.close()


@contextlib.contextmanager
def maybe_smtp(enabled: bool) -> Iterator[dict[str, str]]:
    if not enabled:
        yield {}
        return
    from tests.smtp import smtp_env, smtp_server

    with smtp_server() as (_, port):
        yield smtp_env(port)


async def measure(args: argparse.Namespace, data_dir: str, extra_env: dict[str, str]) -> None:
    from course.store.db import database_url as resolve_url

    env = {**os.environ, "COURSE_DATA_DIR": data_dir, **extra_env}
    env.pop("DATABASE_URL", None)
    if args.database_url:
        env["DATABASE_URL"] = args.database_url
    url = resolve_url(env)
    app = AppServer("streamlit_app.py", env=env, log=Path(data_dir) / "server.log")
    times: dict[str, list[float]] = {"new": [], "existing": []}
    shown: dict[str, set[str]] = {"new": set(), "existing": set()}
    try:
        app.start()
        create_existing(url)
        await sign_up(app.url, f"warm-up-{os.getpid()}@example.org")  # first hash and page loads
        for number in range(args.rounds):
            for kind, email in (("new", f"new-{os.getpid()}-{number}@example.org"), ("existing", EXISTING)):
                seconds, answer = await sign_up(app.url, email)
                times[kind].append(seconds)
                shown[kind].add(answer)
    finally:
        app.stop()
    print(f"sign-up, {args.rounds} rounds, SMTP {'on' if args.smtp else 'off'}, load average {os.getloadavg()[0]:.2f}")
    for kind in ("new", "existing"):
        values = times[kind]
        print(
            f"{kind:8s} email: median {statistics.median(values):.3f} s, min {min(values):.3f} s, "
            f"max {max(values):.3f} s"
        )
        for answer in sorted(shown[kind]):
            print(f"    answer: {answer}")
    print("answers differ: " + ("YES" if shown["new"] != shown["existing"] else "no"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--rounds",
        type=int,
        default=4,
        help="sign-ups of each kind (default 4: with the warm-up, within the 10 a client may make in 10 minutes)",
    )
    parser.add_argument("--database-url", help="the course's database (default: a scratch SQLite file)")
    parser.add_argument("--smtp", action="store_true", help="give the server a local SMTP server")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="signup-timing-") as data_dir, maybe_smtp(args.smtp) as extra:
        asyncio.run(measure(args, data_dir, extra))


if __name__ == "__main__":
    main()
