"""No-op handler that prints nothing, started through the SDK's handler runner."""


def handle(data, ctx):
    return None
