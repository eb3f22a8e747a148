#!/usr/bin/env python3
"""Test fixture for lssock --diff and --watch: loopback TCP sockets that
change on signal.  Writes "PORT1 CLIENTPORT" to OUT once a listener on
PORT1 holds an accepted connection from CLIENTPORT; on SIGUSR1 closes the
accepted side and the listener and listens anew, appending "PORT2".
Exits on SIGTERM or after 120 s.
    conns.py OUT"""
import signal
import socket
import sys
import time

out = sys.argv[1]
l1 = socket.socket()
l1.bind(("127.0.0.1", 0))
l1.listen(4)
c = socket.create_connection(l1.getsockname(), timeout=5)
s, _ = l1.accept()
state = {"l2": None}


def change(signo, frame):
    s.close()
    l1.close()
    l2 = socket.socket()
    l2.bind(("127.0.0.1", 0))
    l2.listen(4)
    state["l2"] = l2
    with open(out, "a") as f:
        f.write("%d\n" % l2.getsockname()[1])


signal.signal(signal.SIGUSR1, change)
signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
with open(out + ".tmp", "w") as f:
    f.write("%d %d\n" % (l1.getsockname()[1], c.getsockname()[1]))
import os
os.rename(out + ".tmp", out)
end = time.monotonic() + 120
while time.monotonic() < end:
    time.sleep(0.2)
