"""netorch: a TOSCA-driven NFV / network-service orchestrator.

Everything is desired state -> pure plan -> journaled parallel apply (see docs/architecture.md).
Nothing runs at import time.
"""

__version__ = "0.1.0"
