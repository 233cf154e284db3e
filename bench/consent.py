"""The Consent report at scale: 1,000,000 consent ledger events in one account (a year of them,
over 100,000 contacts, from every source), folded into rollups by the worker's code.

Goal, beside a baseline measured in the same run: Analytics > Consent answers with p95 under
100 ms for the last 30 days and for a year (each in its default grouping: days, weeks); a no-op
view through the same client is the baseline, and both are printed with the ratio. A year by
day, by month and the API are printed without a goal. Also printed: how fast the rollup folds
the ledger's change feed, and how long the worker's snapshot of where contacts stand takes.
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import time

# Smaller runs for a quick look: BENCH_CONSENT_SCALE=0.05 python -m bench consent
SCALE = float(os.environ.get("BENCH_CONSENT_SCALE", "1"))
EVENTS = int(1_000_000 * SCALE)
CONTACTS = max(1000, int(100_000 * SCALE))
PAGE_P95_GOAL_MS = 100
REQUESTS = 60
BATCH = 100_000


def _setup():
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench._settings"
    os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
    from bench._django import django_setup

    django_setup("smsapp_bench_consent")


def _insert_select(model, count: int, values: dict[str, str], params: list) -> None:
    """INSERT `count` rows from generate_series (`g` is 0..count-1): `values` gives the SQL of
    some columns, every other column gets its field's empty value (Django's defaults are not
    the database's)."""
    from django.db import connection, models

    columns, expressions = [], []
    for field in model._meta.concrete_fields:
        if isinstance(field, models.AutoField):
            continue
        columns.append(field.column)
        if field.attname in values:
            # `%` is psycopg's placeholder sign: the modulo operator is written `%%`.
            expressions.append(values[field.attname].replace(" % ", " %% "))
        elif field.null:
            expressions.append("NULL")
        elif isinstance(field, models.BooleanField):
            expressions.append("false")
        elif isinstance(field, models.JSONField):
            expressions.append("'{}'::jsonb")
        elif isinstance(field, models.DateTimeField):
            expressions.append("now()")
        elif isinstance(field, models.IntegerField | models.PositiveIntegerField):
            expressions.append("0")
        else:
            expressions.append("''")
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) "  # noqa: S608
            f"SELECT {', '.join(expressions)} FROM generate_series(0, {int(count) - 1}) AS g",
            params,
        )


