"""WebSocket events as Pushpin's WebSocket-over-HTTP writes them (its websocketoverhttp.cpp): a batch is events one
after another, each `TYPE\\r\\n` or `TYPE <hex length>\\r\\n<content>\\r\\n`, the body of a request or reply whose
Content-Type is application/websocket-events. Standard library only."""

CONTENT_TYPE = 'application/websocket-events'


class EventsError(ValueError):
    pass


def decode_events(body):
    """[(type, content or None)] of a batch; raises EventsError on bytes that are not events."""
    events, at = [], 0
    while at < len(body):
        eol = body.find(b'\r\n', at)
        if eol == -1:
            raise EventsError('event line without CRLF at byte %d' % at)
        line = body[at:eol].decode('latin-1')
        at = eol + 2
        kind, _, size = line.partition(' ')
        if not kind.isalpha() or not kind.isupper():
            raise EventsError('bad event type %r' % kind[:20])
        if not size:
            events.append((kind, None))
            continue
        try:
            n = int(size, 16)
        except ValueError:
            raise EventsError('bad length %r' % size[:20]) from None
        if body[at + n:at + n + 2] != b'\r\n':
            raise EventsError('event %s is shorter than %d bytes, or lacks its CRLF' % (kind, n))
        events.append((kind, bytes(body[at:at + n])))
        at += n + 2
    return events


def encode_events(events):
    out = bytearray()
    for kind, content in events:
        if content is None:
            out += b'%s\r\n' % kind.encode()
        else:
            out += b'%s %x\r\n%s\r\n' % (kind.encode(), len(content), content)
    return bytes(out)


def echo(events):
    """A stateless echo: accept the socket, send each message back as it came, answer a close with its code."""
    out = []
    for kind, content in events:
        if kind in ('OPEN', 'TEXT', 'BINARY', 'CLOSE'):
            out.append((kind, content))
    return out
