"""Sign-in end to end: `funnel serve` with [auth] against a real OpenID Connect provider on loopback
(oidc-provider-mock), driven in headless Chromium.

anonymous -> the sign-in page, and no figure or snapshot name anywhere in the page; an allowed user ->
the numbers, and the Data page says who is signed in; a user outside the allow-list -> refused, no numbers.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from serving import CHROMIUM, chromium, chromium_available, serving

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample"
METRIC = '[data-testid="stMetricValue"]'
SHOTS = ROOT / "screenshots"  # gitignored: what each case looked like


def shot(page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"auth-{name}.png"))


@pytest.fixture(scope="module")
def provider():
    mock = pytest.importorskip("oidc_provider_mock", reason="oidc-provider-mock is in the [test] extra")
    with mock.run_server_in_thread() as server:
        yield f"http://localhost:{server.server_port}"


@pytest.fixture(scope="module")
def dashboard(provider, tmp_path_factory):
    if not chromium_available():
        pytest.skip(f"needs playwright and Chromium at {CHROMIUM}")
    root = tmp_path_factory.mktemp("signed")
    for snapshot in SAMPLE.glob("*/snapshot.json"):
        shutil.copytree(snapshot.parent, root / snapshot.parent.name)
    (root / "funnel.toml").write_text(
        (SAMPLE / "funnel.toml").read_text(encoding="utf-8")
        + f"""
[auth]
server_metadata_url = "{provider}/.well-known/openid-configuration"
client_id = "shared-funnel-test"
allowed_emails = ["ana@example.com"]
allowed_domains = ["sales.example.com"]
""",
        encoding="utf-8",
    )
    # the mock accepts any secret; what matters is that serve finds one where the README says
    env = {**os.environ, "FUNNEL_AUTH_CLIENT_SECRET": "test-secret", "HOME": str(root)}
    # localhost, not 127.0.0.1: the default redirect_uri (and so the sign-in cookie) is localhost's
    with serving(["--data", str(root)], cwd=ROOT, env=env, host="localhost") as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


def _sign_in(page, dashboard, email):
    page.goto(dashboard + "/")
    page.get_by_role("button", name="Sign in").click(timeout=60_000)
    page.wait_for_url("**/oauth2/authorize**", timeout=30_000)  # the provider's own page
    page.fill('input[name="sub"]', email)  # the mock's user: sub = the e-mail address
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(dashboard + "/**", timeout=30_000)


def test_anonymous_gets_the_sign_in_page_and_no_data(browser, dashboard):
    page = browser.new_page()
    page.goto(dashboard + "/data")
    page.get_by_role("button", name="Sign in").wait_for(timeout=60_000)
    page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached", timeout=30_000)
    html = page.content()
    assert "Sign in with your company account" in html
    shot(page, "anonymous")
    assert page.locator(METRIC).count() == 0
    # no snapshot, no figure, no lead: the script stopped before the sidebar and the page ran
    for leaked in ("2026-10-31", "2026-09-30", "Data as of", "Snapshots", "Glossary"):
        assert leaked not in html, leaked
    page.close()


def test_an_allowed_user_sees_the_numbers_and_who_is_signed_in(browser, dashboard):
    context = browser.new_context()
    page = context.new_page()
    _sign_in(page, dashboard, "ana@example.com")
    page.wait_for_selector(METRIC, timeout=60_000)
    assert page.locator(METRIC).count() >= 4
    sidebar = page.locator('[data-testid="stSidebar"]')
    assert "Signed in as ana@example.com" in sidebar.inner_text()
    assert sidebar.get_by_role("button", name="Sign out").count() == 1
    page.goto(dashboard + "/data")
    page.get_by_text("Signed in as ana@example.com.").wait_for(timeout=60_000)
    page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached", timeout=30_000)
    shot(page, "data-page")
    context.close()


def test_a_domain_on_the_list_lets_its_people_in(browser, dashboard):
    context = browser.new_context()
    page = context.new_page()
    _sign_in(page, dashboard, "bo@sales.example.com")
    page.wait_for_selector(METRIC, timeout=60_000)
    context.close()


def test_a_user_outside_the_allow_list_is_refused(browser, dashboard):
    context = browser.new_context()
    page = context.new_page()
    _sign_in(page, dashboard, "eve@evil-example.com")
    page.get_by_text("Not on this dashboard's list").wait_for(timeout=60_000)
    page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached", timeout=30_000)
    html = page.content()
    shot(page, "refused")
    assert "eve@evil-example.com" in page.locator('[data-testid="stMain"]').inner_text(), page.locator(
        "body"
    ).inner_text()
    assert page.locator(METRIC).count() == 0
    for leaked in ("2026-10-31", "Data as of"):
        assert leaked not in html, leaked
    # signing out also ends the session at the provider (its end-session page), then comes back signed out
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("button", name="End session").click(timeout=30_000)
    page.wait_for_url(dashboard + "/**", timeout=30_000)
    page.goto(dashboard + "/")
    page.get_by_role("button", name="Sign in").wait_for(timeout=60_000)
    context.close()
