"""The tutorial UDP client: sendto, then recvfrom, once per message.

usage: python3 udp_client.py HOST PORT MESSAGE...
Prints each reply on its own line.
"""
import socket
import sys

HOST, PORT = sys.argv[1], int(sys.argv[2])

with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
    s.settimeout(5)
    for message in sys.argv[3:]:
        s.sendto(message.encode(), (HOST, PORT))
        data, server = s.recvfrom(1024)
        print(data.decode("utf-8", "replace"), flush=True)
