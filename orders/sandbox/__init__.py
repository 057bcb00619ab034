"""Local emulator of the Sitecore CDP Order REST API v2.1 ("the sandbox").

Written from `shared/cdp-api/order-api-v2.1.md` independently of the client in
`orders/cdp/`, so that a misreading of the API cannot hide in both. Entry points:
`orders.sandbox.server.SandboxServer`, `orders.sandbox.config.SandboxConfig`, and the
`python manage.py cdp_sandbox` command.
"""
