"""No-op handler, started through the SDK's handler runner."""


def handle(data, ctx):
    print("first line")
    return None
