"""Sign-in for a shared dashboard: the `[auth]` section of funnel.toml, checked before anything is served.

The dashboard signs people in with Streamlit's own authentication (`st.login`, OpenID Connect through
Authlib), so the company's identity provider (Google Workspace, Microsoft Entra, Okta, ...) decides who
someone is, and the allow-list here decides who may see the numbers:

    [auth]
    server_metadata_url = "https://accounts.google.com/.well-known/openid-configuration"
    client_id = "1234567890-abc.apps.googleusercontent.com"
    client_secret_env = "FUNNEL_AUTH_CLIENT_SECRET"   # the default: the variable holding the secret
    redirect_uri = "https://funnel.example.com/oauth2callback"
    allowed_emails = ["cfo@example.org"]
    allowed_domains = ["example.com"]

The client secret is never read from funnel.toml (the file sits beside the data and is shared): it comes
from the environment variable named by client_secret_env, else from `client_secret` under `[auth]` in a
Streamlit secrets file. `funnel serve` turns all of it into the secrets file Streamlit reads, private to
the server process. Nothing here imports Streamlit; dashboard/app_auth.py is the dashboard's side.
"""

from __future__ import annotations

import ipaddress
import json
import os
import secrets
import tempfile
import tomllib
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from dashboard.errors import FunnelError

DEFAULT_SECRET_ENV = "FUNNEL_AUTH_CLIENT_SECRET"
COOKIE_SECRET_ENV = "FUNNEL_AUTH_COOKIE_SECRET"
# set by `funnel serve` for its server when it started with sign-in: the dashboard then refuses to go on
# without [auth] (someone deleting the section while it runs must not open it to everyone)
REQUIRED_ENV = "FUNNEL_AUTH_REQUIRED"
KEYS = ("server_metadata_url", "client_id", "client_secret_env", "redirect_uri", "allowed_emails", "allowed_domains")
METADATA_TIMEOUT_SECONDS = 10


class AuthError(FunnelError):
    """A broken [auth] section, a missing client secret or an unreachable provider: the message names the key."""


@dataclass(frozen=True)
class AuthConfig:
    server_metadata_url: str
    client_id: str
    allowed_emails: tuple[str, ...] = ()
    allowed_domains: tuple[str, ...] = ()
    client_secret_env: str = DEFAULT_SECRET_ENV
    redirect_uri: str | None = None
    source: str = "funnel.toml"  # where it was read from, for messages

    def allows(self, email: str | None) -> bool:
        """On the allow-list: the address itself, or an address at one of the domains (case-insensitive;
        a domain matches exactly, so example.com does not let in evil-example.com or a.example.com)."""
        if not email or "@" not in email:
            return False
        email = email.strip().lower()
        return email in self.allowed_emails or email.rsplit("@", 1)[1] in self.allowed_domains


def load_auth(data_root: Path) -> AuthConfig | None:
    """The [auth] section of `<data_root>/funnel.toml`; None when there is none (sign-in not configured)."""
    path = Path(data_root) / "funnel.toml"
    if not path.is_file():
        return None
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise AuthError(f"{path}: not valid TOML ({exc})") from None
    if "auth" not in doc:
        return None
    section = doc["auth"]
    where = f"{path}: [auth]"
    if not isinstance(section, dict):
        raise AuthError(f"{where} must be a table")
    if "client_secret" in section:
        raise AuthError(
            f"{where} client_secret: the secret never goes in funnel.toml (it is shared with the "
            f"data); set the environment variable {section.get('client_secret_env', DEFAULT_SECRET_ENV)} "
            f"or put client_secret under [auth] in .streamlit/secrets.toml, and remove it here"
        )
    unknown = sorted(set(section) - set(KEYS))
    if unknown:
        raise AuthError(f"{where} {unknown[0]}: unknown key (known: {', '.join(KEYS)})")

    def text(key: str, required: bool) -> str | None:
        value = section.get(key)
        if value is None:
            if required:
                raise AuthError(f"{where} {key} is missing (sign-in needs it; see the README, 'Sharing the dashboard')")
            return None
        if not isinstance(value, str) or not value.strip():
            raise AuthError(f"{where} {key} must be a non-empty string, not {value!r}")
        return value.strip()

    def url(key: str, required: bool, path_end: str | None = None) -> str | None:
        value = text(key, required)
        if value is None:
            return None
        parsed = urlparse(value)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise AuthError(f"{where} {key} must be an http(s) URL, not {value!r}")
        if path_end and not parsed.path.endswith(path_end):
            raise AuthError(f"{where} {key} must end with {path_end} (Streamlit's sign-in callback), not {value!r}")
        return value

    def names(key: str) -> tuple[str, ...]:
        value = section.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise AuthError(f"{where} {key} must be a list of strings, not {value!r}")
        return tuple(v.strip().lower() for v in value)

    emails, domains = names("allowed_emails"), names("allowed_domains")
    for email in emails:
        if email.count("@") != 1 or not all(email.split("@")):
            raise AuthError(f"{where} allowed_emails: {email!r} is not an e-mail address")
    domains = tuple(d.lstrip("@") for d in domains)
    for domain in domains:
        if "@" in domain or "." not in domain:
            raise AuthError(f"{where} allowed_domains: {domain!r} is not a domain (like example.com)")
    if not emails and not domains:
        raise AuthError(
            f"{where} allowed_emails / allowed_domains: both empty, so nobody could see the numbers; "
            f"list the people's addresses or the company's domain"
        )
    secret_env = text("client_secret_env", False) or DEFAULT_SECRET_ENV
    return AuthConfig(
        server_metadata_url=url("server_metadata_url", True),
        client_id=text("client_id", True),
        allowed_emails=emails,
        allowed_domains=domains,
        client_secret_env=secret_env,
        redirect_uri=url("redirect_uri", False, "/oauth2callback"),
        source=str(path),
    )