def _populate(account, subscription_type) -> None:
    """Contacts, their status rows and a year of ledger events, written by SQL in batches (the
    ledger's change-feed trigger runs on each statement, as in production)."""
    from django.db import connection, transaction

    from consent.models import ConsentLedgerEntry, ConsentStatus
    from contacts.models import Contact

    started = time.perf_counter()
    with transaction.atomic():
        _insert_select(
            Contact,
            CONTACTS,
            {
                "account_id": "%s",
                "public_id": f"'con_b{account.pk}_' || lpad(g::text, 10, '0')",
                "first_name": "'Bench ' || g",
                # One in 20 has no phone that can take SMS.
                "mobile_phone_raw": "CASE WHEN g % 20 = 0 THEN '' ELSE '+1212' || "
                "lpad(g::text, 7, '0') END",
                "mobile_phone_e164": "CASE WHEN g % 20 = 0 THEN '' ELSE '+1212' || "
                "lpad(g::text, 7, '0') END",
                "mobile_phone_region": "CASE WHEN g % 20 = 0 THEN '' ELSE 'US' END",
                "mobile_phone_sms_invalid_reason": "CASE WHEN g % 20 = 0 THEN 'missing' "
                "ELSE '' END",
                "phone_sms_invalid_reason": "'missing'",
                "marketing_contact": "true",
            },
            [account.pk],
        )
        first = Contact.objects.filter(account=account).order_by("pk").values_list("pk", flat=True)
        first_id = first.first()
        # Two in three SMS-capable contacts have a status: mostly subscribed.
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {ConsentStatus._meta.db_table} (account_id, contact_id, "  # noqa: S608
                "phone_e164, subscription_type_id, status, source, updated_at) "
                "SELECT %s, id, mobile_phone_e164, %s, CASE WHEN id %% 7 = 0 THEN 'unsubscribed' "
                "ELSE 'subscribed' END, 'import', now() FROM contacts_contact "
                "WHERE account_id = %s AND mobile_phone_e164 <> '' AND id %% 3 <> 0",
                [account.pk, subscription_type.pk, account.pk],
            )
    print(f"  {CONTACTS:,} contacts and their statuses: {time.perf_counter() - started:.1f}s")
    # Sources as a year of a busy account might have them; keywords among the keyword ones.
    source = (
        "(ARRAY['keyword','keyword','keyword','keyword','import','import','form','manual',"
        "'bulk','api','carrier','bulk'])[1 + (g * 7) % 12]"
    )
    started = time.perf_counter()
    for start in range(0, EVENTS, BATCH):
        count = min(BATCH, EVENTS - start)
        with transaction.atomic():
            _insert_select(
                ConsentLedgerEntry,
                count,
                {
                    "account_id": "%s",
                    "public_id": f"'cle_b{account.pk}_' || lpad((g + {start})::text, 10, '0')",
                    "contact_id": f"%s + ((g + {start}) % {CONTACTS})",
                    "contact_public_id": "'con_bench'",
                    "phone_e164": f"'+1212' || lpad(((g + {start}) % {CONTACTS})::text, 7, '0')",
                    "subscription_type_id": "%s",
                    "previous_status": "CASE WHEN g % 3 = 0 THEN 'subscribed' "
                    "ELSE 'not_specified' END",
                    "new_status": "CASE WHEN (g + source_pick) % 3 = 0 THEN 'unsubscribed' "
                    "ELSE 'subscribed' END".replace("source_pick", str(start % 3)),
                    "source": source.replace("g *", f"(g + {start}) *"),
                    "data": "CASE WHEN (g * 7) % 12 < 4 THEN jsonb_build_object('keyword', "
                    "(ARRAY['STOP','START','YES','QUIT','JOIN'])[1 + g % 5]) "
                    "WHEN (g * 7) % 12 = 11 THEN jsonb_build_object('reformat', 'prf_bench') "
                    "ELSE '{}'::jsonb END",
                    # Spread over the last 365 days, a few seconds apart.
                    "occurred_at": f"now() - (((g + {start})::bigint * 31536 / {max(EVENTS, 1)}.0) "
                    "* interval '1000 seconds')",
                },
                [account.pk, first_id, subscription_type.pk],
            )
    elapsed = time.perf_counter() - started
    print(f"  {EVENTS:,} ledger events (with the change-feed trigger): {elapsed:.1f}s")


def _rollup() -> None:
    from analytics.models import ConsentEvent
    from analytics.services import consent_rollups

    pending = ConsentEvent.objects.count()
    started = time.perf_counter()
    folded = consent_rollups.consent_rollups_apply_all(time_budget=3600)
    elapsed = time.perf_counter() - started
    print(
        f"  rollup: {folded:,} change-feed rows (of {pending:,}) folded in {elapsed:.1f}s "
        f"= {folded / max(elapsed, 1e-9):,.0f} rows/s, snapshot included"
    )


def _snapshot(account) -> None:
    from analytics.services import consent_rollups

    started = time.perf_counter()
    consent_rollups.consent_snapshots_refresh(account_ids=[account.pk])
    print(
        f"  snapshot of where {CONTACTS:,} contacts stand (worker): "
        f"{(time.perf_counter() - started) * 1000:.0f} ms"
    )


def _latencies(client, url: str, n: int = REQUESTS) -> dict:
    client.get(url)  # warm
    times = []
    for _ in range(n):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code in (200, 204), (url, response.status_code)
    times.sort()
    return {"p50": statistics.median(times), "p95": times[int(0.95 * (len(times) - 1))]}


