"""The model registry: ``NAME:N`` versions made from runs, aliases, the promotion gate, loading.

register(run)  -> NAME:N      one transaction: the version row and its event (the artifact
                              was written, content-addressed, when the run saved it)
set_alias      compare-and-set on the alias's revision, one event per change
promote        the gate: the scope goal, and no worse than the current holder by more than
               ``gate.tolerance``; ``force`` with a reason overrides and is recorded
load           sha256 verified; a mismatch marks the version corrupt (IntegrityError)
gc             artifacts nothing points at are removed
"""

from fullcycle.registry._promotion import Promotion, promote, set_alias
from fullcycle.registry._versions import (
    LoadedModel,
    Validate,
    aliases,
    gc,
    import_file,
    load,
    models,
    parse_ref,
    register,
    resolve,
    trust,
)

__all__ = [
    "LoadedModel",
    "Promotion",
    "Validate",
    "aliases",
    "gc",
    "import_file",
    "load",
    "models",
    "parse_ref",
    "promote",
    "register",
    "resolve",
    "set_alias",
    "trust",
]
