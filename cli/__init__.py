"""The command line: one application (`starter.py`, or the `appeals` console script) with a sub-command
for each kind and for the operators, auditors and administrators."""
