"""Import the people directory from an HR system's CSV export.

All or nothing: every bad row is reported with its line number and reason, and a file
with any error changes nothing. People are matched by email (case-insensitive); people
missing from the file are left as they are, since an export is often partial.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from allauth.account.models import EmailAddress
from allauth.usersessions.models import UserSession
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, OperationalError, transaction
from django.db.models import F, Q
from django.utils import timezone
from rest_framework.authtoken.models import Token

from rotations.common.jobs import enqueue
from rotations.common.validators import breaks_lines, known_time_zones
from rotations.directory.roles import Role, roles_set_many
from rotations.directory.selectors import find_manager_cycles
from rotations.models import Department, DirectoryImport, ImportStatus, Level, Person

log = logging.getLogger(__name__)

REQUIRED_COLUMNS = (
    "email",
    "name",
    "department",
    "level",
    "manager_email",
    "location",
    "time_zone",
)
OPTIONAL_COLUMNS = ("employee_id", "title", "roles", "hired_on")
MAX_ROWS = 50_000
# The directory's own limits (rotations/directory/models.py), said per row.
COLUMN_LIMITS = {
    "email": 254,
    "name": 200,
    "title": 200,
    "department": 120,
    "location": 120,
    "manager_email": 254,
}

LEVEL_SPELLINGS: dict[str, Level] = {
    "ic": Level.IC,
    "individualcontributor": Level.IC,
    "manager": Level.MANAGER,
    "director": Level.DIRECTOR,
    "vp": Level.VP,
    "vicepresident": Level.VP,
    "clevel": Level.C_LEVEL,
    "csuite": Level.C_LEVEL,
}


@dataclass(frozen=True)
class RowError:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class _Row:
    line: int
    email: str
    full_name: str
    department: str
    level: Level | None  # None only on a row with errors, never applied
    manager_email: str
    location: str
    time_zone: str
    title: str | None
    roles: list[Role] | None
    hired_on: date | None = None
    hired_on_given: bool = False
    employee_id: str = ""


def directory_import(
    *, data: bytes | str, dry_run: bool = False, progress: Callable[[str], None] | None = None
) -> ImportResult:
    """Validate the whole file, then create and update people in one transaction.
    ``progress`` hears what it is doing, for a page to show."""
    progress = progress or (lambda stage: None)
    result = ImportResult()
    progress("Reading the file")
    raw_rows, header_errors = _parse(data)
    if header_errors:
        result.errors = header_errors
        return result

    progress(f"Checking {len(raw_rows):,} rows")
    rows, errors = _validate_rows(raw_rows)
    result.errors = errors
    if errors:
        return result
    if dry_run:
        plan = _plan(rows, locking=False)
        result.errors = plan.errors
        if not plan.errors:
            result.created, result.updated, result.unchanged = plan.counts
        return result

    try:
        with transaction.atomic():
            plan = _plan(rows, locking=True)
            if plan.errors:
                result.errors = plan.errors
                return result
            progress(f"Writing {len(plan.new_people):,} new and {len(plan.changes):,} known people")
            _apply(plan)
            result.created, result.updated, result.unchanged = plan.counts
    except IntegrityError:
        result.errors = [
            RowError(0, "the directory changed while this file was imported; import it again")
        ]
    return result


def _parse(data: bytes | str) -> tuple[list[tuple[int, dict[str, str]]], list[RowError]]:
    if isinstance(data, bytes):
        try:
            # utf-8-sig: spreadsheet programs put a byte-order mark in front.
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            return [], [RowError(0, "the file is not UTF-8 text; export it as CSV (UTF-8)")]
    else:
        text = data.lstrip("\ufeff")
    if not text.strip():
        return [], [RowError(0, "the file is empty")]

    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except csv.Error as exc:
        return [], [RowError(1, f"cannot read the header: {exc}")]
    columns = [_column_name(h) for h in header]
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        return [], [
            RowError(1, "missing column" + ("s " if len(missing) > 1 else " ") + ", ".join(missing))
        ]

    rows: list[tuple[int, dict[str, str]]] = []
    errors: list[RowError] = []
    line = reader.line_num
    while True:
        start = line + 1
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            errors.append(RowError(start, f"cannot read this row: {exc}"))
            break
        line = reader.line_num
        if not any(v.strip() for v in values):
            continue
        if len(values) > len(columns):
            errors.append(
                RowError(start, f"{len(values)} values but the header has {len(columns)} columns")
            )
            continue
        values += [""] * (len(columns) - len(values))
        rows.append((start, {c: v.strip() for c, v in zip(columns, values, strict=True)}))
        if len(rows) > MAX_ROWS:
            return [], [RowError(start, f"the file has more than {MAX_ROWS} people")]
    return rows, errors


def _column_name(header: str) -> str:
    return header.strip().lower().replace(" ", "_").replace("-", "_")


def _validate_rows(raw_rows) -> tuple[list[_Row], list[RowError]]:
    errors: list[RowError] = []
    rows: list[_Row] = []
    first_line_of: dict[str, int] = {}
    first_line_of_id: dict[str, int] = {}
    zones = known_time_zones()

    for line, raw in raw_rows:
        problems: list[str] = []
        email = Person.objects.normalize_email(raw["email"])
        if not email:
            problems.append("email is missing")
        else:
            try:
                validate_email(email)
            except ValidationError:
                problems.append(f"“{raw['email']}” is not a valid email address")
            if email in first_line_of:
                problems.append(f"{email} appears twice (first on line {first_line_of[email]})")
            else:
                first_line_of[email] = line
        employee_id = raw.get("employee_id", "")
        if len(employee_id) > 64:
            problems.append("employee_id is longer than 64 characters")
        elif employee_id and employee_id in first_line_of_id:
            problems.append(
                f"employee_id {employee_id} appears twice (first on line {first_line_of_id[employee_id]})"
            )
        elif employee_id:
            first_line_of_id[employee_id] = line
        if not raw["name"]:
            problems.append("name is missing")
        elif breaks_lines(raw["name"]):
            problems.append("name has a line break in it; put the whole name on one line")
        if not raw["department"]:
            problems.append("department is missing")
        for column, limit in COLUMN_LIMITS.items():
            if len(raw.get(column) or "") > limit:
                problems.append(f"{column} is longer than {limit} characters")
        level = LEVEL_SPELLINGS.get("".join(ch for ch in raw["level"].lower() if ch.isalnum()))
        if level is None:
            problems.append(f"level “{raw['level']}” is not one of " + ", ".join(Level.labels))
        if raw["time_zone"] not in zones:
            problems.append(
                f"time zone “{raw['time_zone']}” is not a known IANA name (e.g. Europe/London)"
            )
        manager_email = Person.objects.normalize_email(raw["manager_email"])
        if manager_email:
            try:
                validate_email(manager_email)
            except ValidationError:
                problems.append(f"manager “{raw['manager_email']}” is not a valid email address")
            if manager_email == email:
                problems.append("a person cannot be their own manager")
        hired_on = None
        if raw.get("hired_on"):
            try:
                hired_on = date.fromisoformat(raw["hired_on"])
            except ValueError:
                problems.append(f"hired_on “{raw['hired_on']}” is not a date like 2021-03-15")
        roles = None
        if "roles" in raw and raw["roles"]:
            roles = []
            for text in raw["roles"].replace(",", ";").split(";"):
                if text.strip():
                    try:
                        roles.append(Role.parse(text))
                    except ValueError as exc:
                        problems.append(str(exc))
        elif "roles" in raw:
            roles = []
        errors.extend(RowError(line, p) for p in problems)
        if email and first_line_of[email] == line:
            # Rows with problems still take part in the reporting-line checks, so that a
            # file is corrected in one round rather than one error at a time.
            rows.append(
                _Row(
                    line=line,
                    email=email,
                    full_name=raw["name"],
                    department=raw["department"],
                    level=level,
                    manager_email=manager_email,
                    location=raw["location"],
                    time_zone=raw["time_zone"],
                    title=raw.get("title"),
                    roles=roles,
                    hired_on=hired_on,
                    hired_on_given="hired_on" in raw,
                    employee_id=employee_id,
                )
            )

    errors.extend(_manager_errors(rows))
    errors.sort(key=lambda e: e.line)
    return rows, errors


def _manager_errors(rows: list[_Row]) -> list[RowError]:
    """Unknown managers, and loops in the reporting line the file would create."""
    errors: list[RowError] = []
    in_file = {row.email: row for row in rows}
    wanted_managers = {row.manager_email for row in rows if row.manager_email}
    existing = set(
        Person.objects.filter(email__in=wanted_managers - in_file.keys()).values_list(
            "email", flat=True
        )
    )
    for row in rows:
        if (
            row.manager_email
            and row.manager_email not in in_file
            and row.manager_email not in existing
        ):
            errors.append(
                RowError(
                    row.line,
                    f"manager {row.manager_email} is neither in this file nor in the directory",
                )
            )

    # The reporting line after the import: the directory as it is, with the file on top.
    manager_of: dict[str, str | None] = dict(
        Person.objects.filter(manager__isnull=False).values_list("email", "manager__email")
    )
    # A self-reference is already reported as such; it is not also a loop.
    manager_of.update(
        {
            row.email: (row.manager_email if row.manager_email != row.email else None) or None
            for row in rows
        }
    )
    for cycle in find_manager_cycles(manager_of):
        loop = " → ".join([*cycle, cycle[0]])
        for email in cycle:
            if email in in_file:
                errors.append(RowError(in_file[email].line, f"the manager chain loops: {loop}"))
    return errors


@dataclass
class _Change:
    """What the file changes about one person already in the directory."""

    person: Person
    fields: dict[str, object]
    manager_email: str | None
    roles: list[Role] | None  # None: the roles stay as they are

    @property
    def changes_anything(self) -> bool:
        return bool(self.fields) or self.manager_email is not None or self.roles is not None


@dataclass
class _Plan:
    """Every change the file makes, read before anything is written: the dry run reports
    it and the real run applies it, so the two can never count differently."""

    rows: list[_Row]
    new_departments: list[str]
    new_people: list[_Row]
    changes: list[_Change]
    # Rows that name someone two ways at odds (an employee id and another's address).
    errors: list[RowError] = field(default_factory=list)

    @property
    def counts(self) -> tuple[int, int, int]:
        updated = sum(1 for change in self.changes if change.changes_anything)
        return len(self.new_people), updated, len(self.changes) - updated


def _plan(rows: list[_Row], *, locking: bool) -> _Plan:
    departments = {d.name.lower(): d for d in Department.objects.all()}
    new_departments: dict[str, str] = {}
    for row in rows:
        if row.department.lower() not in departments:
            new_departments.setdefault(row.department.lower(), row.department)
    ids = [row.employee_id for row in rows if row.employee_id]
    emails = [row.email for row in rows]
    # Anyone the file may name: by employee id, by address, or by a verified address they
    # used to have (someone whose address was changed outside the directory). Never by an
    # unverified one: anyone could once add any address to their account.
    other_addresses: dict[str, int] = {}
    for chunk in _chunks(emails):
        other_addresses.update(
            EmailAddress.objects.filter(email__in=chunk, verified=True).values_list(
                "email", "user_id"
            )
        )
    # Their ids first (cheap), then each of them once, with their manager's address and
    # the roles they hold (not whole managers and groups: a file may list 50,000).
    pks: set[int] = set(other_addresses.values())
    for lookup, values in (("email__in", emails), ("employee_id__in", ids)):
        for chunk in _chunks(values):
            pks.update(Person.objects.filter(**{lookup: chunk}).values_list("pk", flat=True))
    named = Person.objects.annotate(manager_address=F("manager__email"))
    if locking:
        named = named.select_for_update(of=("self",))
    by_pk: dict[int, Person] = {}
    held: dict[int, set[str]] = {}
    for chunk in _chunks(sorted(pks)):
        by_pk.update((p.pk, p) for p in named.filter(pk__in=chunk))
        for person_id, group in Person.groups.through.objects.filter(
            person_id__in=chunk, group__name__in=[r.value for r in Role]
        ).values_list("person_id", "group__name"):
            held.setdefault(person_id, set()).add(group)
    people = list(by_pk.values())
    by_email = {p.email: p for p in people}
    for email, pk in other_addresses.items():
        if pk in by_pk:
            by_email.setdefault(email, by_pk[pk])
    by_id = {p.employee_id: p for p in people if p.employee_id}
    plan = _Plan(
        rows=rows, new_departments=list(new_departments.values()), new_people=[], changes=[]
    )
    matched_on: dict[int, int] = {}
    for row in rows:
        # The employee id first: the address may be what changed.
        person = by_id.get(row.employee_id) if row.employee_id else None
        holder = by_email.get(row.email)
        if person is not None and holder is not None and holder.pk != person.pk:
            plan.errors.append(
                RowError(
                    row.line,
                    f"{row.email} is {holder.full_name}'s address, but employee_id "
                    f"{row.employee_id} is {person.full_name}'s",
                )
            )
            continue
        if person is None:
            person = holder
            if person is not None and row.employee_id and person.employee_id:
                plan.errors.append(
                    RowError(
                        row.line,
                        f"{row.email} has employee_id {person.employee_id} in the directory, "
                        f"not {row.employee_id}",
                    )
                )
                continue
        if person is None:
            plan.new_people.append(row)
            continue
        if person.pk in matched_on:
            plan.errors.append(
                RowError(row.line, f"names the same person as line {matched_on[person.pk]}")
            )
            continue
        matched_on[person.pk] = row.line
        wanted = {"email": row.email, **_fields_of(row)}
        fields = {name: value for name, value in wanted.items() if getattr(person, name) != value}
        department = departments.get(row.department.lower())
        if department is None or person.department_id != department.pk:
            fields["department"] = row.department.lower()  # resolved when applied
        current_manager = person.manager_address or ""  # type: ignore[attr-defined]
        manager_email = row.manager_email if current_manager != row.manager_email else None
        roles = None
        if row.roles is not None:
            if held.get(person.pk, set()) != {r.value for r in row.roles}:
                roles = row.roles
        plan.changes.append(_Change(person, fields, manager_email, roles))
    return plan


def _chunks(values: list, size: int = 5000) -> list[list]:
    """``values`` in lists short enough for one IN (SQLite takes 32,766 parameters)."""
    return [values[i : i + size] for i in range(0, len(values), size)]


def _fields_of(row: _Row) -> dict[str, object]:
    """The person's own fields as the row gives them (the department aside)."""
    fields: dict[str, object] = {
        "full_name": row.full_name,
        "level": row.level,
        "location": row.location,
        "time_zone": row.time_zone,
    }
    if row.title is not None:
        fields["title"] = row.title
    if row.hired_on_given:
        fields["hired_on"] = row.hired_on
    if row.employee_id:  # a blank cell leaves the id the directory has
        fields["employee_id"] = row.employee_id
    return fields


