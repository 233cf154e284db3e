"""Short links: made at fan-out, exactly as long as the composer counts, redirected with UTM
parameters, attributed to the recipient, and never an open redirect."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.test import Client

from messaging import links, shortlinks
from messaging.models import LinkClick, MessageLink, OutboundMessage, SendingSettings, SmsMessage
from messaging.selectors import message_preview
from messaging.services.audience import recipients
from messaging.services.fanout import message_fanout, plan_for
from tests.factories import PhoneNumberFactory

pytestmark = pytest.mark.django_db

NOON_NEW_YORK = dt.datetime(2026, 6, 1, 16, 0, tzinfo=dt.UTC)
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
)
BODY = "Sale! https://shop.example.com/sale?size=m#top and www.example.com/faq."


def fanned_out(sending, body=BODY, **fields):
    # Fan-out writes only for a message being sent.
    message = sending.message(body=body, status=SmsMessage.Status.SENDING, **fields)
    message.refresh_from_db()
    with time_machine.travel(NOON_NEW_YORK, tick=False):
        message_fanout(message=message, recipients=recipients(message), plan=plan_for(message))
    return message


def codes_of(row: OutboundMessage) -> list[str]:
    return [link.rsplit("/", 1)[1] for link in links.links_in(row.body)]


def click(client, code, *, host, user_agent=IPHONE, method="get", **headers):
    return getattr(client, method)(
        f"/{code}", HTTP_HOST=host, HTTP_USER_AGENT=user_agent, **headers
    )


def test_a_code_names_its_row_and_link_and_nothing_else():
    code = shortlinks.code_encode(123_456_789, 3)
    assert len(code) == shortlinks.CODE_LENGTH
    assert shortlinks.code_decode(code) == (123_456_789, 3)
    # Neighbouring rows get unrelated codes: ids don't show through.
    assert shortlinks.code_encode(123_456_790, 3)[:4] != code[:4]
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    for i in range(len(code)):
        for replacement in alphabet[:8]:
            if replacement != code[i]:
                tampered = code[:i] + replacement + code[i + 1 :]
                assert shortlinks.code_decode(tampered) is None, tampered
    for junk in ("", "short", "x" * 11, "abc/defghi", "abcdefghi=", None, "ÄÖÜabcdefg"):
        assert shortlinks.code_decode(junk) is None


def test_codes_refuse_what_they_cannot_hold():
    with pytest.raises(ValueError, match="links a code holds"):
        shortlinks.code_encode(1, shortlinks.MAX_LINKS)
    with pytest.raises(ValueError, match="does not fit"):
        shortlinks.code_encode(shortlinks.MAX_OUTBOUND_ID + 1, 0)


def test_fanout_shortens_every_link_to_exactly_the_length_the_composer_counts(sending, settings):
    mia = sending.contact("Mia", phone="+12125550101")
    sending.contact("Pat", phone="+12125550102")
    message = fanned_out(sending)

    assert list(MessageLink.objects.filter(message=message).values_list("url", flat=True)) == [
        "https://shop.example.com/sale?size=m#top",
        "www.example.com/faq",
    ]
    row = OutboundMessage.objects.get(message=message, contact=mia)
    domain = settings.PUBLIC_LINK_DOMAIN
    assert row.body.startswith(f"Sale! https://{domain}/")
    assert row.body.endswith("/faq.\nReply STOP to opt out") is False
    assert f"https://{domain}/" in row.body and row.body.count(f"https://{domain}/") == 2
    assert [shortlinks.code_decode(c) for c in codes_of(row)] == [(row.id, 0), (row.id, 1)]
    preview = message_preview(account=sending.account, body=BODY, sender=sending.sender)
    assert len(row.body) == len(preview.counted_text)
    assert row.segments == preview.estimate.segments
    # Every recipient's codes are their own.
    other = OutboundMessage.objects.exclude(pk=row.pk).get(message=message)
    assert set(codes_of(other)).isdisjoint(codes_of(row))


def test_a_rerun_fanout_keeps_links_and_bodies(sending):
    sending.contact("Mia", phone="+12125550101")
    message = fanned_out(sending)
    body = OutboundMessage.objects.get(message=message).body
    with time_machine.travel(NOON_NEW_YORK, tick=False):
        assert (
            message_fanout(message=message, recipients=recipients(message), plan=plan_for(message))
            == 0
        )
    assert OutboundMessage.objects.get(message=message).body == body
    assert MessageLink.objects.filter(message=message).count() == 2


def test_a_verified_branded_domain_carries_the_links(sending):
    sending.sender.link_domain = "go.acme.test"
    sending.sender.link_domain_verified = True
    sending.sender.save()
    sending.contact("Mia", phone="+12125550101")
    message = fanned_out(sending)
    row = OutboundMessage.objects.get(message=message)
    assert row.body.startswith("Sale! https://go.acme.test/")
    preview = message_preview(account=sending.account, body=BODY, sender=sending.sender)
    assert len(row.body) == len(preview.counted_text)


def test_links_with_tokens_stay_as_typed(sending):
    sending.contact("Mia", phone="+12125550101")
    message = fanned_out(sending, body="Hi https://x.example.com/u/{{ contact.first_name }} bye")
    row = OutboundMessage.objects.get(message=message)
    assert row.body.startswith("Hi https://x.example.com/u/Mia bye")
    assert not MessageLink.objects.filter(message=message).exists()


def test_the_redirect_appends_utm_keeps_query_and_fragment_and_records_the_click(
    sending, client, settings
):
    mia = sending.contact("Mia", phone="+12125550101")
    SendingSettings.objects.update_or_create(
        account=sending.account, defaults={"utm_source": "acme sms"}
    )
    message = fanned_out(sending, name="Spring sale & more")
    row = OutboundMessage.objects.get(message=message)
    first, second = codes_of(row)

    response = click(client, first, host=settings.PUBLIC_LINK_DOMAIN)
    assert response.status_code == 302
    location = response["Location"]
    assert location == (
        "https://shop.example.com/sale?size=m&utm_source=acme%20sms&utm_medium=sms"
        f"&utm_campaign=Spring%20sale%20%26%20more&utm_content={message.public_id}#top"
    )
    response = click(client, second, host=settings.PUBLIC_LINK_DOMAIN)
    assert response["Location"].startswith("http://www.example.com/faq?utm_source=acme%20sms")

    clicks = list(LinkClick.objects.order_by("id"))
    assert [(c.outbound_id, c.position, c.contact_id, c.is_bot) for c in clicks] == [
        (row.id, 0, mia.id, False),
        (row.id, 1, mia.id, False),
    ]
    assert clicks[0].user_agent == IPHONE
    assert clicks[0].message_id == message.id


def test_utm_composition_respects_the_urls_own_parameters():
    url = links.utm_url(
        "https://a.example/p?utm_source=newsletter&q=a%20b&empty=#frag?x=1",
        source="sms app",
        campaign="Größe/Ünicode?",
        content="msg_1",
    )
    parts = urlsplit(url)
    assert parts.fragment == "frag?x=1"
    assert parts.query.startswith("utm_source=newsletter&q=a%20b&empty=&")
    query = parse_qs(parts.query, keep_blank_values=True)
    assert query["utm_source"] == ["newsletter"]  # the marketer's own value wins
    assert query["utm_medium"] == ["sms"]
    assert query["utm_campaign"] == ["Größe/Ünicode?"]
    assert query["utm_content"] == ["msg_1"]
    assert links.utm_url("https://a.example", source="s", campaign="c", content="m") == (
        "https://a.example/?utm_source=s&utm_medium=sms&utm_campaign=c&utm_content=m"
    )


def test_unknown_tampered_and_foreign_host_codes_get_404(sending, client, settings, tenant):
    sending.contact("Mia", phone="+12125550101")
    message = fanned_out(sending)
    row = OutboundMessage.objects.get(message=message)
    code = codes_of(row)[0]
    host = settings.PUBLIC_LINK_DOMAIN
    tampered = code[:-1] + ("A" if code[-1] != "A" else "B")
    assert click(client, tampered, host=host).status_code == 404
    # A genuine code for a row that does not exist, and for a link position it doesn't have.
    assert click(client, shortlinks.code_encode(row.id + 10_000, 0), host=host).status_code == 404
    assert click(client, shortlinks.code_encode(row.id, 5), host=host).status_code == 404
    # Our page host is not a link domain, nor is an unverified or another account's domain.
    assert click(client, code, host="testserver").status_code == 404
    sending.sender.link_domain = "go.acme.test"
    sending.sender.save()
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "go.acme.test", "go.charlie.test"]
    assert click(client, code, host="go.acme.test").status_code == 404

    PhoneNumberFactory(
        account=tenant.other_account,
        e164="+14155550199",
        link_domain="go.charlie.test",
        link_domain_verified=True,
    )
    assert click(client, code, host="go.charlie.test").status_code == 404
    sending.sender.link_domain_verified = True
    sending.sender.save()
    assert click(client, code, host="GO.ACME.TEST").status_code == 302
    assert LinkClick.objects.count() == 1


def test_no_request_can_choose_where_the_redirect_goes(sending, client, settings):
    sending.contact("Mia", phone="+12125550101")
    message = fanned_out(sending)
    code = codes_of(OutboundMessage.objects.get(message=message))[0]
    host = settings.PUBLIC_LINK_DOMAIN
    response = click(client, f"{code}?next=https://evil.example&url=//evil.example", host=host)
    assert urlsplit(response["Location"]).netloc == "shop.example.com"
    for path in (
        "https://evil.example",
        "//evil.example/abcdefghij",
        "/\\evil.example",
        "%2F%2Fevil.example",
        "evil.examp",  # ten characters, but not a code
    ):
        response = client.get(f"/{path}", HTTP_HOST=host)
        assert "evil" not in response.get("Location", ""), path
        assert LinkClick.objects.count() == 1
    # Even a stored link that is not http(s) is never followed.
    MessageLink.objects.filter(message=message, position=0).update(url="ftp://files.example/x")
    assert click(client, code, host=host).status_code == 404


@pytest.mark.parametrize(
    ("user_agent", "method", "headers", "bot"),
    [
        (IPHONE, "get", {}, False),
        (
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) Chrome/124.0 Mobile Safari/537.36",
            "get",
            {},
            False,
        ),
        ("facebookexternalhit/1.1 Facebot Twitterbot/1.0", "get", {}, True),  # iMessage preview
        ("WhatsApp/2.24.8.78 A", "get", {}, True),
        ("Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)", "get", {}, True),
        ("Mozilla/5.0 (compatible; Googlebot/2.1)", "get", {}, True),
        ("curl/8.5.0", "get", {}, True),
        ("", "get", {}, True),
        (IPHONE, "head", {}, True),
        (IPHONE, "get", {"HTTP_SEC_PURPOSE": "prefetch"}, True),
    ],
)
def test_previews_and_bots_are_redirected_but_kept_apart(
    sending, client, settings, user_agent, method, headers, bot
):
    sending.contact("Mia", phone="+12125550101")
    message = fanned_out(sending)
    code = codes_of(OutboundMessage.objects.get(message=message))[0]
    response = click(
        client,
        code,
        host=settings.PUBLIC_LINK_DOMAIN,
        user_agent=user_agent,
        method=method,
        **headers,
    )
    assert response.status_code == 302
    assert LinkClick.objects.get().is_bot is bot


# The composer's count shortens exactly what fan-out shortens --------------------------------


@pytest.mark.parametrize(
    "body",
    [
        # A token inside a link: it goes out as typed, with the contact's value filled in.
        "Hi https://x.example.com/u/{{ contact.first_name }} and https://shop.example.com/sale",
        "Your page: https://x.example.com/?who={{contact.first_name}} today",
        # Seventeen links: the 17th goes out as typed.
        " ".join(f"https://shop.example.com/item/{i}" for i in range(17)),
    ],
)
def test_the_preview_counts_the_body_exactly_as_fanout_writes_it(sending, body):
    mia = sending.contact("Mia", phone="+12125550101")
    message = fanned_out(sending, body=body)
    row = OutboundMessage.objects.get(message=message)
    preview = message_preview(
        account=sending.account, body=body, contact=mia, sender=sending.sender
    )
    assert len(preview.counted_text) == len(row.body)
    assert preview.estimate.segments == row.segments
    assert preview.links == MessageLink.objects.filter(message=message).count()


# Parentheses ----------------------------------------------------------------------------------


def test_a_link_keeps_its_own_parentheses_and_drops_the_sentences():
    text = (
        "See https://en.wikipedia.org/wiki/Foo_(bar) and (https://example.com/a) or "
        "(see https://en.wikipedia.org/wiki/Baz_(qux)). Done."
    )
    assert links.links_in(text) == [
        "https://en.wikipedia.org/wiki/Foo_(bar)",
        "https://example.com/a",
        "https://en.wikipedia.org/wiki/Baz_(qux)",
    ]
    assert links.links_replace(text, "<L>") == "See <L> and (<L>) or (see <L>). Done."


def test_a_wikipedia_link_redirects_to_the_page_with_its_parenthesis(sending, client, settings):
    sending.contact("Mia", phone="+12125550101")
    message = fanned_out(sending, body="Read https://en.wikipedia.org/wiki/Foo_(bar) now")
    assert MessageLink.objects.get(message=message).url == "https://en.wikipedia.org/wiki/Foo_(bar)"
    row = OutboundMessage.objects.get(message=message)
    response = click(client, codes_of(row)[0], host=settings.PUBLIC_LINK_DOMAIN)
    assert urlsplit(response["Location"]).path == "/wiki/Foo_(bar)"
    assert " now" in row.body and "(bar" not in row.body


# The scheme of short links --------------------------------------------------------------------


def test_short_links_use_the_configured_scheme_in_texts_and_counts(sending, settings):
    settings.PUBLIC_LINK_SCHEME = "http"
    sending.contact("Mia", phone="+12125550101")
    message = fanned_out(sending)
    row = OutboundMessage.objects.get(message=message)
    assert row.body.startswith(f"Sale! http://{settings.PUBLIC_LINK_DOMAIN}/")
    preview = message_preview(account=sending.account, body=BODY, sender=sending.sender)
    assert preview.counted_text.startswith(f"Sale! http://{settings.PUBLIC_LINK_DOMAIN}/")
    assert len(row.body) == len(preview.counted_text)


PRINT_SCHEME = "from django.conf import settings; print(settings.PUBLIC_LINK_SCHEME)"


@pytest.mark.parametrize(
    ("environ", "scheme"),
    [
        ({"DEBUG": "1"}, "http"),  # make run: runserver on 127.0.0.1:8000
        ({}, "https"),
        ({"DEBUG": "1", "PUBLIC_LINK_DOMAIN": "go.example.com"}, "https"),
        ({"PUBLIC_LINK_SCHEME": "http"}, "http"),
    ],
)
def test_the_scheme_defaults_to_http_only_for_make_runs_own_host(environ, scheme):
    import os
    import subprocess
    import sys

    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DEBUG", "PUBLIC_LINK_DOMAIN", "PUBLIC_LINK_SCHEME")
    }
    env.update(environ, DJANGO_SETTINGS_MODULE="smsapp.settings")
    found = subprocess.run(  # noqa: S603 - our own interpreter and settings
        [sys.executable, "-c", PRINT_SCHEME],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))),
    )
    assert found.stdout.strip() == scheme


# Branded link domains that ALLOWED_HOSTS doesn't list ----------------------------------------


@pytest.fixture
def branded(sending):
    """A sender whose verified branded domain go.acme.test is not in ALLOWED_HOSTS."""
    from messaging.middleware import link_hosts

    link_hosts.forget()
    sending.sender.link_domain = "go.acme.test"
    sending.sender.link_domain_verified = True
    sending.sender.save()
    yield sending
    link_hosts.forget()


def test_a_verified_branded_domain_serves_its_short_links_and_nothing_else(
    branded, client, settings
):
    from messaging.middleware import link_hosts

    assert "go.acme.test" not in settings.ALLOWED_HOSTS
    mia = branded.contact("Mia", phone="+12125550101")
    message = fanned_out(branded)
    code = codes_of(OutboundMessage.objects.get(message=message))[0]

    response = click(client, code, host="go.acme.test")
    assert response.status_code == 302
    assert urlsplit(response["Location"]).netloc == "shop.example.com"
    assert LinkClick.objects.get().contact_id == mia.pk
    assert click(client, code, host="GO.ACME.TEST.").status_code == 302
    # The rest of the app stays closed on that host, as on any host Django doesn't know.
    for path in ("/", "/login/", "/analytics/", "/api/v1/me", "/abcdefghi", f"/{code}/"):
        assert client.get(path, HTTP_HOST="go.acme.test").status_code == 400, path
    assert click(client, code, host="go.unknown.test").status_code == 400
    # A domain no longer verified is no longer served.
    branded.sender.link_domain_verified = False
    branded.sender.save()
    link_hosts.forget()
    assert click(client, code, host="go.acme.test").status_code == 400
    assert LinkClick.objects.count() == 2


def test_a_branded_short_link_over_http_is_sent_to_https(branded, client, settings):
    settings.SECURE_SSL_REDIRECT = True
    branded.contact("Mia", phone="+12125550101")
    message = fanned_out(branded)
    code = codes_of(OutboundMessage.objects.get(message=message))[0]
    response = click(client, code, host="go.acme.test")
    assert response.status_code == 301
    assert response["Location"] == f"https://go.acme.test/{code}"
    response = click(client, code, host="go.acme.test", HTTP_X_FORWARDED_PROTO="https")
    assert response.status_code == 302 and LinkClick.objects.count() == 1


def test_the_link_hosts_are_cached_and_a_new_domain_works_within_seconds(
    branded, django_assert_num_queries
):
    from messaging.middleware import _LinkHosts

    now = [1000.0]
    hosts = _LinkHosts(clock=lambda: now[0])
    assert hosts.known("go.acme.test")
    with django_assert_num_queries(0):
        assert hosts.known("go.acme.test")
        assert not hosts.known("go.new.test")  # junk hosts can't cost a query each
    PhoneNumber = type(branded.sender)
    PhoneNumberFactory(
        account=branded.account,
        e164="+14155550123",
        link_domain="go.new.test",
        link_domain_verified=True,
    )
    now[0] += 6
    assert hosts.known("go.new.test")
    PhoneNumber.objects.filter(link_domain="go.new.test").update(link_domain_verified=False)
    now[0] += 60
    with django_assert_num_queries(0):
        assert hosts.known("go.new.test")
    now[0] += 300
    assert not hosts.known("go.new.test")


def test_a_tap_keeps_the_https_redirect_and_security_headers_and_sets_no_cookie(sending, settings):
    """Short links skip the session-oriented middleware, not SecurityMiddleware."""
    sending.contact("Mia", phone="+12125550101")
    message = fanned_out(sending)
    [code, _] = codes_of(OutboundMessage.objects.get(message=message))
    host = settings.PUBLIC_LINK_DOMAIN
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 3600
    plain = click(Client(), code, host=host)
    assert (plain.status_code, plain["Location"]) == (301, f"https://{host}/{code}")
    tap = click(Client(), code, host=host, secure=True)
    assert tap.status_code == 302
    assert tap["Location"].startswith("https://shop.example.com/sale?size=m&utm_source=")
    assert tap["Strict-Transport-Security"].startswith("max-age=3600")
    assert tap["X-Content-Type-Options"] == "nosniff"
    assert not tap.cookies
    assert LinkClick.objects.filter(message=message).count() == 1


def test_utm_campaign_is_the_campaigns_name_when_the_message_has_one(sending, client, settings):
    from messaging.models import Campaign

    sending.contact("Mia", phone="+12125550101")
    spring = Campaign.objects.create(account=sending.account, name="Spring 2026")
    message = fanned_out(sending, name="Tents email follow-up", campaign=spring)
    first, _ = codes_of(OutboundMessage.objects.get(message=message))
    location = click(client, first, host=settings.PUBLIC_LINK_DOMAIN)["Location"]
    query = parse_qs(urlsplit(location).query)
    assert query["utm_campaign"] == ["Spring 2026"]
    assert query["utm_content"] == [message.public_id]
