"""`funnel init DIR`: a new data root with a commented funnel.toml and what to do next.

The funnel.toml written holds every policy key of the data contract with its default and what it
means, so the two teams can read the policy they agree on in one place and change a value in place.
It never overwrites an existing funnel.toml (a team's agreed policy is not to be lost to a typo).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from dashboard.errors import UsageError

# Every value below is the contract's default (data-contract.md, "funnel.toml"); tests/test_init.py
# checks it against dashboard.policy.Policy, so the file and the code cannot drift apart.
FUNNEL_TOML = """\
# funnel.toml: the policy sales and marketing agreed on. Every number on the dashboard, in `funnel kpis`
# and in the deck is computed with these values, for every snapshot in this folder. The values below are
# the defaults; change one here and it changes everywhere. A value of the wrong type or out of range is
# refused with a message naming the key.

[reporting]
timezone = "UTC"              # IANA zone: months, days and --from/--to dates are read in this zone
currency = "USD"              # the one reporting currency of amounts and costs
fiscal_year_start_month = 1   # 1..12: the month the fiscal year starts; an FY is named by the year it ends in

[sla]
first_response_hours = 24     # sales: first human response within this many hours of mql_at
decision_days = 5             # sales: accept or reject an MQL within this many days of mql_at
min_acceptance_rate = 0.6     # marketing: share of decided MQLs that sales accepts (0..1)
clock = "calendar"            # "calendar": the SLA hours and days are wall-clock time;
                              # "business": they count working time of [calendar] below

[conversion]
window_days = 90              # a cohort counts a conversion only if it happens within this many days

[attribution]
model = "w_shaped"            # first_touch | last_touch | linear | u_shaped | w_shaped | time_decay
lookback_days = 365           # touches up to this many days before an opportunity's creation count
half_life_days = 7            # time_decay only: a touch this many days older gets half the credit

[calendar]                    # the business calendar, used only when [sla] clock = "business"
# timezone = "UTC"            # default: [reporting] timezone
workdays = ["Mon", "Tue", "Wed", "Thu", "Fri"]   # the working days of the week
hours = ["09:00", "17:00"]    # each workday's working interval, local time
# holidays = "US"             # optional: a country (and subdivision, "US-CA") of the `holidays` package
extra_holidays = []           # ISO dates ("2026-12-24") that are holidays as well

# Per lead region, any of the [calendar] keys above (the region as it appears in the leads' region column):
# [calendar.regions.EMEA]
# timezone = "Europe/Berlin"
# holidays = "DE"

# Sign-in, for a dashboard shared beyond this machine (README, "Sharing the dashboard"). Uncomment and fill
# in; `funnel serve` then asks everyone to sign in with your identity provider (OpenID Connect) and lets in
# only the e-mail addresses and domains below. The client secret never goes in this file: set the
# environment variable named by client_secret_env, or put client_secret under [auth] in
# .streamlit/secrets.toml.
# [auth]
# server_metadata_url = "https://accounts.google.com/.well-known/openid-configuration"
# client_id = "1234567890-abc.apps.googleusercontent.com"
# client_secret_env = "FUNNEL_AUTH_CLIENT_SECRET"
# redirect_uri = "https://funnel.example.com/oauth2callback"   # default: http://localhost:PORT/oauth2callback
# allowed_emails = ["ceo@example.com"]
# allowed_domains = ["example.com"]
"""


def next_steps(root: Path) -> str:
    shown = str(root)
    return f"""\
Created {shown}/funnel.toml: the policy both teams agree on (read it; every key has its default).

Next:
  1. Import your CRM export as the first snapshot (salesforce, hubspot, olist or maven, or your own mapping):
       funnel import --mapping salesforce --source PATH/TO/EXPORT --out {shown}
  2. Check it against the data contract:
       funnel validate {shown}
  3. Open the dashboard:
       funnel serve --data {shown}
     To share it beyond this machine, configure sign-in first ([auth] in funnel.toml, see the README).
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dir", metavar="DIR", help="the new data root (created if missing)")


def init_root(root: Path) -> Path:
    """Write `<root>/funnel.toml` (creating root); UsageError if one exists or root is not a folder."""
    if root.exists() and not root.is_dir():
        raise UsageError(f"{root}: exists and is not a folder")
    target = root / "funnel.toml"
    if target.exists():
        raise UsageError(
            f"{target}: already exists; funnel init never overwrites a policy (edit it, or choose another folder)"
        )
    try:
        root.mkdir(parents=True, exist_ok=True)
        # "x": fails rather than overwrite a funnel.toml that appeared since the check above
        with open(target, "x", encoding="utf-8") as out:
            out.write(FUNNEL_TOML)
    except FileExistsError:
        raise UsageError(f"{target}: already exists; funnel init never overwrites a policy") from None
    except OSError as exc:
        raise UsageError(f"{root}: cannot write funnel.toml here ({exc.strerror})") from None
    return target


def run(args: argparse.Namespace) -> int:
    root = Path(args.dir)
    init_root(root)
    print(next_steps(root))
    return 0
