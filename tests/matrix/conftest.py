"""The matrix has over a thousand cells; each module shares one standing world, built once
inside an outer transaction (``tests/conftest.py``)."""
