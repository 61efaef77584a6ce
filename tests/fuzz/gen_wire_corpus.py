#!/usr/bin/env python3
# gen_wire_corpus.py - writes the seed inputs of tests/fuzz/fuzz_wire.c into corpus/wire/.
#
# The record layouts mirror bpf/proto.h (FH_PROTO_VERSION 1) on a little-endian host, and
# the input framing is the one fuzz_wire.c documents: a limits byte, then records each
# behind a 2-byte little-endian length whose bit 15 moves the clock past expiry.
# Run it again after changing proto.h or the framing: python3 tests/fuzz/gen_wire_corpus.py

import os
import struct

VERSION = 1
FORK, EXEC, EXIT, DATA = 1, 2, 3, 4
F_LAST, F_ARGV_TRUNC, F_PATH_TRUNC, F_READ_FAIL, F_LOSS, F_NO_MM = 1, 2, 4, 8, 16, 32

HDR = struct.Struct("<BBHHHQQQIIII")  # struct fh_rec_hdr, 48 bytes
DATA_HDR_SIZE = HDR.size + 16  # struct fh_rec_data without its payload
EXPIRE = 0x8000  # prefix bit: advance the clock past expire_ns


def hdr(typ, flags, chunk, event_id, who, size):
    pid, ppid, uid, start = who
    return HDR.pack(VERSION, typ, flags, size, chunk, event_id, 1000 + event_id, start, pid,
                    ppid, uid, 0)


def rec_fork(event_id, who, parent_start):
    return hdr(FORK, F_LAST, 0, event_id, who, HDR.size + 8) + struct.pack("<Q", parent_start)


def rec_exit(event_id, who, status):
    return hdr(EXIT, F_LAST, 0, event_id, who, HDR.size + 8) + struct.pack("<II", status, 0)


def rec_exec(event_id, who, flags, path_len, argv_len, argv_full, comm=b"sh"):
    body = struct.pack("<QQIIIIIIII16s", who[3] - 1, 77, 100, 0, 100, 1000, 3, path_len,
                       argv_len, argv_full, comm)
    return hdr(EXEC, flags, 0, event_id, who, HDR.size + len(body)) + body


def rec_data(event_id, who, flags, chunk, offset, total, payload):
    size = DATA_HDR_SIZE + len(payload)
    return (hdr(DATA, flags, chunk, event_id, who, size) +
            struct.pack("<IIHHHH", offset, total, len(payload), 0, 0, 0) + payload)


def exec_event(event_id, who, path, argv, cs, flags=0):
    """The records of one exec event, head first, as the kernel writes them."""
    stream = path + argv
    n = 1 + (len(stream) + cs - 1) // cs
    recs = [rec_exec(event_id, who, flags | (F_LAST if n == 1 else 0), len(path), len(argv),
                     len(argv))]
    for i in range(1, n):
        off = (i - 1) * cs
        recs.append(rec_data(event_id, who, F_LAST if i == n - 1 else 0, i, off, len(stream),
                             stream[off:off + cs]))
    return recs


def limits(pending, bytes_sel, expire_sel):
    return bytes([(pending - 1) | bytes_sel << 3 | expire_sel << 5])


def frame(lim, recs):
    out = bytearray(lim)
    for r in recs:
        bits = 0
        if isinstance(r, tuple):
            bits, r = r
        out += struct.pack("<H", len(r) | bits) + r
    return bytes(out)


def add_flag(rec, flag):
    return rec[:2] + struct.pack("<H", struct.unpack_from("<H", rec, 2)[0] | flag) + rec[4:]


ALICE = (4242, 1, 1000, 123456789)
BOB = (777, 4242, 0, 987654321)
ARGV = b"curl\0-fsSL\0https://example.invalid/x.sh\0-o\0/tmp/\xff\xfe\n\0"
LIM = limits(8, 2, 3)  # 8 pending, 16 KiB, 4000 ns


def seeds():
    yield "fork", frame(LIM, [rec_fork(1, BOB, 555)])
    yield "exit", frame(LIM, [rec_exit(2, BOB, 9 << 8)])
    yield "exec_nodata", frame(LIM, [rec_exec(3, ALICE, F_LAST | F_NO_MM, 0, 0, 0)])
    multi = exec_event(4, ALICE, b"/usr/bin/curl", ARGV * 4, 64)
    yield "exec_multi", frame(LIM, multi)
    yield "exec_reversed", frame(LIM, multi[::-1])
    yield "exec_head_last", frame(LIM, multi[1:][::2] + multi[2:][::2] + multi[:1])
    evs = [exec_event(10 + k, (100 + k, 1, k, 1000 + k), b"/bin/p%d" % k, ARGV * (k + 1), 32)
           for k in range(3)]
    mixed = [rec_fork(20, BOB, 5)]
    for i in range(max(len(e) for e in evs)):
        mixed += [e[i] for e in evs if i < len(e)]
    mixed.append(rec_exit(21, BOB, 0))
    yield "interleaved3", frame(LIM, mixed)
    lost = exec_event(30, ALICE, b"/bin/true", ARGV * 3, 48)
    yield "lost_chunk", frame(LIM, lost[:2] + lost[3:])
    yield "duplicates", frame(LIM, lost[:3] + lost[1:3] + lost[2:])
    loss = exec_event(31, BOB, b"/bin/ls", ARGV * 2, 40)
    yield "kernel_loss", frame(LIM, [add_flag(r, F_LOSS) for r in loss[1:]])
    reuse_a = exec_event(40, (500, 1, 1000, 1111), b"/bin/bash", ARGV, 24)
    reuse_b = exec_event(41, (500, 1, 0, 2222), b"/tmp/.x/evil", ARGV, 24)
    pairs = [r for ab in zip(reuse_b, reuse_a) for r in ab]
    yield "pid_reuse", frame(LIM, pairs + reuse_a[len(reuse_b):] + reuse_b[len(reuse_a):])
    # Small limits: two pending, 1 KiB; heads without data evict each other, then expire.
    flood = [rec_exec(100 + i, ALICE, 0, 8, 300, 300) for i in range(6)]
    flood.append((EXPIRE, rec_data(200, BOB, 0, 2, 10, 20, b"0123456789")))
    big = exec_event(300, ALICE, b"/usr/bin/xargs", ARGV * 40, 512)
    yield "evict_expire", frame(limits(2, 1, 0), flood + big)
    bad = [rec_fork(50, BOB, 1)[:-1], b"\x02" + rec_exit(51, BOB, 0)[1:],
           rec_data(52, ALICE, 0, 1, 90, 100, b"x" * 20)]
    yield "malformed", frame(LIM, bad + multi[:3])


def main():
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "wire")
    os.makedirs(out, exist_ok=True)
    for name, blob in seeds():
        with open(os.path.join(out, name + ".bin"), "wb") as f:
            f.write(blob)
        print("%s.bin %d bytes" % (name, len(blob)))


if __name__ == "__main__":
    main()
