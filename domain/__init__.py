"""The ground floor: what tapmark is about, with no I/O.

The project spec and its policies (`spec`), the things kept (`entities`) and every status and
kind as an enum (`enums`). It imports nothing of tapmark; every other package may import it.
"""
