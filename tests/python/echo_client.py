"""The tutorial echo client: connect, sendall, then recv(1024) until the server closes.

usage: python3 echo_client.py HOST PORT MESSAGE
Sends MESSAGE (with \\n escapes decoded), shuts down its sending side, prints what came back.
"""
import socket
import sys

HOST, PORT, MESSAGE = sys.argv[1], int(sys.argv[2]), sys.argv[3]

with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
    s.connect((HOST, PORT))
    s.sendall(MESSAGE.encode().decode("unicode_escape").encode("latin-1"))
    s.shutdown(socket.SHUT_WR)
    received = b""
    while True:
        data = s.recv(1024)
        if not data:
            break
        received += data

sys.stdout.write(received.decode("utf-8", "replace"))
