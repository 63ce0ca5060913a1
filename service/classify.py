"""Classify one validated page: the single code path behind the API, the batch and the CLI."""

from __future__ import annotations

from service.analysis import build_page
from service.model.registry import LoadedModel
from service.model.verdict import decide
from service.requests import PageRequest


def classify_page(req: PageRequest, loaded: LoadedModel) -> dict:
    """The verdict for one page, as the API and the CLI return it (deterministic)."""
    page = build_page(text=req.text, html=req.html, url=req.url, charset=req.charset)
    prediction = loaded.model.predict(page)
    body = decide(prediction, loaded.policy, loaded.model.featurizer.lexicons)
    verdict = {"id": req.id, "url": req.url, "model_version": loaded.version, **body,
               "input": "html" if req.html is not None else "text"}
    if req.charset:
        verdict["charset"] = req.charset
    return verdict
