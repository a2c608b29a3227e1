"""The workbench: a local web app over one loaded policy (Starlette, Jinja2
templates, no CDN: its scripts and styles are in static/, plotly's from the
plotly package).

  /                    the case worker's form: a record in, decisions out as it is typed
  /agreements          every agreement's timeline; /agreements/NAME: its scope and exceptions
  /playground          an author's playground: rule text checked, laid out and run
  /caseload            a file of records decided, and its report (as `rulelang report`)
  /api/...             the JSON the pages use (service.py), for scripts too

Routes only translate: service.py, form.py and pictures.py do the work.
"""

from __future__ import annotations

import datetime as _dt
import json
from pathlib import Path

import attrs

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from rulelang import api
from rulelang.web import service
from rulelang.web.caseload import decide_caseload
from rulelang.web.form import form_of
from rulelang.web.pictures import STATUS_COLORS, picture, timeline_figure

HERE = Path(__file__).parent
MAX_BODY = 4_000_000  # bytes of a JSON request (a record, or rule text)
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1", "testserver")  # testserver: Starlette's test client


def _foreign(request: Request) -> JSONResponse | None:
    """A POST from a page of another site (its Origin is not this app's) is refused:
    the workbench has no accounts, so any page a person has open could otherwise
    post to it."""
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return None if origin is None else JSONResponse({"error": "cross-site requests are refused"}, 403)
    if origin.split("://", 1)[-1] != request.headers.get("host"):
        return JSONResponse({"error": "cross-site requests are refused"}, 403)
    return None


async def _body(request: Request, limit: int) -> bytes | None:
    """The request's body, or None once it is over `limit` bytes (read no further)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def create_app(policy: api.Policy, name: str, today: _dt.date | None = None,
               hosts: tuple[str, ...] = LOCAL_HOSTS) -> Starlette:
    """The workbench over `policy` (`name`: what it was loaded from, for the pages).
    `hosts`: the names it answers to (a request naming another host is refused: a page
    elsewhere cannot reach it through a name that resolves here)."""
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    program = policy.program
    form = form_of(program)
    agreements = {a.name: a for a in program.agreements}

    def day() -> _dt.date:
        return today or _dt.date.today()

    def page(request: Request, template: str, status: int = 200, **context) -> HTMLResponse:
        return templates.TemplateResponse(request, template, {"policy_name": name, **context},
                                          status_code=status)

    async def case_form(request: Request) -> HTMLResponse:
        return page(request, "case.html", form=form, agreements=list(agreements.values()))

    async def agreement_list(request: Request) -> HTMLResponse:
        figure = timeline_figure(list(agreements.values()), day())
        pictures = [picture(program, a, day()) for a in agreements.values()]
        return page(request, "agreements.html", pictures=pictures, today=day(),
                    figure=figure, colors=STATUS_COLORS)

    async def agreement_page(request: Request) -> HTMLResponse:
        agreement = agreements.get(request.path_params["name"])
        if agreement is None:
            return page(request, "missing.html", 404, what=request.path_params["name"],
                        known=sorted(agreements))
        figure = timeline_figure([agreement], day())
        return page(request, "agreement.html", picture=picture(program, agreement, day()),
                    figure=figure, today=day(), colors=STATUS_COLORS,
                    readers=_readers_by_field(form))

    async def playground(request: Request) -> HTMLResponse:
        return page(request, "playground.html", example=_PLAYGROUND_EXAMPLE)

    def json_api(work):
        async def endpoint(request: Request) -> JSONResponse:
            refused = _foreign(request)
            if refused is not None:
                return refused
            body = await _body(request, MAX_BODY)
            if body is None:
                return JSONResponse({"error": f"the request is over {MAX_BODY:,} bytes"}, 413)
            try:
                parsed = json.loads(body or b"null")
            except (ValueError, UnicodeDecodeError, RecursionError) as error:
                return JSONResponse({"error": f"the request is not JSON a person would send: "
                                              f"{type(error).__name__}: {error}"[:300]}, 400)
            # the work computes (and rule text can be long): in a worker thread, so the
            # app keeps answering meanwhile
            status, out = await run_in_threadpool(work, parsed)
            return JSONResponse(out, status)
        return endpoint

    async def caseload_page(request: Request) -> HTMLResponse:
        return page(request, "caseload.html", form=form)

    async def caseload_api(request: Request) -> JSONResponse:
        """The upload is the body; its name and the options are in the query."""
        refused = _foreign(request)
        if refused is not None:
            return refused
        query = request.query_params
        try:
            as_of = _dt.date.fromisoformat(query["as_of"]) if query.get("as_of") else None
        except ValueError:
            return JSONResponse({"error": f"as_of {query['as_of']!r} is not a date (YYYY-MM-DD)"}, 400)
        done = await decide_caseload(policy, request.stream(), query.get("name", "upload.jsonl"),
                                     as_of, query.get("assume") or None, query.get("group_by") or None)
        return JSONResponse(attrs.asdict(done), done.status)

    async def plotly_js(request: Request) -> Response:
        from plotly.offline import get_plotlyjs

        return Response(get_plotlyjs(), media_type="text/javascript",
                        headers={"Cache-Control": "max-age=86400"})

    return Starlette(middleware=[Middleware(TrustedHostMiddleware, allowed_hosts=hosts)], routes=[
        Route("/", case_form),
        Route("/agreements", agreement_list),
        Route("/agreements/{name}", agreement_page),
        Route("/playground", playground),
        Route("/caseload", caseload_page),
        Route("/api/caseload", caseload_api, methods=["POST"]),
        Route("/api/decide", json_api(lambda body: service.decide(policy, body)), methods=["POST"]),
        Route("/api/check", json_api(service.check), methods=["POST"]),
        Route("/api/format", json_api(service.layout), methods=["POST"]),
        Route("/api/run", json_api(service.run), methods=["POST"]),
        Route("/static/plotly.min.js", plotly_js),
        Route("/favicon.ico", lambda request: Response(status_code=204)),
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
    ])


def _readers_by_field(form) -> dict[str, str]:
    if form is None:
        return {}
    return {w.name: w.readers for _, widgets in form.sections for w in widgets}


_PLAYGROUND_EXAMPLE = """\
# A playground: checked as you type; Lay out, or Run its tests and agreements.
# `import common` would read the shipped case record; this file has its own.
record Case {
  id: text
  age: int?
  accompanied: bool?
  claim_date: date
}

input case: Case as_of claim_date

agreement demo "A demonstration agreement" {
  parties USA, CAN
  returns_to CAN cite "Art. 4(1)"
  cite "A demonstration text"

  timeline {
    2002-12-05 signed
    2004-12-29 in_force
  }

  applies when {
    case.age >= 0 cite "Art. 1"
  }

  exception unaccompanied_minor "an unaccompanied child"
    when case.age < 18 and not case.accompanied
    cite "Art. 4(2)(c)"
}

test "an unaccompanied child is exempt" {
  given case = { id: "c-1", age: 16, accompanied: false, claim_date: 2024-05-01 }
  expect demo.outcome == exempt
}
"""
