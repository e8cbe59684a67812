"""`funnel init DIR`: a commented funnel.toml with every policy key at its default; never overwrites."""

from __future__ import annotations

import dataclasses
import tomllib

from dashboard.auth import load_auth
from dashboard.cli import main
from dashboard.policy import _KEYS, Policy, load_policy

# the keys data-contract.md added later ("The SLA clock", "Fiscal calendar"), with their defaults; the
# optional ones (no default value) are shown commented out
LATER_KEYS = {
    ("sla", "clock"): "calendar",
    ("calendar", "workdays"): ["Mon", "Tue", "Wed", "Thu", "Fri"],
    ("calendar", "hours"): ["09:00", "17:00"],
    ("calendar", "extra_holidays"): [],
    ("reporting", "fiscal_year_start_month"): 1,
}
COMMENTED = (
    '# timezone = "UTC"',
    '# holidays = "US"',
    "# [calendar.regions.EMEA]",
    "# [auth]",
    "# server_metadata_url",
    "# client_id",
    "# client_secret_env",
    "# allowed_emails",
    "# allowed_domains",
)


def test_init_writes_every_policy_key_at_its_default(tmp_path, capsys):
    root = tmp_path / "new-root"
    assert main(["init", str(root)]) == 0
    text = (root / "funnel.toml").read_text(encoding="utf-8")
    doc = tomllib.loads(text)
    defaults = Policy()
    for (section, key), field in _KEYS.items():
        assert doc[section][key] == getattr(defaults, field), (section, key)
    for (section, key), value in LATER_KEYS.items():
        assert doc[section][key] == value, (section, key)
    for line in COMMENTED:
        assert line in text, line
    # every key set in the file says what it means on its line
    for line in text.splitlines():
        if "=" in line and not line.lstrip().startswith("#"):
            assert "#" in line, line
    # read back, it is exactly the defaults, and sign-in stays off until someone fills in [auth]
    assert load_policy(root) == defaults
    assert dataclasses.asdict(load_policy(root)) == dataclasses.asdict(Policy())
    assert load_auth(root) is None
    out = capsys.readouterr().out
    assert f"funnel import --mapping salesforce --source PATH/TO/EXPORT --out {root}" in out
    assert f"funnel serve --data {root}" in out


def test_init_never_overwrites_a_policy(tmp_path, capsys):
    (tmp_path / "funnel.toml").write_text("[sla]\nfirst_response_hours = 4\n", encoding="utf-8")
    assert main(["init", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "already exists" in err and str(tmp_path / "funnel.toml") in err and "Traceback" not in err
    assert (tmp_path / "funnel.toml").read_text(encoding="utf-8") == "[sla]\nfirst_response_hours = 4\n"


def test_init_into_a_file_is_refused(tmp_path, capsys):
    target = tmp_path / "a-file"
    target.write_text("x", encoding="utf-8")
    assert main(["init", str(target)]) == 2
    assert "is not a folder" in capsys.readouterr().err
    assert target.read_text(encoding="utf-8") == "x"
