"""What people say to the voice assistant: query templates and the metadata mix, per period.

A template is a query with ``{x}`` where a name goes (or none). Some templates carry a cue word
("play", "price", "directions to"); many are little more than the name, and some are ambiguous
without it ("who is {x}", "{x} latest"). A few locale-specific phrasings arrive with en-IN.
"""

from __future__ import annotations

import numpy as np

LOCALES: tuple[str, ...] = ("en-US", "en-GB", "en-IN", "en-AU")
DEVICES: tuple[str, ...] = ("phone", "speaker", "car", "tv")
GENERIC_SHARE = 0.03  # queries that no one could route without context: the human ceiling

# (template, weight, locales it is said in; empty = every locale)
Template = tuple[str, float, tuple[str, ...]]
_ALL: tuple[str, ...] = ()

TEMPLATES: dict[str, list[Template]] = {
    "music": [
        ("{x}", 9.0, _ALL),
        ("play {x}", 3.0, _ALL),
        ("who is {x}", 1.0, _ALL),
        ("{x} latest", 1.0, _ALL),
        ("{x} tickets", 0.6, _ALL),
        ("is {x} any good", 0.5, _ALL),
        ("play songs by {x}", 0.8, _ALL),
        ("{x} new album", 0.6, _ALL),
        ("put on {x}", 0.6, _ALL),
        ("what about {x}", 0.6, _ALL),
        ("{x} tonight", 0.5, _ALL),
        ("play something relaxing", 0.5, _ALL),
        ("next song", 0.4, _ALL),
        ("play {x} songs", 2.0, ("en-IN",)),
        ("{x} gig", 1.0, ("en-GB", "en-AU")),
    ],
    "news": [
        ("{x}", 9.0, _ALL),
        ("who is {x}", 1.5, _ALL),
        ("{x} latest", 1.5, _ALL),
        ("what about {x}", 1.0, _ALL),
        ("tell me about {x}", 1.0, _ALL),
        ("{x} today", 0.8, _ALL),
        ("what did {x} say", 0.8, _ALL),
        ("news about {x}", 0.8, _ALL),
        ("{x} speech", 0.4, _ALL),
        ("headlines", 0.6, _ALL),
        ("what is in the news", 0.4, _ALL),
        ("{x} statement today", 1.0, ("en-IN",)),
        ("{x} in parliament", 1.0, ("en-GB", "en-IN")),
    ],
    "sports": [
        ("{x}", 9.0, _ALL),
        ("what about {x}", 1.2, _ALL),
        ("{x} latest", 1.0, _ALL),
        ("{x} score", 1.2, _ALL),
        ("how did {x} do", 0.8, _ALL),
        ("who is {x}", 0.8, _ALL),
        ("{x} tonight", 0.8, _ALL),
        ("{x} today", 0.6, _ALL),
        ("{x} tickets", 0.5, _ALL),
        ("play {x}", 0.4, _ALL),
        ("when do {x} play", 0.5, _ALL),
        ("football scores", 0.4, _ALL),
        ("{x} match score", 1.5, ("en-IN",)),
        ("{x} fixtures", 1.0, ("en-GB",)),
        ("{x} footy", 1.0, ("en-AU",)),
    ],
    "weather": [
        ("weather in {x}", 2.0, _ALL),
        ("weather", 1.5, _ALL),
        ("will it rain today", 1.5, _ALL),
        ("{x} forecast", 1.0, _ALL),
        ("temperature in {x}", 1.0, _ALL),
        ("weather tomorrow", 1.0, _ALL),
        ("{x}", 1.5, _ALL),
        ("{x} today", 0.6, _ALL),
        ("do i need an umbrella", 0.8, _ALL),
        ("how cold is it in {x}", 0.6, _ALL),
        ("is it going to be hot in {x}", 0.8, ("en-IN", "en-AU")),
    ],
    "navigation": [
        ("{x}", 5.0, _ALL),
        ("directions to {x}", 1.5, _ALL),
        ("take me to {x}", 1.5, _ALL),
        ("navigate to {x}", 1.0, _ALL),
        ("how far is {x}", 0.8, _ALL),
        ("find {x}", 0.8, _ALL),
        ("show me {x}", 0.6, _ALL),
        ("is {x} open", 0.6, _ALL),
        ("traffic to {x}", 0.6, _ALL),
        ("go home", 0.6, _ALL),
        ("find parking near {x}", 0.4, _ALL),
        ("traffic on my route", 0.4, _ALL),
        ("route to {x} avoiding tolls", 0.8, ("en-IN",)),
    ],
    "shopping": [
        ("{x}", 9.0, _ALL),
        ("{x} price", 1.8, _ALL),
        ("buy {x}", 1.0, _ALL),
        ("find {x}", 0.8, _ALL),
        ("show me {x}", 0.6, _ALL),
        ("{x} latest", 0.8, _ALL),
        ("is {x} any good", 0.6, _ALL),
        ("{x} reviews", 0.6, _ALL),
        ("order {x}", 0.6, _ALL),
        ("{x} deals", 0.6, _ALL),
        ("what about {x}", 0.5, _ALL),
        ("tell me about {x}", 0.5, _ALL),
        ("is {x} open", 0.3, _ALL),
        ("my orders", 0.4, _ALL),
        ("{x} best price", 1.0, ("en-IN",)),
    ],
    "movies": [
        ("{x}", 9.0, _ALL),
        ("show me {x}", 2.0, _ALL),
        ("play {x}", 1.0, _ALL),
        ("watch {x}", 1.0, _ALL),
        ("tell me about {x}", 0.8, _ALL),
        ("is {x} any good", 0.6, _ALL),
        ("{x} reviews", 0.6, _ALL),
        ("{x} tickets", 0.6, _ALL),
        ("{x} trailer", 0.6, _ALL),
        ("{x} tonight", 0.6, _ALL),
        ("who is in {x}", 0.4, _ALL),
        ("what is on tv", 0.5, _ALL),
        ("{x} movie review", 1.0, ("en-IN",)),
        ("{x} film times", 0.8, ("en-GB",)),
    ],
}
GENERIC: tuple[str, ...] = (
    "what is new",
    "tell me more",
    "what is trending",
    "open that",
    "show me more",
    "the latest",
)

