#!/usr/bin/env python3
"""Writes the hostile-file corpus (tests/hostile/files/): PDFs and images built to crash, exhaust or
stall a parser. Run it again after changing it; the files are committed, so the tests need no Python.
Each name says what the file does; `expect` in index.json says what the reader must answer."""
import json
import os
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "files")


def pdf(content: bytes, extra_objects=(), content_dict=b"", page_extra=b"") -> bytes:
    """A one-page PDF with correct cross-references whose page draws `content`."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >>" + page_extra + b" >>",
        b"<< /Length " + str(len(content)).encode() + content_dict + b" >>\nstream\n" + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        *extra_objects,
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def text(words: bytes) -> bytes:
    return b"BT /F1 12 Tf 72 720 Td (" + words + b") Tj ET"


def deflated(data_chunks) -> bytes:
    compressor = zlib.compressobj(9)
    out = b"".join(compressor.compress(chunk) for chunk in data_chunks)
    return out + compressor.flush()


def png(width: int, height: int, idat: bytes) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def files():
    ok = pdf(text(b"A harmless page"))
    yield "nested-array-300.pdf", "answers", pdf(text(b"x") + b" /X " + b"[" * 300 + b"]" * 300 + b" BDC EMC")
    yield "nested-array-1000.pdf", "answers", pdf(text(b"x") + b" /X " + b"[" * 1000 + b"]" * 1000 + b" BDC EMC")
    yield "nested-array-200000.pdf", "unreadable", pdf(text(b"x") + b" /X " + b"[" * 200_000 + b"]" * 200_000 + b" BDC EMC")
    yield "nested-dict-200000.pdf", "unreadable", pdf(text(b"x") + b" /X " + b"<</A " * 200_000 + b">>" * 200_000 + b" BDC EMC")
    yield "nested-array-object-200000.pdf", "unreadable", pdf(
        text(b"x"), extra_objects=[b"[" * 200_000 + b"]" * 200_000], page_extra=b" /Deep 6 0 R"
    )
    # 400 MB of zeros in 400 KB: the stream's declared filter inflates it all.
    zeros = deflated(b"\0" * (1 << 20) for _ in range(400))
    yield "zeros-bomb.pdf", "unreadable", pdf(zeros, content_dict=b" /Filter /FlateDecode")
    # 1.5 million text operators in a few kilobytes.
    flood = deflated(b"BT /F1 1 Tf " + b"(a) Tj " * 100_000 + b"ET " for _ in range(15))
    yield "operator-flood.pdf", "unreadable", pdf(flood, content_dict=b" /Filter /FlateDecode")
    yield "truncated.pdf", "unreadable", ok[: len(ok) // 2]
    yield "no-xref.pdf", "answers", ok.replace(b"xref", b"fref")
    yield "header-only.pdf", "unreadable", b"%PDF-1.7\n"
    yield "empty.pdf", "unreadable", b""
    yield "garbage.pdf", "unreadable", b"%PDF-1.7\n" + bytes((i * 7919) % 251 for i in range(4096))
    yield "self-referencing-pages.pdf", "answers", pdf(
        text(b"x"), extra_objects=[b"<< /Type /Pages /Kids [6 0 R] /Count 1 >>"], page_extra=b" /Loop 6 0 R"
    )
    # Images: a header that claims 100,000 x 100,000 pixels, and a PNG whose zeros inflate past
    # what the decoder may allocate.
    yield "huge-dimensions.png", "unreadable", png(100_000, 100_000, deflated([b"\0" * 1024]))
    row = b"\0" + b"\0" * (11_000 * 3)
    yield "png-bomb.png", "unreadable", png(11_000, 11_000, deflated(row for _ in range(11_000)))
    yield "truncated.png", "unreadable", png(64, 64, deflated([b"\0" * 100]))[:60]
    yield "not-an-image.jpg", "unreadable", b"\xff\xd8\xff\xe0" + b"\0" * 64


def main():
    os.makedirs(OUT, exist_ok=True)
    index = {}
    for name, expect, data in files():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
        index[name] = expect
        print(f"{name}: {len(data)} bytes, {expect}")
    with open(os.path.join(OUT, "index.json"), "w") as f:
        json.dump(index, f, indent=2, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
