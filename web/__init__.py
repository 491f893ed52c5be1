"""The engine's one web application (Starlette on uvicorn): the codec endpoints the Temporal Web UI
and the CLI call, and the operators' log-in. Later surfaces (the workbench, the intake API) are
routes of the same application, so they share its log-in, its guards and its headers."""
