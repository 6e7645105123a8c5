"""Collectors: read the live system (psutil, /proc, systemd, iptables) into the store."""
