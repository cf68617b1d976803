"""API fuzzing with schemathesis from the project's own OpenAPI document, over real HTTP on a
copy of the demo database, as the admin: for every operation a bounded number of valid and of
invalid requests, the same ones every run (derandomized); no answer may be a server error
(5xx) nor break the response schema the document declares."""

from __future__ import annotations

import json
import urllib.request

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import response_schema_conformance
from schemathesis.core.failures import FailureGroup

from dispatch.cli import DEMO_PASSWORD
from tests.e2e.conftest import serving

EXAMPLES_PER_OPERATION = 4


@pytest.fixture(scope="module")
def fuzzed_server(demo_template, make_database):
    with serving(make_database(template=demo_template)) as url:
        request = urllib.request.Request(
            f"{url}/api/v1/auth/token",
            data=json.dumps({"username": "admin", "password": DEMO_PASSWORD}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            token = json.loads(response.read())["token"]
        yield url, token


def test_no_request_the_document_allows_or_nearly_allows_gets_a_server_error(fuzzed_server):
    url, token = fuzzed_server
    schema = schemathesis.openapi.from_url(f"{url}/api/v1/openapi.json")
    failures: list[str] = []
    tried = 0

    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=EXAMPLES_PER_OPERATION,
                derandomize=True,  # the same examples every run
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
                phases=[Phase.generate],
            )
            def fuzz(case):
                nonlocal tried
                tried += 1
                response = case.call(
                    base_url=url,  # the paths carry /api/v1
                    headers={"Authorization": f"Bearer {token}"},
                    timeout=30,
                )
                said = f"{case.method} {case.formatted_path} -> {response.status_code}"
                if response.status_code >= 500:
                    failures.append(f"{said}: {response.text[:200]}")
                try:  # and what it answers is what the document says it answers
                    case.validate_response(response, checks=[response_schema_conformance])
                except FailureGroup as exc:
                    failures.append(f"{said} breaks its schema: {str(exc)[:300]}")

            fuzz()

    assert tried >= 40 * EXAMPLES_PER_OPERATION  # every operation was tried
    assert failures == []