def streamlit_secret_files(data_root: Path) -> list[Path]:
    """Where a client secret may be kept in Streamlit's own format: the data root's .streamlit/secrets.toml,
    then Streamlit's usual places (the current folder's, the user's)."""
    return [
        Path(data_root) / ".streamlit" / "secrets.toml",
        Path.cwd() / ".streamlit" / "secrets.toml",
        Path.home() / ".streamlit" / "secrets.toml",
    ]


def _from_secret_files(data_root: Path, key: str) -> str | None:
    for path in streamlit_secret_files(data_root):
        if not path.is_file():
            continue
        try:
            value = tomllib.loads(path.read_text(encoding="utf-8")).get("auth", {}).get(key)
        except (tomllib.TOMLDecodeError, UnicodeDecodeError, AttributeError) as exc:
            raise AuthError(f"{path}: not valid TOML ({exc})") from None
        if isinstance(value, str) and value:
            return value
    return None


def client_secret(config: AuthConfig, data_root: Path) -> str:
    """The OIDC client secret: the environment variable, else a Streamlit secrets file; AuthError if neither."""
    value = os.environ.get(config.client_secret_env) or _from_secret_files(data_root, "client_secret")
    if not value:
        where = " or ".join(str(p) for p in streamlit_secret_files(data_root)[:2])
        raise AuthError(
            f"[auth] client secret is missing: set the environment variable {config.client_secret_env} "
            f"(named by [auth] client_secret_env), or put client_secret under [auth] in {where}"
        )
    return value


def cookie_secret(data_root: Path) -> str:
    """The key that signs the sign-in cookie: FUNNEL_AUTH_COOKIE_SECRET or the secrets file's, else a new
    random one per `funnel serve` (everyone signs in again after a restart)."""
    return os.environ.get(COOKIE_SECRET_ENV) or _from_secret_files(data_root, "cookie_secret") or secrets.token_hex(32)


def check_provider(config: AuthConfig, timeout: float = METADATA_TIMEOUT_SECONDS) -> dict:
    """Fetch the provider's OpenID metadata now, so an unreachable or wrong URL stops `funnel serve` with a
    message instead of failing at the first sign-in."""
    key = f"[auth] server_metadata_url {config.server_metadata_url}"
    try:
        with urllib.request.urlopen(config.server_metadata_url, timeout=timeout) as response:
            body = response.read(1 << 20)
    except urllib.error.HTTPError as exc:
        raise AuthError(f"{key}: the provider answered HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise AuthError(f"{key}: unreachable ({reason})") from None
    try:
        metadata = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise AuthError(f"{key}: not OpenID Connect metadata (not JSON)") from None
    missing = [
        k
        for k in ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri")
        if not isinstance(metadata, dict) or k not in metadata
    ]
    if missing:
        raise AuthError(f"{key}: not OpenID Connect metadata (no {', '.join(missing)})")
    return metadata


def is_loopback(host: str) -> bool:
    """127.0.0.1, ::1, localhost: only this machine can connect."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def redirect_uri(config: AuthConfig, host: str, port: int) -> str:
    """Where the provider sends the browser back: [auth] redirect_uri, else this machine's address (only
    for a loopback host; on a network the dashboard's public address cannot be guessed)."""
    if config.redirect_uri:
        return config.redirect_uri
    if not is_loopback(host):
        raise AuthError(
            f"{config.source}: [auth] redirect_uri is missing: with --host {host} give the address "
            f'people open, e.g. redirect_uri = "https://funnel.example.com/oauth2callback", and '
            f"register it with the provider"
        )
    return f"http://localhost:{port}/oauth2callback"


def secrets_toml(config: AuthConfig, secret: str, redirect: str, cookie: str) -> str:
    """The [auth] section in Streamlit's secrets format (strings written as TOML basic strings)."""
    values = {
        "redirect_uri": redirect,
        "cookie_secret": cookie,
        "client_id": config.client_id,
        "client_secret": secret,
        "server_metadata_url": config.server_metadata_url,
    }
    # json.dumps of a str is a valid TOML basic string (the same escapes)
    return "[auth]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in values.items())


def write_secrets(config: AuthConfig, secret: str, redirect: str, cookie: str) -> Path:
    """A secrets.toml only this user can read, in a new private folder; the caller removes the folder."""
    folder = Path(tempfile.mkdtemp(prefix="funnel-auth-"))  # mode 0700
    path = folder / "secrets.toml"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(secrets_toml(config, secret, redirect, cookie))
    return path
