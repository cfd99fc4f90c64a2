"""Prints (or returns) a free loopback port below the kernel's ephemeral range.

Servers that the chaos scenarios and the tests restart keep their port. While one is down, a port
of the ephemeral range can be taken by any outgoing connection, or by a client's reconnect that
connects to itself, and the restart then fails to bind. Ports below the range are never handed out
that way."""
import random
import socket


def free_port() -> int:
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            start = int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        start = 32768
    start = start if start > 11000 else 32768
    for _ in range(200):
        port = random.randrange(max(10000, start - 4096), start)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port
    raise RuntimeError("no free port below the ephemeral range")


if __name__ == "__main__":
    print(free_port())
