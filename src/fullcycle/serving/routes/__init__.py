"""The inference server's routers, one module per resource; each endpoint declares its role
with ``@requires(role)`` beside it (no role: admin only).

_base.py     the guarded route class, ``requires``, the per-app ``Server`` context
predict.py   POST /predict
v2.py        Open Inference Protocol v2 (metadata, health, ready, infer)
feedback.py  POST /feedback
admin.py     POST /admin/reload, GET /openapi.json
trace.py     GET /trace/{request_id}
metrics.py   GET /metrics
"""
