"""Zalo's wire formats without a database: the client, the signature, PKCE, event shapes."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from bot.channels.zalo_oa.client import (
    ERROR_MEANINGS,
    OAClient,
    ZaloApiError,
    ZaloUnavailable,
    describe,
)
from bot.channels.zalo_oa.convert import delivery_key, to_incoming
from bot.channels.zalo_oa.oauth import (
    OAuthError,
    PkceSession,
    code_challenge,
    parse_pasted_code,
)
from bot.channels.zalo_oa.sender import send_error
from bot.channels.zalo_oa.signature import check_signature, sign
from tests.channels.zalo_oa.conftest import APP_ID, APP_SECRET, sample

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
SECRET = "oa-secret"


def _client(handler) -> OAClient:
    return OAClient(APP_ID, APP_SECRET, transport=httpx.MockTransport(handler))


# --- client ---------------------------------------------------------------------------------


async def test_a_cs_message_has_zalos_shape_and_returns_the_message_id():
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"error": 0, "data": {"message_id": "abc"}})

    client = _client(handler)
    message = {"text": "Chào", "attachment": {"type": "template", "payload": {"buttons": []}}}
    assert await client.send_cs_message("tok", "u1", message) == "abc"
    [request] = seen
    assert str(request.url) == "https://openapi.zalo.me/v3.0/oa/message/cs"
    assert request.headers["access_token"] == "tok"
    assert "authorization" not in request.headers
    assert json.loads(request.content) == {"recipient": {"user_id": "u1"}, "message": message}
    await client.aclose()


@pytest.mark.parametrize(
    ("answer", "error", "code"),
    [
        (httpx.Response(200, json={"error": -230, "message": "..."}), ZaloApiError, -230),
        (httpx.Response(200, json={"error": "-211", "message": "..."}), ZaloApiError, -211),
        (httpx.Response(502, text="bad gateway"), ZaloUnavailable, None),
        (httpx.Response(200, text="<html>"), ZaloUnavailable, None),
        (httpx.Response(404, json={}), ZaloUnavailable, None),
        (httpx.Response(403, json={"message": "forbidden"}), ZaloUnavailable, None),
    ],
)
async def test_every_failure_is_an_error_even_with_http_200(answer, error, code):
    client = _client(lambda request: answer)
    with pytest.raises(error) as raised:
        await client.send_cs_message("tok", "u1", {"text": "x"})
    assert raised.value.code == code
    assert "x" not in raised.value.reason.split()  # no message text in the reason


async def test_network_errors_and_429_are_retryable():
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    with pytest.raises(ZaloUnavailable, match="timeout"):
        await _client(down).send_cs_message("tok", "u1", {"text": "x"})
    limited = httpx.Response(429, headers={"Retry-After": "7"}, json={})
    with pytest.raises(ZaloUnavailable) as raised:
        await _client(lambda request: limited).send_cs_message("tok", "u1", {"text": "x"})
    assert raised.value.retry_after == 7


async def test_token_exchange_sends_the_form_and_accepts_a_quoted_lifetime():
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(
            200, json={"access_token": "a", "refresh_token": "r", "expires_in": "90000"}
        )

    grant = await _client(handler).exchange_code("the-code", "the-verifier")
    assert (grant.access_token, grant.refresh_token, grant.expires_in) == ("a", "r", 90000)
    assert "a" not in repr(grant).replace("TokenGrant", "").replace("expires_in", "")
    [request] = seen
    assert str(request.url) == "https://oauth.zaloapp.com/v4/oa/access_token"
    assert request.headers["secret_key"] == APP_SECRET
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert parse_qs(request.content.decode()) == {
        "app_id": [APP_ID],
        "code": ["the-code"],
        "grant_type": ["authorization_code"],
        "code_verifier": ["the-verifier"],
    }


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ({"error": -14014, "error_name": "invalid_grant"}, "-14014"),
        ({"error": -118, "message": "..."}, "-118"),
        ({"error_name": "invalid_grant", "error_description": "..."}, "invalid_grant"),
        ({}, "without tokens"),
    ],
)
async def test_a_refused_grant_names_the_code(answer, expected):
    client = _client(lambda request: httpx.Response(400 if answer else 200, json=answer))
    if not answer:
        # An empty 200 is a refusal too: no tokens came back.
        with pytest.raises(ZaloApiError, match=expected):
            await client.refresh("r")
        return
    with pytest.raises(ZaloApiError, match=expected):
        await client.refresh("r")


def test_error_codes_are_described_for_the_log():
    assert "7 days" in describe(-230)
    assert describe(-99999) == "error -99999: unknown Zalo error code"
    assert {-32, -211, -213, -216, -230, -305, -14014} <= set(ERROR_MEANINGS)


@pytest.mark.parametrize(
    ("code", "final", "kind", "retry_after"),
    [
        (-230, True, "window", None),
        (-305, True, "window", None),
        (-211, True, "quota", None),
        (-213, True, "blocked", None),
        (-32, False, "other", 60.0),
        (-201, True, "other", None),
        (-12345, False, "other", None),
    ],
)
def test_zalo_refusals_map_to_what_the_dispatcher_does(code, final, kind, retry_after):
    error = send_error(ZaloApiError(describe(code), code))
    assert (error.final, error.kind, error.retry_after) == (final, kind, retry_after)
    assert str(code) in error.reason
    assert send_error(ZaloUnavailable("HTTP 503")).final is False


# --- signature ------------------------------------------------------------------------------


def _signed(**overrides: object) -> tuple[bytes, dict[str, object], str]:
    payload: dict[str, object] = {
        "app_id": "123",
        "timestamp": str(int(NOW.timestamp() * 1000)),
        "event_name": "user_send_text",
    }
    payload.update(overrides)
    body = json.dumps(payload).encode()
    return body, payload, sign("123", body, str(payload["timestamp"]), SECRET)


def test_the_signature_is_sha256_of_app_id_body_timestamp_and_secret():
    body, payload, signature = _signed()
    expected = hashlib.sha256(
        b"123" + body + str(payload["timestamp"]).encode() + SECRET.encode()
    ).hexdigest()
    assert signature == expected
    assert check_signature(signature, body, payload, SECRET, NOW, app_id="123") is None
    assert check_signature("mac=" + signature, body, payload, SECRET, NOW, app_id="123") is None
    assert check_signature(signature.upper(), body, payload, SECRET, NOW, app_id="123") is None


def test_bad_signatures_are_named():
    body, payload, signature = _signed()
    assert check_signature(None, body, payload, SECRET, NOW, app_id="123") == "missing"
    assert check_signature("mac=", body, payload, SECRET, NOW, app_id="123") == "missing"
    assert check_signature(signature, body, payload, "", NOW, app_id="123") == "missing"
    assert (
        check_signature(signature, body + b" ", payload, SECRET, NOW, app_id="123") == "mismatch"
    )
    assert check_signature(signature, body, payload, "other", NOW, app_id="123") == "mismatch"
    late = NOW + timedelta(minutes=5, seconds=1)
    assert check_signature(signature, body, payload, SECRET, late, app_id="123") == "stale"
    assert (
        check_signature(signature, body, payload, SECRET, NOW - timedelta(minutes=4), app_id="123")
        is None
    )


def test_a_timestamp_that_is_not_a_number_is_stale():
    body, payload, signature = _signed(timestamp="yesterday")
    assert check_signature(signature, body, payload, SECRET, NOW, app_id="123") == "stale"
    body, payload, signature = _signed(timestamp=int(NOW.timestamp() * 1000))
    assert check_signature(signature, body, payload, SECRET, NOW, app_id="123") is None


# --- OAuth with PKCE ------------------------------------------------------------------------


def test_code_challenge_is_the_rfc_7636_s256_transform():
    # RFC 7636, appendix B.
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert code_challenge(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_the_consent_url_carries_app_redirect_challenge_and_state():
    consent = PkceSession.new()
    assert 43 <= len(consent.verifier) <= 128
    url = urlsplit(consent.url("123", "https://bot.example.vn/zalo/callback"))
    assert (url.scheme, url.netloc, url.path) == (
        "https",
        "oauth.zaloapp.com",
        "/v4/oa/permission",
    )
    query = parse_qs(url.query)
    assert query == {
        "app_id": ["123"],
        "redirect_uri": ["https://bot.example.vn/zalo/callback"],
        "code_challenge": [consent.challenge],
        "state": [consent.state],
    }
    digest = hashlib.sha256(consent.verifier.encode()).digest()
    assert base64.urlsafe_b64decode(consent.challenge + "=") == digest


def test_the_pasted_answer_is_checked():
    base = "https://bot.example.vn/zalo/callback"
    assert parse_pasted_code(f"{base}?code=abc&oa_id=9&state=s1\n", "s1") == "abc"
    assert parse_pasted_code("code=abc&state=s1", "s1") == "abc"
    assert parse_pasted_code("  abc-123_XYZ \n", "s1") == "abc-123_XYZ"
    for wrong in (f"{base}?code=abc&state=s2", f"{base}?code=abc", f"{base}?state=s1", ""):
        with pytest.raises(OAuthError):
            parse_pasted_code(wrong, "s1")
    with pytest.raises(OAuthError, match="không thành công"):
        parse_pasted_code(f"{base}?error=access_denied&state=s1", "s1")


# --- events ---------------------------------------------------------------------------------


def test_recorded_events_become_core_messages():
    text = to_incoming(sample("user_send_text"), "k1")
    assert text is not None
    assert (text.key.channel, text.key.user_id) == ("zalo", "2468458835296197922")
    assert (text.kind, text.text, text.message_id) == ("text", "cach cai vneid", "k1")
    assert text.received_at == datetime(2023, 11, 3, 9, 31, 21, 354000, tzinfo=UTC)

    follow = to_incoming(sample("follow"), "k2")
    assert follow is not None
    assert (follow.key.user_id, follow.text, follow.kind) == (
        "2468458835296197922",
        "/start",
        "text",
    )
    left = to_incoming(sample("unfollow"), "k3")
    assert left is not None
    assert left.kind == "left"
    for name in ("user_send_image", "user_send_sticker"):
        other = to_incoming(sample(name), "k")
        assert other is not None
        assert (other.kind, other.text) == ("other", None)
    location = to_incoming(sample("user_send_location"), "k4")
    assert location is not None
    assert (location.kind, location.location) == ("location", (13.9833, 108.0167))
    for ignored in ("user_reacted_message", "oa_send_text"):
        assert to_incoming(sample(ignored), "k") is None


@pytest.mark.parametrize(
    ("coordinates", "expected"),
    [
        ({"latitude": 13.98, "longitude": 108.01}, ("location", (13.98, 108.01))),
        ({"latitude": " 13.98 ", "longitude": "108.01"}, ("location", (13.98, 108.01))),
        ({"latitude": "north", "longitude": "108"}, ("other", None)),
        ({"latitude": 95, "longitude": 108}, ("other", None)),
        ({}, ("other", None)),
        (None, ("other", None)),
    ],
)
def test_locations_are_read_tolerantly(coordinates, expected):
    event = sample("user_send_location")
    event["message"]["attachments"][0]["payload"]["coordinates"] = coordinates
    message = to_incoming(event, "k")
    assert message is not None
    assert (message.kind, message.location) == expected


def test_a_tap_is_a_button_press_and_other_hash_text_is_text():
    event = sample("user_send_text")
    event["message"]["text"] = "#t:vneid"
    tapped = to_incoming(event, "k")
    assert tapped is not None
    assert (tapped.kind, tapped.payload, tapped.text) == ("button", "t:vneid", None)
    event["message"]["text"] = "#vneid"
    typed = to_incoming(event, "k")
    assert typed is not None
    assert (typed.kind, typed.text) == ("text", "#vneid")


def test_delivery_keys():
    assert delivery_key(sample("user_send_text")) == "cb31dff1c39642cc1b83"
    event = sample("user_send_text")
    event["message"] = {"message_id": "m-2", "text": "x"}
    assert delivery_key(event) == "m-2"
    assert delivery_key(sample("follow")) == "follow:2468458835296197922:1699003881354"
    assert delivery_key({}) == "::"


def test_the_configured_app_id_is_signed_not_the_one_in_the_body():
    """Issue 11 §12: a forger who knows nothing but the body format could name any app_id in
    the body; the check must use ZALO_APP_ID."""
    body, payload, _ = _signed(app_id="attacker-app")
    forged = sign("attacker-app", body, str(payload["timestamp"]), SECRET)
    assert check_signature(forged, body, payload, SECRET, NOW, app_id="123") == "mismatch"
    body, payload, _ = _signed()
    del payload["app_id"]
    body = json.dumps(payload).encode()
    honest = sign("123", body, str(payload["timestamp"]), SECRET)
    assert check_signature(honest, body, payload, SECRET, NOW, app_id="123") is None
    assert check_signature(honest, body, payload, SECRET, NOW, app_id="") == "missing"
