"""Client errors: every bad input becomes a 4xx JSON body that says what to fix."""

from __future__ import annotations


class ApiError(Exception):
    """An error the client can fix; rendered as ``{"error": {"code", "message", "field"?}}``."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None):
        super().__init__(message)
        self.status, self.code = status, code
        self.message, self.field = printable(message), (printable(field) if field is not None else None)

    def to_json(self) -> dict:
        body = {"code": self.code, "message": self.message}
        if self.field:
            body["field"] = self.field
        return {"error": body}


class DatabaseUnreachable(RuntimeError):
    """A command-line verb could not reach the configured database; the message names it without its password."""


def printable(text: str) -> str:
    """``text`` as valid UTF-8: client input echoed in an error may hold lone surrogates (``\\ud800``)."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


LOG_VALUE_CHARS = 200  # the most of one client-sent value a log line holds


def loggable(value) -> str:
    """A client-sent value (page id, URL, name, header) for a log line: quoted, with every character that is not
    printable escaped (a newline as ``\\n``, ESC as ``\\x1b``, U+2028 as ``\\u2028``), so it cannot start a forged
    line or recolour a terminal, and cut to ``LOG_VALUE_CHARS`` characters."""
    text = printable(str(value))
    if len(text) > LOG_VALUE_CHARS:
        text = text[:LOG_VALUE_CHARS] + "..."
    return repr(text)


def json_integer(value) -> int | None:
    """``value`` as an int when JSON Schema calls it an integer (``5`` or ``5.0``; not ``true``, not ``5.5``), else
    None: a client whose JSON library writes every number as a float still sends integers."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None