def _pages(owner) -> bool:
    from django.test import Client

    client = Client()
    client.force_login(owner)
    today = dt.datetime.now(dt.UTC).date()
    year = f"start={(today - dt.timedelta(days=364)).isoformat()}&end={today}"
    noop = _latencies(client, "/bench/noop")
    print(f"  no-op view (same client):       p50 {noop['p50']:6.1f} ms  p95 {noop['p95']:6.1f} ms")
    ok = True
    for label, url, goal in (
        ("Consent report (30 days, days)", "/analytics/consent/", PAGE_P95_GOAL_MS),
        ("Consent report (365 days, weeks)", f"/analytics/consent/?{year}", PAGE_P95_GOAL_MS),
        ("Consent report (365 days, days)", f"/analytics/consent/?{year}&unit=day", None),
        ("Consent report (365 d., months)", f"/analytics/consent/?{year}&unit=month", None),
        ("API (365 days, weeks)", f"/api/v1/analytics/consent?{year}", None),
    ):
        figures = _latencies(client, url)
        verdict = ""
        if goal is not None:
            passed = figures["p95"] < goal
            ok = ok and passed
            verdict = f" (goal p95 < {goal} ms) {'PASS' if passed else 'FAIL'}"
        print(
            f"  {label + ':':33} p50 {figures['p50']:6.1f} ms  p95 {figures['p95']:6.1f} ms"
            f"  = {figures['p95'] / max(noop['p95'], 1e-9):.1f}x the no-op's p95{verdict}"
        )
    return ok


def _check(account) -> bool:
    """The rollups hold what the ledger holds (totals per direction)."""
    from django.db.models import Sum

    from analytics.models import ConsentDayStats
    from consent.models import ConsentLedgerEntry

    rolled = dict(
        ConsentDayStats.objects.filter(account=account)
        .values_list("direction")
        .annotate(n=Sum("count"))
    )
    raw_in = ConsentLedgerEntry.objects.filter(account=account, new_status="subscribed").count()
    raw_out = ConsentLedgerEntry.objects.filter(account=account, new_status="unsubscribed").count()
    same = (rolled.get("opt_in", 0), rolled.get("opt_out", 0)) == (raw_in, raw_out)
    print(
        f"  rollups vs ledger: opt-ins {rolled.get('opt_in', 0):,} / {raw_in:,}, opt-outs "
        f"{rolled.get('opt_out', 0):,} / {raw_out:,}: {'same' if same else 'DIFFERENT'}"
    )
    return same


def run() -> bool:
    _setup()
    from django.db import connection

    from accounts.models import Account, Membership, Role, User
    from consent import services as consent_services
    from consent.models import SubscriptionType

    account = Account.objects.create(name="consent bench", time_zone="America/New_York")
    owner = User.objects.create_user(email=f"consent-bench{account.pk}@example.com")
    Membership.objects.create(account=account, user=owner, role=Role.SUPER_ADMIN)
    consent_services.account_defaults_ensure(account=account)
    subscription_type = SubscriptionType.objects.get(account=account, is_default=True)
    try:
        _populate(account, subscription_type)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        _rollup()
        _snapshot(account)
        same = _check(account)
        pages_ok = _pages(owner)
    finally:
        with connection.cursor() as cursor:
            for table in (
                "analytics_consentdaystats",
                "analytics_consentsnapshot",
                "consent_consentledgerentry",
                "consent_consentstatus",
                "contacts_contact",
            ):
                cursor.execute(f"DELETE FROM {table} WHERE account_id = %s", [account.pk])  # noqa: S608
            cursor.execute("DELETE FROM analytics_consentevent WHERE account_id = %s", [account.pk])
        account.delete()
        owner.delete()
    return pages_ok and same
