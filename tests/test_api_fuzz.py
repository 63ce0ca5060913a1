"""The whole HTTP API fuzzed from its own OpenAPI document (schemathesis).

Every operation in ``/openapi.json`` gets generated requests, schema-valid
and not, sent to the real app with an admin key, on SQLite and on PostgreSQL.
Whatever arrives, the answer must not be a 5xx, its status must be one the
document lists for the operation, and its JSON body must match the
documented schema. This is what found the 500s on ids past the database
column's range (``/v1/review/items/2147483648``) and the 405s without an
``Allow`` header.

The generation is derandomised, so a run is repeatable; the deterministic
regressions for what it found live beside the endpoints' own tests.
"""

from __future__ import annotations

import pytest
import schemathesis
from schemathesis import GenerationMode
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from service.storage.db import migrate
from tests.review.conftest import key_headers, make_app, make_db_url

CHECKS = (not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance)
# The operations that read or write the review database run on PostgreSQL too: its integer limits are not SQLite's.
DATABASE_PATHS = ("/v1/review/", "/v1/feedback")


def _cases() -> list:
    """Every operation with schema-valid requests; those with inputs also with schema-violating ones."""
    from service.openapi import openapi_document

    cases = []
    for path, operations in openapi_document()["paths"].items():
        kinds = ("sqlite", "postgresql") if path.startswith(DATABASE_PATHS) else ("sqlite",)
        for method, operation in operations.items():
            modes = [GenerationMode.POSITIVE]
            if operation.get("parameters") or operation.get("requestBody"):
                modes.append(GenerationMode.NEGATIVE)
            cases += [pytest.param(path, method, mode, kind, id=f"{method} {path} {mode.value} {kind}")
                      for mode in modes for kind in kinds]
    return cases


@pytest.fixture()
def database(request, tmp_path, pg_reason):
    url, drop = make_db_url(request.param, tmp_path, pg_reason)
    migrate(url)
    yield url
    drop()


@pytest.mark.parametrize("path, method, mode, database", _cases(), indirect=["database"])
def test_generated_requests_get_documented_answers_and_never_a_5xx(database, tmp_path, loaded_model, path, method,
                                                                   mode):
    """Schema-valid requests (positive) or schema-violating ones (negative) for one operation."""
    app = make_app(database, tmp_path, loaded_model)
    headers = key_headers(database, "admin", "fuzz")
    operation = schemathesis.openapi.from_wsgi("/openapi.json", app)[path][method]

    @settings(max_examples=15, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(mode))
    def call(case):
        response = case.call(headers=headers)
        case.validate_response(response, checks=CHECKS)

    try:
        call()
    finally:
        app.extensions["pagesieve_review"].close()
