"""Text that came from a submission, made safe to write: a `str` of valid UTF-8, of bounded length.

Student-controlled text (exception messages, dictionary keys, class names, file names read with
surrogates) reaches the gradebook, results.json and the HTML pages. A lone surrogate cannot be
encoded as UTF-8 and would abort the write; anything that is not a string has no place there.
"""


def safe_text(value, limit=2000):
    """`value` as a str that encodes to UTF-8 (lone surrogates and other unencodable characters as
    backslash escapes), cut to `limit` characters. Not-strings become their type name in brackets:
    their own str() could run code, and a record's fields are strings or nothing."""
    if not isinstance(value, str):
        if value is None or isinstance(value, (bool, int, float)):
            value = repr(value)
        else:
            return f"<{type(value).__name__}>"
    if len(value) > 4 * limit:
        value = value[:4 * limit]
    text = value.encode("utf-8", "backslashreplace").decode("utf-8")
    return text if len(text) <= limit else text[:limit - 1] + "…"


def safe_lines(values, limit=2000, count=50):
    """A list of safe_text strings from whatever `values` is (not a list: nothing)."""
    if not isinstance(values, list):
        return []
    return [safe_text(v, limit) for v in values[:count]]

