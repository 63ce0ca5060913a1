"""The whole HTTP API fuzzed from its own OpenAPI document (schemathesis).

Every operation in ``/openapi.json`` gets generated requests, schema-valid
and not, sent to the real app with an admin key, on SQLite and on PostgreSQL.
Whatever arrives, the answer must not be a 5xx, its status must be one the
document lists for the operation, and its JSON body must match the
documented schema; a schema-violating request must be refused (a 4xx),
so the document states exactly what the service takes, leniencies
included (null or an empty query value counts as absent). This is what
found the 500s on ids past the database column's range
(``/v1/review/items/2147483648``), the 405s without an ``Allow`` header,
and a campaign decision that ignored malformed ``labels`` instead of
refusing them.

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
    negative_data_rejection,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.config import SchemathesisConfig
from schemathesis.core.parameters import ParameterLocation

from service.storage.db import migrate
from tests.review.conftest import key_headers, make_app, make_db_url

CHECKS = (not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          negative_data_rejection)
# What counts as refusing a schema-violating request: schemathesis's list, and 413 (a batch over its maxItems).
REFUSALS = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429", "5XX"]
CONFIG = SchemathesisConfig.from_dict({"checks": {"negative_data_rejection": {"expected-statuses": REFUSALS}}})
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
    operation = schemathesis.openapi.from_wsgi("/openapi.json", app, config=CONFIG)[path][method]

    @settings(max_examples=15, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(mode))
    def call(case):
        response = case.call(headers=headers)
        # the key replaces the headers schemathesis made: a request negated only there (a missing Authorization) is
        # a valid one by the time it is sent, so it is not held to the refusal check
        negated_headers = case.meta is not None and case.meta.is_negative_at(ParameterLocation.HEADER)
        case.validate_response(response, checks=CHECKS[:-1] if negated_headers else CHECKS)

    try:
        call()
    finally:
        app.extensions["pagesieve_review"].close()
