"""The Switchboard wire format (protocol/SPEC.md §3) for Python, with the standard library only:
SPDY/3.1 frames, and header blocks that are each a self-contained zlib stream with the SPDY/3
dictionary. Decoding is strict: protocol/vectors/ checks it (test_vectors.py).
"""
import struct, zlib

FIN = 0x01
SYN_STREAM, SYN_REPLY, RST_STREAM, SETTINGS, PING, GOAWAY, HEADERS, WINDOW_UPDATE = 1, 2, 3, 4, 6, 7, 8, 9
PROTOCOL_ERROR, UNSUPPORTED_VERSION = 1, 4
MAX_HEADER_BLOCK = 256 * 1024  # SPEC §3.3: refuse header blocks that inflate past this
DICTIONARY_ID = 0xE3C6A7C2     # Adler-32 of the SPDY/3 dictionary (built at the end of this file)


class ProtocolError(ValueError):
    """Input that breaks the SPEC. `status` is the RST_STREAM status for `stream_id` (0: no stream)."""
    def __init__(self, why, stream_id=0, status=PROTOCOL_ERROR):
        super().__init__(why)
        self.stream_id, self.status = stream_id, status


def u32(buf, off):
    return struct.unpack_from('>I', buf, off)[0]


# ---- frames (SPEC §3.2): an 8-byte header, then the payload; a part holds whole frames back to back

def read_message(parts):
    """The frames of a message's parts, in order (SPEC §3.1): read_frames of each part, except that a DATA header
    ending a part takes the whole next part as its payload when that is exactly as long as it says (a split DATA frame,
    whose payload the sender did not copy behind its header)."""
    frames, i = [], 0
    while i < len(parts):
        following = parts[i + 1] if i + 1 < len(parts) else b''
        got, took_next = read_part(parts[i], following)
        frames += got
        i += 2 if took_next else 1
    return frames


def read_frames(part):
    """The frames of one part, in order (SPEC §3.1). A frame that does not decode is a ProtocolError in its place,
    and reading goes on with the next frame; one that cannot be delimited (the part ends first) ends the part."""
    return read_part(part, b'')[0]


def read_part(part, following):
    """read_frames, and whether `following` (the next part) was the payload of a split DATA frame ending this one."""
    frames, off = [], 0
    while off < len(part):
        if len(part) - off == 8 and following and not part[off] & 0x80 and u32(part, off + 4) & 0xFFFFFF == len(following):
            try:
                frames.append(decode_data(u32(part, off), part[off + 4], following))
            except ProtocolError as e:
                frames.append(e)
            return frames, True
        if len(part) - off < 8:
            return frames + [ProtocolError('stray bytes after the last frame')], False
        word, flags, length = u32(part, off), part[off + 4], u32(part, off + 4) & 0xFFFFFF
        payload, off = part[off + 8:off + 8 + length], off + 8 + length
        if len(payload) < length:
            return frames + [ProtocolError('truncated frame', 0 if word >> 31 else word)], False
        try:
            frames.append(decode_control(word, flags, payload) if word >> 31 else decode_data(word, flags, payload))
        except ProtocolError as e:
            frames.append(e)
    return frames, False


def decode_data(stream_id, flags, payload):
    if stream_id == 0:
        raise ProtocolError('DATA on stream 0')
    return {'type': 'DATA', 'stream_id': stream_id, 'fin': bool(flags & FIN), 'data': payload}


def decode_control(word, flags, p):
    version, kind, fin = word >> 16 & 0x7FFF, word & 0xFFFF, bool(flags & FIN)
    on_stream = kind not in (SETTINGS, PING, GOAWAY)
    sid = u32(p, 0) & 0x7FFFFFFF if len(p) >= 4 and on_stream else 0
    if version != 3:
        raise ProtocolError('SPDY version %d' % version, sid if kind in (SYN_STREAM, SYN_REPLY) else 0, UNSUPPORTED_VERSION)
    size = {SYN_STREAM: 10, SYN_REPLY: 4, HEADERS: 4, SETTINGS: 4}.get(kind, 0)
    exact = {RST_STREAM: 8, PING: 4, GOAWAY: 8, WINDOW_UPDATE: 8}.get(kind)
    if len(p) < size or exact is not None and len(p) != exact:
        raise ProtocolError('control frame type %d has a %d-byte payload' % (kind, len(p)), sid)
    if kind in (SYN_STREAM, SYN_REPLY, HEADERS, RST_STREAM) and sid == 0:
        raise ProtocolError('control frame type %d on stream 0' % kind)
    if kind == SYN_STREAM:
        return {'type': 'SYN_STREAM', 'stream_id': sid, 'associated_id': u32(p, 4) & 0x7FFFFFFF, 'priority': p[8] >> 5,
                'slot': p[9], 'fin': fin, 'unidirectional': bool(flags & 0x02), 'headers': decode_header_block(p[10:], sid)}
    if kind in (SYN_REPLY, HEADERS):
        return {'type': 'SYN_REPLY' if kind == SYN_REPLY else 'HEADERS', 'stream_id': sid, 'fin': fin,
                'headers': decode_header_block(p[4:], sid)}
    if kind == RST_STREAM:
        return {'type': 'RST_STREAM', 'stream_id': sid, 'status': u32(p, 4)}
    if kind == SETTINGS:
        if len(p) != 4 + 8 * u32(p, 0):
            raise ProtocolError('SETTINGS count does not match its length')
        entries = [{'flags': h >> 24, 'id': h & 0xFFFFFF, 'value': v} for h, v in struct.iter_unpack('>II', p[4:])]
        return {'type': 'SETTINGS', 'clear': bool(flags & 0x01), 'entries': entries}
    if kind == PING:
        return {'type': 'PING', 'id': u32(p, 0)}
    if kind == GOAWAY:
        return {'type': 'GOAWAY', 'last_stream_id': u32(p, 0) & 0x7FFFFFFF, 'status': u32(p, 4)}
    if kind == WINDOW_UPDATE:
        if u32(p, 4) & 0x7FFFFFFF == 0:
            raise ProtocolError('WINDOW_UPDATE with a zero delta', sid)
        return {'type': 'WINDOW_UPDATE', 'stream_id': sid, 'delta': u32(p, 4) & 0x7FFFFFFF}
    return {'type': 'UNKNOWN', 'frame_type': kind, 'flags': flags, 'payload': p}  # ignored (SPEC §3.2)


