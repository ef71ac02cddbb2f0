"""The ETSI SOL005 v2.6.1 northbound REST API (FastAPI): ``create_app(settings)``."""
