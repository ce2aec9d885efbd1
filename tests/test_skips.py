"""What may skip: under CI a PostgreSQL test fails instead; a `charts` test says what to install.

Each rule runs in a small pytest session of its own (pytester) with this suite's hooks.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import tests.conftest

# The inner sessions run inside this one: pytest-playwright's per-test assertion scope
# cannot nest, so it stays out of them (they drive no browser).
NO_BROWSER = ("-p", "no:playwright")
HOOKS = "from tests.conftest import pytest_collection_modifyitems, pytest_runtest_makereport\n"
SAMPLE = """
import pytest

def test_on_postgres():
    pytest.skip("PostgreSQL: set TROLYSO_TEST_POSTGRES_URL or run `make test`")

def test_elsewhere():
    pytest.skip("../shared is not beside the checkout")

@pytest.mark.charts
def test_chart():
    pass

@pytest.mark.xfail(reason="known", strict=True)
def test_known():
    assert False
"""


@pytest.fixture
def sample(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeconftest(HOOKS)
    pytester.makeini(
        "[pytest]\nasyncio_default_fixture_loop_scope = function\n"
        "markers =\n    charts: needs matplotlib\n"
    )
    pytester.makepyfile(test_sample=SAMPLE)
    return pytester


@pytest.mark.parametrize("value", ["true", "1", "True"])
def test_under_ci_a_skipped_postgresql_test_fails(
    sample: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("CI", value)
    result = sample.runpytest_inprocess("-rfs", *NO_BROWSER)
    result.assert_outcomes(passed=1, failed=1, skipped=1, xfailed=1)
    result.stdout.fnmatch_lines(
        ["*CI=true: PostgreSQL tests must run, not skip (Skipped: PostgreSQL: set TROLY*"]
    )
    assert "FAILED test_sample.py::test_on_postgres" in result.stdout.str()


def test_outside_ci_it_skips_with_its_message(
    sample: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CI", raising=False)
    result = sample.runpytest_inprocess("-rs", *NO_BROWSER)
    result.assert_outcomes(passed=1, skipped=2, xfailed=1)
    result.stdout.fnmatch_lines(["SKIPPED*PostgreSQL: set TROLYSO_TEST_POSTGRES_URL*"])


def test_without_matplotlib_a_charts_test_says_what_to_install(
    sample: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setattr(tests.conftest, "charts_installed", lambda: False)
    result = sample.runpytest_inprocess("-rs", *NO_BROWSER)
    result.assert_outcomes(skipped=3, xfailed=1)
    result.stdout.fnmatch_lines(["SKIPPED*the charts extra is not installed*.[[]charts[]]*"])


def test_ci_run_sets_ci() -> None:
    """The CI entry point says it is CI, so the rule above applies there."""
    script = (Path(__file__).parents[1] / ".ci" / "run").read_text(encoding="utf-8")
    assert "\nexport CI=true\n" in script
