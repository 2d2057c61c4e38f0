/**
 * `micro-nats/testing/contract`: the contract suites a third-party implementation runs against itself.
 * They need mocha (`describe`/`it`, called when a suite function is called) and chai in the test run.
 */
export { transportContract } from './transport';
export { brokerContract, type BrokerImpl } from './broker';
export { Closer, ids, registryContract, svc, uniqueName, type RegistryWorld } from './registry';
export { rejection, sleep, waitFor } from './wait';
