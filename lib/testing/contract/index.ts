/**
 * `micro-nats/testing/contract`: the contract suites a third-party implementation runs against itself.
 * They need mocha (`describe`/`it`, called when a suite function is called) and chai in the test run.
 */
export { transportContract } from './transport';
export { rejection, sleep, waitFor } from './wait';