def _apply(plan: _Plan) -> None:
    departments = {d.name.lower(): d for d in Department.objects.all()}
    for name in plan.new_departments:
        departments[name.lower()] = Department.objects.create(name=name)

    to_create = []
    for row in plan.new_people:
        person = Person(
            email=row.email, department=departments[row.department.lower()], **_fields_of(row)
        )
        person.set_unusable_password()
        to_create.append(person)
    Person.objects.bulk_create(to_create)
    if to_create and to_create[0].pk is None:
        # Backends without RETURNING on bulk inserts: read the new ids back.
        ids = dict(
            Person.objects.filter(email__in=[p.email for p in to_create]).values_list("email", "pk")
        )
        for person in to_create:
            person.pk = ids[person.email]

    # One UPDATE statement per batch of people whose rows change the same fields.
    by_fields: dict[tuple[str, ...], list[Person]] = {}
    # A row may name as manager someone whose address this file changes, by the old one.
    old_addresses = {c.person.email: c.person.pk for c in plan.changes if "email" in c.fields}
    for change in plan.changes:
        if change.fields:
            person = change.person
            for name, value in change.fields.items():
                if name == "department":
                    person.department = departments[str(value)]
                else:
                    setattr(person, name, value)
            by_fields.setdefault(tuple(sorted(change.fields)), []).append(person)
    for fields, changed in by_fields.items():
        Person.objects.bulk_update(changed, list(fields), batch_size=500)

    sign_in_addresses_reset(people=[c.person for c in plan.changes if "email" in c.fields])

    # Managers after everyone exists, since a file lists reports before their managers.
    people = {p.email: p for p in to_create} | {c.person.email: c.person for c in plan.changes}
    new_by_email = {row.email: row for row in plan.new_people}
    wanted_managers = {row.manager_email for row in plan.new_people if row.manager_email} | {
        c.manager_email for c in plan.changes if c.manager_email
    }
    manager_pks: dict[str, int] = {}
    for chunk in _chunks(list(wanted_managers - people.keys())):
        manager_pks.update(Person.objects.filter(email__in=chunk).values_list("email", "pk"))
    manager_pks.update({email: p.pk for email, p in people.items()})
    for old, pk in old_addresses.items():
        manager_pks.setdefault(old, pk)
    change_of = {c.person.pk: c for c in plan.changes}
    to_update = []
    for email, person in people.items():
        if email in new_by_email:
            manager_email = new_by_email[email].manager_email
        else:
            change = change_of[person.pk]
            if change.manager_email is None:
                continue
            manager_email = change.manager_email
        person.manager_id = manager_pks[manager_email] if manager_email else None
        to_update.append(person)
    Person.objects.bulk_update(to_update, ["manager"], batch_size=1000)

    new_roles = [(people[row.email], row.roles) for row in plan.new_people if row.roles]
    new_roles += [(c.person, c.roles) for c in plan.changes if c.roles is not None]
    if new_roles:
        roles_set_many(new_roles)

    # Addresses from the company's own HR system are trusted as verified, so imported
    # people can reset a password or sign in through single sign-on straight away.
    known: set[int] = set()
    for chunk in _chunks([p.pk for p in people.values()]):
        known.update(
            EmailAddress.objects.filter(user_id__in=chunk).values_list("user_id", flat=True)
        )
    EmailAddress.objects.bulk_create(
        [
            EmailAddress(user=p, email=p.email, verified=True, primary=True)
            for p in people.values()
            if p.pk not in known
        ],
        batch_size=1000,
    )


