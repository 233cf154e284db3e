"""Fan-out of a campaign to 100,000 and 1,000,000 recipients on PostgreSQL.

Goals: at least 20,000 recipients a second end to end (audience read, consent, render, exact
segments, due time, write), the write phase within 3x a raw COPY of the same rows measured in
this run, and peak memory under 1 GiB. Bodies carry two tokens; 10% of first names are non-GSM,
so those bodies are UCS-2.
"""

from __future__ import annotations

import resource
import time

from bench._django import django_setup

SIZES = (100_000, 1_000_000)
RATE_GOAL = 20_000
WRITE_RATIO_GOAL = 3.0
MEMORY_GOAL_MB = 1024


def _contacts_copy(account, subscription_type, contact_list, count: int) -> None:
    """Make the audience with COPY: contacts, list memberships and consent rows."""
    from django.db import connection
    from django.utils import timezone

    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM contacts_contact")
        start = cursor.fetchone()[0] + 1
        raw = cursor.cursor
        with raw.copy(
            "COPY contacts_contact (id, account_id, public_id, first_name, last_name, email, "
            "phone_raw, phone_e164, phone_region, phone_sms_invalid_reason, mobile_phone_raw, "
            "mobile_phone_e164, mobile_phone_region, mobile_phone_sms_invalid_reason, "
            "phone_unreachable, mobile_phone_unreachable, time_zone, company_name, "
            "marketing_contact, properties, created_at, updated_at) FROM STDIN"
        ) as copy:
            for n in range(count):
                cid = start + n
                name = "Zoë😀" if n % 10 == 0 else f"Name{n}"
                phone = f"+1{212 + n // 10000 % 700:03d}555{n % 10000:04d}"
                copy.write_row(
                    (
                        cid,
                        account.pk,
                        f"con_bench{cid:015d}",
                        name,
                        "Smith",
                        "",
                        phone,
                        phone,
                        "US",
                        "",
                        "",
                        "",
                        "",
                        "",
                        False,
                        False,
                        "",
                        "Acme",
                        True,
                        "{}",
                        now,
                        now,
                    )
                )
        with raw.copy(
            "COPY contacts_contactlistmembership (account_id, contact_list_id, contact_id, "
            "added_at) FROM STDIN"
        ) as copy:
            for n in range(count):
                copy.write_row((account.pk, contact_list.pk, start + n, now))
        with raw.copy(
            "COPY consent_consentstatus (account_id, contact_id, phone_e164, "
            "subscription_type_id, status, source, updated_at) FROM STDIN"
        ) as copy:
            for n in range(count):
                phone = f"+1{212 + n // 10000 % 700:03d}555{n % 10000:04d}"
                copy.write_row(
                    (
                        account.pk,
                        start + n,
                        phone,
                        subscription_type.pk,
                        "subscribed",
                        "import",
                        now,
                    )
                )
        cursor.execute("ANALYZE contacts_contact")
        cursor.execute("ANALYZE contacts_contactlistmembership")
        cursor.execute("ANALYZE consent_consentstatus")


