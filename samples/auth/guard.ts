/**
 * A bearer-token guard as middleware: it reads `Authorization: Bearer <token>` from the caller's metadata,
 * refuses the request with 401 when there is none or it is unknown, and puts the caller's identity in
 * `ctx.state.user` for the handler. `requireRole` refuses with 403 a caller without the role.
 */
import { inject } from 'inversify';
import { forbidden, unauthorized, type Context, type Invocation, type Middleware, type MiddlewareFn, type Next } from 'micro-nats';

/** Who a token belongs to. */
export interface User { name: string; roles: string[] }

/** Where tokens are checked: a stand-in for a session store or a JWT verifier, bound in the container. */
export class TokenStore {
  constructor(private readonly tokens: Record<string, User>) {}
  lookup(token: string): User | undefined { return Object.hasOwn(this.tokens, token) ? this.tokens[token] : undefined; }
}

/** The guard: a middleware class, so the container injects its token store. */
export class AuthGuard implements Middleware {
  constructor(@inject(TokenStore) private readonly tokens: TokenStore) {}

  use(inv: Invocation, next: Next): Promise<unknown> {
    const m = /^Bearer (\S+)$/.exec(inv.metadata.authorization ?? '');
    if (!m) throw unauthorized(inv.service, 'a bearer token is required');
    const user = this.tokens.lookup(m[1]);
    if (!user) throw unauthorized(inv.service, 'the bearer token is not valid');
    inv.context!.state.user = user;
    return next();
  }
}

/** A per-method check inside the guard: the caller must have `role`. */
export const requireRole = (role: string): MiddlewareFn => (inv, next) => {
  const user = inv.context!.state.user as User;
  if (!user.roles.includes(role)) throw forbidden(inv.service, `${user.name} lacks the role ${role}`);
  return next();
};

/** The caller the guard let in. */
export const userOf = (ctx: Context) => ctx.state.user as User;
