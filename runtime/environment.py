"""Every environment variable the system reads, with its default and meaning: the one list the
reference (docs/settings.md, generated) is made from; a test finds each read by the code and every
variable the code reads listed here. The worker's own tuning settings are `runtime/settings.py`."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Variable:
    names: str  # one variable, or several set together ("A / B")
    default: str
    meaning: str


VARIABLES: tuple[Variable, ...] = (
    Variable("TEMPORAL_ADDRESS", "localhost:7233", "Temporal frontend"),
    Variable("TEMPORAL_NAMESPACE", "default", "namespace"),
    Variable("DATABASE_URL", "sqlite:///.data/registry.db", "the registry; see docs/operations.md, Registry"),
    Variable("APPEALS_TIMING_PROFILE", "production", "`demo`: a working day lasts 60 s (`bench`: 0.05 s)"),
    Variable("APPEALS_CODEC_KEY / APPEALS_CODEC_KEY_FILE", ".keys/codec.json", "payload encryption keys"),
    Variable("APPEALS_REPORTS_DIR", "reports", "where the reports for the akim are written (HTML and CSV)"),
    Variable("APPEALS_TEMPLATE_DIR", "activities/templates", "a department's own letter templates (`kk/`, `ru/`)"),
    Variable("APPEALS_TLS_CERT / APPEALS_TLS_KEY", "unset (plain)", "client certificate and key (PEM), mutual TLS"),
    Variable("APPEALS_TLS_CA / APPEALS_TLS_SERVER_NAME", "unset", "the frontend's CA and server name"),
    Variable("APPEALS_TEMPORAL_TOKEN", "unset", "bearer token for Temporal's JWT authorizer"),
    Variable("APPEALS_OIDC_ISSUER / APPEALS_OIDC_AUDIENCE / APPEALS_OIDC_JWKS", "unset", "the identity provider"),
    Variable(
        "APPEALS_OIDC_CLIENT_ID / APPEALS_OIDC_CLIENT_SECRET / APPEALS_OIDC_REDIRECT_URI",
        "unset",
        "the workbench's log-in by the identity provider (code flow with PKCE)",
    ),
    Variable("APPEALS_SMTP_HOST / APPEALS_SMTP_PORT", "unset (e-mail waits queued)", "the outbox's SMTP server"),
    Variable("APPEALS_SMTP_SECURITY", "starttls", "`starttls` (port 587), `tls` (465) or `none` (25, a local relay)"),
    Variable(
        "APPEALS_SMTP_USER / APPEALS_SMTP_PASSWORD_FILE / APPEALS_SMTP_PASSWORD",
        "unset",
        "SMTP authentication; the password from a file (or the environment), never logged",
    ),
    Variable("APPEALS_SMTP_CA", "the system's", "a private CA the SMTP server's certificate is checked against"),
    Variable("APPEALS_SMS_URL / APPEALS_SMS_SENDER", "unset (SMS waits queued)", "the SMS gateway and sender name"),
    Variable("APPEALS_SMS_TOKEN_FILE / APPEALS_SMS_TOKEN", "unset", "the gateway's bearer token, from a file"),
    Variable("APPEALS_SMS_REPORT_TOKEN", "unset", "the token the gateway posts its delivery reports with"),
    Variable("APPEALS_CODEC_URL", "unset", "hosts without the key seal and decode through this codec server"),
    Variable("APPEALS_SEAL_KEY_FILE", ".keys/seal.json", "the seal signing key (Ed25519): the codec server's"),
    Variable("APPEALS_SEAL_PUBLIC_FILE", ".keys/seal-public.json", "the public keys seals are verified with"),
    Variable("APPEALS_SESSION_FILE", "~/.config/appeals/session.json", "the CLI's session"),
    Variable("APPEALS_STATUS_KEY_FILE", ".keys/status.key", "the key of the applicants' status-page codes"),
    Variable("APPEALS_PUBLIC_URL", "http://127.0.0.1:8081", "the web application's public address (status links)"),
)
