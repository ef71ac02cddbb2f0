"""Loading layer: TOSCA service templates, SOL004 CSARs and SOL001 descriptors -> ServiceModel.

tosca-parser is used only inside this package, and only when :func:`load` runs.
"""

from netorch.tosca.loader import load

__all__ = ["load"]