def control_frame(kind, flags, payload):
    return struct.pack('>HHI', 0x8003, kind, flags << 24 | len(payload)) + payload


def headers_frame(kind, stream_id, headers, fin=False):  # SYN_REPLY or HEADERS
    return control_frame(kind, FIN if fin else 0, struct.pack('>I', stream_id) + encode_header_block(headers))


def data_frame(stream_id, data, fin=False):
    return struct.pack('>II', stream_id, (FIN if fin else 0) << 24 | len(data)) + data


def rst_stream(stream_id, status):
    return control_frame(RST_STREAM, 0, struct.pack('>II', stream_id, status))


# ---- header blocks (SPEC §3.3): a name/value block in a self-contained zlib stream with the dictionary

def decode_header_block(block, stream_id):
    try:
        cmf, flg = block[0], block[1]
        if cmf & 0x0F != 8 or cmf >> 4 > 7 or not flg & 0x20 or (cmf << 8 | flg) % 31:
            raise ProtocolError('header block is not a zlib stream with a preset dictionary')
        z = zlib.decompressobj(zdict=SPDY3_DICTIONARY)
        nv = z.decompress(block, MAX_HEADER_BLOCK + 1)
        if len(nv) > MAX_HEADER_BLOCK:
            raise ProtocolError('header block inflates past %d bytes' % MAX_HEADER_BLOCK)
        # Complete, or ended by a sync flush as SPDY/3 libraries do; anything else is cut short.
        if z.unused_data or not (z.eof or block.endswith(b'\0\0\xff\xff')):
            raise ProtocolError('header block is truncated or has bytes after its end')
        return decode_name_values(nv)
    except (IndexError, zlib.error, struct.error, ProtocolError) as e:
        raise ProtocolError('bad header block: %s' % e, stream_id) from e


def decode_name_values(nv):
    count, off, headers, seen = u32(nv, 0), 4, [], set()
    if count * 8 > len(nv) - 4:
        raise ProtocolError('name/value block claims %d pairs' % count)
    for _ in range(count):
        name, off = read_string(nv, off)
        value, off = read_string(nv, off)
        name = name.decode('utf-8', 'replace')
        if not name or name != name.lower() or name in seen:
            raise ProtocolError('header name %r is empty, not lower case or repeated' % name)
        seen.add(name)
        headers += [(name, v) for v in value.decode('utf-8', 'replace').split('\0')]  # NUL joins several values
    if off != len(nv):
        raise ProtocolError('name/value block has trailing bytes')
    return headers


def read_string(buf, off):
    end = off + 4 + u32(buf, off)
    if end > len(buf):
        raise ProtocolError('length runs past the name/value block')
    return buf[off + 4:end], end


def encode_header_block(headers):
    """Stored (uncompressed) deflate blocks, as SPEC §3.3 recommends: no compressor needed."""
    merged = {}
    for name, value in headers:
        merged[name] = merged[name] + '\0' + value if name in merged else value
    nv = struct.pack('>I', len(merged)) + b''.join(
        struct.pack('>I', len(b)) + b for pair in merged.items() for b in (pair[0].encode(), pair[1].encode()))
    out = bytearray(struct.pack('>BBI', 0x78, 0xBB, DICTIONARY_ID))
    for i in range(0, len(nv), 0xFFFF):
        chunk = nv[i:i + 0xFFFF]
        out += struct.pack('<BHH', i + 0xFFFF >= len(nv), len(chunk), len(chunk) ^ 0xFFFF) + chunk
    return bytes(out + struct.pack('>I', zlib.adler32(nv)))


# The SPDY/3 dictionary (SPDY §2.6.10.1, SPEC appendix A): these words, each after its length as a
# 32-bit big-endian integer ("_" stands for the space in "200 OK"), then the tail as it is.
_WORDS = ('options head post put delete trace accept accept-charset accept-encoding accept-language accept-ranges '
          'age allow authorization cache-control connection content-base content-encoding content-language '
          'content-length content-location content-md5 content-range content-type date etag expect expires from '
          'host if-match if-modified-since if-none-match if-range if-unmodified-since last-modified location '
          'max-forwards pragma proxy-authenticate proxy-authorization range referer retry-after server te trailer '
          'transfer-encoding upgrade user-agent vary via warning www-authenticate method get status 200_OK version '
          'HTTP/1.1 url public set-cookie keep-alive origin')
_TAIL = ('100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505'
         '203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request401 Unauthorized'
         '403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented503 Service Unavailable'
         'Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT'
         'chunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,text/plain,'
         'text/javascript,publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0.')
SPDY3_DICTIONARY = b''.join(struct.pack('>I', len(w)) + w.replace('_', ' ').encode() for w in _WORDS.split()) + _TAIL.encode()
assert zlib.adler32(SPDY3_DICTIONARY) == DICTIONARY_ID
