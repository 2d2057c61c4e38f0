/** One frame: headers and an opaque body. The unit every protocol frames and every transport carries. */
export interface Message {
  /** String headers (NATS headers on the wire). */
  header: Record<string, string>;
  /** The raw body; never re-encoded by the transport. */
  body: Uint8Array;
}
