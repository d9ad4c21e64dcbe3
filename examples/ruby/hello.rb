#!/usr/bin/ruby
# A Switchboard worker in Ruby, written from protocol/SPEC.md (minimal protocol, SPEC §1-4).
#
#     ruby hello.rb NAME [--connect tcp://127.0.0.1:8000]...
#
# Serves the conformance paths (SPEC §7): `/` answers "Hello from NAME", `/echo` echoes the request
# body and its x-echo-* headers, `/stream?count=N&interval=MS` sends a chunk every MS milliseconds.
# Needs ffi-rzmq (Debian: ruby-ffi-rzmq); the wire format is in spdy.rb, standard library only.
require 'optparse'
require 'ffi-rzmq'
require_relative 'spdy'

# One ROUTER socket connected to every router (SPEC §2); requests in, reply frames out.
class Worker
  include SPDY

  def initialize(name, endpoints)
    @name, @requests, @streams, @timers, @seq = name, {}, {}, [], 0
    @context = ZMQ::Context.new # held: a collected context terminates itself and hangs the socket
    @sock = @context.socket(ZMQ::ROUTER)
    @sock.setsockopt(ZMQ::ROUTER_MANDATORY, 1) # an unroutable reply fails instead of vanishing
    @sock.setsockopt(ZMQ::LINGER, 0)
    endpoints.each { |endpoint| @sock.connect(endpoint) }
    @poller = ZMQ::Poller.new
    @poller.register_readable(@sock)
  end

  def run
    loop do
      wait = @timers.empty? ? -1 : [((@timers.first[0] - now) * 1000).ceil, 0].max
      if @poller.poll(wait).positive?
        message = []
        receive(message) if @sock.recv_strings(message, ZMQ::DONTWAIT) >= 0
      end
      next_chunk(*@timers.shift[2..]) while !@timers.empty? && @timers.first[0] <= now
    end
  end

  def receive(message)
    router = message[0] # the routing id of the router's socket: replies go back through it
    # [router, ""] is the router's probe (SPEC §2): no frames, nothing to do
    SPDY.read_message(message[1..]).each { |f| f.is_a?(ProtocolError) ? bad_frame(router, f) : on_frame(router, f) }
  end

  def bad_frame(router, err) # SPEC §3.1, §4.6 step 6: it costs its own stream, if it names one
    log("bad frame: #{err.message}")
    return if err.stream_id.zero?
    @requests.delete([router, err.stream_id])
    @streams.delete([router, err.stream_id])
    send_frames(router, SPDY.rst_stream(err.stream_id, err.status))
  end

  def on_frame(router, f)
    key = [router, f[:stream_id]]
    case f[:type]
    when 'SYN_STREAM' then @requests[key] = [f[:headers], ''.b]
    when 'DATA' then @requests[key][1] << f[:data] if @requests.key?(key)
    when 'RST_STREAM' # cancelled: send nothing more for it (SPEC §4.4)
      @requests.delete(key)
      @streams.delete(key)
    end
    # Anything else (SETTINGS, PING, unknown types, frames of unknown streams) is ignored.
    respond(router, f[:stream_id], *@requests.delete(key)) if %w[SYN_STREAM DATA].include?(f[:type]) && f[:fin] && @requests.key?(key)
  end

  def respond(router, sid, headers, body)
    h = headers.to_h
    path, query = h.fetch(':path', '/').split('?', 2)
    head = h[':method'] == 'HEAD'
    status, extra, ctype = '200', [], 'text/plain'
    case path
    when '/' then body = "Hello from #{@name}\n"
    when '/echo'
      extra = headers.select { |n, _| n.start_with?('x-echo-') }
      ctype = h.fetch('content-type', 'application/octet-stream')
    when '/stream'
      q = query.to_s.split('&').to_h { |pair| pair.split('=', 2).values_at(0, 1) }
      send_frames(router, SPDY.headers_frame(SYN_REPLY, sid, [[':status', '200'], ['content-type', 'text/plain']], head))
      return if head
      count, interval = %w[count interval].map { |k| Integer(q[k].to_s, exception: false) }
      stream = @streams[[router, sid]] = [count || 5, (interval || 100) / 1000.0]
      return next_chunk([router, sid], stream, 0)
    else status, body = '404', "not found\n"
    end
    reply = [[':status', status], ['content-type', ctype], ['content-length', body.bytesize.to_s]] + extra
    frames = [SPDY.headers_frame(SYN_REPLY, sid, reply, head || body.empty?)]
    unless head # HEAD: the headers GET would give, no body
      (0...body.bytesize).step(65536) { |i| frames << SPDY.data_frame(sid, body.byteslice(i, 65536), i + 65536 >= body.bytesize) }
    end
    send_frames(router, *frames)
  end

  def next_chunk(key, stream, i)
    return unless @streams[key].equal?(stream) # reset by the router meanwhile (its id may even be in use again)
    count, interval = stream
    last = i + 1 >= count
    send_frames(key[0], SPDY.data_frame(key[1], "chunk #{i}\n", last))
    return @streams.delete(key) if last
    @timers << [now + interval, @seq += 1, key, stream, i + 1]
    @timers.sort!
  end

  def send_frames(router, *frames)
    return if @sock.send_strings([router, *frames]) >= 0
    log("reply dropped: #{ZMQ::Util.error_string}") # EHOSTUNREACH: that router is gone; its streams with it
    @streams.delete_if { |key, _| key[0] == router }
  end

  def now = Process.clock_gettime(Process::CLOCK_MONOTONIC)
end

def log(line) = warn("hello.rb: #{line}")

if $PROGRAM_NAME == __FILE__
  endpoints = []
  name = OptionParser.new do |o|
    o.banner = 'usage: ruby hello.rb NAME [--connect ENDPOINT]...'
    o.on('--connect ENDPOINT', 'a router endpoint (repeatable)') { |e| endpoints << e }
  end.parse!(ARGV).first or abort('usage: ruby hello.rb NAME [--connect ENDPOINT]...')
  endpoints << 'tcp://127.0.0.1:8000' if endpoints.empty?
  worker = Worker.new(name, endpoints)
  log("#{name} connected to #{endpoints.join(' ')}")
  begin
    worker.run
  rescue Interrupt
    nil
  end
end
