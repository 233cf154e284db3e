"""Test sends: a message as it will go out, texted now to teammates' verified phones or to a
number typed with its country code, optionally rendered "as" a chosen contact.

Test texts go through the gateway like any other (`reply_send`, kind TEST) and count toward the
month's segment usage, so a test that would need more segments than are left is refused with the
numbers. Consent is not checked for teammates' verified test phones (a teammate proved the phone
is theirs with a code; it is not a contact's), but a typed number is anyone's: one that opted
out (texted STOP) doesn't get the test, and is reported.

Links go out as the real short links on the sender's link domain, exactly as fan-out writes
them, so the tester taps what recipients will tap and the charge is the composer's count. A
test's links are kept in TestLink (test texts belong to no message's audience), and the
redirect finds them there; a tester's tap is not counted as a click.

Teammates add their phones once; a six-digit code texted to the phone proves it is theirs. Only
an HMAC of the code is kept, a code lasts ten minutes and allows five tries.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.errors import FieldConflict
from accounts.models import Account, User
from consent import selectors as consent_selectors
from contacts.models import Contact
from messaging import links, segments, selectors, shortlinks, tokens
from messaging.models import (
    BODY_MAX_LENGTH,
    OutboundMessage,
    OutboundStatus,
    SendingSettings,
    SmsMessage,
    TestLink,
    TestPhone,
)
from messaging.services import allotment
from messaging.services.clicks import ClickTarget
from messaging.services.fanout import ids_reserve, message_body
from messaging.services.replies import reply_send
from registration.models import PhoneNumber

CODE_LIFETIME = dt.timedelta(minutes=10)
CODE_RESEND_INTERVAL = dt.timedelta(seconds=30)
CODE_MAX_ATTEMPTS = 5
TEST_PHONES_PER_USER = 5
MAX_TEST_RECIPIENTS = 10
VERIFICATION_TEXT = "{code} is your smsapp code to receive test messages. It expires in 10 minutes."


def phone_number_clean(raw: str) -> str:
    """A phone typed with its country code, in E.164; ValidationError saying what is wrong."""
    raw = (raw or "").strip()
    if not raw:
        raise ValidationError("Enter a phone number.")
    if not raw.startswith("+"):
        raise ValidationError(
            f"“{raw}”: type the number with its country code, starting with +, "
            "e.g. +1 206 555 0100."
        )
    try:
        number = phonenumbers.parse(raw, None)
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(f"“{raw}” is not a phone number.") from exc
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(f"“{raw}” is not a valid phone number.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _code_digest(test_phone: TestPhone, code: str) -> str:
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"{test_phone.public_id}:{code}".encode(), hashlib.sha256).hexdigest()


def _allotment_check(*, account: Account, needed: int) -> None:
    left = allotment.usage(account=account).left
    if needed > left:
        raise ValidationError(
            f"This test needs {needed:,} segments but only {left:,} are left this period.",
            code="allotment_exceeded",
            params={"needed": needed, "left": left},
        )


def _sender(account: Account, message: SmsMessage | None = None):
    sender = selectors.sender_for(account=account, message=message)
    if sender is None:
        raise FieldConflict(
            {"sender": "The account has no active sending number yet."}, code="no_sender"
        )
    return sender


def test_phone_add(*, account: Account, user: User, phone: str) -> TestPhone:
    """Add one of the user's own phones and text it a verification code."""
    e164 = phone_number_clean(phone)
    existing = TestPhone.objects.filter(account=account, user=user, phone_e164=e164).first()
    if existing is not None and existing.is_verified:
        raise ValidationError(f"{e164} is already one of your verified test phones.")
    if existing is None:
        if TestPhone.objects.filter(account=account, user=user).count() >= TEST_PHONES_PER_USER:
            raise ValidationError(f"You can have at most {TEST_PHONES_PER_USER} test phones.")
        try:
            with transaction.atomic():
                existing = TestPhone.objects.create(account=account, user=user, phone_e164=e164)
        except IntegrityError:  # a double submit
            existing = TestPhone.objects.get(account=account, user=user, phone_e164=e164)
    test_phone_code_send(account=account, test_phone=existing)
    existing.refresh_from_db()
    return existing


