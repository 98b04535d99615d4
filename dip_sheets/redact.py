"""Secrets are named, never shown: a setting that holds key material is reported by its name.

People paste a service-account JSON into ``credentials`` or key text into ``key_file``; the message
about it, stderr and ``dip.log`` must say which setting is wrong and never repeat what was pasted.
:func:`redact` is the second line of defence for log records and tracebacks, which may quote a
value an error message did not mean to show.
"""

from __future__ import annotations

import re

#: longer than any file name a filesystem accepts (255 bytes per component).
_LONGEST_NAME = 255
_PEM = re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[A-Za-z0-9+/=\s\\]*(?:-----END [A-Z0-9 ]*"
                  r"PRIVATE KEY-----)?")
_JSON_SECRET = re.compile(r"""(["']?(?:private_key(?:_id)?|client_secret|refresh_token|access_token)"""
                          r"""["']?\s*[:=]\s*["']?)[^"',}\s]+""")
_TOKEN = re.compile(r"ya29\.[\w.-]+")
HIDDEN = "[disembunyikan]"


#: signs of key material: PEM/OpenSSH armour, an OAuth token, a line break, or a long run of base64
#: without any path separator
_KEY_TEXT = re.compile(r"-----BEGIN|PRIVATE KEY|ya29\.|[\r\n]|[A-Za-z0-9+=]{40,}")


def looks_secret(text: str) -> bool:
    """True when ``text`` cannot be a file name or setting but looks like key material or JSON.

    The one test used wherever a value might be shown: config refusals, SFTP and Sheets key settings,
    error messages and the log.
    """
    return (
        bool(_KEY_TEXT.search(text))
        or text.lstrip().startswith(("{", "["))
        or ("{" in text and ":" in text)
        or any(len(part.encode()) > _LONGEST_NAME for part in text.split("/"))
    )


def shown(text: str) -> str:
    """``text`` itself, or a placeholder when it looks like a secret."""
    return HIDDEN if looks_secret(text) else text


def redact(text: str) -> str:
    """``text`` with private keys, key fields of a JSON key file and OAuth tokens replaced."""
    text = _PEM.sub(HIDDEN, text)
    text = _JSON_SECRET.sub(lambda m: m[1] + HIDDEN, text)
    return _TOKEN.sub(HIDDEN, text)
