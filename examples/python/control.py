"""Switchboard's CONTROL frame (protocol/SPEC.md §5.1) for Python, standard library only: a SPDY control frame of
type 0xf000 whose payload is one msgpack map. msgpack here is the subset control payloads use (nil, booleans,
integers, floats, strings, bytes, arrays, maps), written and read without a msgpack library.
"""
import struct
from spdy import control_frame

CONTROL = 0xF000


def control_message(payload):
    """A CONTROL frame carrying `payload`, a dict with a string 't' (SPEC §5.1)."""
    return control_frame(CONTROL, 0, packb(payload))


def control_payload(frame):
    """The payload of a frame from spdy.read_frames if it is a CONTROL frame (a dict with a string 't'), else None."""
    if frame.get('type') != 'UNKNOWN' or frame.get('frame_type') != CONTROL:
        return None
    value = unpackb(frame['payload'])
    if not isinstance(value, dict) or not isinstance(value.get('t'), str):
        raise ValueError('a CONTROL payload must be a map with a string t')
    return value


# ---- msgpack (https://github.com/msgpack/msgpack/blob/master/spec.md), the subset above -------------------------

def packb(v):
    out = bytearray()
    _pack(v, out)
    return bytes(out)


def _sized(out, n, small_tag, small_max, tags):
    """Writes a length header: the fix form when n <= small_max, else 8/16/32-bit forms from `tags` (None: absent)."""
    if small_tag is not None and n <= small_max:
        out.append(small_tag | n)
        return
    for tag, fmt, limit in zip(tags, ('>B', '>H', '>I'), (0xFF, 0xFFFF, 0xFFFFFFFF)):
        if tag is not None and n <= limit:
            out.append(tag)
            out += struct.pack(fmt, n)
            return
    raise ValueError('too long for msgpack: %d' % n)


def _pack(v, out):
    if v is None:
        out.append(0xC0)
    elif v is True or v is False:
        out.append(0xC3 if v else 0xC2)
    elif isinstance(v, int):
        if 0 <= v < 0x80 or -32 <= v < 0:
            out += struct.pack('>b' if v < 0 else '>B', v)
        elif v >= 0:
            for tag, fmt, limit in ((0xCC, '>B', 0xFF), (0xCD, '>H', 0xFFFF), (0xCE, '>I', 0xFFFFFFFF), (0xCF, '>Q', 2 ** 64 - 1)):
                if v <= limit:
                    out.append(tag)
                    out += struct.pack(fmt, v)
                    return
            raise ValueError('integer too large for msgpack')
        else:
            for tag, fmt, limit in ((0xD0, '>b', 2 ** 7), (0xD1, '>h', 2 ** 15), (0xD2, '>i', 2 ** 31), (0xD3, '>q', 2 ** 63)):
                if v >= -limit:
                    out.append(tag)
                    out += struct.pack(fmt, v)
                    return
            raise ValueError('integer too small for msgpack')
    elif isinstance(v, float):
        out.append(0xCB)
        out += struct.pack('>d', v)
    elif isinstance(v, str):
        data = v.encode('utf-8')
        _sized(out, len(data), 0xA0, 31, (0xD9, 0xDA, 0xDB))
        out += data
    elif isinstance(v, (bytes, bytearray, memoryview)):
        _sized(out, len(v), None, 0, (0xC4, 0xC5, 0xC6))
        out += v
    elif isinstance(v, (list, tuple)):
        _sized(out, len(v), 0x90, 15, (None, 0xDC, 0xDD))
        for item in v:
            _pack(item, out)
    elif isinstance(v, dict):
        _sized(out, len(v), 0x80, 15, (None, 0xDE, 0xDF))
        for key, item in v.items():
            _pack(key, out)
            _pack(item, out)
    else:
        raise TypeError('cannot write %s as msgpack' % type(v).__name__)


def unpackb(data):
    """The one value in `data`; ValueError if it is not exactly one value of the subset."""
    value, off = _unpack(memoryview(bytes(data)), 0)
    if off != len(data):
        raise ValueError('bytes after the msgpack value')
    return value


def _take(buf, off, n):
    if off + n > len(buf):
        raise ValueError('truncated msgpack')
    return buf[off:off + n], off + n


def _unpack(buf, off):
    b, off = _take(buf, off, 1)
    b = b[0]
    if b <= 0x7F:
        return b, off
    if b >= 0xE0:
        return b - 0x100, off
    if 0x80 <= b <= 0x8F:
        return _map(buf, off, b & 0x0F)
    if 0x90 <= b <= 0x9F:
        return _array(buf, off, b & 0x0F)
    if 0xA0 <= b <= 0xBF:
        return _str(buf, off, b & 0x1F)
    if b in (0xC0, 0xC2, 0xC3):
        return {0xC0: None, 0xC2: False, 0xC3: True}[b], off
    fixed = {0xCA: '>f', 0xCB: '>d', 0xCC: '>B', 0xCD: '>H', 0xCE: '>I', 0xCF: '>Q', 0xD0: '>b', 0xD1: '>h', 0xD2: '>i', 0xD3: '>q'}
    if b in fixed:
        raw, off = _take(buf, off, struct.calcsize(fixed[b]))
        return struct.unpack(fixed[b], raw)[0], off
    sized = {0xC4: ('bin', '>B'), 0xC5: ('bin', '>H'), 0xC6: ('bin', '>I'), 0xD9: ('str', '>B'), 0xDA: ('str', '>H'),
             0xDB: ('str', '>I'), 0xDC: ('array', '>H'), 0xDD: ('array', '>I'), 0xDE: ('map', '>H'), 0xDF: ('map', '>I')}
    if b not in sized:
        raise ValueError('msgpack type 0x%02x is not used in control payloads' % b)
    kind, fmt = sized[b]
    raw, off = _take(buf, off, struct.calcsize(fmt))
    n = struct.unpack(fmt, raw)[0]
    if kind == 'bin':
        raw, off = _take(buf, off, n)
        return bytes(raw), off
    return {'str': _str, 'array': _array, 'map': _map}[kind](buf, off, n)


def _str(buf, off, n):
    raw, off = _take(buf, off, n)
    return bytes(raw).decode('utf-8'), off


def _array(buf, off, n):
    items = []
    for _ in range(n):
        item, off = _unpack(buf, off)
        items.append(item)
    return items, off


def _map(buf, off, n):
    out = {}
    for _ in range(n):
        key, off = _unpack(buf, off)
        if not isinstance(key, str):
            raise ValueError('control payload maps have string keys')
        out[key], off = _unpack(buf, off)
    return out, off
