# A tiny authoritative upstream: example.com A/AAAA, NXDOMAIN for everything else; counts queries.
import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind((sys.argv[1], 53))
while True:
    q, a = s.recvfrom(512)
    i = 12; labels = []
    while q[i]: labels.append(q[i+1:i+1+q[i]].decode().lower()); i += 1 + q[i]
    name = '.'.join(labels); qtype = struct.unpack('>H', q[i+1:i+3])[0]; end = i + 5
    print(name, qtype, flush=True)
    hdr = bytearray(q[:12]); hdr[2] = 0x81 | (q[2] & 1); hdr[3] = 0x80
    if name == 'example.com' and qtype in (1, 28):
        rdata = bytes([192,0,2,1]) if qtype == 1 else bytes(15) + b'\x01'
        hdr[6:8] = b'\x00\x01'; hdr[8:12] = b'\x00\x00\x00\x00'
        ans = b'\xc0\x0c' + struct.pack('>HHIH', qtype, 1, 60, len(rdata)) + rdata
        s.sendto(bytes(hdr) + q[12:end] + ans, a)
    else:
        hdr[3] = 0x83; hdr[6:12] = bytes(6)
        s.sendto(bytes(hdr) + q[12:end], a)
