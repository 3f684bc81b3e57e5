"""Checks of our own for scripts/schemathesis.sh: ZStack answers a failed API with 503, so the
stock "server error" check does not fit; these fail on any HTTP 500 and on any error answer that
is not ZStack's error body."""

import json

import schemathesis


@schemathesis.check
def no_http_500(ctx, response, case):
    if response.status_code == 500:
        raise AssertionError(f"HTTP 500 from {case.method} {case.formatted_path}")


@schemathesis.check
def zstack_error_body(ctx, response, case):
    if response.status_code < 400 or case.method.upper() == "HEAD":
        return None
    try:
        body = json.loads(response.content or b"")
    except ValueError:
        raise AssertionError(f"HTTP {response.status_code} without a JSON error body")
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict) or not isinstance(error.get("code"), str) or not isinstance(
        error.get("description"), str
    ):
        raise AssertionError(f"HTTP {response.status_code} with a malformed error body: {body!r}")
    return None
