"""Reading logs: the tailer that follows log files through rotations, and the parsers that turn
each line into one event (``parse``)."""
