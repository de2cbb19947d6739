"""`python -m course ...`: validate content, export the JSON Schema, manage users, migrate, LTI, xAPI."""

from __future__ import annotations

import argparse
import getpass
import json
import os
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
    reset = users_sub.add_parser("reset-password", help="set a new password for an account and sign it out everywhere")
    reset.add_argument("--email", required=True)
    reset.add_argument(
        "--password-stdin", action="store_true", help="read the new password from standard input (for scripts)"
    )

    email = sub.add_parser("email", help="email reminders (SMTP settings: COURSE_SMTP_* or [smtp] in secrets.toml)")
    email_sub = email.add_subparsers(dest="email_command", required=True)
    email_sub.add_parser(
        "send-reminders", help="send assignment reminders that are due and not yet sent (run it from cron)"
    )
    check = email_sub.add_parser("test", help="send one test email to check the SMTP settings")
    check.add_argument("--to", required=True)

    _add_cpd_commands(sub)
    _add_lti_commands(sub)
    _add_items_commands(sub)

    args = parser.parse_args(argv)
    if args.command == "items":
        return _items(args)
    if args.command == "lti":
        return _lti(args)
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
    if args.command == "email":
        return _email(args)
    if args.users_command == "reset-password":
        return _users_reset_password(args.email, from_stdin=args.password_stdin)
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


def _users_reset_password(email: str, *, from_stdin: bool) -> int:
    from course.accounts import AccountError
    from course.clock import utcnow
    from course.passwords import admin_reset_password

    password = sys.stdin.readline().rstrip("\n") if from_stdin else getpass.getpass("New password: ")
    store = _open_store()
    if store is None:
        return 1
    try:
        user = admin_reset_password(store, email, password, now=utcnow())
    except LookupError:
        print(f"error: no account with email {email}", file=sys.stderr)
        return 1
    except AccountError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    finally:
        store.close()
    print(f"new password set for {user.email}; every session of the account was signed out")
    return 0