def test_phone_code_send(
    *, account: Account, test_phone: TestPhone, now: dt.datetime | None = None
) -> OutboundMessage:
    """Text a new code. At most one every 30 seconds; the code is stored before the text goes
    out (outside any transaction: a rollback must never forget a text that was sent)."""
    now = now or timezone.now()
    if test_phone.is_verified:
        raise ValidationError("This phone is already verified.")
    sender = _sender(account)
    code = f"{secrets.randbelow(10**6):06d}"
    body = VERIFICATION_TEXT.format(code=code)
    _allotment_check(account=account, needed=segments.estimate(body).segments)
    # Claim the right to send with a conditional update, so two clicks send one code.
    recent = now - CODE_RESEND_INTERVAL
    claimed = (
        TestPhone.objects.filter(account=account, pk=test_phone.pk, verified_at__isnull=True)
        .exclude(code_sent_at__gt=recent)
        .update(code_hash=_code_digest(test_phone, code), code_sent_at=now, attempts=0)
    )
    if not claimed:
        raise ValidationError("A code was just sent; wait half a minute before asking again.")
    test_phone.refresh_from_db()
    return reply_send(
        account=account,
        sender=sender,
        to_phone=test_phone.phone_e164,
        body=body,
        respect_consent=False,
        kind=OutboundMessage.Kind.TEST,
    )


def test_phone_verify(
    *, account: Account, test_phone: TestPhone, code: str, now: dt.datetime | None = None
) -> TestPhone:
    now = now or timezone.now()
    code = "".join(ch for ch in (code or "") if ch.isdigit())
    # The error is raised after the block: raising inside would roll back the attempt count.
    problem = ""
    with transaction.atomic():
        phone = TestPhone.objects.select_for_update().get(pk=test_phone.pk, account=account)
        if phone.is_verified:
            return phone
        if not phone.code_hash or phone.code_sent_at is None:
            problem = "Ask for a code first."
        elif now - phone.code_sent_at > CODE_LIFETIME:
            problem = "This code has expired; ask for a new one."
        elif phone.attempts >= CODE_MAX_ATTEMPTS:
            problem = "Too many wrong codes; ask for a new one."
        elif not hmac.compare_digest(phone.code_hash, _code_digest(phone, code)):
            phone.attempts += 1
            phone.save(update_fields=["attempts"])
            left = CODE_MAX_ATTEMPTS - phone.attempts
            problem = (
                f"That code is not right; {left} {'try' if left == 1 else 'tries'} left."
                if left
                else "That code is not right. Too many wrong codes; ask for a new one."
            )
        else:
            phone.verified_at = now
            phone.code_hash = ""
            phone.save(update_fields=["verified_at", "code_hash"])
    if problem:
        raise ValidationError(problem)
    return phone


@transaction.atomic
def test_phone_delete(*, account: Account, user: User, test_phone: TestPhone) -> None:
    TestPhone.objects.filter(account=account, user=user, pk=test_phone.pk).delete()


@dataclass(frozen=True)
class TestSendResult:
    __test__ = False

    to_phone: str
    outbound: OutboundMessage | None
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.outbound is not None and self.outbound.status not in (
            OutboundStatus.FAILED,
            OutboundStatus.NOT_SENT,
        )


@dataclass(frozen=True)
class _TestBody:
    template: str  # rendered for the contact, each shortened link still a numbered marker
    urls: list[str]
    domain: str
    counted: str  # each marker filled with a string exactly as long as its short link


