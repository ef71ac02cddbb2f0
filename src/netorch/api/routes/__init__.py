"""The SOL005 v2.6.1 resource routers: ``vnfpkgm`` (``/vnfpkgm/v1``), ``nsd`` (``/nsd/v1``),
``nslcm`` (``/nslcm/v1``) and ``subscriptions`` (one router per API); ``create_app`` includes
them."""
