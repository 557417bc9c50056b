// Roles and their bearer tokens: feed (may send samples), display (may watch), operator (may
// create and end procedures, register, replay, read metrics). Tokens come in an Authorization
// header (Bearer) or, for browsers' WebSockets, a ?token= parameter, and are compared in constant
// time. Without configured tokens (loopback only) everyone may do everything.

import { createHash, timingSafeEqual } from 'node:crypto';
import { TwinguideError } from '../protocol/index.ts';

export type Role = 'feed' | 'display' | 'operator';
export type Tokens = Partial<Record<Role, string[]>>;

const digest = (token: string): Buffer => createHash('sha256').update(token, 'utf8').digest();

export class Authoriser {
  private readonly digests: [Role, Buffer][];

  constructor(tokens: Tokens | undefined) {
    this.digests = Object.entries(tokens ?? {}).flatMap(([role, list]) => (list ?? []).map((t) => [role as Role, digest(t)] as [Role, Buffer]));
  }

  get enabled(): boolean {
    return this.digests.length > 0;
  }

  /** The role of a token (every candidate compared, in constant time each), or null. */
  roleOf(token: string | undefined): Role | null {
    if (!token) return null;
    const d = digest(token);
    let found: Role | null = null;
    for (const [role, candidate] of this.digests) if (timingSafeEqual(d, candidate) && found === null) found = role;
    return found;
  }

  /** Throws TG_ERR_AUTH / TG_ERR_FORBIDDEN unless the token's role is one of `allowed`. */
  check(token: string | undefined, allowed: readonly Role[]): void {
    if (!this.enabled) return;
    const role = this.roleOf(token);
    if (!role) throw new TwinguideError('TG_ERR_AUTH', token ? 'token not recognised' : 'a role token is required (Authorization: Bearer TOKEN, or ?token=TOKEN)');
    if (!allowed.includes(role)) throw new TwinguideError('TG_ERR_FORBIDDEN', `a ${role} token may not do this (needs ${allowed.join(' or ')})`);
  }
}

export function tokenFrom(headers: Record<string, string | string[] | undefined>, url: string | undefined): string | undefined {
  const auth = headers['authorization'];
  if (typeof auth === 'string' && auth.startsWith('Bearer ')) return auth.slice(7).trim();
  const q = url?.indexOf('?') ?? -1;
  if (url && q >= 0) return new URLSearchParams(url.slice(q + 1)).get('token') ?? undefined;
  return undefined;
}

/** Which roles a request needs, by method and path; null: open to all. */
export function rolesFor(method: string, path: string): Role[] | null {
  if (path === '/health' || path === '/' || path === '/replay' || path === '/favicon.ico' || path.startsWith('/assets/') || path.startsWith('/vendor/') || path.startsWith('/socket.io/')) return null;
  if (path === '/metrics') return ['operator'];
  if (path === '/ws/feed') return ['feed'];
  if (path === '/ws/display') return ['display', 'operator'];
  if (path.startsWith('/api/')) return method === 'GET' || method === 'HEAD' ? ['display', 'operator'] : ['operator'];
  return ['operator'];
}
