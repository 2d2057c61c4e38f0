/**
 * Per-endpoint statistics, counted for every call whichever protocol carried it (mucp or the NATS
 * Service API), and reported by `$SRV.STATS`. Counting is a few number updates per call: no allocation,
 * no timer; a time is read once at the start and once at the end (`performance.now()`, sub-µs resolution).
 */
import { performance } from 'node:perf_hooks';
import { MicroError } from '../errors';

/** The ADR-32 view of an endpoint's statistics (`io.nats.micro.v1.stats_response` endpoint fields). */
export interface EndpointStatsJSON {
  num_requests: number;
  num_errors: number;
  /** `"<code>:<detail>"` of the last error, `''` when none. */
  last_error: string;
  /** Total time in handlers, integer nanoseconds. */
  processing_time: number;
  /** `processing_time / num_requests`, integer nanoseconds (0 without requests). */
  average_processing_time: number;
}

/** Counters of one endpoint. */
export class EndpointStats {
  private requests = 0;
  private errors = 0;
  private lastError: MicroError | undefined;
  /** Milliseconds, fractional: summed as read, turned into integer ns only when reported. */
  private totalMs = 0;

  /** A timestamp to pass to {@link end}. */
  begin(): number {
    return performance.now();
  }

  /** Counts one finished request (successful or not) that began at `t0`. */
  end(t0: number): void {
    this.requests++;
    this.totalMs += performance.now() - t0;
  }

  /** Counts one failed request; kept as is and formatted only when reported. */
  fail(err: MicroError): void {
    this.errors++;
    this.lastError = err;
  }

  /** Zeroes every counter (the in-process counterpart of nats.js's `service.reset()`). */
  reset(): void {
    this.requests = 0;
    this.errors = 0;
    this.lastError = undefined;
    this.totalMs = 0;
  }

  /** The counters in ADR-32's shape. */
  toJSON(): EndpointStatsJSON {
    const ns = Math.round(this.totalMs * 1e6);
    return {
      num_requests: this.requests,
      num_errors: this.errors,
      last_error: this.lastError ? `${this.lastError.code}:${this.lastError.detail}` : '',
      processing_time: ns,
      average_processing_time: this.requests > 0 ? Math.round(ns / this.requests) : 0,
    };
  }
}
