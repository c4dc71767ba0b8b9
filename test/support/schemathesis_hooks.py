# Schemathesis hooks for test/api/fuzz.test.ts (loaded through SCHEMATHESIS_HOOKS).
#
# The fuzzer may revoke any token and deactivate any person it learns of (the stateful phase links
# GET /api/tokens and GET /api/people to DELETE /api/tokens/{id} and POST /api/people/{id}/deactivate),
# including the token it authenticates with or its person; after that every request is a 401 and the
# rest of the run tests nothing. Doing so to the run's own tokens and people (ids, prefixes, logins in
# ORDER_HUB_FUZZ_PROTECTED) is turned into doing it to one that does not exist (a documented 404);
# every other token and person may be revoked or deactivated.
import os

import schemathesis

PROTECTED = {v.lower() for v in os.environ.get("ORDER_HUB_FUZZ_PROTECTED", "").split(",") if v}
UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"
GUARDED = {("DELETE", "/api/tokens/{id}"), ("POST", "/api/people/{id}/deactivate")}


@schemathesis.hook
def before_call(context, case, kwargs):
    if (case.method.upper(), case.operation.path) not in GUARDED:
        return
    ref = (case.path_parameters or {}).get("id")
    if isinstance(ref, str) and ref.strip().lower() in PROTECTED:
        case.path_parameters["id"] = UNKNOWN_ID


# Hypothesis describes the lambdas in a strategy by parsing their source file with `ast`; on CPython
# 3.11.7 that parse can raise SystemError("AST constructor recursion depth mismatch", CPython
# gh-106905) when it happens deep in a draw, and Schemathesis reports the operation as a runtime error
# (or a "flaky" one) instead of testing it. The description is only for messages: fall back to none.
from hypothesis.internal import lambda_sources as _lambda_sources  # noqa: E402

_describe_lambda = _lambda_sources._lambda_description


def _lambda_description_or_unknown(f, *args, **kwargs):
    try:
        return _describe_lambda(f, *args, **kwargs)
    except SystemError:
        return "lambda: <unknown>"


_lambda_sources._lambda_description = _lambda_description_or_unknown
