/** Turns `@Use`/`bootstrap({ middleware })` entries into functions, once, when an app is wired. */
import type { Container } from 'inversify';
import { isMiddlewareClass, type MiddlewareFn, type MiddlewareRef } from './index';

/**
 * Middleware functions as given; middleware classes resolved from `container` (bound to themselves as
 * singletons unless already bound), so one instance serves every chain. Throws naming `where` and the
 * class when the container cannot build it.
 */
export function resolveMiddleware(container: Container, refs: readonly MiddlewareRef[], where: string): MiddlewareFn[] {
  return refs.map((ref) => {
    if (!isMiddlewareClass(ref)) return ref as MiddlewareFn;
    if (!container.isBound(ref)) container.bind(ref).toSelf().inSingletonScope();
    let instance;
    try {
      instance = container.get(ref);
    } catch (err) {
      throw new Error(`${where}: cannot resolve middleware ${ref.name} from the container: ${(err as Error).message}`);
    }
    return (inv, next) => instance.use(inv, next);
  });
}
