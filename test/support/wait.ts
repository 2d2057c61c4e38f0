export { rejection, sleep, waitFor } from '../../lib/testing/contract/wait';