def _email(args: argparse.Namespace) -> int:
    from course import mail, reminders
    from course.clock import utcnow

    try:
        settings = mail.load_smtp()
        settings.require_ready()
        lead = reminders.lead_from_env()
    except (mail.EmailNotConfigured, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.email_command == "test":
        body = "This is a test email from the Relational Prescribing course. The SMTP settings work.\n"
        try:
            mail.send(settings, mail.message(settings, args.to, "Relational Prescribing: test email", body))
        except mail.EmailFailed as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        print(f"sent a test email to {args.to}")
        return 0
    report_store = _open_store()
    if report_store is None:
        return 1
    try:
        course = load_course(Path(os.environ.get("COURSE_CONTENT_DIR", PROJECT_ROOT))).course
        report = reminders.send_reminders(report_store, course, settings, now=utcnow(), lead=lead)
    finally:
        report_store.close()
    print(f"sent {report.sent} reminder email(s); {report.failed} failed and will be retried on the next run")
    for error in report.errors[:5]:
        print(f"error: {error}", file=sys.stderr)
    return 0 if report.failed == 0 else 2


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
    again = privacy_sub.add_parser(
        "erase-again", help="run the erasure again on a deleted account (anything that reached it after deletion)"
    )
    again.add_argument("--user-id", type=int, required=True, help="the deleted account's id")


def _operator() -> User:
    """Stands for the person at the command line, who has the database itself in hand."""
    from course.accounts import Role, User

    return User(id=0, email="operator@localhost", display_name="Command line", role=Role.ADMIN)


def _xapi(args: argparse.Namespace) -> int:
    from course import xapi
    from course.accounts import find_user_by_email
    from course.clock import utcnow

    store = _open_store()
    if store is None:
        return 1
    try:
        config = xapi.load_config(store=store)
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
        transport = xapi.HttpTransport(config)
        report = xapi.send_pending(store, transport, now, config=config, batch_size=args.batch_size)
        voids = xapi.send_voids(store, transport, now, config=config, batch_size=args.batch_size)
        print(
            f"queued {queued}; sent {report.sent}, rejected {report.failed}, to retry later {report.deferred}; "
            f"voids sent {voids.sent}, rejected {voids.failed}, to retry later {voids.deferred}"
        )
        for error in {report.last_error, voids.last_error} - {None}:
            print(f"last error: {error}", file=sys.stderr)
        # Cron notices only a non-zero exit: fail while anything is rejected (this run or an earlier
        # one, until `xapi retry-failed`) or could not be sent.
        waiting = xapi.outbox_counts(store)[xapi.FAILED]
        if waiting:
            print(
                f"error: {waiting} statements were rejected by the LRS and are not being retried; "
                "fix the cause, then run `python -m course xapi retry-failed`",
                file=sys.stderr,
            )
        # Statements deferred by an earlier run and not yet due again were not tried this run, but the
        # LRS has still not got them: keep failing until they are through, so cron keeps saying so.
        retrying = xapi.awaiting_retry(store)
        if retrying:
            print(f"error: {retrying} statements wait to be retried after the LRS failed", file=sys.stderr)
        return 0 if report.deferred == 0 and voids.deferred == 0 and waiting == 0 and retrying == 0 else 2
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
        if args.privacy_command == "erase-again":
            try:
                privacy.erase_again(store, _operator(), args.user_id, now=utcnow())
            except privacy.PrivacyError as exc:
                print(f"error: {exc.message}", file=sys.stderr)
                return 1
            print(f"erased the deleted account {args.user_id} again")
            return 0
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


# --- question exchange with Moodle ----------------------------------------------------------------------


def _add_items_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    items = sub.add_parser("items", help="quiz items: audit the banks for answer cues; exchange them with Moodle")
    items_sub = items.add_subparsers(dest="items_command", required=True)
    audit = items_sub.add_parser(
        "audit", help="per item and per bank: key length, hedges, stem echo, straw men, cue-only score"
    )
    audit.add_argument("--root", type=Path, default=PROJECT_ROOT, help="folder holding the content folders")
    audit.add_argument(
        "--bank", choices=["summative", "formative", "both"], default="both", help="which items to audit"
    )
    audit.add_argument("--summary", action="store_true", help="only the bank statistics, not one line per item")
    export = items_sub.add_parser("export", help="every bank (or --bank ones) as GIFT or Moodle XML")
    export.add_argument("--format", choices=["gift", "moodle-xml"], required=True)
    export.add_argument("--bank", action="append", help="a bank id (repeat for several); default: all banks")
    export.add_argument("--out", type=Path, help="write to this file instead of standard output")
    export.add_argument("--root", type=Path, default=PROJECT_ROOT, help="folder holding the content folders")
    gift = items_sub.add_parser("import-gift", help="turn a GIFT file into a quiz bank file that passes validate")
    gift.add_argument("file", type=Path, help="the GIFT file (UTF-8)")
    gift.add_argument("--out", type=Path, help="the quiz file to write (default: quizzes/<bank id>.yaml)")
    gift.add_argument("--bank-id", help="the bank's id (default: from the file name)")
    gift.add_argument("--title", help="the bank's title (default: from the file name)")
    gift.add_argument("--root", type=Path, default=PROJECT_ROOT, help="folder holding the content folders")
    defaults = gift.add_argument_group("for questions without the course's own metadata comment")
    defaults.add_argument("--objective", action="append", default=[], help="a learning objective id (repeatable)")
    defaults.add_argument("--concept", action="append", default=[], help="a glossary term id (repeatable)")
    defaults.add_argument("--difficulty", choices=["easy", "medium", "hard"], default="medium")
    defaults.add_argument("--source-ref", help="a bibliography id, e.g. konstantinidou-2022")
    defaults.add_argument("--source-locator", help="where in the source, e.g. 'Box 3'")
    defaults.add_argument("--mode", action="append", choices=["formative", "summative"], default=[])
    defaults.add_argument("--module", help="the module whose knowledge check shows the questions")


def _items(args: argparse.Namespace) -> int:
    from course import gift, moodle_xml

    if args.items_command == "audit":
        return _items_audit(args.root, args.bank, per_item=not args.summary)
    if args.items_command == "import-gift":
        return _import_gift(args)
    report = load_course(args.root)
    if report.errors:
        print(f"error: the content has {len(report.errors)} errors; run `python -m course validate`", file=sys.stderr)
        return 1
    banks = list(report.course.quizzes.values())
    if args.bank:
        unknown = sorted(set(args.bank) - {b.id for b in banks})
        if unknown:
            print(f"error: no bank with id {', '.join(unknown)}", file=sys.stderr)
            return 1
        banks = [b for b in banks if b.id in args.bank]
    try:
        text = gift.to_gift(banks) if args.format == "gift" else moodle_xml.to_moodle_xml(banks)
    except gift.GiftError as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        return 1
    if args.out is None:
        sys.stdout.write(text)
    else:
        args.out.write_text(text, encoding="utf-8")
        print(f"wrote {sum(len(b.items) for b in banks)} questions from {len(banks)} banks to {args.out}")
    return 0


def _import_gift(args: argparse.Namespace) -> int:
    import shutil
    import tempfile

    import yaml

    from course import gift
    from course.content import CONTENT_FOLDERS

    try:
        with args.file.open("rb") as handle:
            raw = handle.read(gift.MAX_GIFT_BYTES + 1)  # never more than the limit into memory
        if len(raw) > gift.MAX_GIFT_BYTES:
            print(
                f"error: {args.file} is over {gift.MAX_GIFT_BYTES // 1000:,} kB, the most one import takes; "
                "split it (nothing was written)",
                file=sys.stderr,
            )
            return 1
        source = raw.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        print(f"error: cannot read {args.file}: {exc}", file=sys.stderr)
        return 1
    bank_id = gift.slug(args.bank_id or args.file.stem)
    defaults: dict[str, object] = {
        "objectives": args.objective,
        "concepts": args.concept,
        "difficulty": args.difficulty,
        "modes": args.mode,
        "module": args.module,
        "source": {"ref": args.source_ref, **({"locator": args.source_locator} if args.source_locator else {})}
        if args.source_ref
        else None,
    }
    try:
        bank = gift.to_bank_data(
            gift.parse_gift(source), bank_id=bank_id, title=args.title or args.file.stem, defaults=defaults
        )
    except gift.GiftError as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        return 1
    out: Path = args.out or args.root / "quizzes" / f"{bank_id}.yaml"
    if out.exists():
        print(f"error: {out} exists; choose another --out (nothing was written)", file=sys.stderr)
        return 1
    text = f"# Imported from {args.file.name} by `python -m course items import-gift`.\n" + yaml.safe_dump(
        bank, sort_keys=False, allow_unicode=True, width=100
    )
    # Check the new file with the rest of the course (objectives, concepts and sources must exist)
    # in a scratch copy, so a file that fails is never left among the content.
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        for folder in CONTENT_FOLDERS:
            if (args.root / folder).is_dir():
                shutil.copytree(args.root / folder, root / folder)
        (root / "quizzes").mkdir(exist_ok=True)
        trial = root / "quizzes" / out.name
        trial.write_text(text, encoding="utf-8")
        report = load_course(root, only=[trial])
    for found in report.problems:
        print(f"{found.severity.value}: {found}", file=sys.stderr)
    if report.errors:
        print(f"{len(report.errors)} errors: nothing was written; fix the GIFT file or give defaults", file=sys.stderr)
        return 1
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    print(f"wrote {len(bank['items'])} questions to {out}")
    return 0


# --- LTI 1.3 (operator commands) ------------------------------------------------------------------------


def _add_lti_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    lti = sub.add_parser("lti", help="LTI 1.3: register LMS platforms, rotate the tool's key, send scores")
    lti_sub = lti.add_subparsers(dest="lti_command", required=True)
    add = lti_sub.add_parser("add-platform", help="register an LMS (or update the one with this issuer and client id)")
    add.add_argument("--name", required=True, help="how the platform is called here, e.g. 'University Moodle'")
    add.add_argument("--issuer", required=True, help="the platform ID (iss), e.g. https://moodle.example.ac.uk")
    add.add_argument("--client-id", required=True, help="the client ID the platform gave this tool")
    add.add_argument("--login-url", required=True, help="the platform's authentication request URL")
    add.add_argument("--token-url", required=True, help="the platform's access token URL")
    add.add_argument("--jwks-url", required=True, help="the platform's public keyset URL")
    add.add_argument("--deployment-id", required=True, action="append", help="a deployment ID (repeat for several)")
    add.add_argument("--audience", help="the token endpoint's audience, if the platform says it differs")
    lti_sub.add_parser("list", help="the registered platforms")
    remove = lti_sub.add_parser("remove", help="forget a platform (its launches stop; cohorts and accounts stay)")
    remove.add_argument("--id", type=int, required=True, help="the platform's id from `lti list`")
    lti_sub.add_parser("rotate-key", help="new signing key; the JWKS keeps the previous one until the next rotation")
    lti_sub.add_parser("jwks", help="print the tool's public keys (what /lti/jwks serves)")
    lti_sub.add_parser("send-scores", help="send assessment results waiting for the LMS gradebooks (run from cron)")
    lti_sub.add_parser("sync-rosters", help="bring every LMS course's cohort in line with its roster (NRPS)")
    lti_sub.add_parser("retry-failed", help="queue again the scores an LMS refused")


def _lti(args: argparse.Namespace) -> int:
    from course.clock import utcnow
    from course.lti import grades, registry, roster

    store = _open_store()
    if store is None:
        return 1
    try:
        now = utcnow()
        if args.lti_command == "add-platform":
            try:
                platform, created = registry.add_platform(
                    store,
                    name=args.name,
                    issuer=args.issuer,
                    client_id=args.client_id,
                    auth_login_url=args.login_url,
                    auth_token_url=args.token_url,
                    key_set_url=args.jwks_url,
                    deployment_ids=args.deployment_id,
                    auth_audience=args.audience,
                    now=now,
                )
            except registry.RegistryError as exc:
                print(f"error: {exc}", file=sys.stderr)
                return 1
            registry.current_key(store, now=now)  # the JWKS has a key to show from now on
            print(
                f"{'registered' if created else 'updated'} platform {platform.id}: {platform.name} ({platform.issuer})"
            )
            return 0
        if args.lti_command == "list":
            for platform in registry.platforms(store):
                print(
                    f"{platform.id}\t{platform.name}\tissuer={platform.issuer}\tclient_id={platform.client_id}"
                    f"\tdeployments={','.join(platform.deployment_ids)}"
                )
            return 0
        if args.lti_command == "remove":
            try:
                registry.remove_platform(store, args.id)
            except registry.RegistryError as exc:
                print(f"error: {exc}", file=sys.stderr)
                return 1
            print(f"removed platform {args.id}")
            return 0
        if args.lti_command == "rotate-key":
            key = registry.rotate_key(store, now=now)
            print(f"new signing key {key.kid}; the previous key stays in the JWKS until the next rotation")
            return 0
        if args.lti_command == "jwks":
            print(json.dumps(registry.jwks(store, now=now), indent=2))
            return 0
        if args.lti_command == "sync-rosters":
            reports = roster.sync_all(store, now=now)
            failed = [context for context, report in reports.items() if report is None]
            for context, synced in reports.items():
                if synced is not None:
                    print(f"course {context}: {synced.learners} learners, {synced.joined} joined, {synced.left} left")
            for context in failed:
                print(f"error: course {context}: the LMS roster could not be fetched (see the log)", file=sys.stderr)
            return 2 if failed else 0
        if args.lti_command == "retry-failed":
            print(f"{grades.retry_failed(store, now=now)} scores queued again")
            return 0
        report = grades.send_due(store, now=now)
        print(
            f"sent {report.sent}, nothing to send yet {report.nothing_yet}, "
            f"refused {report.failed}, to retry later {report.deferred}"
        )
        waiting = grades.counts(store)[grades.FAILED]
        if waiting:
            print(f"error: {waiting} scores were refused by an LMS; see `lti retry-failed`", file=sys.stderr)
        return 0 if report.deferred == 0 and waiting == 0 else 2
    finally:
        store.close()


if __name__ == "__main__":
    sys.exit(main())
