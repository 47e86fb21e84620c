"""One UDP socket, reused: an A query for NAME to SERVER:53 every INTERVAL_MS for DURATION_MS, each
answer (or its absence) printed as "<epoch ms> <rcode|none> <answers> <ms to the answer>". A client that keeps its
socket is what a DNS fault must not miss at T0 (its flow is already tracked) nor keep after T1."""
import random
import socket
import struct
import sys
import time

name, server, interval_ms, duration_ms = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind(("0.0.0.0", 0))
sock.settimeout(interval_ms / 1000)
qname = b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0"
end = time.time() * 1000 + duration_ms
while time.time() * 1000 < end:
    qid = random.randint(0, 65535)
    sent = time.time() * 1000
    sock.sendto(struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0) + qname + struct.pack(">HH", 1, 1), (server, 53))
    result = "none 0"
    latency = -1.0
    try:
        while True:
            data = sock.recv(4096)
            if struct.unpack(">H", data[:2])[0] == qid:
                rcode = data[3] & 0x0F
                ancount = struct.unpack(">H", data[6:8])[0]
                result = f"{ {0: 'noerror', 2: 'servfail', 3: 'nxdomain'}.get(rcode, rcode)} {ancount}"
                latency = time.time() * 1000 - sent
                break
    except socket.timeout:
        pass
    print(f"{int(sent)} {result} {latency:.1f}", flush=True)
    rest = interval_ms / 1000 - (time.time() * 1000 - sent) / 1000
    if rest > 0:
        time.sleep(rest)
