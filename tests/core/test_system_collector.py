"""The psutil collector: real readings, deltas instead of counters, another /proc, failures."""

from __future__ import annotations

import logging
import os
import time

import psutil
import pytest

from core.collect.system import (
    SystemCollector,
    count_tcp_states,
    delta,
    is_loopback,
    kernel_connection_counts,
)

TCP = """  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1538 00000000:0000 0A 00000000:00000000 00:00000000 00000000   113        0 1 1
   1: 0100007F:A1B2 0100007F:1538 01 00000000:00000000 00:00000000 00000000  1000        0 2 1
   2: 0100007F:A1B3 0100007F:1538 01 00000000:00000000 00:00000000 00000000  1000        0 3 1
   3: 0100007F:A1B4 0100007F:1538 06 00000000:00000000 00:00000000 00000000     0        0 0 3
"""


@pytest.fixture
def restore_procfs(monkeypatch):
    # SystemCollector(procfs=...) sets psutil's module-wide PROCFS_PATH; put it back afterwards.
    monkeypatch.setattr(psutil, "PROCFS_PATH", psutil.PROCFS_PATH)


def test_first_reading_is_a_baseline_then_real_values():
    collector = SystemCollector()
    system, network = collector.read()
    assert system.cpu_count == psutil.cpu_count()
    assert system.memory_total == psutil.virtual_memory().total
    assert system.disk_total > 0 and 0 <= system.disk_percent <= 100
    assert system.load_1min == pytest.approx(os.getloadavg()[0], abs=1.0)
    assert system.disk_read_bytes is None  # no previous counter yet
    assert network == []
    time.sleep(0.2)
    system, network = collector.read()
    assert system.disk_read_bytes is not None and system.disk_read_bytes >= 0
    assert 0.0 <= system.cpu_percent <= 100.0
    interfaces = {n.interface for n in network}
    assert "" in interfaces and set(psutil.net_io_counters(pernic=True)) >= interfaces - {""}


def test_network_samples_are_deltas_and_the_total_leaves_loopback_out():
    collector = SystemCollector()
    first = {"lo": (1000, 1000, 10, 10, 0, 0, 0, 0), "eth0": (5000, 7000, 50, 70, 1, 0, 2, 0)}
    second = {"lo": (9000, 9000, 90, 90, 0, 0, 0, 0), "eth0": (5600, 7300, 56, 73, 1, 1, 2, 3),
              "wg0": (10, 10, 1, 1, 0, 0, 0, 0)}  # fmt: skip
    assert collector.read_network(100, first) == []
    samples = {s.interface: s for s in collector.read_network(102, second)}
    assert set(samples) == {"", "lo", "eth0"}  # wg0 is new: its first reading is its baseline
    eth0 = samples["eth0"]
    assert (eth0.bytes_sent, eth0.bytes_recv, eth0.errors_out, eth0.drops_out) == (600, 300, 1, 3)
    assert samples["lo"].bytes_sent == 8000
    total = samples[""]
    assert (total.bytes_sent, total.bytes_recv, total.packets_sent) == (600, 300, 6)
    assert total.connections_listen is not None


def test_a_counter_that_went_down_counts_from_zero():
    assert delta(500, 200) == 300
    assert delta(40, 1_000_000) == 40


def test_loopback_names():
    assert is_loopback("lo") and is_loopback("lo:1")
    assert not is_loopback("eth0") and not is_loopback("lxdbr0") and not is_loopback("lowpan0")


def test_tcp_states_are_counted_from_proc_net_tcp(tmp_path):
    (tmp_path / "net").mkdir()
    (tmp_path / "net" / "tcp").write_text(TCP)
    assert count_tcp_states(str(tmp_path)) == {"01": 2, "0A": 1, "06": 1}
    live = count_tcp_states("/proc")
    assert live["0A"] >= 1  # PostgreSQL listens on this machine


def test_another_procfs_is_read_and_missing_readings_are_logged_once(
    tmp_path, caplog, restore_procfs
):
    (tmp_path / "net").mkdir()
    (tmp_path / "net" / "tcp").write_text(TCP)
    (tmp_path / "loadavg").write_text("3.50 2.25 1.00 2/345 6789\n")
    with caplog.at_level(logging.WARNING, logger="nodekeeper"):
        collector = SystemCollector(procfs=str(tmp_path))
        collector.read(1000)
        system, network = collector.read(1002)
        collector.read(1004)
    assert (system.load_1min, system.load_5min, system.load_15min) == (3.5, 2.25, 1.0)
    assert system.memory_total is None  # no meminfo in that /proc: logged, others go on
    assert system.disk_total is not None  # statvfs does not go through /proc
    assert network == []  # no /proc/net/dev there
    warnings = [r.message for r in caplog.records if "cannot read memory" in r.message]
    assert len(warnings) == 1


SNMP = """Ip: Forwarding DefaultTTL
Ip: 1 64
Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens PassiveOpens AttemptFails EstabResets CurrEstab InSegs
Tcp: 1 200 120000 -1 6426 6389 12 5 7 1270932
Udp: InDatagrams NoPorts
Udp: 1 2
"""
SOCKSTAT = "sockets: used 200\nTCP: inuse 11 orphan 0 tw 4 alloc 14 mem 0\nUDP: inuse 3 mem 1\n"


def test_established_and_time_wait_come_from_the_kernel_counters(tmp_path):
    (tmp_path / "net").mkdir()
    (tmp_path / "net" / "snmp").write_text(SNMP)
    (tmp_path / "net" / "sockstat").write_text(SOCKSTAT)
    assert kernel_connection_counts(str(tmp_path)) == (7, 4)


def test_connection_counts_from_a_crafted_proc(tmp_path, restore_procfs):
    (tmp_path / "net").mkdir()
    (tmp_path / "net" / "snmp").write_text(SNMP)
    (tmp_path / "net" / "sockstat").write_text(SOCKSTAT)
    (tmp_path / "net" / "tcp").write_text(TCP)
    collector = SystemCollector(procfs=str(tmp_path))
    assert collector._connections(100.0) == {
        "connections_established": 7, "connections_listen": 1, "connections_time_wait": 4,
    }  # fmt: skip
    (tmp_path / "net" / "tcp").write_text(TCP.splitlines()[0] + "\n")  # listeners went away
    assert collector._connections(105.0)["connections_listen"] == 1  # counted every 10 s
    assert collector._connections(111.0)["connections_listen"] == 0


def test_kernel_counters_agree_with_the_socket_table_on_this_machine():
    established, time_wait = kernel_connection_counts()
    states = count_tcp_states()
    # CurrEstab also counts CLOSE_WAIT, and sockets come and go between the two reads.
    assert abs(established - states["01"]) <= 5 and abs(time_wait - states["06"]) <= 20
