"""schemathesis hooks: generators for the formats the API document names but JSON Schema
cannot check, so that schema-valid requests are the ones the server accepts."""

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
