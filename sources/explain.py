"""Plain-words explanations of source failures.

``farwatch check`` and the source-health screen show the error message (what
happened) followed by one of these (what to do about it), so an owner who is
not a sysadmin can fix a typo'd host or a missing key without reading a
traceback.
"""

from __future__ import annotations

from farwatch.sources.base import MAX_RETRY_AFTER, SourceError, unset_variable

_ADVICE: dict[str, str] = {
    "config": "The source's settings are incomplete or wrong; fix the config file and run "
    "`farwatch check` again.",
    "dns": "Could not find the host — check the host name for typos, and that this machine "
    "is online.",
    "refused": "The host was reached but nothing is listening on that port — check the port "
    "and that the service is running.",
    "timeout": "The server did not answer in time — it may be overloaded or a firewall may be "
    "dropping the connection; farwatch will try again.",
    "tls": "The secure connection failed: the server's certificate could not be verified. If "
    "the server uses its own certificate authority, set ca_file to its certificate; check "
    "also that the host name matches the certificate.",
    "auth": "The server rejected the credentials — check the user name and that the secret's "
    "environment variable holds the right password or API key (for trackers, an admin's "
    "key). farwatch will not retry until the config changes or you ask it to.",
    "not_shared": 'The sheet is not shared: in Google Sheets use Share → "Anyone with the '
    'link can view" (or File → Share → Publish to web) and paste that link.',
    "rate_limited": "The service is limiting how often farwatch may ask",
    "quota": "The plan's hourly request quota is used up",
    "server": "The service had an internal error; this is on their side and usually passes. "
    "farwatch will try again.",
    "protocol": "The server answered in a way farwatch did not expect — check that the host "
    "and port are for the right kind of service.",
    "parse": "The answer could not be read (not the expected format) — check the URL or "
    "endpoint; farwatch will try again.",
    "not_found": "The server says that thing does not exist — check the workspace, account, "
    "folder or URL.",
    "file": "The file or folder is not where the config says, is the wrong kind (a folder "
    "where a file belongs, or the reverse), or farwatch may not read it — check the path (and "
    "that its disk is mounted) and its permissions; farwatch will look again at the next poll.",
    "content": "The file was read but its content is not what farwatch expects — open it and "
    "check it (a header row naming the columns, at most 10 MB, saved as CSV text); farwatch "
    "reads it again when it changes.",
    "io": "The connection failed part-way — check the network; farwatch will try again.",
    "unknown": "Something unexpected failed; farwatch will try again.",
}


_STARTTLS = (
    "The server offers no secure connection on this port, or refused to start one, so "
    'farwatch sent nothing: use tls = "ssl" (usually port 993), or ask the provider which '
    "port offers STARTTLS."
)


def explain(error: SourceError) -> str:
    """What ``error`` means for the owner and what to do, in one or two sentences."""
    if error.kind == "tls" and "STARTTLS" in error.title:
        return _STARTTLS
    variable = unset_variable(error)
    if variable:
        return (
            f"The environment variable {variable} is not set where farwatch runs — set it to "
            f"the password or API key (for example `export {variable}=…` in the shell or "
            "service that starts farwatch), then run `farwatch check` again."
        )
    advice = _ADVICE.get(error.kind, _ADVICE["unknown"])
    if error.kind in ("rate_limited", "quota"):
        if error.retry_after is not None:
            wait = min(max(0.0, error.retry_after), MAX_RETRY_AFTER)  # what the poller waits
            advice += f"; farwatch will retry after {wait:.0f} s."
        else:
            advice += "; farwatch will back off and retry later."
        if error.kind == "quota":
            advice += " A longer interval for this source keeps it within the free plan."
    return advice


def describe(error: SourceError) -> str:
    """The error message followed by the advice, for one-line reports."""
    return f"{error.message} — {explain(error)}"
