"""Pydantic models of the SOL005 v2.6.1 request and response bodies (named as in the spec's
OpenAPI, so ``/openapi.json`` shows ``NsInstance``, ``VnfPkgInfo``, ``ProblemDetails`` …)."""
