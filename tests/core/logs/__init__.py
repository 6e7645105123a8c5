"""Tests of the log tailer and parsers."""
