# Runs every case of protocol/vectors/ through spdy.rb:  ruby examples/ruby/test_vectors.rb
require 'json'
require 'minitest/autorun'
require_relative 'spdy'

class VectorsTest < Minitest::Test
  VECTORS = File.expand_path('../../protocol/vectors', __dir__)
  CAMEL = { stream_id: 'streamId', associated_id: 'associatedId', last_stream_id: 'lastStreamId', frame_type: 'frameType' }.freeze
  ENCODERS = { # the frames a worker writes, from their vector meaning
    'SYN_REPLY' => ->(f) { SPDY.headers_frame(SPDY::SYN_REPLY, f['streamId'], f['headers'], f['fin']) },
    'HEADERS' => ->(f) { SPDY.headers_frame(SPDY::HEADERS, f['streamId'], f['headers'], f['fin']) },
    'DATA' => ->(f) { SPDY.data_frame(f['streamId'], [f['data']].pack('H*'), f['fin']) },
    'RST_STREAM' => ->(f) { SPDY.rst_stream(f['streamId'], f['status']) },
  }.freeze

  # spdy.rb's frame hashes in the vectors' JSON form: camelCase string keys, bytes as hex; a frame that did not decode
  # as an ERROR entry (its status and stream: the `code` names the TypeScript codec's errors).
  def as_vector(frame)
    return { 'type' => 'ERROR', 'rstStatus' => frame.status, 'streamId' => frame.stream_id } if frame.is_a?(SPDY::ProtocolError)

    JSON.parse(JSON.generate(frame.to_h { |k, v| [CAMEL.fetch(k, k), v.is_a?(String) && v.encoding == Encoding::BINARY ? v.unpack1('H*') : v] }))
  end

  def cases
    files = Dir[File.join(VECTORS, '*.json')].sort
    refute_empty files
    files.flat_map do |path|
      doc = JSON.parse(File.read(path))
      assert_equal 'switchboard-test-vectors/1', doc['format']
      doc['cases'].reject { |c| c.fetch('requires', []).include?('msgpack') } # CONTROL payloads: extended protocol only
                  .map { |c| [File.basename(path), c, c['parts'].map { |h| [h].pack('H*') }] }
    end
  end

  def test_valid_cases_decode_to_their_meaning
    cases.each do |file, c, parts|
      next unless c['frames']
      want = c['frames'].map { |frames| frames.map { |f| f.except('code') } }
      assert_equal want, parts.map { |p| SPDY.read_frames(p).map { |f| as_vector(f) } }, "#{file} #{c['name']}"
    end
  end

  def test_invalid_cases_are_rejected_with_their_rst_status_and_stream
    cases.each do |file, c, parts|
      next unless c['error']
      errors = parts.flat_map { |p| SPDY.read_frames(p) }.grep(SPDY::ProtocolError)
      assert_equal [[c['error']['rstStatus'], c['error']['streamId']]], errors.map { |e| [e.status, e.stream_id] }, "#{file} #{c['name']}: #{errors.map(&:message)}"
    end
  end

  def test_canonical_cases_are_what_the_encoder_writes
    checked = 0
    cases.each do |file, c, parts|
      next unless c['canonical']
      parts.zip(c['frames']).each do |part, frames|
        next if frames.empty? || !frames.all? { |f| ENCODERS.key?(f['type']) }
        assert_equal part.unpack1('H*'), frames.map { |f| ENCODERS[f['type']].call(f) }.join.unpack1('H*'), "#{file} #{c['name']}"
        checked += 1
      end
    end
    assert_operator checked, :>, 10
  end
end

# SPEC §3.1: a DATA header that ends a part takes the whole next part as its payload when that is exactly as long.
class SplitDataTest < Minitest::Test
  def test_split_data_frame
    payload = 'x' * 20_000
    header = [5, 0x01000000 | payload.bytesize].pack('NN') # DATA, stream 5, FIN
    frames = SPDY.read_message([SPDY.rst_stream(3, 5) + header, payload, SPDY.rst_stream(7, 5)])
    assert_equal [['RST_STREAM', 3], ['DATA', 5], ['RST_STREAM', 7]], frames.map { |f| [f[:type], f[:stream_id]] }
    assert_equal payload.b, frames[1][:data]
    assert frames[1][:fin]
  end

  def test_next_part_of_another_length_is_read_as_usual
    truncated, rst = SPDY.read_message([[5, 100].pack('NN'), SPDY.rst_stream(7, 5)])
    assert_kind_of SPDY::ProtocolError, truncated
    assert_equal 5, truncated.stream_id
    assert_equal ['RST_STREAM', 7], [rst[:type], rst[:stream_id]]
  end
end