def _test_body(*, message: SmsMessage, values: dict, sender) -> _TestBody:
    """The message as a recipient gets it, the links fan-out shortens numbered as fan-out
    numbers them (on the body as written; token links and those past the 16th stay as typed)."""
    template, urls = links.links_number(message_body(message), limit=shortlinks.MAX_LINKS)
    rendered = tokens.render(template, values)
    domain = links.link_domain(sender)
    placeholder = links.short_link_placeholder(sender=sender)
    return _TestBody(
        rendered, urls, domain, links.markers_fill(rendered, [placeholder] * len(urls))
    )


def _test_links_store(*, account: Account, message: SmsMessage, test_body: _TestBody) -> str:
    """The test's text with real short links, their destinations stored for the redirect."""
    if not test_body.urls:
        return test_body.template
    [code_id] = ids_reserve(1)
    TestLink.objects.bulk_create(
        [
            TestLink(account=account, message=message, code_id=code_id, position=i, url=url)
            for i, url in enumerate(test_body.urls)
        ]
    )
    short = [shortlinks.short_url(test_body.domain, code_id, i) for i in range(len(test_body.urls))]
    return links.markers_fill(test_body.template, short)


def test_link_target(*, code_id: int, position: int, host: str) -> ClickTarget | None:
    """Where a test's short link goes (the redirect asks when no campaign text has the code);
    None unless it was sent on this host. A tester's tap is not recorded as a click."""
    link = (
        TestLink.objects.select_related("message")
        .filter(code_id=code_id, position=position)
        .first()
    )
    if link is None:
        return None
    host = host.lower().rstrip(".")
    if (
        host != settings.PUBLIC_LINK_DOMAIN.lower()
        and not PhoneNumber.objects.filter(
            account_id=link.account_id, link_domain__iexact=host, link_domain_verified=True
        ).exists()
    ):
        return None
    utm_source = (
        SendingSettings.objects.filter(account_id=link.account_id)
        .values_list("utm_source", flat=True)
        .first()
    ) or SendingSettings._meta.get_field("utm_source").default
    message = link.message
    campaign = message.campaign.name if message.campaign_id else message.name
    return ClickTarget(link.url, campaign, message.public_id, utm_source)


def _test_recipients(
    errors: dict[str, list[str]],
    team_phones: dict[str, str],
    test_phone_ids: Sequence[str],
    phone_numbers: Sequence[str],
) -> tuple[list[str], list[TestSendResult]]:
    """The phones a test goes to, once each, and the typed numbers it can't go to, each with
    why (reported like a recipient Twilio refuses: a number that is not one, or one past the
    MAX_TEST_RECIPIENTS). What is wrong with the choice itself goes in ``errors``."""
    recipients: list[str] = []
    unsendable: list[TestSendResult] = []
    for public_id in test_phone_ids:
        if public_id not in team_phones:
            errors.setdefault("test_phones", []).append(
                "Choose among your team's verified test phones."
            )
            break
        recipients.append(team_phones[public_id])
    for raw in phone_numbers:
        raw = (raw or "").strip()
        if not raw:
            continue
        if not raw.startswith("+"):
            errors.setdefault("phone_numbers", []).append(
                f"“{raw}”: type the number with its country code, starting with +, "
                "e.g. +1 206 555 0100."
            )
            continue
        try:
            recipients.append(phone_number_clean(raw))
        except ValidationError as exc:
            unsendable.append(TestSendResult(raw, None, " ".join(exc.messages)))
    recipients = list(dict.fromkeys(recipients))
    if not recipients and not unsendable and not errors:
        errors.setdefault("test_phones", []).append(
            "Choose a verified test phone or type a number."
        )
    for extra in recipients[MAX_TEST_RECIPIENTS:]:
        unsendable.append(
            TestSendResult(extra, None, f"A test goes to at most {MAX_TEST_RECIPIENTS} phones.")
        )
    return recipients[:MAX_TEST_RECIPIENTS], unsendable


