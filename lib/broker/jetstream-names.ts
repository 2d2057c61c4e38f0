/** Header names the JetStream broker adds to a dead letter (the original headers and body are kept). */
export const DEAD_LETTER_HEADERS = Object.freeze({
  /** The last error's message (one line, at most 1 KiB). */
  error: 'Micro-Dead-Letter-Error',
  /** The last error's code (a MicroError's, else 500). */
  code: 'Micro-Dead-Letter-Code',
  /** The topic the event was published to. */
  topic: 'Micro-Dead-Letter-Topic',
  /** How many times it was delivered. */
  deliveries: 'Micro-Dead-Letter-Deliveries',
  /** Its sequence in the stream. */
  sequence: 'Micro-Dead-Letter-Sequence',
} as const);

/** The JetStream header that deduplicates publishes within the stream's duplicate window. */
export const MSG_ID_HEADER = 'Nats-Msg-Id';
