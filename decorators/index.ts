/** The decorators: they only record metadata (lib/metadata.ts); bootstrap acts on it. */
export { Service, type ServiceOptions } from './service';
export { Handler, type HandlerDecoratorOptions } from './handler';
export { Subscribe, type SubscribeDecoratorOptions } from './subscribe';
export { InjectClient } from './inject-client';
export { Use } from './use';
export { HealthCheck } from './health-check';
