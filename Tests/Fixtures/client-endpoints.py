# For each source address given, one TCP connect to HOST:PORT from that address; prints
# "SOURCE NAME" per line (NAME: the echo server's first word), "SOURCE -" when it failed.
import socket, sys
host, port, sources = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
for source in sources:
    try:
        s = socket.socket(); s.settimeout(3); s.bind((source, 0)); s.connect((host, port)); s.sendall(b'hi\n')
        print(source, s.recv(200).decode().split()[0]); s.close()
    except Exception:
        print(source, '-')
