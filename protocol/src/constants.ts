// Wire constants of SPDY/3.1 (draft-mbelshe-httpbis-spdy-00 plus the 3.1 flow-control changes)
// and the one Switchboard extension frame. See protocol/SPEC.md.

export const SPDY_VERSION = 3;

/** Control-frame type codes (SPDY/3 §2.6). CONTROL is Switchboard's extension (SPEC §5.1). */
export const FrameType = {
  SYN_STREAM: 1,
  SYN_REPLY: 2,
  RST_STREAM: 3,
  SETTINGS: 4,
  PING: 6,
  GOAWAY: 7,
  HEADERS: 8,
  WINDOW_UPDATE: 9,
  CONTROL: 0xf000,
} as const;
export type FrameTypeName = keyof typeof FrameType | 'DATA';

/** Frame flags (SPDY/3 §2.6). FIN ends the sender's half of a stream. */
export const Flag = {
  FIN: 0x01,
  UNIDIRECTIONAL: 0x02,
  CLEAR_SETTINGS: 0x01,
} as const;

/** RST_STREAM status codes (SPDY/3 §2.4.2). */
export const RstStatus = {
  PROTOCOL_ERROR: 1,
  INVALID_STREAM: 2,
  REFUSED_STREAM: 3,
  UNSUPPORTED_VERSION: 4,
  CANCEL: 5,
  INTERNAL_ERROR: 6,
  FLOW_CONTROL_ERROR: 7,
  STREAM_IN_USE: 8,
  STREAM_ALREADY_CLOSED: 9,
  FRAME_TOO_LARGE: 11,
} as const;
export type RstStatusCode = (typeof RstStatus)[keyof typeof RstStatus];

/** GOAWAY status codes (SPDY/3 §2.6.6). */
export const GoawayStatus = { OK: 0, PROTOCOL_ERROR: 1, INTERNAL_ERROR: 2 } as const;

/** SETTINGS ids (SPDY/3 §2.6.4) that Switchboard reads. */
export const SettingsId = {
  MAX_CONCURRENT_STREAMS: 4,
  INITIAL_WINDOW_SIZE: 7,
} as const;

/** Largest stream id: ids are 31-bit (SPDY/3 §2.3.2). */
export const MAX_STREAM_ID = 0x7fffffff;
/** Largest payload a frame can carry: the length field is 24-bit. */
export const MAX_FRAME_PAYLOAD = 0xffffff;
/** Bytes of every frame header. */
export const FRAME_HEADER_SIZE = 8;
/** SPDY/3.1 default per-stream flow-control window. */
export const DEFAULT_WINDOW_SIZE = 65536;
/** Largest decompressed header block we accept (keeps a hostile peer from inflating a bomb). */
export const DEFAULT_MAX_HEADER_BLOCK = 256 * 1024;