# Domain mix per device, in DOMAINS order: music news sports weather navigation shopping movies.
_DOMAIN_BY_DEVICE = np.array(
    [
        [0.18, 0.15, 0.14, 0.12, 0.12, 0.17, 0.12],  # phone
        [0.32, 0.16, 0.10, 0.22, 0.02, 0.10, 0.08],  # speaker
        [0.25, 0.08, 0.07, 0.08, 0.48, 0.02, 0.02],  # car
        [0.06, 0.16, 0.26, 0.04, 0.00, 0.06, 0.42],  # tv
    ]
)
_MORNING = np.array([1.0, 1.6, 1.0, 1.8, 1.2, 0.8, 0.6])
_EVENING = np.array([1.1, 0.8, 1.3, 0.7, 1.0, 1.0, 1.4])
_LOCALE_TILT = {"en-IN": np.array([1.0, 1.0, 1.4, 1.0, 1.0, 1.1, 1.2])}
# fmt: off
_HOUR_PROFILE = np.array([
    1.0, 0.6, 0.4, 0.3, 0.3, 0.6, 1.5, 3.0, 3.5, 3.0, 2.5, 2.5,  # 00-11
    2.8, 2.6, 2.4, 2.5, 3.0, 3.6, 4.0, 4.2, 3.8, 3.2, 2.4, 1.6,  # 12-23
])
# fmt: on


def locale_mix(period: int) -> np.ndarray:
    """Locale shares in LOCALES order: en-IN grows from 5% to over a quarter."""
    w = np.array([0.55, 0.22, 0.05 + 0.06 * period, 0.13])
    return w / w.sum()


def hour_mix() -> np.ndarray:
    """Share of requests per hour of day, 0-23."""
    return _HOUR_PROFILE / _HOUR_PROFILE.sum()


def device_mix(period: int) -> np.ndarray:
    """Device shares per hour (24 x DEVICES): cars in the evening rush, more so each period."""
    base = np.tile(np.array([0.45, 0.25, 0.15, 0.15]), (24, 1))
    evening = np.zeros(24)
    evening[16:21] = 1.0
    base[:, 2] *= 1.0 + evening * (0.8 + 0.5 * period)
    base[7:10, 2] *= 1.8  # the morning commute
    base[17:23, 3] *= 1.6  # tv after work
    return base / base.sum(axis=1, keepdims=True)


def domain_mix(device: np.ndarray, hour: np.ndarray, locale: np.ndarray) -> np.ndarray:
    """Per-row domain probabilities (rows x DOMAINS) from device, hour and locale indices."""
    p = _DOMAIN_BY_DEVICE[device].copy()
    p[(hour >= 6) & (hour <= 9)] *= _MORNING
    p[(hour >= 18) & (hour <= 23)] *= _EVENING
    for name, tilt in _LOCALE_TILT.items():
        p[locale == LOCALES.index(name)] *= tilt
    return p / p.sum(axis=1, keepdims=True)


def template_mix(domain: str, locale: str) -> tuple[list[str], np.ndarray]:
    """The templates said for ``domain`` in ``locale`` and their probabilities."""
    chosen = [(t, w) for t, w, where in TEMPLATES[domain] if not where or locale in where]
    weights = np.array([w for _, w in chosen])
    return [t for t, _ in chosen], weights / weights.sum()


def draw(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One index per row of ``probs`` (rows x k), by inverse CDF: vectorised categorical draws."""
    cdf = np.cumsum(probs, axis=1)
    u = rng.random(len(probs)) * cdf[:, -1]
    return np.minimum((u[:, None] >= cdf).sum(axis=1), probs.shape[1] - 1)
