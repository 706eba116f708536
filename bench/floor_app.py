"""The app that `python -m app serve` runs, plus three bench-only routes that take
POST /api/v1/advice's request and leave out ever more of its work (bench.advice_floor_bench).

Only the benchmark imports this module; the product never serves these routes. Each route
validates the same Intake body and answers with the same bytes: the real advice to the
first request in that language, computed once and kept here (the bench's own synthetic
intakes, nothing of a person's), compressed per request by the app's middleware exactly as
the real answer is. They differ only in the work they do before answering:

- /bench/floor/validate: nothing (the body is parsed and validated, the answer sent);
- /bench/floor/lane: a call that does nothing, through the CPU lane (app.core.cpu), the hop
  off the event loop that every advice takes;
- /bench/floor/rules: the advice engine's rules for the intake, through the lane, with no
  catalogue to match.

The real route adds matching the catalogue and serialising its own answer. Run as
`python -m bench.floor_app --port N`: uvicorn with the settings of `python -m app serve`
with one worker.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

import uvicorn
from fastapi import Request, Response

from app.advice.engine import advise
from app.api.routes.advice import Lang, _advice_json
from app.core.cpu import run_cpu_bound
from app.domain.intake import Intake
from app.main import create_app

app = create_app()

_answers: dict[str, bytes] = {}


def _answer(request: Request, intake: Intake, lang: str) -> bytes:
    """The fixed answer: the real advice to the first intake seen in `lang`."""
    if lang not in _answers:
        state = request.app.state
        _answers[lang] = _advice_json(intake, state.knowledge, state.catalogue.get(), lang)
    return _answers[lang]


def _nothing() -> None:
    return None


def _rules(request: Request, intake: Intake, lang: str) -> None:
    advise(intake, request.app.state.knowledge, [], lang=lang)


@app.post("/bench/floor/validate", include_in_schema=False)
async def floor_validate(intake: Intake, request: Request, lang: Lang = "nl") -> Response:
    return Response(_answer(request, intake, lang), media_type="application/json")


@app.post("/bench/floor/lane", include_in_schema=False)
async def floor_lane(intake: Intake, request: Request, lang: Lang = "nl") -> Response:
    await run_cpu_bound(_nothing)
    return Response(_answer(request, intake, lang), media_type="application/json")


@app.post("/bench/floor/rules", include_in_schema=False)
async def floor_rules(intake: Intake, request: Request, lang: Lang = "nl") -> Response:
    await run_cpu_bound(_rules, request, intake, lang)
    return Response(_answer(request, intake, lang), media_type="application/json")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.floor_app", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    # As `python -m app serve` with one worker (app/__main__.py).
    uvicorn.run(app, host=args.host, port=args.port, workers=1, access_log=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