# --- Imports by a worker ---------------------------------------------------------------

# What a running import is doing, for its page (the import's own transaction hides it).
PROGRESS_KEY = "directory-import:{}:progress"
# A job queued this long (its task lost: the broker was down) or started this long ago
# (its worker died) is asked for again, up to MAX_ATTEMPTS starts; then it is refused.
QUEUED_TOO_LONG = timedelta(minutes=2)
RUNNING_TOO_LONG = timedelta(minutes=30)
MAX_ATTEMPTS = 3
FAILED_MESSAGE = (
    "The import stopped on an error of ours, not of the file: nothing was imported. "
    "Upload it again; if it happens again, tell the Frontline team."
)


def directory_import_request(*, data: bytes, filename: str, by: Person) -> DirectoryImport:
    """Keep the uploaded file and have a worker import it; its page follows along. The
    task is asked for once the job is stored (a broker that is down loses nothing:
    beat's sweep asks again)."""
    with transaction.atomic():
        job = DirectoryImport.objects.create(data=data, filename=filename[:255], requested_by=by)
        enqueue("run_directory_import", job.pk)
    return job


def directory_import_run(*, job_id: int) -> DirectoryImport | None:
    """Import a job's file, once. The people and the job's outcome are written in one
    transaction, so a worker that dies leaves neither, and a second run of a finished
    job (a redelivered task, the sweep) changes nothing. An error of ours, not of the
    file, refuses the job with a message rather than leaving it "importing"."""
    DirectoryImport.objects.filter(
        pk=job_id, status__in=[ImportStatus.QUEUED, ImportStatus.RUNNING]
    ).update(status=ImportStatus.RUNNING, started_at=timezone.now(), attempts=F("attempts") + 1)
    try:
        with transaction.atomic():
            # Locked: a second run waits for the first, then finds it finished.
            job = DirectoryImport.objects.select_for_update().filter(pk=job_id).first()
            if job is None or job.finished:
                return job

            def progress(stage: str) -> None:
                cache.set(PROGRESS_KEY.format(job_id), stage, 60 * 60)

            _finish(job, directory_import(data=bytes(job.data), progress=progress))
            return job
    except OperationalError:
        raise  # the database is away: the task retries it with backoff
    except Exception:
        log.exception("directory import %s failed", job_id)
        return _give_up(job_id)
    finally:
        cache.delete(PROGRESS_KEY.format(job_id))


