"""The whole HTTP API fuzzed from its own OpenAPI document (schemathesis).

Every operation in ``/openapi.json`` gets generated requests, schema-valid
and not, sent to the real app on a real SQLite database with an admin key.
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

CHECKS = (not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance)


@pytest.fixture()
def api_schema(app):
    return schemathesis.openapi.from_wsgi("/openapi.json", app)


@pytest.fixture()
def admin_headers(app):
    from service.storage.db import session_scope
    from service.storage.keys import create_key

    with session_scope(app.extensions["pagesieve"].database_url) as session:
        return {"Authorization": f"Bearer {create_key(session, 'admin', 'fuzz')}"}


def _cases() -> list[tuple[str, str, GenerationMode]]:
    """Every operation with schema-valid requests; those with inputs also with schema-violating ones."""
    from service.openapi import openapi_document

    cases = []
    for path, operations in openapi_document()["paths"].items():
        for method, operation in operations.items():
            cases.append((path, method, GenerationMode.POSITIVE))
            if operation.get("parameters") or operation.get("requestBody"):
                cases.append((path, method, GenerationMode.NEGATIVE))
    return cases


@pytest.mark.parametrize("path, method, mode", _cases())
def test_generated_requests_get_documented_answers_and_never_a_5xx(api_schema, admin_headers, path, method, mode):
    """Schema-valid requests (positive) and schema-violating ones (negative) for one operation."""
    operation = api_schema[path][method]

    @settings(max_examples=15, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(mode))
    def call(case):
        response = case.call(headers=admin_headers)
        case.validate_response(response, checks=CHECKS)

    call()
