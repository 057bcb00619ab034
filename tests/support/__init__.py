"""Helpers shared by the app's tests: spying on the sandbox, filling forms as a browser would."""
