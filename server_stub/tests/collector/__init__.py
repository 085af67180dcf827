"""The collector: routers, body and limits, the group writer, serve, over real HTTP."""
