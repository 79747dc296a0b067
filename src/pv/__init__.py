"""pv: proves that YAML contracts are honest about the code they describe.

Importing this package must stay cheap (``pv --version`` answers in < 150 ms),
so nothing heavy (pydantic, rich, jsonschema) is imported here.
"""

__version__ = "0.1.0"
