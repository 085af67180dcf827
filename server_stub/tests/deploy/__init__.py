"""The shipped deployment files (server_stub/deploy/), run for real."""
