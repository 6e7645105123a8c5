"""Log files: tailing and parsing."""
