"""Log reading: parsers, tailer, import, store."""
