"""The tutorial echo server: one connection at a time, recv(1024) and sendall.

usage: python3 echo_server.py HOST PORT     (port 0 picks a free port)
Prints "listening on HOST:PORT" once bound, then serves connections one after another.
"""
import socket
import sys

HOST, PORT = sys.argv[1], int(sys.argv[2])

with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((HOST, PORT))
    s.listen()
    print(f"listening on {HOST}:{s.getsockname()[1]}", flush=True)
    while True:
        conn, addr = s.accept()
        with conn:
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            while True:
                data = conn.recv(1024)
                if not data:
                    break
                conn.sendall(data)
