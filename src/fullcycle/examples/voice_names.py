"""The invented world of the voice-search example: entities per domain, born and faded by period.

Names are built from syllables, so no real person, team or product is named. Every domain
draws from the same syllables, so a name's spelling says little about its domain (a team may end
in "rovers", a place in "station"): a model routes a bare name well only if it has seen it
before, which is what makes the example decay.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

DOMAINS: tuple[str, ...] = (
    "music",
    "news",
    "sports",
    "weather",
    "navigation",
    "shopping",
    "movies",
)
N_PERIODS = 6

_ONSETS = (
    "b", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z",
    "ch", "sh", "br", "dr", "kr", "tr", "st", "pl", "gl", "fl",
    "", "", "", "",  # vowel-initial syllables now and then
)  # fmt: skip
_VOWELS = ("a", "e", "i", "o", "u", "a", "e", "i", "o", "u", "ai", "ei", "ou", "ia")
_CODAS = ["", "", "", "", "n", "r", "l", "s", "m", "x"]
_TEAM_WORDS = ["lions", "rovers", "united", "city", "falcons", "wanderers", "rangers", "athletic"]
_PLACE_WORDS = ["mall", "station", "park", "street", "plaza", "market", "square", "bridge"]
_PRODUCT_WORDS = ["pro", "max", "mini", "plus", "air", "ultra"]


@dataclass(frozen=True)
class DomainPlan:
    """A domain's entities: how many it starts with, gains each period, and how much they churn.

    ``novelty`` is the share of the domain's name mentions in the last period that go to names
    born after period 0; earlier periods get a rising part of it. Fixing the share (rather than
    letting it follow the random popularity of the new names) keeps the story the same in every
    world.
    """

    initial: int
    new_per_period: int
    fading_share: float
    novelty: float


# Music, news, sports, films and products churn; cities and places barely move.
PLANS: dict[str, DomainPlan] = {
    "music": DomainPlan(140, 10, 0.35, 0.60),
    "news": DomainPlan(110, 8, 0.35, 0.65),
    "sports": DomainPlan(120, 8, 0.25, 0.50),
    "weather": DomainPlan(70, 2, 0.05, 0.10),
    "navigation": DomainPlan(100, 4, 0.10, 0.20),
    "shopping": DomainPlan(110, 8, 0.35, 0.60),
    "movies": DomainPlan(120, 10, 0.40, 0.65),
}
NOVELTY_CURVE = 0.7  # novelty(period) = novelty * (period / last) ** NOVELTY_CURVE
HYPE_DECAY = 0.8  # a new name is asked about less each period after its birth
SPREAD = 1.0  # sigma of the log-normal popularity: a few hits, a long tail
FADE_DECAY = 0.25  # per period after an old name starts fading


@dataclass(frozen=True)
class Entity:
    """One named thing a query can mention."""

    name: str
    domain: str
    born: int  # the first period in which it is mentioned
    fades_from: int  # the period from which it is mentioned less and less (N_PERIODS = never)
    popularity: float

    def weight(self, period: int) -> float:
        """How often the entity is mentioned in ``period``, relative to others of its age group."""
        if period < self.born:
            return 0.0
        w = self.popularity * HYPE_DECAY ** (period - self.born) if self.born else self.popularity
        if period >= self.fades_from:
            w *= FADE_DECAY ** (period - self.fades_from + 1)
        return w


def mention_shares(pool: list[Entity], period: int) -> list[float]:
    """The share of a domain's name mentions in ``period`` that goes to each entity of ``pool``."""
    plan = PLANS[pool[0].domain]
    novelty = plan.novelty * (period / (N_PERIODS - 1)) ** NOVELTY_CURVE
    raw = [e.weight(period) for e in pool]
    old = sum(w for w, e in zip(raw, pool, strict=True) if e.born == 0)
    new = sum(w for w, e in zip(raw, pool, strict=True) if e.born > 0)
    new_scale = novelty / new if new else 0.0
    old_scale = (1.0 - novelty if new else 1.0) / old
    return [w * (new_scale if e.born else old_scale) for w, e in zip(raw, pool, strict=True)]


class _Speller:
    """Draws pronounceable words that were never drawn before (across all domains)."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._used: set[str] = set()

    def word(self) -> str:
        choice = self._rng.choice
        while True:
            k = choice((2, 2, 2, 3))
            word = "".join(choice(_ONSETS) + choice(_VOWELS) for _ in range(k)) + choice(_CODAS)
            if len(word) >= 4 and word not in self._used:
                self._used.add(word)
                return word

    def pick(self, words: list[str]) -> str:
        return self._rng.choice(words)


def _spell(domain: str, speller: _Speller, rng: random.Random) -> str:
    """A name whose shape only loosely fits its domain: most are one or two invented words."""
    shape = rng.random()
    if domain == "sports" and shape < 0.3:
        return f"{speller.word()} {speller.pick(_TEAM_WORDS)}"
    if domain == "navigation" and shape < 0.4:
        return f"{speller.word()} {speller.pick(_PLACE_WORDS)}"
    if domain == "shopping" and shape < 0.3:
        return f"{speller.word()} {speller.pick(_PRODUCT_WORDS)}"
    if shape < 0.6:
        return f"{speller.word()} {speller.word()}"
    return speller.word()


def build_world(world: int = 0) -> dict[str, list[Entity]]:
    """Every entity of every period, per domain; the same ``world`` always gives the same names."""
    # random.Random with a str seed is stable across Python versions and fast for scalar draws.
    rng = random.Random(f"fullcycle-voice-world-{world}")
    speller = _Speller(rng)
    entities: dict[str, list[Entity]] = {}
    for domain in DOMAINS:
        plan = PLANS[domain]
        pool = []
        births = [0] * plan.initial + [
            p for p in range(1, N_PERIODS) for _ in range(plan.new_per_period)
        ]
        for born in births:
            fades = N_PERIODS
            if born == 0 and rng.random() < plan.fading_share:
                fades = rng.randrange(1, N_PERIODS)
            popularity = rng.lognormvariate(0.0, SPREAD)
            pool.append(Entity(_spell(domain, speller, rng), domain, born, fades, popularity))
        entities[domain] = pool
    return entities
