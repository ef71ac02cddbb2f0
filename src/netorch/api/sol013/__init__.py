"""SOL013 cross-cutting behaviour of every netorch API resource: the ``Version`` header and
``api_versions`` (§9.1), ProblemDetails errors (§6.4, RFC 7807), attribute-based filtering
(§5.2), attribute selectors (§5.3) and paging (§5.4)."""
