"""The contract schema (pydantic v2 models), the normalized contract view and the status ladder."""
