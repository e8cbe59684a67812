"""[auth] in funnel.toml and `funnel serve`'s refusals: every check runs before a server would start."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from dashboard.auth import AuthConfig, AuthError, client_secret, is_loopback, load_auth, redirect_uri, secrets_toml
from dashboard.cli import main

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_SNAPSHOT = ROOT / "data" / "sample" / "2026-10-31"
GOOD = """[auth]
server_metadata_url = "{url}"
client_id = "funnel"
allowed_emails = ["Ana@Example.com"]
allowed_domains = ["sales.example.com"]
"""


@pytest.fixture
def root(tmp_path):
    # a data root whose one snapshot is a symlink to the committed sample's (nothing copied)
    (tmp_path / SAMPLE_SNAPSHOT.name).symlink_to(SAMPLE_SNAPSHOT, target_is_directory=True)
    return tmp_path


@pytest.fixture
def metadata_url():
    """A minimal OpenID provider metadata document served on loopback."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            body = (
                b'{"issuer": "http://x", "authorization_endpoint": "http://x/a", "token_endpoint": "http://x/t", '
                b'"jwks_uri": "http://x/j"}'
            )
            self.send_response(200 if self.path.endswith("openid-configuration") else 404)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/.well-known/openid-configuration"
    server.shutdown()


def write(root: Path, text: str) -> None:
    (root / "funnel.toml").write_text(text, encoding="utf-8")


def test_no_auth_section_means_sign_in_is_not_configured(root):
    assert load_auth(root) is None
    write(root, '[reporting]\ntimezone = "UTC"\n')
    assert load_auth(root) is None


def test_the_allow_list_is_by_address_or_exact_domain(root):
    write(root, GOOD.format(url="https://idp.example.com/.well-known/openid-configuration"))
    config = load_auth(root)
    assert config.allowed_emails == ("ana@example.com",) and config.allowed_domains == ("sales.example.com",)
    assert config.allows("ana@example.com") and config.allows("ANA@example.com")
    assert config.allows("bo@sales.example.com")
    assert not config.allows("bo@example.com")  # the address is listed, not its domain
    assert not config.allows("eve@evil-sales.example.com") and not config.allows("eve@sub.sales.example.com")
    assert not config.allows("sales.example.com") and not config.allows(None) and not config.allows("")


@pytest.mark.parametrize(
    "body,key",
    [
        ('[auth]\nserver_metadata_url = "https://idp.example.com/m"\nallowed_domains = ["example.com"]\n', "client_id"),
        ('[auth]\nclient_id = "x"\nallowed_domains = ["example.com"]\n', "server_metadata_url"),
        (
            '[auth]\nserver_metadata_url = "idp.example.com"\nclient_id = "x"\nallowed_domains = ["example.com"]\n',
            "server_metadata_url",
        ),
        ('[auth]\nserver_metadata_url = "https://i/m"\nclient_id = "x"\n', "allowed_emails / allowed_domains"),
        (
            '[auth]\nserver_metadata_url = "https://i/m"\nclient_id = "x"\nallowed_emails = ["nobody"]\n',
            "allowed_emails",
        ),
        (
            '[auth]\nserver_metadata_url = "https://i/m"\nclient_id = "x"\nallowed_domains = "example.com"\n',
            "allowed_domains",
        ),
        (
            '[auth]\nserver_metadata_url = "https://i/m"\nclient_id = "x"\nallowed_domains = ["example.com"]\n'
            'client_secret = "s3cret"\n',
            "client_secret",
        ),
        (
            '[auth]\nserver_metadata_url = "https://i/m"\nclient_id = "x"\nallowed_domains = ["example.com"]\n'
            'redirect_uri = "https://funnel.example.com/"\n',
            "redirect_uri",
        ),
        (
            '[auth]\nserver_metadata_url = "https://i/m"\nclient_id = "x"\nallowed_domains = ["example.com"]\n'
            'allowed = ["a@b.c"]\n',
            "allowed",
        ),
    ],
)
def test_a_broken_auth_section_names_the_key(root, body, key):
    write(root, body)
    with pytest.raises(AuthError, match=f"\\[auth\\] {key}"):
        load_auth(root)


def test_the_client_secret_comes_from_the_environment_or_streamlit_secrets(root, monkeypatch, tmp_path_factory):
    monkeypatch.setenv("HOME", str(tmp_path_factory.mktemp("home")))
    monkeypatch.chdir(root)
    monkeypatch.delenv("FUNNEL_AUTH_CLIENT_SECRET", raising=False)
    config = AuthConfig("https://i/m", "x", allowed_domains=("example.com",))
    with pytest.raises(AuthError, match="FUNNEL_AUTH_CLIENT_SECRET"):
        client_secret(config, root)
    (root / ".streamlit").mkdir()
    (root / ".streamlit" / "secrets.toml").write_text('[auth]\nclient_secret = "from-file"\n', encoding="utf-8")
    assert client_secret(config, root) == "from-file"
    monkeypatch.setenv("FUNNEL_AUTH_CLIENT_SECRET", "from-env")
    assert client_secret(config, root) == "from-env"


