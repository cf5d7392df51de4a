# No-op program that prints nothing: the whole attempt is timed against a bare `python3 -c 0`.
