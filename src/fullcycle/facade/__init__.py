"""The facade's groups: small objects on :class:`fullcycle.Project`, shaped like the CLI's groups.

project.data         add, get, list, load, lineage            (``fullcycle data ...``)
project.runs         list, get, metric_history                 (``fullcycle runs ...``)
project.models       list, show, register, promote, import_file, trust, load, aliases
project.deployments  current, history, production, canary, shadow, promote_canary,
                     rollback, rollback_targets   (``fullcycle deploy ...``, ``rollback``)
project.labels       queue, export, import_file, merge, label_one, withdraw, progress, next_task
project.tokens       create, list, revoke, authenticate, bootstrap_admin
project.monitor      run, reports, alerts                      (``fullcycle monitor ...``)
project.loop         step, submit, rollouts                    (``fullcycle loop ...``)
project.dashboard    the dashboard's read-only views

``runs``, ``models``, ``tokens`` and ``monitor`` stay callable as the flat methods they were
(``project.models()`` lists) and carry the group's verbs too (``project.models.show(ref)``).
The interfaces (CLI, dashboard) hold a Project and call these; they never import ``store/``.
Each method delegates in a few lines.
"""

from fullcycle.facade._deployments import Deployments
from fullcycle.facade._groups import (
    Dashboard,
    Data,
    Grouped,
    Labels,
    Loop,
    Models,
    Monitor,
    Runs,
    Tokens,
    grouped,
)

__all__ = [
    "Dashboard",
    "Data",
    "Deployments",
    "Grouped",
    "Labels",
    "Loop",
    "Models",
    "Monitor",
    "Runs",
    "Tokens",
    "grouped",
]
