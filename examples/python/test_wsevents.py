"""wsevents.py: Pushpin's WebSocket-over-HTTP event encoding, both ways, and what is not events."""
import unittest
from wsevents import EventsError, decode_events, echo, encode_events


class Events(unittest.TestCase):
    def test_round_trip_as_pushpin_writes_them(self):
        body = b'OPEN\r\nTEXT 5\r\nhello\r\nBINARY 0\r\n\r\nCLOSE 2\r\n\x03\xe8\r\nDISCONNECT\r\n'
        events = decode_events(body)
        self.assertEqual(events, [('OPEN', None), ('TEXT', b'hello'), ('BINARY', b''), ('CLOSE', b'\x03\xe8'), ('DISCONNECT', None)])
        self.assertEqual(encode_events(events), body)

    def test_echo_answers_open_messages_and_close_only(self):
        self.assertEqual(echo([('OPEN', None), ('PING', b''), ('TEXT', b'x'), ('DISCONNECT', None)]), [('OPEN', None), ('TEXT', b'x')])

    def test_not_events(self):
        for body in (b'TEXT 5\r\nhel', b'TEXT zz\r\nx\r\n', b'text\r\n', b'OPEN'):
            with self.assertRaises(EventsError, msg=repr(body)):
                decode_events(body)


if __name__ == '__main__':
    unittest.main()
