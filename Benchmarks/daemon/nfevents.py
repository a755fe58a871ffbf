#!/usr/bin/env python3
"""Prints one line per nf_tables set element added in this network namespace, as it is committed:
`add element <table> <set> <IPv4 addresses of its key and data>`, unbuffered.

The daemon benchmark runs it with `ip netns exec` to time the network programming latency. It
listens to the nf_tables event group directly instead of running `nft monitor`, which first reads
the whole ruleset: at 1M elements that read alone outlasts the churn (the kernel's set dump is
quadratic), so nothing was timed at 10,000 x 100.
"""
import socket
import struct
import sys

NETLINK_NETFILTER = 12
NFNLGRP_NFTABLES = 7
NFNL_SUBSYS_NFTABLES = 10
NFT_MSG_NEWSETELEM = 12
SOL_NETLINK = 270
NETLINK_ADD_MEMBERSHIP = 1
SO_RCVBUFFORCE = 33


def attributes(data):
    """(type, payload) of each netlink attribute in `data` (nested flag masked off)."""
    offset = 0
    while offset + 4 <= len(data):
        length, kind = struct.unpack_from("=HH", data, offset)
        if length < 4:
            return
        yield kind & 0x3FFF, data[offset + 4:offset + length]
        offset += (length + 3) & ~3


def addresses(element):
    """The IPv4 addresses at the 4-byte-aligned positions of an element's key and data values."""
    found = []
    for kind, value in attributes(element):
        if kind not in (1, 2):  # NFTA_SET_ELEM_KEY, NFTA_SET_ELEM_DATA
            continue
        for inner, raw in attributes(value):
            if inner != 1:  # NFTA_DATA_VALUE
                continue
            for start in range(0, len(raw) - 3, 4):
                found.append(socket.inet_ntoa(raw[start:start + 4]))
    return found


def main():
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
    sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 64 << 20)
    sock.bind((0, 0))
    sock.setsockopt(SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, NFNLGRP_NFTABLES)
    print("listening", flush=True)
    while True:
        try:
            data = sock.recv(1 << 20)
        except OSError:  # ENOBUFS: events were lost; go on with the next ones
            continue
        offset = 0
        while offset + 16 <= len(data):
            length, kind = struct.unpack_from("=IH", data, offset)
            if length < 16:
                break
            if kind == (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWSETELEM:
                table = set_name = ""
                lines = []
                for attr, value in attributes(data[offset + 20:offset + length]):
                    if attr == 1:
                        table = value.rstrip(b"\0").decode()
                    elif attr == 2:
                        set_name = value.rstrip(b"\0").decode()
                    elif attr == 3:
                        lines += [" ".join(addresses(element)) for kind_, element in attributes(value) if kind_ == 1]
                for line in lines:
                    sys.stdout.write("add element %s %s %s\n" % (table, set_name, line))
                sys.stdout.flush()
            offset += (length + 3) & ~3


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
