"""The tutorial threaded chat client: one thread prints what the room sends, the main thread
sends what you type.

usage: python3 chat_client.py HOST PORT NICK
Sends NICK as its first line, then every line of stdin. At end of stdin it sends /quit and
waits until the server closes the connection. Every line received is printed as it arrives.
"""
import socket
import sys
import threading

HOST, PORT, NICK = sys.argv[1], int(sys.argv[2]), sys.argv[3]


def receive(sock):
    while True:
        try:
            data = sock.recv(1024)
        except OSError:
            break
        if not data:
            break
        sys.stdout.write(data.decode("utf-8", "replace"))
        sys.stdout.flush()


client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
client.connect((HOST, PORT))
client.sendall(f"{NICK}\n".encode())
receiver = threading.Thread(target=receive, args=(client,))
receiver.start()

for line in sys.stdin:
    client.sendall(line.encode())
client.sendall(b"/quit\n")
receiver.join(timeout=5)
client.close()