def _test_body_check(errors: dict[str, list[str]], account: Account, message: SmsMessage) -> None:
    """What keeps the saved message from being sent as it is (autosave keeps what was typed)."""
    if not message.body.strip():
        errors.setdefault("body", []).append("Write the message first.")
    # A draft may hold more than a text can (autosave keeps what was typed); Twilio would
    # refuse it, so the test says so first.
    length = len(tokens.body_with_opt_out(message.body, append_opt_out=message.append_opt_out))
    if length > BODY_MAX_LENGTH:
        errors.setdefault("body", []).append(
            f"A message is limited to {BODY_MAX_LENGTH:,} characters; this one has {length:,}."
        )
    known = {key for key, _ in selectors.personalization_fields(account=account)}
    for problem in tokens.tokens_validate(message.body, known_properties=known):
        errors.setdefault("body", []).append(problem.message)


def message_test_send(
    *,
    account: Account,
    message: SmsMessage,
    test_phone_ids: Sequence[str] = (),
    phone_numbers: Sequence[str] = (),
    as_contact: Contact | None = None,
) -> list[TestSendResult]:
    """Text the message now to verified test phones (any teammate's, by public id) and typed
    numbers, rendered for `as_contact` (or with every token's default).

    Refused as a whole when the recipients are not chosen right (a test phone that is not a
    verified one of the team's, a number typed without its country code, none at all), the
    message as saved has a problem (FieldConflict), or the segments needed exceed what is left
    this period. Each recipient then gets its own text; one that can't (a typed number that is
    not a phone number, one past the tenth) or that Twilio refuses is reported and does not
    stop the others.
    """
    team_phones = {
        p.public_id: p.phone_e164 for p in selectors.test_phones_verified(account=account)
    }
    errors: dict[str, list[str]] = {}
    recipients, unsendable = _test_recipients(errors, team_phones, test_phone_ids, phone_numbers)
    if as_contact is not None and as_contact.account_id != account.pk:
        errors.setdefault("as_contact", []).append("Choose one of your contacts.")
    if errors:
        raise ValidationError(errors)
    problems: dict[str, list[str]] = {}
    _test_body_check(problems, account, message)
    if problems:
        # The message as saved, not this request, is what can't be sent.
        raise FieldConflict(problems, code="message_problems")

    sender = _sender(account, message)
    test_body = _test_body(
        message=message, values=selectors.token_values(as_contact), sender=sender
    )
    # A typed number that opted out is left out (and reported) before counting what it costs;
    # the team's verified phones are exempt, their owners proved them with a code.
    exempt = set(team_phones.values())
    # Of any subscription type, as `reply_send` refuses them.
    opted_out = consent_selectors.phones_opted_out(
        account=account, phones=[phone for phone in recipients if phone not in exempt]
    )
    # Charged on the text as it goes out, short links included: as long as the composer counts.
    per_text = segments.estimate(test_body.counted).segments
    _allotment_check(account=account, needed=per_text * (len(recipients) - len(opted_out)))
    body = _test_links_store(account=account, message=message, test_body=test_body)

    results = list(unsendable)
    for to_phone in recipients:
        if to_phone in opted_out:
            results.append(
                TestSendResult(to_phone, None, f"{to_phone} has opted out; it can't be texted.")
            )
            continue
        try:
            outbound = reply_send(
                account=account,
                sender=sender,
                to_phone=to_phone,
                body=body,
                # Checked again at the moment of sending for typed numbers (a STOP may just
                # have arrived); never for a teammate's verified phone.
                respect_consent=to_phone not in exempt,
                kind=OutboundMessage.Kind.TEST,
            )
        except ValidationError as exc:
            results.append(TestSendResult(to_phone, None, " ".join(exc.messages)))
        else:
            results.append(TestSendResult(to_phone, outbound))
    return results


# The names start with "test_"; tell pytest they are not tests when a test module imports them.
for _service in (
    test_phone_add,
    test_phone_code_send,
    test_phone_verify,
    test_phone_delete,
    test_link_target,
):
    _service.__test__ = False  # type: ignore[attr-defined]
