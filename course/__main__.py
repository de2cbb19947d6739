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
    from course.accounts import User
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

    items = sub.add_parser("items", help="quiz items: audit the banks for answer cues")
    items_sub = items.add_subparsers(dest="items_command", required=True)
    audit = items_sub.add_parser(
        "audit", help="per item and per bank: key length, hedges, stem echo, straw men, cue-only score"
    )
    audit.add_argument("--root", type=Path, default=PROJECT_ROOT, help="folder holding the content folders")
    audit.add_argument(
        "--bank", choices=["summative", "formative", "both"], default="both", help="which items to audit"
    )
    audit.add_argument("--summary", action="store_true", help="only the bank statistics, not one line per item")

    _add_cpd_commands(sub)

    args = parser.parse_args(argv)
    if args.command == "items":
        return _items_audit(args.root, args.bank, per_item=not args.summary)
    if args.command == "xapi":
        return _xapi(args)
    if args.command == "privacy":
        return _privacy(args)
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


def _items_audit(root: Path, which: str, *, per_item: bool) -> int:
    """Print the item audit; exit 1 when a bank exceeds a threshold or an item has a flaw."""
    from course.item_audit import audit_course_items, report_lines

    report = load_course(root)
    if report.errors:
        for problem in report.errors:
            print(f"error: {problem}")
        return 1
    summative, formative = audit_course_items(report.course.items().values())
    banks = {"summative": [summative], "formative": [formative], "both": [summative, formative]}[which]
    for n, bank in enumerate(banks):
        if n:
            print()
        print("\n".join(report_lines(bank, per_item=per_item)))
    failed = any(bank.breaches() or any(i.flaws() for i in bank.items) for bank in banks)
    return 1 if failed else 0


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


# --- xAPI and privacy (operator commands: whoever runs them already holds the database credentials) ---


def _add_cpd_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    xapi = sub.add_parser("xapi", help="send learning records to the LRS configured in secrets or XAPI_*")
    xapi_sub = xapi.add_subparsers(dest="xapi_command", required=True)
    send = xapi_sub.add_parser("send", help="queue new events and send what is due (run it from cron)")
    send.add_argument("--batch-size", type=int, default=50)
    xapi_sub.add_parser("status", help="how many statements are pending, sent and failed")
    xapi_sub.add_parser("retry-failed", help="queue again the statements the LRS rejected")
    export = xapi_sub.add_parser("export", help="print every statement as JSON lines (no LRS needed)")
    export.add_argument("--email", help="only this learner's statements")

    privacy = sub.add_parser("privacy", help="a person's data: export it, or delete the account")
    privacy_sub = privacy.add_subparsers(dest="privacy_command", required=True)
    dump = privacy_sub.add_parser("export", help="print everything held about a person as JSON")
    dump.add_argument("--email", required=True)
    erase = privacy_sub.add_parser("delete", help="close the account and erase the personal data")
    erase.add_argument("--email", required=True)
    erase.add_argument("--confirm", required=True, help="the same email again, to confirm")


def _operator() -> User:
    """Stands for the person at the command line, who has the database itself in hand."""
    from course.accounts import Role, User

    return User(id=0, email="operator@localhost", display_name="Command line", role=Role.ADMIN)


def _xapi(args: argparse.Namespace) -> int:
    from course import xapi
    from course.accounts import find_user_by_email
    from course.clock import utcnow

    config = xapi.load_config()
    store = _open_store()
    if store is None:
        return 1
    try:
        if args.xapi_command == "status":
            print(json.dumps(xapi.outbox_counts(store)))
            return 0
        if args.xapi_command == "retry-failed":
            print(f"{xapi.retry_failed(store, now=utcnow())} statements queued again")
            return 0
        if args.xapi_command == "export":
            if args.email:
                user = find_user_by_email(store, args.email)
                if user is None:
                    print(f"error: no account with email {args.email}", file=sys.stderr)
                    return 1
                statements = xapi.statements_for(store, _operator(), user.id, config)
            else:
                statements = xapi.all_statements(store, _operator(), config)
            for statement in statements:
                print(json.dumps(statement, ensure_ascii=False))
            return 0
        if not config.sending_enabled:
            print(
                "error: no LRS configured: set [xapi] endpoint/key/secret in secrets.toml or XAPI_ENDPOINT",
                file=sys.stderr,
            )
            return 1
        now = utcnow()
        queued = xapi.enqueue_new(store, now=now)
        report = xapi.send_pending(store, xapi.HttpTransport(config), now, config=config, batch_size=args.batch_size)
        print(f"queued {queued}; sent {report.sent}, rejected {report.failed}, to retry later {report.deferred}")
        if report.last_error:
            print(f"last error: {report.last_error}", file=sys.stderr)
        return 0 if report.deferred == 0 and report.failed == 0 else 2
    finally:
        store.close()


def _privacy(args: argparse.Namespace) -> int:
    from course import privacy
    from course.accounts import find_user_by_email
    from course.clock import utcnow

    store = _open_store()
    if store is None:
        return 1
    try:
        user = find_user_by_email(store, args.email)
        if user is None:
            print(f"error: no account with email {args.email}", file=sys.stderr)
            return 1
        if args.privacy_command == "export":
            print(json.dumps(privacy.export_personal_data(store, _operator(), user.id, now=utcnow()), indent=2))
            return 0
        try:
            privacy.delete_account(store, _operator(), user.id, confirm_email=args.confirm, now=utcnow())
        except privacy.PrivacyError as exc:
            print(f"error: {exc.message}", file=sys.stderr)
            return 1
        print(f"deleted the account {args.email} (id {user.id}) and erased its personal data")
        return 0
    finally:
        store.close()


if __name__ == "__main__":
    sys.exit(main())
