# The Switchboard wire format (protocol/SPEC.md §3) for Ruby, with the standard library only:
# SPDY/3.1 frames, and header blocks that are each a self-contained zlib stream with the SPDY/3
# dictionary. Decoding is strict: protocol/vectors/ checks it (test_vectors.rb).
require 'zlib'

module SPDY
  FIN = 0x01
  SYN_STREAM, SYN_REPLY, RST_STREAM, SETTINGS, PING, GOAWAY, HEADERS, WINDOW_UPDATE = 1, 2, 3, 4, 6, 7, 8, 9
  PROTOCOL_ERROR, UNSUPPORTED_VERSION = 1, 4
  MAX_HEADER_BLOCK = 256 * 1024 # SPEC §3.3: refuse header blocks that inflate past this
  DICTIONARY_ID = 0xE3C6A7C2    # Adler-32 of the SPDY/3 dictionary (built at the end of this file)
  SYNC_FLUSH = "\x00\x00\xff\xff".b

  # Input that breaks the SPEC. `status` is the RST_STREAM status for `stream_id` (0: no stream).
  class ProtocolError < StandardError
    attr_accessor :stream_id, :status

    def initialize(why, stream_id = 0, status = PROTOCOL_ERROR)
      super(why)
      @stream_id, @status = stream_id, status
    end
  end

  module_function

  def u32(buf, off) = buf.unpack1('N', offset: off) || raise(ProtocolError, 'a length runs past the end')

  # ---- frames (SPEC §3.2): an 8-byte header, then the payload; a part holds whole frames back to back

  # The frames of a message's parts, in order (SPEC §3.1): read_frames of each part, except that a DATA header ending
  # a part takes the whole next part as its payload when that is exactly as long as it says (a split DATA frame, whose
  # payload the sender did not copy behind its header).
  def read_message(parts)
    frames, i = [], 0
    while i < parts.size
      got, took_next = read_part(parts[i], parts[i + 1] || '')
      frames.concat(got)
      i += took_next ? 2 : 1
    end
    frames
  end

  # The frames of one part, in order (SPEC §3.1). A frame that does not decode is a ProtocolError in its place,
  # and reading goes on with the next frame; one that cannot be delimited (the part ends first) ends the part.
  def read_frames(part) = read_part(part, '')[0]

  # read_frames, and whether `following` (the next part) was the payload of a split DATA frame ending this part.
  def read_part(part, following)
    part, following, frames, off = part.b, following.b, [], 0
    while off < part.bytesize
      if part.bytesize - off == 8 && !following.empty? && part.getbyte(off) & 0x80 == 0 &&
         u32(part, off + 4) & 0xFFFFFF == following.bytesize
        begin
          frames << decode_data(u32(part, off), part.getbyte(off + 4), following)
        rescue ProtocolError => e
          frames << e
        end
        return [frames, true]
      end
      return [frames << ProtocolError.new('stray bytes after the last frame'), false] if part.bytesize - off < 8
      word, flags, length = u32(part, off), part.getbyte(off + 4), u32(part, off + 4) & 0xFFFFFF
      payload = part.byteslice(off + 8, length)
      off += 8 + length
      return [frames << ProtocolError.new('truncated frame', word >> 31 == 1 ? 0 : word), false] if payload.bytesize < length
      begin
        frames << (word >> 31 == 1 ? decode_control(word, flags, payload) : decode_data(word, flags, payload))
      rescue ProtocolError => e
        frames << e
      end
    end
    [frames, false]
  end

  def decode_data(stream_id, flags, payload)
    raise ProtocolError, 'DATA on stream 0' if stream_id.zero?
    { type: 'DATA', stream_id: stream_id, fin: flags & FIN != 0, data: payload }
  end

  def decode_control(word, flags, p)
    version, kind, fin = word >> 16 & 0x7FFF, word & 0xFFFF, flags & FIN != 0
    on_stream = ![SETTINGS, PING, GOAWAY].include?(kind)
    sid = p.bytesize >= 4 && on_stream ? u32(p, 0) & 0x7FFFFFFF : 0
    if version != 3
      raise ProtocolError.new("SPDY version #{version}", [SYN_STREAM, SYN_REPLY].include?(kind) ? sid : 0, UNSUPPORTED_VERSION)
    end
    size = { SYN_STREAM => 10, SYN_REPLY => 4, HEADERS => 4, SETTINGS => 4 }.fetch(kind, 0)
    exact = { RST_STREAM => 8, PING => 4, GOAWAY => 8, WINDOW_UPDATE => 8 }[kind]
    if p.bytesize < size || (exact && p.bytesize != exact)
      raise ProtocolError.new("control frame type #{kind} has a #{p.bytesize}-byte payload", sid)
    end
    raise ProtocolError, "control frame type #{kind} on stream 0" if [SYN_STREAM, SYN_REPLY, HEADERS, RST_STREAM].include?(kind) && sid.zero?

    case kind
    when SYN_STREAM
      { type: 'SYN_STREAM', stream_id: sid, associated_id: u32(p, 4) & 0x7FFFFFFF, priority: p.getbyte(8) >> 5, slot: p.getbyte(9),
        fin: fin, unidirectional: flags & 0x02 != 0, headers: decode_header_block(p.byteslice(10..), sid) }
    when SYN_REPLY, HEADERS
      { type: kind == SYN_REPLY ? 'SYN_REPLY' : 'HEADERS', stream_id: sid, fin: fin, headers: decode_header_block(p.byteslice(4..), sid) }
    when RST_STREAM then { type: 'RST_STREAM', stream_id: sid, status: u32(p, 4) }
    when SETTINGS
      raise ProtocolError, 'SETTINGS count does not match its length' if p.bytesize != 4 + 8 * u32(p, 0)
      entries = p.byteslice(4..).unpack('N*').each_slice(2).map { |h, v| { flags: h >> 24, id: h & 0xFFFFFF, value: v } }
      { type: 'SETTINGS', clear: flags & 0x01 != 0, entries: entries }
    when PING then { type: 'PING', id: u32(p, 0) }
    when GOAWAY then { type: 'GOAWAY', last_stream_id: u32(p, 0) & 0x7FFFFFFF, status: u32(p, 4) }
    when WINDOW_UPDATE
      raise ProtocolError.new('WINDOW_UPDATE with a zero delta', sid) if (u32(p, 4) & 0x7FFFFFFF).zero?
      { type: 'WINDOW_UPDATE', stream_id: sid, delta: u32(p, 4) & 0x7FFFFFFF }
    else { type: 'UNKNOWN', frame_type: kind, flags: flags, payload: p } # ignored (SPEC §3.2)
    end
  end

  def control_frame(kind, flags, payload) = [0x8003, kind, flags << 24 | payload.bytesize].pack('nnN') + payload

  # SYN_REPLY or HEADERS
  def headers_frame(kind, stream_id, headers, fin = false)
    control_frame(kind, fin ? FIN : 0, [stream_id].pack('N') + encode_header_block(headers))
  end

  def data_frame(stream_id, data, fin = false) = [stream_id, (fin ? FIN : 0) << 24 | data.bytesize].pack('NN') + data.b

  def rst_stream(stream_id, status) = control_frame(RST_STREAM, 0, [stream_id, status].pack('NN'))

  # ---- header blocks (SPEC §3.3): a name/value block in a self-contained zlib stream with the dictionary

  def decode_header_block(block, stream_id)
    cmf, flg = block.getbyte(0).to_i, block.getbyte(1).to_i
    if block.bytesize < 6 || cmf & 0x0F != 8 || cmf >> 4 > 7 || flg & 0x20 == 0 || (cmf << 8 | flg) % 31 != 0
      raise ProtocolError, 'header block is not a zlib stream with a preset dictionary'
    end
    z = Zlib::Inflate.new
    z.add_dictionary(SPDY3_DICTIONARY)
    nv = ''.b
    (0...block.bytesize).step(256) do |i| # a little input at a time, so a zlib bomb stops early
      nv << z.inflate(block.byteslice(i, 256))
      raise ProtocolError, "header block inflates past #{MAX_HEADER_BLOCK} bytes" if nv.bytesize > MAX_HEADER_BLOCK
    end
    # Complete (its Adler-32 last), or ended by a sync flush as SPDY/3 libraries do; else cut short.
    if z.finished? ? block.byteslice(-4, 4) != [Zlib.adler32(nv)].pack('N') : !block.end_with?(SYNC_FLUSH)
      raise ProtocolError, 'header block is truncated or has bytes after its end'
    end
    decode_name_values(nv)
  rescue Zlib::Error, ProtocolError, ArgumentError, TypeError => e
    raise ProtocolError.new("bad header block: #{e.message}", stream_id)
  ensure
    z&.close
  end

  def decode_name_values(nv)
    count, off, headers, seen = u32(nv, 0), 4, [], {}
    raise ProtocolError, "name/value block claims #{count} pairs" if count * 8 > nv.bytesize - 4
    count.times do
      name, off = read_string(nv, off)
      value, off = read_string(nv, off)
      name = name.force_encoding('UTF-8').scrub
      raise ProtocolError, "header name #{name.inspect} is empty, not lower case or repeated" if name.empty? || name != name.downcase || seen[name]
      seen[name] = true
      value = value.force_encoding('UTF-8').scrub
      (value.empty? ? [''] : value.split("\0", -1)).each { |v| headers << [name, v] } # NUL joins several values
    end
    raise ProtocolError, 'name/value block has trailing bytes' if off != nv.bytesize
    headers
  end

  def read_string(buf, off)
    len = u32(buf, off)
    raise ProtocolError, 'length runs past the name/value block' if off + 4 + len > buf.bytesize
    [buf.byteslice(off + 4, len), off + 4 + len]
  end

  # Stored (uncompressed) deflate blocks, as SPEC §3.3 recommends: no compressor needed.
  def encode_header_block(headers)
    merged = {}
    headers.each { |name, value| merged[name] = merged.key?(name) ? "#{merged[name]}\0#{value}" : value }
    nv = [merged.size].pack('N') + merged.flat_map { |pair| pair.map { |s| [s.bytesize].pack('N') + s.b } }.join
    out = [0x78, 0xBB, DICTIONARY_ID].pack('CCN')
    (0...nv.bytesize).step(0xFFFF) do |i|
      chunk = nv.byteslice(i, 0xFFFF)
      out << [i + 0xFFFF >= nv.bytesize ? 1 : 0, chunk.bytesize, chunk.bytesize ^ 0xFFFF].pack('Cvv') << chunk
    end
    out << [Zlib.adler32(nv)].pack('N')
  end

  # The SPDY/3 dictionary (SPDY §2.6.10.1, SPEC appendix A): these words, each after its length as a
  # 32-bit big-endian integer ("_" stands for the space in "200 OK"), then the tail as it is.
  WORDS = %w[options head post put delete trace accept accept-charset accept-encoding accept-language accept-ranges
             age allow authorization cache-control connection content-base content-encoding content-language
             content-length content-location content-md5 content-range content-type date etag expect expires from
             host if-match if-modified-since if-none-match if-range if-unmodified-since last-modified location
             max-forwards pragma proxy-authenticate proxy-authorization range referer retry-after server te trailer
             transfer-encoding upgrade user-agent vary via warning www-authenticate method get status 200_OK version
             HTTP/1.1 url public set-cookie keep-alive origin].freeze
  TAIL = '100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505' \
         '203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request401 Unauthorized' \
         '403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented503 Service Unavailable' \
         'Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT' \
         'chunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,text/plain,' \
         'text/javascript,publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0.'
  SPDY3_DICTIONARY = (WORDS.map { |w| [w.bytesize].pack('N') + w.tr('_', ' ') }.join + TAIL).b.freeze
  raise 'SPDY/3 dictionary mismatch' unless Zlib.adler32(SPDY3_DICTIONARY) == DICTIONARY_ID
end
