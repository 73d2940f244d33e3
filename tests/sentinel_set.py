"""A Redis Sentinel set-up on loopback ports, for the failover tests: Debian's redis-server as
master and replica (no persistence), three redis-sentinel processes watching the master.

    with SentinelSet(tmp_path) as ha:       # started, the replica in sync, every sentinel agreed
        ha.sentinels                        # "127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3"
        ha.kill_master()                    # SIGKILL
        ha.wait_promoted()                  # the sentinels name the replica
"""
import os
import shutil
import signal
import subprocess
import time

import redis

from bench.harness import free_port

MASTER_NAME = "presave-ha"
DOWN_AFTER_MS = 1000
FAILOVER_TIMEOUT_MS = 5000
SETTLE = 60  # seconds: a guard against a set-up that never comes up, not a timing assertion


def wait_for(condition, what, timeout=SETTLE, every=0.05):
    deadline = time.monotonic() + timeout
    while True:
        found = condition()
        if found:
            return found
        assert time.monotonic() < deadline, f"{what}: not after {timeout} s"
        time.sleep(every)


class SentinelSet:
    def __init__(self, folder):
        self.folder = folder
        self.procs = {}
        self.master_port, self.replica_port = free_port(), free_port()
        self.sentinel_ports = [free_port() for _ in range(3)]

    @property
    def sentinels(self):
        return ",".join(f"127.0.0.1:{port}" for port in self.sentinel_ports)

    def __enter__(self):
        for tool in ("redis-server", "redis-sentinel"):
            assert shutil.which(tool), f"{tool} is missing: `make dev-setup` installs it"
        self._server("master", self.master_port)
        self._server("replica", self.replica_port, "--replicaof", "127.0.0.1", str(self.master_port))
        for k, port in enumerate(self.sentinel_ports):
            self._sentinel(k, port)
        wait_for(self._in_sync, "the replica in sync with the master")
        wait_for(self._all_agree, "every sentinel sees the master, its replica and the others")
        return self

    def __exit__(self, *exc):
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.kill()
            proc.wait()

    def _start(self, name, argv):
        log = open(self.folder / f"{name}.log", "w")
        self.procs[name] = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                                            cwd=self.folder, start_new_session=True)

    def _server(self, name, port, *extra):
        self._start(name, ["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                           "--save", "", "--appendonly", "no", "--dir", str(self.folder),
                           "--dbfilename", f"{name}.rdb", *extra])
        wait_for(lambda: _pings(port), f"{name} on {port}")

    def _sentinel(self, k, port):
        conf = self.folder / f"sentinel{k}.conf"  # the sentinel rewrites it: one each
        conf.write_text("\n".join([
            f"port {port}", "bind 127.0.0.1", f"dir {self.folder}",
            f"sentinel monitor {MASTER_NAME} 127.0.0.1 {self.master_port} 2",
            f"sentinel down-after-milliseconds {MASTER_NAME} {DOWN_AFTER_MS}",
            f"sentinel failover-timeout {MASTER_NAME} {FAILOVER_TIMEOUT_MS}",
            f"sentinel parallel-syncs {MASTER_NAME} 1", ""]))
        self._start(f"sentinel{k}", ["redis-sentinel", str(conf)])
        wait_for(lambda: _pings(port), f"sentinel {k} on {port}")

    def _in_sync(self):
        info = redis.Redis(port=self.master_port).info("replication")
        replica = info.get("slave0") or {}
        return replica.get("state") == "online" and replica.get("offset") == info["master_repl_offset"]

    def _all_agree(self):
        for port in self.sentinel_ports:
            master = redis.Redis(port=port).sentinel_master(MASTER_NAME)
            if master["num-slaves"] < 1 or master["num-other-sentinels"] < 2:
                return False
        return True

    def master_address(self, port):
        host, found = redis.Redis(port=port).sentinel_get_master_addr_by_name(MASTER_NAME)
        return host, int(found)

    def kill_master(self):
        proc = self.procs["master"]
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()

    def wait_promoted(self, timeout=SETTLE):
        """Every sentinel names the replica as master, and it answers as one."""
        def promoted():
            return (all(self.master_address(port)[1] == self.replica_port
                        for port in self.sentinel_ports)
                    and redis.Redis(port=self.replica_port).info("replication")["role"] == "master")
        wait_for(promoted, "the replica promoted", timeout)

    def replication_offsets(self):
        """(master's, replica's acknowledged) replication offsets."""
        info = redis.Redis(port=self.master_port).info("replication")
        return info["master_repl_offset"], (info.get("slave0") or {}).get("offset")


def _pings(port):
    try:
        return redis.Redis(port=port, socket_timeout=1).ping()
    except (redis.RedisError, OSError):
        return False
