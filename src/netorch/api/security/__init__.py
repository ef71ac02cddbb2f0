"""Northbound API security (SOL013 §8): OAuth 2.0 client credentials (RFC 6749 §4.4) with
netorch-issued JWT bearer tokens (RFC 6750, RFC 7519), tokens of an external issuer validated
through its JWKS (RFC 7517), role checks and the audit log of mutating requests."""
