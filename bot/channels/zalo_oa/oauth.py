"""OAuth v4 consent for the Official Account, with PKCE: the operator's one-time setup.

An OA admin opens the consent URL, approves, and Zalo redirects the browser to the app's
redirect URI with `code` (valid about ten minutes) and our `state`. The operator pastes that
URL (or just the code) back into `trolyso zalo authorize`, which exchanges the code together
with the PKCE verifier that never left this machine.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlsplit

__all__ = [
    "CONSENT_URL",
    "OAuthError",
    "PkceSession",
    "code_challenge",
    "consent_url",
    "new_code_verifier",
    "parse_pasted_code",
]

CONSENT_URL = "https://oauth.zaloapp.com/v4/oa/permission"


class OAuthError(Exception):
    """The pasted answer cannot be used; the message is for the operator (Vietnamese)."""


def new_code_verifier() -> str:
    """A PKCE verifier: 43 URL-safe characters (RFC 7636 allows 43 to 128)."""
    return secrets.token_urlsafe(32)


def code_challenge(verifier: str) -> str:
    """base64url(SHA-256(verifier)) without padding, as Zalo's SDKs compute it (S256)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def consent_url(app_id: str, redirect_uri: str, challenge: str, state: str) -> str:
    """Where the OA admin approves the app's access to the OA."""
    query = urlencode(
        {
            "app_id": app_id,
            "redirect_uri": redirect_uri,
            "code_challenge": challenge,
            "state": state,
        }
    )
    return f"{CONSENT_URL}?{query}"


@dataclass(frozen=True)
class PkceSession:
    """One consent attempt: the secret verifier and the state that ties the answer to it."""

    verifier: str
    state: str

    @classmethod
    def new(cls) -> PkceSession:
        return cls(new_code_verifier(), secrets.token_urlsafe(16))

    @property
    def challenge(self) -> str:
        return code_challenge(self.verifier)

    def url(self, app_id: str, redirect_uri: str) -> str:
        return consent_url(app_id, redirect_uri, self.challenge, self.state)


def parse_pasted_code(pasted: str, expected_state: str) -> str:
    """The authorization code from what the operator pasted: the redirected URL or the code.

    A URL must carry our `state` (another consent attempt's answer is refused); a bare code
    cannot be checked and is accepted as typed.
    """
    text = pasted.strip()
    if not text:
        raise OAuthError("Chưa nhận được gì. Anh/chị dán đường dẫn sau khi đồng ý cấp quyền.")
    if "://" not in text and "=" not in text:
        if any(c.isspace() for c in text):
            raise OAuthError("Mã cấp quyền không được có khoảng trắng. Anh/chị dán lại giúp.")
        return text
    query = urlsplit(text).query if "://" in text else text.lstrip("?")
    values = parse_qs(query)
    if "error" in values or "error_description" in values:
        raise OAuthError("Zalo báo việc cấp quyền không thành công. Anh/chị thử lại từ đầu.")
    code = (values.get("code") or [""])[0].strip()
    if not code:
        raise OAuthError(
            "Đường dẫn không có mã cấp quyền (code). Anh/chị dán đường dẫn đầy đủ sau khi "
            "bấm đồng ý."
        )
    state = (values.get("state") or [""])[0]
    if state != expected_state:
        raise OAuthError(
            "Đường dẫn này thuộc một lần cấp quyền khác (state không khớp). "
            "Anh/chị mở lại đường dẫn cấp quyền vừa in ra và thử lại."
        )
    return code
