// No-op program that prints nothing: the whole attempt is timed against a bare `node -e 0`.