def _finish(job: DirectoryImport, result: ImportResult) -> None:
    job.status = ImportStatus.DONE if result.ok else ImportStatus.REFUSED
    job.created, job.updated, job.unchanged = result.created, result.updated, result.unchanged
    job.errors = [[e.line, e.message] for e in result.errors]
    job.finished_at = timezone.now()
    job.data = b""
    job.save()


def _give_up(job_id: int) -> DirectoryImport | None:
    with transaction.atomic():
        job = DirectoryImport.objects.select_for_update().filter(pk=job_id).first()
        if job is not None and not job.finished:
            _finish(job, ImportResult(errors=[RowError(0, FAILED_MESSAGE)]))
    return job


def directory_import_progress(job: DirectoryImport) -> str:
    return cache.get(PROGRESS_KEY.format(job.pk)) or ""


def directory_imports_requeue(*, now: datetime | None = None) -> int:
    """Ask again for every job left waiting too long (the sweep), or refuse it once it
    has been started MAX_ATTEMPTS times; how many were asked for again."""
    now = now or timezone.now()
    stale = DirectoryImport.objects.filter(
        Q(status=ImportStatus.QUEUED, created_at__lt=now - QUEUED_TOO_LONG)
        | Q(status=ImportStatus.RUNNING, started_at__lt=now - RUNNING_TOO_LONG)
    ).only("pk", "attempts")
    asked = 0
    for job in stale:
        if job.attempts >= MAX_ATTEMPTS:
            log.error("directory import %s refused after %s starts", job.pk, job.attempts)
            _give_up(job.pk)
        else:
            enqueue("run_directory_import", job.pk)
            asked += 1
    return asked


def sign_in_addresses_reset(*, people: list[Person]) -> None:
    """After HR changed their addresses (the import, the admin): each person signs in
    with their directory address alone, trusted as verified (it is the HR system's)."""
    if not people:
        return
    EmailAddress.objects.filter(user__in=people).delete()
    EmailAddress.objects.bulk_create(
        [EmailAddress(user=p, email=p.email, verified=True, primary=True) for p in people]
    )


# --- API tokens -------------------------------------------------------------------------


def api_token_create(*, person: Person) -> Token:
    """A new API token for ``person``, replacing the one they had (one each)."""
    with transaction.atomic():
        Token.objects.filter(user=person).delete()
        return Token.objects.create(user=person)


def api_token_revoke(*, person: Person) -> bool:
    """Revoke ``person``'s API token; whether they had one."""
    deleted, _ = Token.objects.filter(user=person).delete()
    return bool(deleted)


# --- Sessions ---------------------------------------------------------------------------


def sessions_end_others(*, person: Person, keep: str | None) -> int:
    """Sign ``person`` out everywhere but the session ``keep``; how many ended."""
    ended = 0
    for session in UserSession.objects.purge_and_list(person):
        if session.session_key != keep:
            session.end()
            ended += 1
    return ended