def test_loopback_and_the_redirect_address():
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1") and is_loopback("127.0.0.2")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5") and not is_loopback("funnel.example.com")
    config = AuthConfig("https://i/m", "x", allowed_domains=("example.com",))
    assert redirect_uri(config, "127.0.0.1", 8600) == "http://localhost:8600/oauth2callback"
    with pytest.raises(AuthError, match=r"\[auth\] redirect_uri"):  # a network address: the public name is needed
        redirect_uri(config, "0.0.0.0", 8600)


def test_the_streamlit_secrets_are_valid_toml_with_what_st_login_needs():
    import tomllib

    config = AuthConfig("https://i/m", 'id "quoted"', allowed_domains=("example.com",))
    parsed = tomllib.loads(secrets_toml(config, 'se"cret\\', "http://localhost:1/oauth2callback", "c" * 64))
    assert parsed["auth"] == {
        "redirect_uri": "http://localhost:1/oauth2callback",
        "cookie_secret": "c" * 64,
        "client_id": 'id "quoted"',
        "client_secret": 'se"cret\\',
        "server_metadata_url": "https://i/m",
    }


# -- funnel serve refuses before it starts anything (each case returns instead of serving) ----------------
def test_serve_on_the_network_without_sign_in_refuses(root, capsys):
    assert main(["serve", "--data", str(root), "--host", "0.0.0.0", "--port", "8599"]) == 2
    err = capsys.readouterr().err
    assert "--host 0.0.0.0" in err and "[auth]" in err and "--allow-anonymous" in err and "Traceback" not in err


@pytest.mark.parametrize(
    "body,env,expected",
    [
        (
            '[auth]\nserver_metadata_url = "{url}"\nallowed_domains = ["example.com"]\n',
            "s",
            "[auth] client_id is missing",
        ),
        (GOOD, None, "FUNNEL_AUTH_CLIENT_SECRET"),
        (
            GOOD.replace("{url}", "http://127.0.0.1:9/.well-known/openid-configuration"),
            "s",
            "[auth] server_metadata_url http://127.0.0.1:9/.well-known/openid-configuration: unreachable",
        ),
        (GOOD.replace("{url}", "{url}x"), "s", "answered HTTP 404"),
    ],
)
def test_a_broken_sign_in_stops_serve_naming_the_key(
    root, metadata_url, monkeypatch, capsys, tmp_path_factory, body, env, expected
):
    monkeypatch.setenv("HOME", str(tmp_path_factory.mktemp("home")))  # no ~/.streamlit/secrets.toml
    monkeypatch.chdir(root)
    if env is None:
        monkeypatch.delenv("FUNNEL_AUTH_CLIENT_SECRET", raising=False)
    else:
        monkeypatch.setenv("FUNNEL_AUTH_CLIENT_SECRET", env)
    write(root, body.replace("{url}", metadata_url))
    # also with --allow-anonymous: a broken [auth] never falls back to serving without sign-in
    assert main(["serve", "--data", str(root), "--port", "8599", "--allow-anonymous"]) == 2
    assert expected in capsys.readouterr().err


def test_serve_on_the_network_with_sign_in_needs_the_public_redirect(root, metadata_url, monkeypatch, capsys):
    monkeypatch.setenv("FUNNEL_AUTH_CLIENT_SECRET", "s")
    write(root, GOOD.format(url=metadata_url))
    assert main(["serve", "--data", str(root), "--host", "0.0.0.0", "--port", "8599"]) == 2
    assert "[auth] redirect_uri is missing" in capsys.readouterr().err


def _serve_args(root: Path, host: str, allow_anonymous: bool = False):
    import argparse

    return argparse.Namespace(data=str(root), host=host, port=8599, allow_anonymous=allow_anonymous)


def test_allow_anonymous_is_explicit_and_loopback_needs_nothing(root):
    from dashboard.serve import _sign_in

    assert _sign_in(_serve_args(root, "0.0.0.0", allow_anonymous=True), root) is None
    assert _sign_in(_serve_args(root, "127.0.0.1"), root) is None


def test_serve_hands_streamlit_a_private_secrets_file(root, metadata_url, monkeypatch):
    import stat
    import tomllib

    from dashboard.serve import _remove_secrets, _sign_in, command

    monkeypatch.setenv("FUNNEL_AUTH_CLIENT_SECRET", "the-secret")
    monkeypatch.delenv("FUNNEL_AUTH_COOKIE_SECRET", raising=False)
    write(root, GOOD.format(url=metadata_url))
    path = _sign_in(_serve_args(root, "127.0.0.1"), root)
    try:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(path.parent.stat().st_mode) == 0o700
        auth = tomllib.loads(path.read_text(encoding="utf-8"))["auth"]
        assert auth["client_secret"] == "the-secret" and auth["client_id"] == "funnel"
        assert auth["redirect_uri"] == "http://localhost:8599/oauth2callback" and len(auth["cookie_secret"]) == 64
        assert f"--secrets.files={path}" in command(root, 8599, "127.0.0.1", secrets_file=path)
        assert "the-secret" not in (root / "funnel.toml").read_text(encoding="utf-8")
    finally:
        _remove_secrets(path)
    assert not path.parent.exists()


def test_sharing_the_bundled_sample_points_to_funnel_init(capsys):
    assert main(["serve", "--host", "0.0.0.0", "--port", "8599"]) == 2
    err = capsys.readouterr().err
    assert "bundled sample" in err and "funnel init DIR" in err and "--allow-anonymous" in err