def _raw_copy_seconds(rows: list[tuple]) -> float:
    """The baseline: COPY the same rows straight into a table shaped like the real one."""
    from django.db import connection, transaction

    from messaging.models import OutboundMessage
    from messaging.services.fanout import COLUMNS

    table = OutboundMessage._meta.db_table
    columns = ", ".join(COLUMNS)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_copy")
        cursor.execute(f"CREATE TABLE bench_copy (LIKE {table} INCLUDING ALL)")
        started = time.perf_counter()
        with cursor.cursor.copy(f"COPY bench_copy ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        elapsed = time.perf_counter() - started
        cursor.execute("DROP TABLE bench_copy")
    return elapsed


def _one_size(count: int) -> bool:
    from accounts.models import Account
    from consent import services as consent_services
    from consent.models import SubscriptionType
    from contacts import services as contact_services
    from messaging.models import OutboundMessage, SmsMessage
    from messaging.services import audience, fanout
    from registration.models import PhoneNumber

    account = Account.objects.create(name=f"bench {count}")
    consent_services.account_defaults_ensure(account=account)
    subscription_type = SubscriptionType.objects.get(account=account, is_default=True)
    contact_list = contact_services.contact_list_create(account=account, name="everyone")
    sender = PhoneNumber.objects.create(
        account=account, e164=f"+1415555{account.pk % 10000:04d}", status="active"
    )
    setup = time.perf_counter()
    _contacts_copy(account, subscription_type, contact_list, count)
    print(
        f"  setup: {count:,} contacts, memberships and consent rows by COPY "
        f"in {time.perf_counter() - setup:.1f}s"
    )
    message = SmsMessage.objects.create(
        account=account,
        name="bench",
        body='Hi {{ contact.first_name | default: "there" }} from {{ contact.company_name }}: '
        "20% off this weekend only.",
        subscription_type=subscription_type,
        sender=sender,
        status=SmsMessage.Status.SENDING,
    )
    message.include_lists.add(contact_list)

    write_seconds = 0.0
    all_rows: list[tuple] = []
    rows_write = fanout.rows_write

    def rows_write_timed(rows: list[tuple], **kwargs) -> int:
        """The write phase, timed (and its rows kept for the COPY baseline)."""
        nonlocal write_seconds
        t = time.perf_counter()
        written = rows_write(rows, **kwargs)
        write_seconds += time.perf_counter() - t
        if count <= 100_000:
            all_rows.extend(rows)
        return written

    # The fan-out task's own path (fanout.message_fanout, audience read ahead included).
    fanout.rows_write = rows_write_timed
    started = time.perf_counter()
    try:
        plan = fanout.plan_for(message)
        fanout.message_fanout(message=message, recipients=audience.recipients(message), plan=plan)
    finally:
        fanout.rows_write = rows_write
    total = time.perf_counter() - started
    written = OutboundMessage.objects.filter(message=message).count()
    rate = count / total
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"  fan-out: {written:,} rows in {total:.1f}s = {rate:,.0f} recipients/s "
        f"(goal {RATE_GOAL:,}) {'PASS' if rate >= RATE_GOAL else 'FAIL'}"
    )
    ok = rate >= RATE_GOAL and written == count
    if all_rows:
        baseline = _raw_copy_seconds(all_rows)
        ratio = write_seconds / baseline
        print(
            f"  write phase: {write_seconds:.2f}s; raw COPY of the same rows: {baseline:.2f}s; "
            f"ratio {ratio:.2f}x (goal <= {WRITE_RATIO_GOAL}x) "
            f"{'PASS' if ratio <= WRITE_RATIO_GOAL else 'FAIL'}"
        )
        ok = ok and ratio <= WRITE_RATIO_GOAL
    else:
        print(f"  write phase: {write_seconds:.1f}s of {total:.1f}s")
    print(
        f"  peak memory: {peak_mb:,.0f} MiB (goal < {MEMORY_GOAL_MB}) "
        f"{'PASS' if peak_mb < MEMORY_GOAL_MB else 'FAIL'}"
    )
    ok = ok and peak_mb < MEMORY_GOAL_MB
    _account_drop(account)
    return ok


def _account_drop(account) -> None:
    """Leave the bench database small for the next run (raw DELETEs: the ORM's cascade would
    load a million rows first)."""
    from django.db import connection

    from messaging.models import SmsMessage

    with connection.cursor() as cursor:
        for table in (
            "messaging_outboundmessage",
            "consent_consentstatus",
            "contacts_contactlistmembership",
            "contacts_contact",
        ):
            cursor.execute(f"DELETE FROM {table} WHERE account_id = %s", [account.pk])  # noqa: S608
    SmsMessage.objects.filter(account=account).delete()
    account.delete()


def run(sizes=SIZES) -> bool:
    django_setup()
    from accounts.models import Account

    for leftover in Account.objects.filter(name__startswith="bench "):
        _account_drop(leftover)  # from a run that was interrupted
    results = []
    for count in sizes:
        print(f" {count:,} recipients")
        results.append(_one_size(count))
    return all(results)
