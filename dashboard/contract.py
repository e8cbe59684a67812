"""The data contract as code: the five snapshot tables, written once.

Validation, the import, the sample generator and the generated docs all read these definitions;
nothing else restates a column list. See ../shared/spec/data-contract.md for the prose version.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa

# Logical type -> the Arrow type a snapshot stores it as. Money and scores are float64: the
# contract's "decimal" means "may have a fraction"; sums are exact enough for cents and the
# query engines (DuckDB, Spark) read doubles without a cast.
ARROW_TYPES: dict[str, pa.DataType] = {
    "string": pa.string(),
    "timestamp": pa.timestamp("us", tz="UTC"),
    "date": pa.date32(),
    "integer": pa.int64(),
    "number": pa.float64(),
    "decimal": pa.float64(),
    "boolean": pa.bool_(),
}

ORIGINS = ("marketing", "sales", "partner", "other")
CHANNELS = (
    "paid_search",
    "organic_search",
    "social",
    "email",
    "webinar",
    "event",
    "content",
    "referral",
    "outbound",
    "partner",
    "direct",
    "other",
)
TARGET_METRICS = ("leads", "mqls", "sqls", "opportunities", "pipeline", "bookings")
TABLE_ORDER = ("leads", "opportunities", "campaigns", "touches", "targets")


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # a key of ARROW_TYPES
    nullable: bool = False
    unique: bool = False
    allowed: tuple[str, ...] | None = None  # refuse values outside this list
    known: tuple[str, ...] | None = None  # warn (not refuse) about values outside this list
    min: float | None = None
    max: float | None = None
    references: str | None = None  # "table.column"
    doc: str = ""

    @property
    def arrow_type(self) -> pa.DataType:
        return ARROW_TYPES[self.type]


@dataclass(frozen=True)
class Table:
    name: str
    grain: str
    columns: tuple[Column, ...]
    key: str | None = None
    doc: str = ""
    checks: tuple[str, ...] = field(default=())  # row rules beyond single columns, in words

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name} has no column {name!r}")

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def arrow_schema(self) -> pa.Schema:
        return pa.schema([pa.field(c.name, c.arrow_type, nullable=c.nullable) for c in self.columns])


LEADS = Table(
    "leads",
    "one row per person who entered the funnel",
    (
        Column("lead_id", "string", unique=True),
        Column("created_at", "timestamp", doc="entered the funnel"),
        Column("origin", "string", allowed=ORIGINS, doc="who generated it"),
        Column("channel", "string", known=CHANNELS, doc="normalised channel"),
        Column("segment", "string", doc="e.g. SMB, Mid-Market, Enterprise"),
        Column("region", "string"),
        Column("industry", "string", nullable=True),
        Column("employees", "integer", nullable=True, min=0, doc="company size, a fit signal"),
        Column("owner_id", "string", nullable=True, doc="sales owner"),
        Column(
            "score",
            "number",
            nullable=True,
            min=0,
            max=100,
            doc="lead score 0..100 as recorded at the MQL (latest value if never an MQL)",
        ),
        Column("mql_at", "timestamp", nullable=True, doc="first time the lead became an MQL"),
        Column("first_response_at", "timestamp", nullable=True, doc="first human sales response after the MQL"),
        Column("accepted_at", "timestamp", nullable=True, doc="sales accepted the lead (SAL)"),
        Column("sql_at", "timestamp", nullable=True, doc="sales qualified the lead (SQL)"),
        Column("rejected_at", "timestamp", nullable=True, doc="sales rejected or recycled the lead back to marketing"),
        Column("rejection_reason", "string", nullable=True),
    ),
    key="lead_id",
)

OPPORTUNITIES = Table(
    "opportunities",
    "one row per deal",
    (
        Column("opportunity_id", "string", unique=True),
        Column(
            "lead_id",
            "string",
            nullable=True,
            references="leads.lead_id",
            doc="null for deals sales created with no lead",
        ),
        Column("account_id", "string", nullable=True),
        Column("created_at", "timestamp"),
        Column(
            "origin",
            "string",
            nullable=True,
            allowed=ORIGINS,
            doc="null means: the lead's origin, or sales when there is no lead",
        ),
        Column("segment", "string"),
        Column("region", "string"),
        Column("owner_id", "string", nullable=True),
        Column("stage", "string", doc="current stage name, as the CRM calls it"),
        Column("amount", "decimal", min=0, doc="deal value"),
        Column("is_closed", "boolean"),
        Column("is_won", "boolean", doc="true only for closed-won"),
        Column("closed_at", "timestamp", nullable=True, doc="required when is_closed"),
    ),
    key="opportunity_id",
    checks=("is_won implies is_closed", "a closed opportunity has closed_at"),
)

CAMPAIGNS = Table(
    "campaigns",
    "one row per marketing campaign",
    (
        Column("campaign_id", "string", unique=True),
        Column("name", "string"),
        Column("channel", "string", known=CHANNELS),
        Column("segment", "string", nullable=True, doc="null: aimed at all segments"),
        Column("start_date", "date"),
        Column("end_date", "date", nullable=True, doc="inclusive; null means a one-day campaign"),
        Column("cost", "decimal", min=0, doc="total actual cost"),
        Column("owner", "string", nullable=True, doc="the marketer responsible"),
    ),
    key="campaign_id",
)

TOUCHES = Table(
    "touches",
    "one row per marketing interaction of a lead with a campaign",
    (
        Column("touch_id", "string", unique=True, doc="also breaks ties between equal timestamps"),
        Column("lead_id", "string", references="leads.lead_id"),
        Column("campaign_id", "string", references="campaigns.campaign_id"),
        Column("touched_at", "timestamp"),
        Column("touch_type", "string", nullable=True),
    ),
    key="touch_id",
)

TARGETS = Table(
    "targets",
    "agreed monthly targets, one row per month, metric and segment",
    (
        Column("month", "date", doc="first day of the month"),
        Column("metric", "string", allowed=TARGET_METRICS),
        Column("segment", "string", nullable=True, doc="null: a company-wide target"),
        Column("target", "number", min=0),
    ),
    checks=("month is the first day of a month", "one row per month, metric and segment"),
)

TABLES: dict[str, Table] = {t.name: t for t in (LEADS, OPPORTUNITIES, CAMPAIGNS, TOUCHES, TARGETS)}


def empty_table(name: str) -> pa.Table:
    """A table with the contract's columns and no rows (an export without campaigns, say)."""
    return TABLES[name].arrow_schema.empty_table()
