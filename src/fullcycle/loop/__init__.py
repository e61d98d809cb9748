"""fullcycle.loop: the closed loop, from observations to a promoted or rolled-back model.

policy.py        pure: observations in, a decision out (triggers, guards, canary verdicts)
gate.py          pure statistics: paired per-row losses, bootstrap, McNemar, cost
sequential.py    the anytime-valid test the default gate uses
controller.py    one step under a lease: observe, ask the policy, act, record an event
labelled.py      feedback joined to the logged rows (every row of a batch) and answered tasks
recipe.py        what to retrain: the serving model's recipe, and a repeatable seed
retrain.py       base data plus labelled rows -> a dataset version -> full and recent challengers
rollout.py       gated -> shadow -> canary -> promoted | rolled back, by compare-and-set
watch.py         after promotion: the ``rollback:`` limits against the replaced version
supervisor.py    ``loop --watch`` and ``monitor --watch`` survive any one failing step
_project.py      what the loop calls on the project (Protocols); it never holds the store
"""
