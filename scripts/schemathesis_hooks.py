"""schemathesis hooks: generators for the formats the API document names but JSON Schema
cannot check, so that schema-valid requests are the ones the server accepts."""

import base64

import schemathesis
from hypothesis import strategies as st

# GB 32100-2015 统一社会信用代码: 31 characters, weights 3^i mod 31, check = 31 - sum mod 31.
CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = [pow(3, i, 31) for i in range(17)]


def with_check(body: str) -> str:
    total = sum(CHARSET.index(c) * w for c, w in zip(body, WEIGHTS))
    return body + CHARSET[(31 - total % 31) % 31]


credit_codes = st.builds(
    lambda head, division, tail: with_check(head + division + tail),
    st.text(CHARSET, min_size=2, max_size=2),
    st.text("0123456789", min_size=6, max_size=6),
    st.text(CHARSET, min_size=9, max_size=9),
)

schemathesis.openapi.format("gb32100", credit_codes)

# An attachment's content: a file the platform recognises by its first bytes (PDF, PNG).
FILES = [b"%PDF-1.7\n%schemathesis\n", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"]
schemathesis.openapi.format(
    "attachment-base64",
    st.sampled_from([base64.b64encode(f).decode("ascii") for f in FILES]),
)


# The three constraints across fields that the rules' input schemas state in words (each
# schema's description) because JSON Schema cannot: requests that break them are refused with
# 422 by design, so the generator does not count them as schema-valid.
def _number(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _items(x):
    """The list a body's field holds, or none when it holds something else."""
    return x if isinstance(x, list) else []


@schemathesis.hook("filter_body")
def cross_field_constraints(context, body):
    path = context.operation.path if context.operation is not None else ""
    if not isinstance(body, dict):
        return True
    if path.endswith("/rules/apprenticeship/evaluate"):
        a, t = body.get("apprentice_posts"), body.get("total_posts")
        return not (_number(a) and _number(t) and a > t)
    if path.endswith("/rules/tax_credit/evaluate"):
        years = [y.get("year") for y in _items(body.get("years")) if isinstance(y, dict)]
        ints = [y for y in years if _number(y)]
        return all(a < b for a, b in zip(ints, ints[1:]))
    if path.endswith("/rules/pilot_city/evaluate"):
        districts = [
            c.get("district") for c in _items(body.get("candidates")) if isinstance(c, dict)
        ]
        return len(districts) == len(set(map(str, districts)))
    return True
