#!/usr/bin/env python3
"""Test fixture for lssock --watch: two loopback TCP listeners; the one
with the higher port holds two connections it never accepts (Recv-Q 2).
A third listener's accepted connection sends 16 KiB every 20 ms to its
peer, which reads it.  Writes "LOWPORT HIGHPORT STREAMPORT" to OUT when
ready; exits on SIGTERM or after 120 s.
    listeners.py OUT"""
import os
import signal
import socket
import sys
import threading
import time

out = sys.argv[1]
ls = []
for _ in range(2):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(8)
    ls.append(s)
ls.sort(key=lambda s: s.getsockname()[1])
clients = [socket.create_connection(ls[1].getsockname(), timeout=5)
           for _ in range(2)]
st = socket.socket()
st.bind(("127.0.0.1", 0))
st.listen(1)
reader = socket.create_connection(st.getsockname(), timeout=5)
sender, _ = st.accept()
end = time.monotonic() + 120


def send():
    while time.monotonic() < end:
        sender.sendall(b"x" * 16384)
        time.sleep(0.02)


def read():
    while reader.recv(65536):
        pass


for fn in (send, read):
    threading.Thread(target=fn, daemon=True).start()
signal.signal(signal.SIGTERM, lambda *a: os._exit(0))
with open(out + ".tmp", "w") as f:
    f.write("%d %d %d\n" % (ls[0].getsockname()[1], ls[1].getsockname()[1],
                            st.getsockname()[1]))
os.rename(out + ".tmp", out)
while time.monotonic() < end:
    time.sleep(0.2)
