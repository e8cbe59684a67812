"""The dashboard's side of sign-in: nobody sees a number before the allow-list has let them in.

app.py calls gate() before the sidebar and the pages: with an [auth] section in the data root's
funnel.toml (dashboard/auth.py), someone not signed in gets a sign-in page and someone signed in but not
on the allow-list a page that says so; in both cases the script stops before any query runs, so no figure
reaches the browser. A broken [auth] stops the page with its message; it never falls back to anonymous.
"""

from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

from dashboard.auth import REQUIRED_ENV, AuthConfig, AuthError, load_auth
from dashboard.engines import is_uri
from dashboard.snapshots import data_root_of

SIGNED_IN_KEY = "_signed_in_as"


@st.cache_data(ttl=30, show_spinner=False)
def _config(data: str) -> AuthConfig | None:
    return None if is_uri(data) else load_auth(data_root_of(Path(data)))


def gate(data: str) -> str | None:
    """The signed-in, allowed user's e-mail (None: sign-in is not configured); st.stop() for anyone else."""
    try:
        config = _config(data)
    except AuthError as exc:
        st.error(f"Sign-in is misconfigured, so the dashboard stays closed: {exc}")
        st.stop()
    if config is None:
        if os.environ.get(REQUIRED_ENV) == "1":
            st.error(
                "This dashboard was started with sign-in, and the [auth] section of its funnel.toml is gone: "
                "it stays closed until [auth] is back or `funnel serve` is restarted."
            )
            st.stop()
        return None
    if not st.user.get("is_logged_in", False):  # absent (AppTest, no sign-in yet): not signed in
        st.title("Shared Funnel")
        st.markdown(
            "This dashboard shows the sales and marketing funnel to the people on its list. "
            "Sign in with your company account to see it."
        )
        st.button("Sign in", type="primary", on_click=st.login, key="sign_in")
        st.stop()
    email = st.user.get("email")
    # an address the provider has not verified proves nothing about who is signing in
    verified = st.user.get("email_verified", True) not in (False, "false")
    if not (verified and config.allows(email)):
        st.title("Not on this dashboard's list")
        st.markdown(
            f"You are signed in as **{email or 'an account without an e-mail address'}**"
            f"{'' if verified else ' (not verified by your identity provider)'}, which is not among the "
            f"people allowed to see this dashboard. Ask whoever runs it to add you to `allowed_emails` "
            f"or `allowed_domains` under `[auth]` in its funnel.toml."
        )
        st.button("Sign out", on_click=st.logout, key="sign_out")
        st.stop()
    st.session_state[SIGNED_IN_KEY] = email
    with st.sidebar:
        st.caption(f"Signed in as {email}")
        st.button("Sign out", on_click=st.logout, key="sign_out")
    return email


def signed_in_as() -> str | None:
    """Who is signed in this session (None: the dashboard runs without sign-in)."""
    return st.session_state.get(SIGNED_IN_KEY)
