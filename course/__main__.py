"""`python -m course ...`: validate content, export the JSON Schema, manage users, migrate."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from course.content import json_schemas, load_course

if TYPE_CHECKING:
    from course.store.db import Store

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    validate = sub.add_parser("validate", help="load and check all content; print every problem")
    validate.add_argument("paths", nargs="*", type=Path, help="report only these content files")
    validate.add_argument("--strict", action="store_true", help="warnings fail too (use in CI)")
    validate.add_argument("--root", type=Path, default=PROJECT_ROOT, help="folder holding the content folders")

    schema = sub.add_parser("schema", help="print the JSON Schema of every content kind")
    schema.add_argument("--out", type=Path, help="write one <kind>.schema.json file per kind here")

    sub.add_parser("migrate", help="create or upgrade the database (DATABASE_URL or the SQLite default)")

    users = sub.add_parser("users", help="manage accounts")
    users_sub = users.add_subparsers(dest="users_command", required=True)
    add = users_sub.add_parser("add", help="create an account (e.g. the first admin or educator)")
    add.add_argument("--email", required=True)
    add.add_argument("--name", required=True, help="display name")
    add.add_argument("--role", choices=["learner", "educator", "admin"], default="learner")
    add.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input (for scripts)"
    )
    role = users_sub.add_parser("set-role", help="change an account's role")
    role.add_argument("--email", required=True)
    role.add_argument("--role", choices=["learner", "educator", "admin"], required=True)

    args = parser.parse_args(argv)
    if args.command == "validate":
        return _validate(args.root, args.paths, strict=args.strict)
    if args.command == "schema":
        return _schema(args.out)
    if args.command == "migrate":
        return _migrate()
    if args.users_command == "add":
        return _users_add(args.email, args.name, args.role, from_stdin=args.password_stdin)
    return _users_set_role(args.email, args.role)


def _validate(root: Path, paths: list[Path], *, strict: bool) -> int:
    report = load_course(root, only=paths or None)
    for problem in report.problems:
        print(f"{problem.severity.value}: {problem}")
    course = report.course
    print(
        f"{len(report.errors)} errors, {len(report.warnings)} warnings "
        f"({len(course.modules)} modules, {sum(len(b.items) for b in course.quizzes.values())} quiz items, "
        f"{len(course.vignettes)} vignettes, {len(course.glossary)} glossary terms; "
        f"content version {course.version})"
    )
    if report.warnings and not report.errors and not strict:
        print("warnings do not fail without --strict")
    return 0 if report.ok(strict=strict) else 1


def _schema(out: Path | None) -> int:
    schemas = json_schemas()
    if out is None:
        print(json.dumps(schemas, indent=2))
        return 0
    out.mkdir(parents=True, exist_ok=True)
    for name, schema in schemas.items():
        (out / f"{name}.schema.json").write_text(json.dumps(schema, indent=2) + "\n", encoding="utf-8")
        print(out / f"{name}.schema.json")
    return 0


def _open_store() -> Store | None:
    from course.store.db import Store, StoreUnavailable

    try:
        return Store.open()
    except StoreUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None


def _migrate() -> int:
    store = _open_store()
    if store is None:
        return 1
    print(f"database is up to date ({store.dialect})")
    store.close()
    return 0


def _users_add(email: str, name: str, role: str, *, from_stdin: bool) -> int:
    from course.accounts import AccountError, Role, create_user_admin
    from course.clock import utcnow

    password = sys.stdin.readline().rstrip("\n") if from_stdin else getpass.getpass("Password: ")
    store = _open_store()
    if store is None:
        return 1
    try:
        user = create_user_admin(
            store, email=email, display_name=name, password=password, role=Role(role), now=utcnow()
        )
    except AccountError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    finally:
        store.close()
    print(f"created {user.role.value} {user.email} (id {user.id})")
    return 0


def _users_set_role(email: str, role: str) -> int:
    from course.accounts import Role, find_user_by_email, set_role

    store = _open_store()
    if store is None:
        return 1
    try:
        user = find_user_by_email(store, email)
        if user is None:
            print(f"error: no account with email {email}", file=sys.stderr)
            return 1
        set_role(store, user.id, Role(role))
    finally:
        store.close()
    print(f"{email} is now {role}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
