"""The workbench (`rulelang web`): a local web app for case workers (a form that
decides a case as it is filled in, and says which facts to collect), for
authors (a playground that checks, lays out and runs rule text) and for
everyone (pictures of the agreements: timelines, scope, exceptions).

Starlette, Jinja2 and uvicorn are optional dependencies: `pip install
'rulelang[web]'`. app.py routes; service.py, form.py and pictures.py do the work.
"""
