"""Guards in front of the chat: question length, body size, a per-client rate limit, and personal data.

Personal data (Chinese mobile numbers, 身份证 numbers, 统一社会信用代码, e-mail addresses, bank cards) is rejected
before anything is stored or logged; the message says what was found, never the value itself.
"""

from __future__ import annotations

import math
import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

_MOBILE = re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}(?!\d)")
_ID_CARD = re.compile(
    r"(?<![0-9A-Za-z])\d{6}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![0-9A-Za-z])"
)
_CREDIT_CODE = re.compile(r"(?<![0-9A-Z])[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}(?![0-9A-Z])")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_CARD = re.compile(r"(?<!\d)(?:\d[ -]?){15,18}\d(?!\d)")

PII_NAMES = {
    "mobile": ("手机号码", "a mobile phone number"),
    "id_card": ("身份证号码", "an ID card number"),
    "credit_code": ("统一社会信用代码", "a unified social credit code"),
    "email": ("电子邮箱", "an e-mail address"),
    "bank_card": ("银行卡号", "a bank card number"),
}


def _luhn(digits: str) -> bool:
    total = 0
    for i, char in enumerate(reversed(digits)):
        n = int(char)
        if i % 2:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def personal_data(text: str) -> list[str]:
    """The kinds of personal data found in ``text`` (names from PII_NAMES), in a stable order."""
    found = []
    if _ID_CARD.search(text):
        found.append("id_card")
    if _CREDIT_CODE.search(text) and any(c.isalpha() for m in _CREDIT_CODE.findall(text) for c in m):
        found.append("credit_code")
    if _MOBILE.search(text):
        found.append("mobile")
    if _EMAIL.search(text):
        found.append("email")
    for match in _CARD.findall(text):
        digits = re.sub(r"\D", "", match)
        if 16 <= len(digits) <= 19 and _luhn(digits) and "id_card" not in found:
            found.append("bank_card")
            break
    return found


def describe_personal_data(kinds: list[str]) -> str:
    zh = "、".join(PII_NAMES[k][0] for k in kinds)
    en = ", ".join(PII_NAMES[k][1] for k in kinds)
    return (
        f"message: 请勿在提问中填写个人或企业身份信息（检测到：{zh}），本助手不需要也不会保存这些信息。"
        f" / Please remove personal data ({en}); the assistant neither needs nor stores it."
    )


def retry_after(seconds: float) -> int:
    return max(1, math.ceil(seconds))


class BodySizeLimit:
    """Rejects bodies larger than the limit with 413 before the app reads them, declared or streamed."""

    def __init__(self, app: ASGIApp, max_bytes: int, larger: dict[str, int] | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.larger = larger or {}  # exact paths with their own, larger limit (document uploads)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.larger.get(scope.get("path", ""), self.max_bytes)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _too_large(send, limit)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _TooLarge()
            return message

        try:
            await self.app(scope, limited_receive, send)
        except _TooLarge:
            await _too_large(send, limit)


class _TooLarge(Exception):
    pass


async def _too_large(send: Send, limit: int) -> None:
    body = f'{{"detail": "the request body is larger than {limit} bytes"}}'.encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
