"""control.py: its msgpack subset against msgpack's spec, byte for byte, and the CONTROL frame (SPEC §5.1)."""
import unittest
from control import CONTROL, control_message, control_payload, packb, unpackb
from spdy import read_frames


class Msgpack(unittest.TestCase):
    def test_smallest_forms(self):
        cases = [(None, 'c0'), (True, 'c3'), (False, 'c2'), (0, '00'), (127, '7f'), (128, 'cc80'), (300, 'cd012c'),
                 (2 ** 32, 'cf0000000100000000'), (-1, 'ff'), (-33, 'd0df'), (-40000, 'd2ffff63c0'), ('x', 'a178'),
                 (b'\x00\xff', 'c40200ff'), ([1, 2], '920102'), ({'t': 'x'}, '81a174a178'), ('x' * 32, 'd920' + '78' * 32)]
        for value, hexed in cases:
            self.assertEqual(packb(value).hex(), hexed, repr(value))
            self.assertEqual(unpackb(bytes.fromhex(hexed)), value)

    def test_lengths_past_the_fix_forms_round_trip(self):
        for value in ['y' * 300, 'z' * 70000, b'b' * 300, b'b' * 70000, list(range(20)), {str(i): i for i in range(20)}, 1.5]:
            self.assertEqual(unpackb(packb(value)), value)

    def test_what_other_libraries_write_reads_too(self):
        # map16, as msgpackr writes the SPEC §5.1 example
        self.assertEqual(unpackb(bytes.fromhex('de0002a174a178a16ecd012c')), {'t': 'x', 'n': 300})

    def test_malformed_input_is_a_clear_error(self):
        for hexed, why in [('c1', 'not used'), ('a5787878', 'truncated'), ('0000', 'after'), ('8101a0', 'string keys'), ('d40100', 'not used')]:
            with self.assertRaisesRegex(ValueError, why):
                unpackb(bytes.fromhex(hexed))
        with self.assertRaises(TypeError):
            packb(object())


class ControlFrame(unittest.TestCase):
    def test_a_control_frame_of_type_0xf000_round_trips(self):
        frame = control_message({'t': 'publish', 'ref': 1, 'items': []})
        self.assertEqual(frame[:5].hex(), '8003f00000')
        [decoded] = read_frames(frame)
        self.assertEqual(decoded['frame_type'], CONTROL)
        self.assertEqual(control_payload(decoded), {'t': 'publish', 'ref': 1, 'items': []})

    def test_a_payload_without_a_string_t_is_refused(self):
        [decoded] = read_frames(control_message({'n': 1}))
        with self.assertRaisesRegex(ValueError, 'string t'):
            control_payload(decoded)


if __name__ == '__main__':
    unittest.main()
