"""The dashboard: see and steer the whole cycle in a browser.

app.py          create_ui(project, auth_required=..., allowed_hosts=...) -> ASGI app
security.py     Host check, security headers (CSP, no framing), CSRF, who is asking
pages.py        the GET pages: Overview, Data, Runs, Models, Deployment, Monitoring,
                Labelling, Events, Trace (and the sign-in form)
actions.py      the POST forms: promote, roll back, label, undo, sign in and out
sources*.py     what each page shows, from the project facade and the stages
charts.py       plotly figures as JSON, drawn by static/dashboard.js
templates/      Jinja2, autoescape on; static/ holds the only JavaScript
"""
