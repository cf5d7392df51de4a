"""The conformance function for Python: interprets the test vectors' actions through the SDK."""

import os
import sys
import time

from pontoon_sdk import Context, fail


def handle(data, ctx: Context):
    """Runs one vector's action."""
    if not isinstance(data, dict):
        raise ValueError("input must be an object with an action")
    action = data.get("action")
    if action == "echo":
        return data.get("value")
    if action == "fail":
        fail(data.get("message", ""))
    if action == "throw":
        raise RuntimeError(data.get("message"))
    if action == "log":
        for line in data.get("lines", []):
            ctx.logger.info(line)
        if data.get("warn"):
            ctx.logger.warn(data["warn"])
        if data.get("plain"):
            print(data["plain"])
        return None
    if action == "sleep":
        time.sleep(data.get("ms", 0) / 1000)
        return "slept"
    if action == "exit":
        sys.stdout.flush()
        os._exit(data.get("code", 0))
    if action == "raw-output":
        with open(os.environ["PONTOON_OUTPUT"], "w", encoding="utf-8") as out:
            out.write(data.get("value"))
        sys.stdout.flush()
        os._exit(0)
    if action == "big-output":
        return "x" * data.get("bytes", 0)
    if action == "context":
        return {
            "executionId": ctx.execution_id,
            "attempt": ctx.attempt,
            "function": ctx.function,
            "namespace": ctx.namespace,
            "version": str(ctx.version),
            "deadlineInFuture": ctx.deadline is not None and ctx.remaining().total_seconds() > 0,
        }
    raise ValueError(f"unknown action {action}")
