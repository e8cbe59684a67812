"""The dashboard's sign-in gate (dashboard/app_auth.py) in Streamlit's AppTest: no number before it lets
someone in. Signing in for real, against an OpenID provider, is tests/test_auth_e2e.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "dashboard" / "app.py"
SNAPSHOT = ROOT / "data" / "sample" / "2026-10-31"
AUTH = """[auth]
server_metadata_url = "https://idp.example.com/.well-known/openid-configuration"
client_id = "funnel"
allowed_domains = ["example.com"]
"""


@pytest.fixture
def root(tmp_path, monkeypatch):
    (tmp_path / SNAPSHOT.name).symlink_to(SNAPSHOT, target_is_directory=True)
    monkeypatch.setenv("FUNNEL_DATA", str(tmp_path))
    monkeypatch.delenv("FUNNEL_AUTH_REQUIRED", raising=False)
    return tmp_path


def run() -> AppTest:
    return AppTest.from_file(str(APP), default_timeout=120).run()


def shows_no_data(at: AppTest) -> None:
    assert not at.metric and not at.sidebar.selectbox and not at.exception


def test_not_signed_in_sees_only_the_sign_in_page(root):
    (root / "funnel.toml").write_text(AUTH, encoding="utf-8")
    at = run()
    shows_no_data(at)
    assert [b.label for b in at.button] == ["Sign in"]


def test_a_broken_auth_section_keeps_the_dashboard_closed(root):
    (root / "funnel.toml").write_text(AUTH.replace('client_id = "funnel"\n', ""), encoding="utf-8")
    at = run()
    shows_no_data(at)
    assert "[auth] client_id is missing" in at.error[0].value


def test_started_with_sign_in_and_auth_removed_stays_closed(root, monkeypatch):
    monkeypatch.setenv("FUNNEL_AUTH_REQUIRED", "1")
    at = run()
    shows_no_data(at)
    assert "stays closed" in at.error[0].value


def test_without_auth_the_dashboard_is_open(root):
    at = run()
    assert at.metric and not at.exception
