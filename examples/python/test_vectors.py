#!/usr/bin/python3
"""Runs every case of protocol/vectors/ through spdy.py:  python3 -m unittest test_vectors  (in this folder)."""
import glob, json, os, unittest, zlib

import spdy

VECTORS = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'protocol', 'vectors')
CAMEL = {'stream_id': 'streamId', 'associated_id': 'associatedId', 'last_stream_id': 'lastStreamId', 'frame_type': 'frameType'}
ENCODERS = {  # the frames a worker writes, from their vector meaning
    'SYN_REPLY': lambda f: spdy.headers_frame(spdy.SYN_REPLY, f['streamId'], f['headers'], f['fin']),
    'HEADERS': lambda f: spdy.headers_frame(spdy.HEADERS, f['streamId'], f['headers'], f['fin']),
    'DATA': lambda f: spdy.data_frame(f['streamId'], bytes.fromhex(f['data']), f['fin']),
    'RST_STREAM': lambda f: spdy.rst_stream(f['streamId'], f['status']),
}


def as_vector(frame):
    """spdy.py's frame dicts in the vectors' JSON form: camelCase keys, bytes as hex, [name, value] pairs; a frame
    that did not decode as an ERROR entry (its status and stream: the `code` names the TypeScript codec's errors)."""
    if isinstance(frame, spdy.ProtocolError):
        return {'type': 'ERROR', 'rstStatus': frame.status, 'streamId': frame.stream_id}
    out = {CAMEL.get(k, k): v.hex() if isinstance(v, bytes) else v for k, v in frame.items()}
    if 'headers' in out:
        out['headers'] = [list(pair) for pair in out['headers']]
    return out


def cases():
    files = sorted(glob.glob(os.path.join(VECTORS, '*.json')))
    assert files, 'no vectors in %s' % VECTORS
    for path in files:
        with open(path, encoding='utf-8') as f:
            doc = json.load(f)
        assert doc['format'] == 'switchboard-test-vectors/1'
        for case in doc['cases']:
            if 'msgpack' not in case.get('requires', []):  # CONTROL payloads: extended protocol only
                yield os.path.basename(path), case, [bytes.fromhex(p) for p in case['parts']]


class Vectors(unittest.TestCase):
    def test_valid_cases_decode_to_their_meaning(self):
        for file, case, parts in cases():
            if 'frames' in case:
                with self.subTest(file=file, case=case['name']):
                    want = [[{k: v for k, v in f.items() if k != 'code'} for f in frames] for frames in case['frames']]
                    self.assertEqual([[as_vector(f) for f in spdy.read_frames(p)] for p in parts], want)

    def test_invalid_cases_are_rejected_with_their_rst_status_and_stream(self):
        for file, case, parts in cases():
            if 'error' in case:
                with self.subTest(file=file, case=case['name']):
                    errors = [f for p in parts for f in spdy.read_frames(p) if isinstance(f, spdy.ProtocolError)]
                    self.assertEqual([(e.status, e.stream_id) for e in errors],
                                     [(case['error']['rstStatus'], case['error']['streamId'])])

    def test_canonical_cases_are_what_the_encoder_writes(self):
        checked = 0
        for file, case, parts in cases():
            for part, frames in zip(parts, case.get('frames', [])) if case.get('canonical') else []:
                if frames and all(f['type'] in ENCODERS for f in frames):
                    with self.subTest(file=file, case=case['name']):
                        self.assertEqual(b''.join(ENCODERS[f['type']](f) for f in frames), part)
                        checked += 1
        self.assertGreater(checked, 10)

    def test_the_dictionary_is_spdy3s(self):
        self.assertEqual(len(spdy.SPDY3_DICTIONARY), 1423)
        self.assertEqual(zlib.adler32(spdy.SPDY3_DICTIONARY), 0xE3C6A7C2)


class SplitData(unittest.TestCase):
    """SPEC §3.1: a DATA header that ends a part takes the whole next part as its payload when that is exactly as long."""

    def test_split_data_frame(self):
        payload = b'x' * 20000
        header = (5).to_bytes(4, 'big') + (0x01000000 | len(payload)).to_bytes(4, 'big')  # DATA, stream 5, FIN
        frames = spdy.read_message([spdy.rst_stream(3, 5) + header, payload, spdy.rst_stream(7, 5)])
        self.assertEqual([(f['type'], f['stream_id']) for f in frames], [('RST_STREAM', 3), ('DATA', 5), ('RST_STREAM', 7)])
        self.assertEqual(frames[1]['data'], payload)
        self.assertTrue(frames[1]['fin'])

    def test_next_part_of_another_length_is_read_as_usual(self):
        header = (5).to_bytes(4, 'big') + (100).to_bytes(4, 'big')
        truncated, rst = spdy.read_message([header, spdy.rst_stream(7, 5)])
        self.assertIsInstance(truncated, spdy.ProtocolError)
        self.assertEqual(truncated.stream_id, 5)
        self.assertEqual((rst['type'], rst['stream_id']), ('RST_STREAM', 7))


if __name__ == '__main__':
    unittest.main()
