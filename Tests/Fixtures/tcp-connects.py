import socket, sys
ok = 0; names = {}
for i in range(int(sys.argv[3])):
    try:
        s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=3); s.sendall(b'hi\n')
        data = s.recv(200).decode(); s.close()
        if data: ok += 1; n = data.split()[0]; names[n] = names.get(n, 0) + 1
    except Exception as e: pass
print(ok, sorted(names.items()))
