"""Delivery status notifications (RFC 3464 `message/delivery-status`, RFC 6533
`message/global-delivery-status`) read with the standard `email` package.

`parse_dsn(message)` returns what the report says for each recipient (address, action,
status code, diagnostic) and the original message's Message-ID (from an attached
`message/rfc822` / `message/global`, or the `text/rfc822-headers` / `message/global-headers`
part), or None when the message is not a delivery report.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import Message
from email.parser import BytesParser, HeaderParser
from email.policy import default as default_policy

STATUS_TYPES = ("message/delivery-status", "message/global-delivery-status")
ORIGINAL_MESSAGE_TYPES = ("message/rfc822", "message/global")
ORIGINAL_HEADER_TYPES = ("text/rfc822-headers", "message/global-headers")
_STATUS_CODE = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")


@dataclass(frozen=True)
class DsnRecipient:
    """One per-recipient block of a report."""

    address: str
    action: str
    """failed, delayed, delivered, relayed or expanded (RFC 3464 2.3.3), lower case."""
    status: str
    """The enhanced status code, e.g. "5.1.1" (RFC 3463); "" when missing."""
    diagnostic: str = ""

    @property
    def permanent(self) -> bool:
        """A permanent failure: the address should not be mailed again."""
        return self.action == "failed" and self.status.startswith("5")

    @property
    def temporary(self) -> bool:
        """A transient failure or a delay (4.x.x, or a delayed action)."""
        if self.action == "delayed":
            return True
        return self.action == "failed" and self.status.startswith("4")

    @property
    def status_line(self) -> str:
        """ "5.1.1 unknown user: "x"": what the organiser reads."""
        return " ".join(part for part in (self.status, self.diagnostic) if part)


@dataclass(frozen=True)
class Dsn:
    recipients: tuple[DsnRecipient, ...]
    original_message_id: str = ""
    """The Message-ID of the message that could not be delivered, "<...>" form."""
    original_to: str = ""

    @property
    def failures(self) -> tuple[DsnRecipient, ...]:
        return tuple(r for r in self.recipients if r.permanent or r.temporary)


def _part_body(part: Message) -> bytes:
    """The body bytes of a MIME part as they were sent (transfer encoding undone)."""
    cte = str(part.get("Content-Transfer-Encoding", "")).strip().lower()
    if cte in ("base64", "quoted-printable"):
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes):
            return payload
    try:
        raw = part.as_bytes(policy=default_policy.clone(linesep="\n"))
    except (AttributeError, TypeError, ValueError, LookupError):  # a part built oddly
        payload = part.get_payload()
        return payload.encode("utf-8", "surrogateescape") if isinstance(payload, str) else b""
    _head, sep, body = raw.partition(b"\n\n")
    return body if sep else b""


def _fields(block: str) -> dict[str, str]:
    """`Name: value` lines (continuations unfolded), names lower-cased; first one wins."""
    out: dict[str, str] = {}
    name = ""
    for line in block.splitlines():
        if line[:1] in (" ", "\t") and name:
            out[name] += " " + line.strip()
            continue
        key, colon, value = line.partition(":")
        if not colon:
            name = ""
            continue
        name = key.strip().lower()
        if name in out:
            name = ""
            continue
        out[name] = value.strip()
    return out


def _blocks(text: str) -> list[dict[str, str]]:
    text = text.replace("\r\n", "\n")
    return [f for f in (_fields(b) for b in re.split(r"\n[ \t]*\n", text)) if f]


def _address(value: str) -> str:
    """`rfc822; a@b` or `utf-8; rené@b` (RFC 6533 may also encode as \\x{...}) -> address."""
    _kind, semi, address = value.partition(";")
    address = (address if semi else value).strip().strip("<>").strip()
    return re.sub(r"\\x\{([0-9A-Fa-f]{1,6})\}", lambda m: chr(int(m.group(1), 16)), address)


def _recipient(fields: dict[str, str]) -> DsnRecipient | None:
    final = fields.get("final-recipient") or fields.get("original-recipient")
    if not final:
        return None
    status_raw = fields.get("status", "")
    match = _STATUS_CODE.search(status_raw)
    status = ".".join(match.groups()) if match else ""
    diagnostic = fields.get("diagnostic-code", "")
    kind, semi, text = diagnostic.partition(";")
    if semi and " " not in kind.strip():
        diagnostic = text.strip()
    action = fields.get("action", "").strip().lower()
    return DsnRecipient(_address(final), action, status, " ".join(diagnostic.split()))


def _original_headers(part: Message) -> Message | None:
    ctype = part.get_content_type()
    if ctype in ORIGINAL_HEADER_TYPES or ctype == "message/global":
        data = _part_body(part).decode("utf-8", "replace")
        return HeaderParser(policy=default_policy).parsestr(data, headersonly=True)
    if ctype == "message/rfc822":
        payload = part.get_payload()
        if isinstance(payload, list) and payload and isinstance(payload[0], Message):
            return payload[0]
    return None


def _own_parts(message: Message):
    """The message's MIME parts, not descending into attached messages: a report
    forwarded by a person inside a message/rfc822 is that person's mail, not a report."""
    yield message
    if message.is_multipart() and not message.get_content_type().startswith("message/"):
        for part in message.get_payload():
            if isinstance(part, Message):
                yield from _own_parts(part)


def is_report(message: Message) -> bool:
    """Whether the message itself carries a delivery status part."""
    return any(p.get_content_type() in STATUS_TYPES for p in _own_parts(message))


def parse_dsn(message: Message) -> Dsn | None:
    """What a delivery report says, or None when `message` holds no status part."""
    recipients: list[DsnRecipient] = []
    original: Message | None = None
    found = False
    for part in _own_parts(message):
        ctype = part.get_content_type()
        if ctype in STATUS_TYPES and not found:
            found = True
            text = _part_body(part).decode("utf-8", "replace")
            for fields in _blocks(text):  # the per-message block has no Final-Recipient
                recipient = _recipient(fields)
                if recipient is not None:
                    recipients.append(recipient)
        elif (
            found
            and original is None
            and (ctype in ORIGINAL_MESSAGE_TYPES or ctype in ORIGINAL_HEADER_TYPES)
        ):
            original = _original_headers(part)
    if not found:
        return None
    message_id = ""
    original_to = ""
    if original is not None:
        message_id = " ".join(str(original.get("Message-ID", "")).split())
        original_to = str(original.get("To", ""))
    return Dsn(tuple(recipients), message_id, original_to)


def read_message(data: bytes) -> Message:
    """Bytes from the mailbox as an `email` message (modern policy, headers decoded)."""
    return BytesParser(policy=default_policy).parsebytes(data)
